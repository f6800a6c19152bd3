package buildlog

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	tgroup  = "/aws/codebuild/demo"
	tstream = "6a1f2c3e-0d4b-4c1e-9d7a-5a0f3e9b8c21"
)

// TestGetLogEventsTokens pages through 25,000 events (in many chunks) with
// forward and backward tokens and various limits, and checks that every
// event comes exactly once, in order, and that the end gives back the token
// passed in.
func TestGetLogEventsTokens(t *testing.T) {
	t.Parallel()
	s, c := newStore(t, 64<<10)
	want := manyEvents(25000)
	writeEvents(t, s, c, tgroup, tstream, want)
	if n := len(s.groups[tgroup].streams[tstream].chunks); n < 40 {
		t.Fatalf("%d chunks, want many", n)
	}
	tests := []struct {
		name  string
		limit *int32
	}{
		{"limit 7", ptr[int32](7)},
		{"limit 100", ptr[int32](100)},
		{"limit 1000", ptr[int32](1000)},
		{"limit 9999", ptr[int32](9999)},
		{"limit 10000", ptr[int32](10000)},
		{"default limit", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name+" forward", func(t *testing.T) {
			t.Parallel()
			in := GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: tstream, Limit: tt.limit, StartFromHead: ptr(true)}
			var got []ev
			for calls := 0; ; calls++ {
				if calls > len(want)+2 {
					t.Fatal("no end after as many calls as events")
				}
				out, err := s.GetLogEvents(t.Context(), in)
				if err != nil {
					t.Fatal(err)
				}
				checkPage(t, out.Events, tt.limit)
				got = append(got, outEvents(out.Events)...)
				if in.NextToken != nil && out.NextForwardToken == *in.NextToken {
					if len(out.Events) != 0 {
						t.Fatalf("same token with %d events", len(out.Events))
					}
					break
				}
				in.NextToken = &out.NextForwardToken
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("forward pages (-want +got):\n%s", diff)
			}
		})
		t.Run(tt.name+" backward", func(t *testing.T) {
			t.Parallel()
			in := GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: tstream, Limit: tt.limit}
			var pages [][]ev
			for calls := 0; ; calls++ {
				if calls > len(want)+2 {
					t.Fatal("no end after as many calls as events")
				}
				out, err := s.GetLogEvents(t.Context(), in)
				if err != nil {
					t.Fatal(err)
				}
				checkPage(t, out.Events, tt.limit)
				pages = append(pages, outEvents(out.Events))
				if in.NextToken != nil && out.NextBackwardToken == *in.NextToken {
					break
				}
				in.NextToken = &out.NextBackwardToken
			}
			var got []ev
			for i := len(pages) - 1; i >= 0; i-- {
				got = append(got, pages[i]...)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("backward pages (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGetLogEventsTurnAround pages forward, then back with the backward
// token of a page, which must give the events before that page.
func TestGetLogEventsTurnAround(t *testing.T) {
	t.Parallel()
	s, c := newStore(t, 16<<10)
	want := manyEvents(3000)
	writeEvents(t, s, c, tgroup, tstream, want)
	ctx := t.Context()
	in := GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: tstream, Limit: ptr[int32](250), StartFromHead: ptr(true)}
	var out *GetLogEventsOutput
	for range 5 {
		var err error
		if out, err = s.GetLogEvents(ctx, in); err != nil {
			t.Fatal(err)
		}
		in.NextToken = &out.NextForwardToken
	}
	if diff := cmp.Diff(want[1000:1250], outEvents(out.Events)); diff != "" {
		t.Fatalf("fifth page (-want +got):\n%s", diff)
	}
	in.NextToken = &out.NextBackwardToken
	in.Limit = ptr[int32](300)
	back, err := s.GetLogEvents(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[700:1000], outEvents(back.Events)); diff != "" {
		t.Errorf("page before it (-want +got):\n%s", diff)
	}
	in.NextToken = &back.NextForwardToken
	fwd, err := s.GetLogEvents(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[1000:1300], outEvents(fwd.Events)); diff != "" {
		t.Errorf("forward again (-want +got):\n%s", diff)
	}
}

// TestGetLogEventsStartFromHead checks the first page without a token: the
// newest events by default, the oldest with startFromHead, at most 10,000 of
// them or 1 MiB.
func TestGetLogEventsStartFromHead(t *testing.T) {
	t.Parallel()
	s, c := newStore(t, 0)
	// Short messages: 10,000 of them fit in 1 MiB.
	var small []ev
	for i := range 12000 {
		small = append(small, ev{TS: t0 + int64(i), Msg: fmt.Sprintf("event %05d", i)})
	}
	writeEvents(t, s, c, tgroup, tstream, small)
	var big []ev
	for i := range 25 {
		big = append(big, ev{TS: t0 + int64(i), Msg: fmt.Sprintf("%03d%s", i, strings.Repeat("x", 100_000))})
	}
	writeEvents(t, s, c, tgroup, "big", big)

	tests := []struct {
		name    string
		tstream string
		head    *bool
		limit   *int32
		want    []ev
	}{
		{"default is the tail", tstream, nil, nil, small[2000:]},
		{"startFromHead false", tstream, ptr(false), nil, small[2000:]},
		{"startFromHead true", tstream, ptr(true), nil, small[:10000]},
		{"tail with limit", tstream, nil, ptr[int32](5), small[11995:]},
		{"head with limit", tstream, ptr(true), ptr[int32](5), small[:5]},
		// 10 events of 100,003 bytes plus 26 fit in 1 MiB, 11 do not.
		{"tail of 1 MiB", "big", nil, nil, big[15:]},
		{"head of 1 MiB", "big", ptr(true), nil, big[:10]},
		{"limit under 1 MiB", "big", ptr(true), ptr[int32](3), big[:3]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := s.GetLogEvents(t.Context(), GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: tt.tstream, StartFromHead: tt.head, Limit: tt.limit})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, outEvents(out.Events)); diff != "" {
				t.Errorf("GetLogEvents (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGetLogEventsTimeBounds checks that startTime is inclusive and endTime
// exclusive, in both directions, with timestamps that repeat across chunk
// boundaries.
func TestGetLogEventsTimeBounds(t *testing.T) {
	t.Parallel()
	s, c := newStore(t, 4<<10)
	var evs []ev
	for i := range 2000 {
		// 20 events per millisecond: runs of equal timestamps span chunks.
		evs = append(evs, ev{TS: t0 + int64(i/20)*10, Msg: fmt.Sprintf("event %04d with some text to fill chunks", i)})
	}
	writeEvents(t, s, c, tgroup, tstream, evs)
	between := func(start, end int64) []ev {
		var out []ev
		for _, e := range evs {
			if e.TS >= start && e.TS < end {
				out = append(out, e)
			}
		}
		return out
	}
	last := evs[len(evs)-1].TS
	tests := []struct {
		name       string
		start, end *int64
		want       []ev
	}{
		{"start only", ptr(t0 + int64(500)), nil, between(t0+500, last+1)},
		{"start between timestamps", ptr(t0 + int64(505)), nil, between(t0+510, last+1)},
		{"end only", nil, ptr(t0 + int64(500)), between(0, t0+500)},
		{"both", ptr(t0 + int64(100)), ptr(t0 + int64(130)), between(t0+100, t0+130)},
		{"single timestamp", ptr(t0 + int64(990)), ptr(t0 + int64(991)), between(t0+990, t0+991)},
		{"empty range", ptr(t0 + int64(101)), ptr(t0 + int64(109)), nil},
		{"start after end", ptr(t0 + int64(200)), ptr(t0 + int64(100)), nil},
		{"before everything", ptr(int64(0)), ptr(int64(t0)), nil},
		{"after everything", ptr(last + 1), nil, nil},
		{"all", ptr(int64(0)), ptr(last + 1), evs},
	}
	for _, tt := range tests {
		for _, head := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s head=%v", tt.name, head), func(t *testing.T) {
				t.Parallel()
				in := GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: tstream, StartTime: tt.start, EndTime: tt.end, StartFromHead: ptr(head), Limit: ptr[int32](37)}
				var pages [][]ev
				for {
					out, err := s.GetLogEvents(t.Context(), in)
					if err != nil {
						t.Fatal(err)
					}
					pages = append(pages, outEvents(out.Events))
					next := out.NextBackwardToken
					if head {
						next = out.NextForwardToken
					}
					if in.NextToken != nil && next == *in.NextToken {
						break
					}
					in.NextToken = &next
				}
				if !head {
					slices.Reverse(pages)
				}
				got := slices.Concat(pages...)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("events (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestGetLogEventsEmpty checks a tstream without events: no events, and
// tokens that end paging at once.
func TestGetLogEventsEmpty(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, 0)
	w, err := s.Create(tgroup, tstream)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out, err := s.GetLogEvents(t.Context(), GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: tstream})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 0 || out.NextForwardToken[1:] != out.NextBackwardToken[1:] {
		t.Fatalf("GetLogEvents = %+v, want no events and tokens at one place", out)
	}
	again, err := s.GetLogEvents(t.Context(), GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: tstream, NextToken: &out.NextForwardToken})
	if err != nil {
		t.Fatal(err)
	}
	if again.NextForwardToken != out.NextForwardToken {
		t.Errorf("forward token %q, want the one passed, %q", again.NextForwardToken, out.NextForwardToken)
	}
}

// TestGetLogEventsErrors checks the errors and their classes.
func TestGetLogEventsErrors(t *testing.T) {
	t.Parallel()
	s, c := newStore(t, 0)
	writeEvents(t, s, c, tgroup, tstream, manyEvents(10))
	writeEvents(t, s, c, tgroup, "other", manyEvents(20))
	other, err := s.GetLogEvents(t.Context(), GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: "other"})
	if err != nil {
		t.Fatal(err)
	}
	past := getToken{forward: true, serial: s.groups[tgroup].streams[tstream].serial, pos: 11}.String()
	tests := []struct {
		name string
		in   GetLogEventsInput
		want error
	}{
		{"no group", GetLogEventsInput{LogGroupName: ptr("/aws/codebuild/none"), LogStreamName: tstream}, ErrGroupNotFound},
		{"no stream", GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: "none"}, ErrStreamNotFound},
		{"garbage token", GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: tstream, NextToken: ptr("f/123/s")}, ErrInvalidToken},
		{"other tstream's token", GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: tstream, NextToken: &other.NextForwardToken}, ErrInvalidToken},
		{"token past the end", GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: tstream, NextToken: &past}, ErrInvalidToken},
		{"limit 0", GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: tstream, Limit: ptr[int32](0)}, ErrInvalidParameter},
		{"limit 10001", GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: tstream, Limit: ptr[int32](10001)}, ErrInvalidParameter},
		{"negative start", GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: tstream, StartTime: ptr[int64](-1)}, ErrInvalidParameter},
		{"no tgroup name", GetLogEventsInput{LogStreamName: tstream}, ErrInvalidParameter},
		{"name and identifier", GetLogEventsInput{LogGroupName: ptr(tgroup), LogGroupIdentifier: ptr(tgroup), LogStreamName: tstream}, ErrInvalidParameter},
		{"bad tgroup name", GetLogEventsInput{LogGroupName: ptr("a b"), LogStreamName: tstream}, ErrInvalidParameter},
		{"bad tstream name", GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: "a:b"}, ErrInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := s.GetLogEvents(t.Context(), tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("GetLogEvents error = %v, want %v", err, tt.want)
			}
			if errors.Is(tt.want, ErrInvalidParameter) {
				var pe *InvalidParameterError
				if !errors.As(err, &pe) || pe.Message == "" {
					t.Errorf("error %v is not an *InvalidParameterError with a message", err)
				}
			}
		})
	}
}

