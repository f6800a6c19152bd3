package buildlog

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// buildOutput returns n bytes of lines of about lineLen bytes (±50%), like
// a build's output.
func buildOutput(n, lineLen int) []byte {
	rnd := rand.New(rand.NewPCG(5, 6))
	out := make([]byte, 0, n+2*lineLen)
	for i := 0; len(out) < n; i++ {
		l := lineLen/2 + rnd.IntN(lineLen+1)
		out = fmt.Appendf(out, "%08d ", i)
		for j := 9; j < l; j++ {
			out = append(out, 'a'+byte(j%26))
		}
		out = append(out, '\n')
	}
	return out[:n]
}

// BenchmarkWriter writes 200 MB of build output in 32 KiB writes (what a
// pipe delivers) to a new stream, closing it (with its fsync) at the end.
func BenchmarkWriter(b *testing.B) {
	const total = 200 << 20
	for _, lineLen := range []int{20, 80, 200} {
		out := buildOutput(total, lineLen)
		b.Run(fmt.Sprintf("line=%d", lineLen), func(b *testing.B) {
			s, err := Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(total)
			i := 0
			for b.Loop() {
				w, err := s.Create(tgroup, fmt.Sprint(i))
				if err != nil {
					b.Fatal(err)
				}
				for p := out; len(p) > 0; {
					n := min(len(p), 32<<10)
					if _, err := w.Write(p[:n]); err != nil {
						b.Fatal(err)
					}
					p = p[n:]
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				s.DeleteStream(tgroup, fmt.Sprint(i))
				i++
				b.StartTimer()
			}
		})
	}
}

// BenchmarkGetLogEvents pages forward through 50 MB of 80-byte lines with
// the default limit.
func BenchmarkGetLogEvents(b *testing.B) {
	const total = 50 << 20
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	w, err := s.Create(tgroup, tstream)
	if err != nil {
		b.Fatal(err)
	}
	w.Write(buildOutput(total, 80))
	w.Close()
	b.SetBytes(total)
	for b.Loop() {
		in := GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: tstream, StartFromHead: ptr(true)}
		for {
			out, err := s.GetLogEvents(b.Context(), in)
			if err != nil {
				b.Fatal(err)
			}
			if in.NextToken != nil && out.NextForwardToken == *in.NextToken {
				break
			}
			in.NextToken = &out.NextForwardToken
		}
	}
}

// BenchmarkFilterLogEvents searches 50 MB of 80-byte lines for a term that
// is rare.
func BenchmarkFilterLogEvents(b *testing.B) {
	const total = 50 << 20
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	w, err := s.Create(tgroup, tstream)
	if err != nil {
		b.Fatal(err)
	}
	w.Write(buildOutput(total, 80))
	w.Close()
	b.SetBytes(total)
	for b.Loop() {
		in := FilterLogEventsInput{LogGroupName: ptr(tgroup), FilterPattern: ptr("00777777")}
		for {
			out, err := s.FilterLogEvents(b.Context(), in)
			if err != nil {
				b.Fatal(err)
			}
			if out.NextToken == nil {
				break
			}
			in.NextToken = out.NextToken
		}
	}
}
