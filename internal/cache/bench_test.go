package cache_test

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codeyard/codeyard/internal/cache"
)

// benchTree writes 5,000 small files in 50 directories and one 100 MB file
// below dir, and returns their total size. The small files are text of 200
// to 4,000 bytes; the large one is random, like a compressed archive.
func benchTree(b *testing.B, dir string) int64 {
	b.Helper()
	chacha := rand.NewChaCha8([32]byte{1})
	rng := rand.New(chacha)
	var total int64
	words := strings.Fields("cache restore save key fallback project path glob archive entry module version dependency build phase")
	for i := range 5000 {
		d := filepath.Join(dir, fmt.Sprintf("pkg%02d", i%50), "lib")
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
		var sb strings.Builder
		n := 200 + rng.IntN(3800)
		for sb.Len() < n {
			sb.WriteString(words[rng.IntN(len(words))])
			sb.WriteByte(" \n"[rng.IntN(2)])
		}
		if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("file%04d.txt", i)), []byte(sb.String()), 0o644); err != nil {
			b.Fatal(err)
		}
		total += int64(sb.Len())
	}
	big := make([]byte, 100<<20)
	_, _ = chacha.Read(big)
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o644); err != nil {
		b.Fatal(err)
	}
	return total + int64(len(big))
}

// BenchmarkRestore restores 5,000 small files and one 100 MB file. Set
// CODEYARD_BENCH_DIR to keep the tree (in $CODEYARD_BENCH_DIR/src/tree) and
// the store for comparing with tar by hand; a later run reuses them.
func BenchmarkRestore(b *testing.B) {
	base := os.Getenv("CODEYARD_BENCH_DIR")
	if base == "" {
		base = b.TempDir()
	}
	src := cache.Targets{SourceDir: filepath.Join(base, "src")}
	tree := filepath.Join(src.SourceDir, "tree")
	var total int64
	if _, err := os.Stat(filepath.Join(tree, "big.bin")); err == nil {
		err := filepath.WalkDir(tree, func(_ string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			fi, err := d.Info()
			total += fi.Size()
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	} else {
		total = benchTree(b, tree)
	}
	st, err := cache.Open(filepath.Join(base, "store"))
	if err != nil {
		b.Fatal(err)
	}
	paths := []string{"tree/**/*"}
	if _, err := st.Save(b.Context(), "bench", "p", paths, src); err != nil {
		b.Fatal(err)
	}
	dst := cache.Targets{SourceDir: filepath.Join(base, "dst")}
	b.SetBytes(total)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if err := os.RemoveAll(dst.SourceDir); err != nil {
			b.Fatal(err)
		}
		if err := os.Mkdir(dst.SourceDir, 0o755); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := st.Restore(b.Context(), "bench", nil, "p", paths, dst)
		if err != nil {
			b.Fatal(err)
		}
		if res.Files != 5001 {
			b.Fatalf("restored %d files, want 5001", res.Files)
		}
	}
	b.StopTimer()
	_ = os.RemoveAll(dst.SourceDir)
}
