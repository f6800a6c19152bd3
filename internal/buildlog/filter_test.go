package buildlog

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
)

// fev is a FilterLogEvents event without its eventId.
type fev struct {
	Stream string
	TS     int64
	Msg    string
}

// filterFixture writes three streams whose timestamps interleave and repeat
// across streams, plus an empty one, and returns every event in
// FilterLogEvents' order.
func filterFixture(t *testing.T) (*Store, []fev) {
	t.Helper()
	s, c := newStore(t, 8<<10)
	var all []fev
	for k, name := range []string{"build-b", "build-a", "other-c"} {
		var evs []ev
		for i := range 1500 {
			ts := t0 + int64(i*3/(k+1)) // streams at different rates: equal timestamps across streams
			level := []string{"INFO", "WARN", "ERROR"}[(i+k)%3]
			evs = append(evs, ev{TS: ts, Msg: fmt.Sprintf("%s %s event %04d", level, name, i)})
			all = append(all, fev{Stream: name, TS: ts, Msg: evs[i].Msg})
		}
		writeEvents(t, s, c, tgroup, name, evs)
	}
	w, err := s.Create(tgroup, "empty")
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	// FilterLogEvents returns events older than the clock.
	c.Set(t0 + 1e6)
	// Stable sort keeps each stream's own order for equal keys.
	slices.SortStableFunc(all, func(a, b fev) int { return cmp.Or(cmp.Compare(a.TS, b.TS), strings.Compare(a.Stream, b.Stream)) })
	return s, all
}

// filterAll pages through FilterLogEvents and checks each page's size and
// the eventIds' uniqueness.
func filterAll(t *testing.T, s *Store, in FilterLogEventsInput) []fev {
	t.Helper()
	var got []fev
	ids := map[string]bool{}
	for calls := 0; ; calls++ {
		if calls > 100000 {
			t.Fatal("FilterLogEvents never ends")
		}
		out, err := s.FilterLogEvents(t.Context(), in)
		if err != nil {
			t.Fatalf("FilterLogEvents: %v", err)
		}
		if in.Limit != nil && len(out.Events) > int(*in.Limit) {
			t.Fatalf("page of %d events, limit %d", len(out.Events), *in.Limit)
		}
		for _, e := range out.Events {
			if len(e.EventId) != 56 || ids[e.EventId] {
				t.Fatalf("eventId %q repeated or not 56 digits", e.EventId)
			}
			ids[e.EventId] = true
			got = append(got, fev{e.LogStreamName, e.Timestamp, e.Message})
		}
		if out.NextToken == nil {
			return got
		}
		in.NextToken = out.NextToken
	}
}

