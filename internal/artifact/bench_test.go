package artifact_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/codeyard/codeyard/internal/artifact"
)

// benchTree writes 5,000 small source-like files in 50 directories and one
// 100 MB log-like file. ARTIFACT_BENCH_DIR, when set, names a directory to
// write it to and keep, to compare with `zip -r -q` by hand.
func benchTree(b *testing.B) string {
	b.Helper()
	dir := os.Getenv("ARTIFACT_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	} else if _, err := os.Stat(filepath.Join(dir, "big.log")); err == nil {
		return dir
	}
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"func", "return", "err", "nil", "if", "for", "range", "package", "import",
		"string", "int", "build", "artifact", "phase", "upload", "context", "struct", "type"}
	appendLine := func(buf []byte) []byte {
		for i := range 4 + rng.IntN(8) {
			if i > 0 {
				buf = append(buf, ' ')
			}
			if rng.IntN(4) == 0 {
				buf = fmt.Appendf(buf, "%x", rng.Uint32())
			} else {
				buf = append(buf, words[rng.IntN(len(words))]...)
			}
		}
		return append(buf, '\n')
	}
	write := func(p string, size int) {
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		buf := make([]byte, 0, min(size, 1<<20)+256)
		for written := 0; written < size; {
			buf = buf[:0]
			for len(buf) < cap(buf)-256 && written+len(buf) < size {
				buf = appendLine(buf)
			}
			n := min(len(buf), size-written)
			if _, err := f.Write(buf[:n]); err != nil {
				b.Fatal(err)
			}
			written += n
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	for i := range 5000 {
		d := filepath.Join(dir, "src", fmt.Sprintf("pkg%02d", i%50))
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
		write(filepath.Join(d, fmt.Sprintf("file%04d.go", i)), 512+rng.IntN(7*1024))
	}
	write(filepath.Join(dir, "big.log"), 100<<20)
	return dir
}

// BenchmarkWriteZip packages the benchTree tree into a ZIP file on disk.
func BenchmarkWriteZip(b *testing.B) {
	dir := benchTree(b)
	got, err := artifact.Collect(dir, artifact.Selection{Files: []string{"**/*"}})
	if err != nil {
		b.Fatal(err)
	}
	var total int64
	for _, e := range got.Entries {
		total += e.Size
	}
	b.SetBytes(total)
	out := filepath.Join(b.TempDir(), "artifact.zip")
	for b.Loop() {
		f, err := os.Create(out)
		if err != nil {
			b.Fatal(err)
		}
		if err := artifact.WriteZip(f, got.Entries); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
	if st, err := os.Stat(out); err == nil {
		b.ReportMetric(float64(st.Size())/(1<<20), "MB-zip")
	}
}