// TestLogGroupIdentifier checks that a log tgroup ARN, with or without ":*",
// names the tgroup.
func TestLogGroupIdentifier(t *testing.T) {
	t.Parallel()
	s, c := newStore(t, 0)
	writeEvents(t, s, c, tgroup, tstream, manyEvents(3))
	for _, id := range []string{tgroup, "arn:aws:logs:us-east-1:000000000000:log-group:" + tgroup, "arn:aws:logs:eu-west-1:123456789012:log-group:" + tgroup + ":*"} {
		out, err := s.GetLogEvents(t.Context(), GetLogEventsInput{LogGroupIdentifier: &id, LogStreamName: tstream})
		if err != nil {
			t.Errorf("GetLogEvents(identifier %s): %v", id, err)
		} else if len(out.Events) != 3 {
			t.Errorf("GetLogEvents(identifier %s) = %d events, want 3", id, len(out.Events))
		}
	}
}

func TestTokenFormat(t *testing.T) {
	t.Parallel()
	tok := getToken{forward: true, serial: 1234567890123456789, pos: 42}
	s := tok.String()
	if len(s) != 60 || !strings.HasPrefix(s, "f/") || !strings.HasSuffix(s, "/s") {
		t.Errorf("token %q is not f/<56 digits>/s", s)
	}
	got, err := parseGetToken(s)
	if err != nil || got != tok {
		t.Errorf("parseGetToken(%q) = %+v, %v; want %+v", s, got, err, tok)
	}
}