func TestFilterLogEvents(t *testing.T) {
	t.Parallel()
	s, all := filterFixture(t)
	keep := func(f func(fev) bool) []fev {
		var out []fev
		for _, e := range all {
			if f(e) {
				out = append(out, e)
			}
		}
		return out
	}
	tests := []struct {
		name string
		in   FilterLogEventsInput
		want []fev
	}{
		{"everything", FilterLogEventsInput{}, all},
		{"limit 1", FilterLogEventsInput{Limit: ptr[int32](1), EndTime: ptr(int64(t0 + 100))}, keep(func(e fev) bool { return e.TS <= t0+100 })},
		{"limit 7", FilterLogEventsInput{Limit: ptr[int32](7)}, all},
		{"limit 1000", FilterLogEventsInput{Limit: ptr[int32](1000)}, all},
		{"pattern", FilterLogEventsInput{FilterPattern: ptr("ERROR"), Limit: ptr[int32](50)}, keep(func(e fev) bool { return strings.HasPrefix(e.Msg, "ERROR") })},
		{"pattern or", FilterLogEventsInput{FilterPattern: ptr("?ERROR ?WARN"), Limit: ptr[int32](333)}, keep(func(e fev) bool { return !strings.HasPrefix(e.Msg, "INFO") })},
		{"rare pattern", FilterLogEventsInput{FilterPattern: ptr(`"event 0777"`), Limit: ptr[int32](1)}, keep(func(e fev) bool { return strings.HasSuffix(e.Msg, "event 0777") })},
		{"no match", FilterLogEventsInput{FilterPattern: ptr("nothing")}, nil},
		{"time range, both ends inclusive", FilterLogEventsInput{StartTime: ptr(int64(t0 + 300)), EndTime: ptr(int64(t0 + 600)), Limit: ptr[int32](77)}, keep(func(e fev) bool { return e.TS >= t0+300 && e.TS <= t0+600 })},
		{"one stream", FilterLogEventsInput{LogStreamNames: []string{"build-a"}, Limit: ptr[int32](500)}, keep(func(e fev) bool { return e.Stream == "build-a" })},
		{"streams, one missing", FilterLogEventsInput{LogStreamNames: []string{"other-c", "build-a", "gone"}}, keep(func(e fev) bool { return e.Stream != "build-b" })},
		{"prefix", FilterLogEventsInput{LogStreamNamePrefix: ptr("build-"), Limit: ptr[int32](999)}, keep(func(e fev) bool { return e.Stream != "other-c" })},
		{"empty stream only", FilterLogEventsInput{LogStreamNames: []string{"empty"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.in
			in.LogGroupName = ptr(tgroup)
			got := filterAll(t, s, in)
			if diff := gocmp.Diff(tt.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFilterLogEventsFollow polls as `aws logs tail --follow` does, from the
// newest timestamp seen, de-duplicating by eventId, while more events are
// written.
func TestFilterLogEventsFollow(t *testing.T) {
	t.Parallel()
	s, c := newStore(t, 4<<10)
	var want []fev
	seen := map[int64]map[string]bool{}
	var got []fev
	in := FilterLogEventsInput{LogGroupName: ptr(tgroup), StartTime: ptr(int64(t0)), Limit: ptr[int32](40)}
	poll := func() {
		for {
			out, err := s.FilterLogEvents(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range out.Events {
				if seen[e.Timestamp][e.EventId] {
					continue
				}
				if seen[e.Timestamp] == nil {
					seen[e.Timestamp] = map[string]bool{}
				}
				seen[e.Timestamp][e.EventId] = true
				got = append(got, fev{e.LogStreamName, e.Timestamp, e.Message})
			}
			if out.NextToken == nil {
				break
			}
			in.NextToken = out.NextToken
		}
		in.NextToken = nil
		newest := int64(-1)
		for ts := range seen {
			newest = max(newest, ts)
		}
		for ts := range seen {
			if ts != newest {
				delete(seen, ts)
			}
		}
		if newest >= 0 {
			in.StartTime = &newest
		}
	}
	for round := range 20 {
		for _, name := range []string{"s1", "s2"} {
			var evs []ev
			for i := range 30 {
				e := ev{TS: t0 + int64(round*10+i/4), Msg: fmt.Sprintf("%s round %d line %d", name, round, i)}
				evs = append(evs, e)
				want = append(want, fev{name, e.TS, e.Msg})
			}
			writeEvents(t, s, c, tgroup, name, evs)
		}
		// The clock is still at the round's last timestamp, so the first
		// poll gets the events before it; a millisecond later, the rest.
		poll()
		c.Set(t0 + int64(round*10+8))
		poll()
	}
	slices.SortStableFunc(want, func(a, b fev) int { return cmp.Or(cmp.Compare(a.TS, b.TS), strings.Compare(a.Stream, b.Stream)) })
	slices.SortStableFunc(got, func(a, b fev) int { return cmp.Or(cmp.Compare(a.TS, b.TS), strings.Compare(a.Stream, b.Stream)) })
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("followed events (-want +got):\n%s", diff)
	}
}

func TestFilterLogEventsErrors(t *testing.T) {
	t.Parallel()
	s, _ := filterFixture(t)
	tests := []struct {
		name string
		in   FilterLogEventsInput
		want error
	}{
		{"no group", FilterLogEventsInput{LogGroupName: ptr("/none")}, ErrGroupNotFound},
		{"names and prefix", FilterLogEventsInput{LogGroupName: ptr(tgroup), LogStreamNames: []string{"a"}, LogStreamNamePrefix: ptr("a")}, ErrInvalidParameter},
		{"empty names", FilterLogEventsInput{LogGroupName: ptr(tgroup), LogStreamNames: []string{}}, ErrInvalidParameter},
		{"json pattern", FilterLogEventsInput{LogGroupName: ptr(tgroup), FilterPattern: ptr(`{ $.a = 1 }`)}, ErrInvalidParameter},
		{"bad token", FilterLogEventsInput{LogGroupName: ptr(tgroup), NextToken: ptr("f/123/s")}, ErrInvalidToken},
		{"limit", FilterLogEventsInput{LogGroupName: ptr(tgroup), Limit: ptr[int32](10001)}, ErrInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := s.FilterLogEvents(t.Context(), tt.in); !errors.Is(err, tt.want) {
				t.Errorf("FilterLogEvents error = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestFilterLogEventsScanBudget checks that a search over more than the scan
// budget answers in several calls, with empty pages and tokens until the
// match.
func TestFilterLogEventsScanBudget(t *testing.T) {
	t.Parallel()
	s, c := newStore(t, 0)
	w, err := s.Create(tgroup, tstream)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte(strings.Repeat("x", 4000) + "\n")
	for range (scanBudget / 4000) * 2 {
		w.Write(line)
	}
	w.Write([]byte("needle\n"))
	w.Close()
	c.Set(t0 + 1)
	in := FilterLogEventsInput{LogGroupName: ptr(tgroup), FilterPattern: ptr("needle")}
	var calls, found int
	for {
		out, err := s.FilterLogEvents(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		calls++
		found += len(out.Events)
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	if found != 1 || calls < 3 {
		t.Errorf("%d events in %d calls, want 1 in at least 3", found, calls)
	}
}

// TestFilterLogEventsWaitsForPendingEvents has one stream publish an event
// while another holds an older one in its Writer's buffer: FilterLogEvents
// must not return the newer one before the older is published, or a
// follower restarting from the newest timestamp would miss the older.
func TestFilterLogEventsWaitsForPendingEvents(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.Create(tgroup, "a")
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		b, err := s.Create(tgroup, "b")
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		var seen []string
		ids := map[string]bool{}
		in := FilterLogEventsInput{LogGroupName: ptr(tgroup), StartTime: ptr(int64(0))}
		follow := func() {
			out, err := s.FilterLogEvents(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			if out.NextToken != nil {
				t.Fatal("a NextToken for a few events")
			}
			for _, e := range out.Events {
				if !ids[e.EventId] {
					ids[e.EventId] = true
					seen = append(seen, e.Message)
				}
				in.StartTime = ptr(e.Timestamp)
			}
		}
		a.Write([]byte("a0\n"))
		b.Write([]byte("b0\n"))
		time.Sleep(20 * time.Millisecond) // both published
		follow()
		a.Write([]byte("a1\n")) // buffered for 10 ms
		time.Sleep(5 * time.Millisecond)
		b.Write([]byte("b1\n"))
		b.Flush() // published at once, 5 ms newer than a1
		follow()
		time.Sleep(10 * time.Millisecond) // a1 published
		follow()
		time.Sleep(time.Millisecond)
		follow()
		if diff := gocmp.Diff([]string{"a0", "b0", "a1", "b1"}, seen); diff != "" {
			t.Errorf("followed events (-want +got):\n%s", diff)
		}
	})
}
