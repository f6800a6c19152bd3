package buildlog

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestReadWhileWriting has a Writer write lines in pieces while readers
// follow the stream as `aws logs get-log-events` paging and `aws logs tail
// --follow` do, and checks that each sees every line once, whole and in
// order.
func TestReadWhileWriting(t *testing.T) {
	t.Parallel()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.chunkSize = 32 << 10
	const lines = 20000
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	msg := func(i int) string { return fmt.Sprintf("line %06d %s", i, strings.Repeat("-", i%97)) }

	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		w, err := s.Create(tgroup, tstream)
		if err != nil {
			t.Error(err)
			return
		}
		rnd := rand.New(rand.NewPCG(3, 4))
		var buf []byte
		for i := range lines {
			buf = append(buf, msg(i)+"\n"...)
			if i%500 == 499 || i == lines-1 {
				for len(buf) > 0 {
					n := min(len(buf), 1+rnd.IntN(2000))
					if _, err := w.Write(buf[:n]); err != nil {
						t.Error(err)
						return
					}
					buf = buf[n:]
				}
				time.Sleep(time.Millisecond)
			}
		}
		if err := w.Close(); err != nil {
			t.Error(err)
		}
	})
	check := func(reader string, i int, m string) bool {
		if m != msg(i) {
			t.Errorf("%s: event %d is %.30q, want %.30q", reader, i, m, msg(i))
			return false
		}
		return true
	}
	// GetLogEvents with forward tokens.
	wg.Go(func() {
		in := GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: tstream, StartFromHead: ptr(true), Limit: ptr[int32](700)}
		n := 0
		for n < lines {
			out, err := s.GetLogEvents(ctx, in)
			if errors.Is(err, ErrStreamNotFound) || errors.Is(err, ErrGroupNotFound) {
				time.Sleep(time.Millisecond)
				continue
			}
			if err != nil {
				t.Errorf("GetLogEvents: %v", err)
				return
			}
			for _, e := range out.Events {
				if !check("GetLogEvents", n, e.Message) {
					return
				}
				n++
			}
			if len(out.Events) == 0 {
				time.Sleep(time.Millisecond)
			}
			in.NextToken = &out.NextForwardToken
		}
	})
	// FilterLogEvents as aws logs tail --follow polls it.
	wg.Go(func() {
		in := FilterLogEventsInput{LogGroupName: ptr(tgroup), StartTime: ptr(int64(0)), Limit: ptr[int32](900)}
		seen := map[int64]map[string]bool{}
		n := 0
		for n < lines {
			out, err := s.FilterLogEvents(ctx, in)
			if errors.Is(err, ErrGroupNotFound) {
				time.Sleep(time.Millisecond)
				continue
			}
			if err != nil {
				t.Errorf("FilterLogEvents: %v", err)
				return
			}
			for _, e := range out.Events {
				if seen[e.Timestamp][e.EventId] {
					continue
				}
				if seen[e.Timestamp] == nil {
					seen[e.Timestamp] = map[string]bool{}
				}
				seen[e.Timestamp][e.EventId] = true
				if !check("FilterLogEvents", n, e.Message) {
					return
				}
				n++
			}
			var newest int64 = -1
			for ts := range seen {
				newest = max(newest, ts)
			}
			for ts := range seen {
				if ts != newest {
					delete(seen, ts)
				}
			}
			if out.NextToken != nil {
				in.NextToken = out.NextToken
				continue
			}
			in.NextToken = nil
			if newest >= 0 {
				in.StartTime = &newest
			}
			time.Sleep(time.Millisecond)
		}
	})
	// DescribeLogStreams sees the stream grow.
	wg.Go(func() {
		var last int64
		for {
			select {
			case <-done:
				return
			default:
			}
			out, err := s.DescribeLogStreams(ctx, DescribeLogStreamsInput{LogGroupName: ptr(tgroup)})
			if errors.Is(err, ErrGroupNotFound) {
				continue
			}
			if err != nil {
				t.Errorf("DescribeLogStreams: %v", err)
				return
			}
			if len(out.LogStreams) == 1 {
				if b := out.LogStreams[0].StoredBytes; b < last {
					t.Errorf("storedBytes went from %d to %d", last, b)
				} else {
					last = b
				}
			}
			time.Sleep(time.Millisecond)
		}
	})
	wg.Wait()
}