// checkPage fails when a page holds more than limit events or 1 MiB.
func checkPage(t *testing.T, events []OutputLogEvent, limit *int32) {
	t.Helper()
	if limit != nil && len(events) > int(*limit) {
		t.Fatalf("page of %d events, limit %d", len(events), *limit)
	}
	size := 0
	for _, e := range events {
		size += len(e.Message) + 26
	}
	if size > 1<<20 {
		t.Fatalf("page of %d bytes, more than 1 MiB", size)
	}
}

// TestGetLogEventsBackwardInLargeChunk pages backward through a chunk much
// larger than a page, where a page starts reading near its end rather than
// at its first possible event.
func TestGetLogEventsBackwardInLargeChunk(t *testing.T) {
	t.Parallel()
	s, c := newStore(t, 32<<20)
	var want []ev
	for i := range 12000 {
		want = append(want, ev{TS: t0 + int64(i/7), Msg: fmt.Sprintf("%05d %s", i, strings.Repeat("b", 1000+i%50))})
	}
	writeEvents(t, s, c, tgroup, tstream, want)
	in := GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: tstream}
	var pages [][]ev
	for {
		out, err := s.GetLogEvents(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		checkPage(t, out.Events, nil)
		if len(pages) == 0 && len(out.Events) < 990 {
			t.Fatalf("first page has %d events, want as many as fit in 1 MiB", len(out.Events))
		}
		pages = append(pages, outEvents(out.Events))
		if in.NextToken != nil && out.NextBackwardToken == *in.NextToken {
			break
		}
		in.NextToken = &out.NextBackwardToken
	}
	slices.Reverse(pages)
	if diff := cmp.Diff(want, slices.Concat(pages...)); diff != "" {
		t.Errorf("backward pages (-want +got):\n%s", diff)
	}
}
