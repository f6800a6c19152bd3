package build_test

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/codeyard/codeyard/internal/build"
)

func TestRedactor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secrets []string
		writes  []string
		want    string
	}{
		{"no secrets passes through", nil, []string{"a", "b"}, "ab"},
		{"whole value", []string{"hunter2"}, []string{"pw=hunter2!"}, "pw=***!"},
		{"split across writes", []string{"hunter2"}, []string{"pw=hun", "ter", "2!"}, "pw=***!"},
		{"prefix that never completes", []string{"hunter2"}, []string{"hunt", "ing"}, "hunting"},
		{"prefix at the end is flushed", []string{"hunter2"}, []string{"x hunte"}, "x hunte"},
		{"several values, longest first", []string{"abc", "abcdef"}, []string{"abcdef abc ab"}, "*** *** ab"},
		{"repeated and adjacent", []string{"xy"}, []string{"xyxy-x", "y"}, "******-***"},
		{"multi-line value masked whole and by line", []string{"line-one\nline-two"}, []string{"line-one\nline-two\nline-two\n"}, "***\n***\n"},
		{"empty value ignored", []string{""}, []string{"abc"}, "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			r := build.NewRedactor(&out, tt.secrets)
			for _, w := range tt.writes {
				if n, err := r.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			r.Flush()
			if out.String() != tt.want {
				t.Errorf("writes %q with secrets %q: got %q, want %q", tt.writes, tt.secrets, out.String(), tt.want)
			}
		})
	}
}

// FuzzRedactor checks that however output is cut into writes, no secret
// survives and nothing else changes.
func FuzzRedactor(f *testing.F) {
	f.Add("the token is s3cret, s3cret!", "s3cret", uint8(3))
	f.Add("aaaaaaa", "aa", uint8(1))
	f.Fuzz(func(t *testing.T, text, secret string, cut uint8) {
		if secret == "" {
			return
		}
		want := strings.ReplaceAll(text, secret, "***")
		var out bytes.Buffer
		r := build.NewRedactor(&out, []string{secret})
		step := int(cut)%7 + 1
		for i := 0; i < len(text); i += step {
			r.Write([]byte(text[i:min(i+step, len(text))]))
		}
		r.Flush()
		if strings.Contains(secret, "\n") {
			return // multi-line values also mask their lines
		}
		if out.String() != want {
			t.Errorf("text %q secret %q step %d: got %q, want %q", text, secret, step, out.String(), want)
		}
	})
}

func BenchmarkRedactor(b *testing.B) {
	chunk := bytes.Repeat([]byte("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123456\n"), 1<<14)
	for _, n := range []int{0, 3} {
		secrets := []string{"s3cret-token-1", "another-secret", "db-password-xyz"}[:n]
		b.Run(map[int]string{0: "no-secrets", 3: "3-secrets"}[n], func(b *testing.B) {
			r := build.NewRedactor(io.Discard, secrets)
			b.SetBytes(int64(len(chunk)))
			for b.Loop() {
				r.Write(chunk)
			}
		})
	}
}
