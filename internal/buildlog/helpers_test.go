package buildlog

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// clock is a settable clock for Store.now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(ms int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = time.UnixMilli(ms)
}

// t0 is the fake clock's start, in ms.
const t0 = 1_700_000_000_000

// newStore opens a Store in a temporary directory with a fake clock at t0
// and chunks of chunkSize bytes (the default when 0).
func newStore(t testing.TB, chunkSize int64) (*Store, *clock) {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{}
	c.Set(t0)
	s.now = c.Now
	if chunkSize > 0 {
		s.chunkSize = chunkSize
	}
	return s, c
}

// ev is an event as the tests write and expect them.
type ev struct {
	TS  int64
	Msg string
}

// writeEvents writes each event as one line, with the clock at its time.
func writeEvents(t testing.TB, s *Store, c *clock, group, stream string, evs []ev) {
	t.Helper()
	w, err := s.Create(group, stream)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		c.Set(e.TS)
		if _, err := w.Write([]byte(e.Msg + "\n")); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// manyEvents returns n events, three per millisecond from t0, with messages
// of varying length that name their index.
func manyEvents(n int) []ev {
	evs := make([]ev, n)
	for i := range evs {
		pad := make([]byte, (i*37)%200)
		for j := range pad {
			pad[j] = 'a' + byte((i+j)%26)
		}
		evs[i] = ev{TS: t0 + int64(i/3), Msg: fmt.Sprintf("event %05d %s", i, pad)}
	}
	return evs
}

func outEvents(evs []OutputLogEvent) []ev {
	out := make([]ev, len(evs))
	for i, e := range evs {
		out[i] = ev{TS: e.Timestamp, Msg: e.Message}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// getAll reads a whole stream with GetLogEvents through forward tokens.
func getAll(t testing.TB, s *Store, group, stream string) []ev {
	t.Helper()
	in := GetLogEventsInput{LogGroupName: &group, LogStreamName: stream, StartFromHead: ptr(true)}
	var all []ev
	for {
		out, err := s.GetLogEvents(context.Background(), in)
		if err != nil {
			t.Fatalf("GetLogEvents(%s, %s): %v", group, stream, err)
		}
		all = append(all, outEvents(out.Events)...)
		if in.NextToken != nil && out.NextForwardToken == *in.NextToken {
			return all
		}
		in.NextToken = &out.NextForwardToken
	}
}
