package buildlog

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// childDirEnv makes the test binary a writer that runs until it is killed;
// see TestKillDuringWrite.
const childDirEnv = "BUILDLOG_TEST_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childDirEnv); dir != "" {
		childWriter(dir)
		return
	}
	os.Exit(m.Run())
}

// childWriter writes "line %08d" lines to a stream forever, in writes of
// random sizes that cut lines anywhere, and says "ready" on stdout after a
// while.
func childWriter(dir string) {
	s, err := Open(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	s.chunkSize = 256 << 10
	w, err := s.Create(tgroup, tstream)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	var pending []byte
	for i := 0; ; i++ {
		pending = fmt.Appendf(pending, "line %08d %s\n", i, strings.Repeat("=", rnd.IntN(300)))
		if rnd.IntN(8) == 0 {
			for len(pending) > 0 {
				n := min(len(pending), 1+rnd.IntN(4096))
				if _, err := w.Write(pending[:n]); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(1)
				}
				pending = pending[n:]
			}
			pending = pending[:0]
		}
		if i == 20000 {
			fmt.Println("ready")
		}
	}
}

// TestKillDuringWrite kills a writing process with SIGKILL, then checks that
// the stream holds whole lines from the first on, with no gap, and that it
// can be appended to.
func TestKillDuringWrite(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	dir := t.TempDir()
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childDirEnv+"="+dir)
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || line != "ready\n" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child said %q, %v; want ready", line, err)
		}
		time.Sleep(time.Duration(20+round*40) * time.Millisecond)
		cmd.Process.Kill() // SIGKILL
		cmd.Wait()

		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		got := getAll(t, s, tgroup, tstream)
		// Each round's child starts counting from 0 again after the
		// previous rounds' lines.
		n := 0
		for i, e := range got {
			if e.Msg == "after kill" {
				n = 0
				continue
			}
			prefix := fmt.Sprintf("line %08d ", n)
			if !strings.HasPrefix(e.Msg, prefix) || strings.Trim(e.Msg[len(prefix):], "=") != "" {
				t.Fatalf("round %d: event %d is %.40q, want line %d", round, i, e.Msg, n)
			}
			n++
		}
		if n < 20000 {
			t.Fatalf("round %d: %d lines survived, want at least the 20000 before ready", round, n)
		}
		w, err := s.Create(tgroup, tstream)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("after kill\n"))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		again := getAll(t, s, tgroup, tstream)
		if len(again) != len(got)+1 || again[len(again)-1].Msg != "after kill" {
			t.Fatalf("round %d: after appending, %d events ending in %.40q; want %d ending in the new line", round, len(again), again[len(again)-1].Msg, len(got)+1)
		}
	}
}

// TestRecovery damages a stream's files the ways a crash can, then checks
// what a new Store reads, what DescribeLogStreams derives, and that Create
// appends after the last whole event.
func TestRecovery(t *testing.T) {
	t.Parallel()
	all := manyEvents(2000)
	lastChunk := func(t *testing.T, dir string) string {
		t.Helper()
		names, _ := filepath.Glob(filepath.Join(dir, "*.chunk"))
		slices.Sort(names)
		return names[len(names)-1]
	}
	appendTo := func(t *testing.T, path string, b []byte) {
		t.Helper()
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	truncate := func(n int64) func(*testing.T, string) {
		return func(t *testing.T, dir string) {
			path := lastChunk(t, dir)
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, fi.Size()-n); err != nil {
				t.Fatal(err)
			}
		}
	}
	newChunk := func(content []byte) func(*testing.T, string) {
		return func(t *testing.T, dir string) {
			path := filepath.Join(dir, chunkName(int64(len(all)), all[len(all)-1].TS))
			if err := os.WriteFile(path, content, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name   string
		damage func(t *testing.T, streamDir string)
		want   []ev
	}{
		{"clean", func(*testing.T, string) {}, all},
		{"no summary", func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "summary.json")) }, all},
		{"last record cut by one byte", truncate(1), all[:len(all)-1]},
		{"last record cut in half", truncate(int64(len(all[len(all)-1].Msg) / 2)), all[:len(all)-1]},
		{"garbage after the last record", func(t *testing.T, dir string) {
			appendTo(t, lastChunk(t, dir), []byte{0x85, 0x01, 'x', 'y', 'z'})
		}, all},
		{"zeros after the last record", func(t *testing.T, dir string) { appendTo(t, lastChunk(t, dir), make([]byte, 4096)) }, all},
		// Not what a crash does, but what a disk might: without a summary
		// (a Writer that did not close), the scan stops at the bad record.
		{"flipped byte in the last record", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "summary.json"))
			path := lastChunk(t, dir)
			b, _ := os.ReadFile(path)
			b[len(b)-3] ^= 0x40
			os.WriteFile(path, b, 0o644)
		}, all[:len(all)-1]},
		{"empty new chunk", newChunk(nil), all},
		{"new chunk with half a header", newChunk([]byte(chunkMagic[:3])), all},
		{"new chunk with a torn first record", newChunk(append([]byte(chunkMagic), appendRecord(nil, 0, 5, 5, []byte("lost"))[:6]...)), all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, c := newStore(t, 8<<10)
			writeEvents(t, s, c, tgroup, tstream, all)
			streamDir := s.groups[tgroup].streams[tstream].dir
			tt.damage(t, streamDir)

			s2, err := Open(s.dir)
			if err != nil {
				t.Fatal(err)
			}
			s2.now = c.Now
			if diff := cmp.Diff(tt.want, getAll(t, s2, tgroup, tstream)); diff != "" {
				t.Fatalf("events after the damage (-want +got):\n%s", diff)
			}
			out, err := s2.DescribeLogStreams(t.Context(), DescribeLogStreamsInput{LogGroupName: ptr(tgroup)})
			if err != nil {
				t.Fatal(err)
			}
			ls := out.LogStreams[0]
			last := tt.want[len(tt.want)-1].TS
			wantTimes := []int64{all[0].TS, last, last}
			gotTimes := []int64{deref(ls.FirstEventTimestamp), deref(ls.LastEventTimestamp), deref(ls.LastIngestionTime)}
			if diff := cmp.Diff(wantTimes, gotTimes); diff != "" {
				t.Errorf("first, last event and ingestion times (-want +got):\n%s", diff)
			}

			c.Set(last + 1000)
			w, err := s2.Create(tgroup, tstream)
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("appended 1\nappended 2\n"))
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			want := append(slices.Clone(tt.want), ev{last + 1000, "appended 1"}, ev{last + 1000, "appended 2"})
			s3, err := Open(s.dir)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, getAll(t, s3, tgroup, tstream)); diff != "" {
				t.Errorf("events after appending, read by a new Store (-want +got):\n%s", diff)
			}
			out, err = s3.DescribeLogStreams(t.Context(), DescribeLogStreamsInput{LogGroupName: ptr(tgroup)})
			if err != nil {
				t.Fatal(err)
			}
			var size int64
			chunks, _ := filepath.Glob(filepath.Join(streamDir, "*.chunk"))
			for _, path := range chunks {
				fi, _ := os.Stat(path)
				size += fi.Size()
			}
			if got := out.LogStreams[0].StoredBytes; got != size {
				t.Errorf("storedBytes = %d, want the chunk files' %d", got, size)
			}
		})
	}
}

func deref(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}
