package buildlog

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// messages returns the messages of a whole stream.
func messages(t *testing.T, s *Store, group, stream string) []string {
	t.Helper()
	var out []string
	for _, e := range getAll(t, s, group, stream) {
		out = append(out, e.Msg)
	}
	return out
}

// TestWriterLines checks how writes become events once flushed.
func TestWriterLines(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", MaxMessageSize)
	tests := []struct {
		name   string
		writes []string
		want   []string
	}{
		{"lines", []string{"a\nb\n"}, []string{"a", "b"}},
		{"partial last line is flushed", []string{"a\nb"}, []string{"a", "b"}},
		{"line across writes", []string{"ab", "c", "d\ne"}, []string{"abcd", "e"}},
		{"crlf loses the cr", []string{"a\r\nb\r", "\n"}, []string{"a", "b"}},
		{"lone cr stays", []string{"10%\r20%\r30%\n"}, []string{"10%\r20%\r30%"}},
		{"empty lines make no events", []string{"\n\na\n\r\n\n"}, []string{"a"}},
		{"spaces are kept", []string{"  indented  \n"}, []string{"  indented  "}},
		{"invalid utf-8 is kept", []string{"\xff\xfe\n"}, []string{"\xff\xfe"}},
		{"line of the maximum size", []string{long + "\n"}, []string{long}},
		{"one byte more", []string{long + "y\n"}, []string{long, "y"}},
		{"long line in pieces", []string{long[:1000], long[1000:], "yz", "\n"}, []string{long, "yz"}},
		{"nothing", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newStore(t, 0)
			w, err := s.Create(tgroup, tstream)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range tt.writes {
				if n, err := w.Write([]byte(p)); n != len(p) || err != nil {
					t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(p))
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, messages(t, s, tgroup, tstream)); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWriterSplitsUTF8 checks that a long line is cut before a character
// that straddles the limit, not inside it.
func TestWriterSplitsUTF8(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, 0)
	line := strings.Repeat("€", MaxMessageSize/3+10) // 3 bytes each; 1,048,550 is not a multiple of 3
	w, err := s.Create(tgroup, tstream)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(line + "\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := messages(t, s, tgroup, tstream)
	if len(got) != 2 {
		t.Fatalf("%d events, want 2", len(got))
	}
	if len(got[0]) != MaxMessageSize/3*3 || !utf8.ValidString(got[0]) || !utf8.ValidString(got[1]) || got[0]+got[1] != line {
		t.Errorf("events of %d and %d bytes (valid UTF-8: %v, %v), want %d and the rest", len(got[0]), len(got[1]), utf8.ValidString(got[0]), utf8.ValidString(got[1]), MaxMessageSize/3*3)
	}
}

// TestWriterLive checks, on a fake clock, that events become readable 10 ms
// after they are written, that a partial line becomes an event after a
// second, and the timestamps.
func TestWriterLive(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now().UnixMilli()
		w, err := s.Create(tgroup, tstream)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		read := func() []ev {
			out, err := s.GetLogEvents(t.Context(), GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: tstream, StartFromHead: ptr(true)})
			if err != nil {
				t.Fatal(err)
			}
			return outEvents(out.Events)
		}
		w.Write([]byte("first\nprogress 10%"))
		if got := read(); len(got) != 0 {
			t.Fatalf("events right after Write: %v, want none yet", got)
		}
		time.Sleep(flushDelay)
		synctest.Wait()
		if diff := cmp.Diff([]ev{{start, "first"}}, read()); diff != "" {
			t.Fatalf("events after 10 ms (-want +got):\n%s", diff)
		}
		time.Sleep(500 * time.Millisecond)
		w.Write([]byte(" 50%"))
		time.Sleep(489 * time.Millisecond)
		synctest.Wait()
		if got := read(); len(got) != 1 {
			t.Fatalf("events 999 ms after the partial line began: %v, want 1", got)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		want := []ev{{start, "first"}, {start + 1000, "progress 10% 50%"}}
		if diff := cmp.Diff(want, read()); diff != "" {
			t.Fatalf("events 1 s after the partial line began (-want +got):\n%s", diff)
		}
		w.Write([]byte(" 100%\n"))
		time.Sleep(flushDelay)
		synctest.Wait()
		want = append(want, ev{start + 1000, " 100%"})
		if diff := cmp.Diff(want, read()); diff != "" {
			t.Fatalf("events after the line's end (-want +got):\n%s", diff)
		}
	})
}

// TestWriterTimestampsNeverGoBack checks that a clock stepping back does
// not make a stream go back in time.
func TestWriterTimestampsNeverGoBack(t *testing.T) {
	t.Parallel()
	s, c := newStore(t, 0)
	writeEvents(t, s, c, tgroup, tstream, []ev{{t0 + 100, "a"}, {t0 + 50, "b"}, {t0 + 200, "c"}})
	writeEvents(t, s, c, tgroup, tstream, []ev{{t0 + 10, "d"}})
	want := []ev{{t0 + 100, "a"}, {t0 + 100, "b"}, {t0 + 200, "c"}, {t0 + 200, "d"}}
	if diff := cmp.Diff(want, getAll(t, s, tgroup, tstream)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// TestCreateAppends checks that Create on an existing stream appends, and
// that a stream has one Writer at a time.
func TestCreateAppends(t *testing.T) {
	t.Parallel()
	s, c := newStore(t, 1<<10)
	first := manyEvents(100)
	writeEvents(t, s, c, tgroup, tstream, first)
	w, err := s.Create(tgroup, tstream)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(tgroup, tstream); !errors.Is(err, ErrStreamBusy) {
		t.Errorf("second Create error = %v, want ErrStreamBusy", err)
	}
	c.Set(t0 + 1000)
	w.Write([]byte("appended\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if _, err := w.Write([]byte("x\n")); err == nil {
		t.Error("Write after Close succeeded")
	}
	want := append(first, ev{t0 + 1000, "appended"})
	if diff := cmp.Diff(want, getAll(t, s, tgroup, tstream)); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	// A new Store reads the same from disk.
	s2, err := Open(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, getAll(t, s2, tgroup, tstream)); diff != "" {
		t.Errorf("events after reopening (-want +got):\n%s", diff)
	}
}

// TestCreateValidates checks that Create refuses names CloudWatch refuses.
func TestCreateValidates(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, 0)
	for _, tt := range []struct{ group, stream string }{
		{"", "s"}, {"g", ""}, {"a b", "s"}, {"g", "a:b"}, {"g", "a*"}, {strings.Repeat("g", 513), "s"}, {"g", strings.Repeat("s", 513)},
	} {
		if _, err := s.Create(tt.group, tt.stream); !errors.Is(err, ErrInvalidParameter) {
			t.Errorf("Create(%q, %q) error = %v, want ErrInvalidParameter", tt.group, tt.stream, err)
		}
	}
}

// TestWriterPageHoldsOneMaximalEvent checks that an event of the maximum
// size fills a page on its own.
func TestWriterPageHoldsOneMaximalEvent(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, 0)
	w, err := s.Create(tgroup, tstream)
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("z"), MaxMessageSize)
	for range 3 {
		w.Write(append(big, '\n'))
	}
	w.Close()
	for _, head := range []bool{true, false} {
		out, err := s.GetLogEvents(t.Context(), GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: tstream, StartFromHead: &head})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Events) != 1 || len(out.Events[0].Message) != MaxMessageSize {
			t.Errorf("startFromHead=%v: %d events, want 1 of %d bytes", head, len(out.Events), MaxMessageSize)
		}
	}
	if got := len(getAll(t, s, tgroup, tstream)); got != 3 {
		t.Errorf("%d events in all, want 3", got)
	}
}
