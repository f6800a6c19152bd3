package build

import (
	"bytes"
	"io"
	"slices"
	"strings"
)

// mask is what a secret value is replaced with, as in CodeBuild's logs.
const mask = "***"

// Redactor is an io.Writer that replaces every occurrence of the secret
// values with "***" before passing the bytes on, also when a value is split
// across writes. It holds back at most the longest proper prefix of a value
// that ends a write; Flush writes it out. A Redactor with no values passes
// writes through untouched.
type Redactor struct {
	w       io.Writer
	secrets [][]byte // longest first, so overlapping values mask fully
	maxLen  int
	pending []byte
}

// NewRedactor returns a Redactor writing to w. Empty values are ignored; a
// multi-line value is masked whole and line by line.
func NewRedactor(w io.Writer, values []string) *Redactor {
	r := &Redactor{w: w}
	seen := map[string]bool{}
	add := func(v string) {
		if v == "" || seen[v] {
			return
		}
		seen[v] = true
		r.secrets = append(r.secrets, []byte(v))
		r.maxLen = max(r.maxLen, len(v))
	}
	for _, v := range values {
		add(v)
		if strings.Contains(v, "\n") {
			for line := range strings.Lines(v) {
				if l := strings.TrimSpace(line); len(l) >= 4 {
					add(l)
				}
			}
		}
	}
	slices.SortFunc(r.secrets, func(a, b []byte) int { return len(b) - len(a) })
	return r
}

// Write masks p and writes it on. It reports len(p) on success, even when the
// bytes written on were fewer (masked) or are held back.
func (r *Redactor) Write(p []byte) (int, error) {
	if len(r.secrets) == 0 {
		return r.w.Write(p)
	}
	data := p
	if len(r.pending) > 0 {
		data = append(r.pending, p...)
		r.pending = nil
	}
	out, keep := r.redact(data)
	if keep > 0 {
		r.pending = append([]byte(nil), data[len(data)-keep:]...)
	}
	if len(out) > 0 {
		if _, err := r.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes out the bytes held back because they might have begun a
// secret value.
func (r *Redactor) Flush() error {
	if len(r.pending) == 0 {
		return nil
	}
	p := r.pending
	r.pending = nil
	_, err := r.w.Write(p)
	return err
}

// redact returns data with every complete secret replaced, less a tail of
// keep bytes that could be the start of a secret.
func (r *Redactor) redact(data []byte) (out []byte, keep int) {
	var b []byte
	start := 0 // data[start:] is not yet copied to b
	i := 0
	for i < len(data) {
		j := r.next(data, i)
		if j < 0 {
			break
		}
		pos, n := j>>32, j&0xffffffff
		b = append(b, data[start:pos]...)
		b = append(b, mask...)
		i = pos + n
		start = i
	}
	// Hold back the longest suffix that is a proper prefix of a secret.
	tail := data[start:]
	for l := min(r.maxLen-1, len(tail)); l > 0; l-- {
		suffix := tail[len(tail)-l:]
		if r.isPrefix(suffix) {
			keep = l
			break
		}
	}
	if b == nil {
		return data[:len(data)-keep], keep
	}
	return append(b, tail[:len(tail)-keep]...), keep
}

// next finds the earliest secret at or after i, packing its position and
// length into one int; -1 when there is none.
func (r *Redactor) next(data []byte, i int) int {
	best, bestLen := -1, 0
	for _, s := range r.secrets {
		k := bytes.Index(data[i:], s)
		if k < 0 {
			continue
		}
		if k += i; best < 0 || k < best || (k == best && len(s) > bestLen) {
			best, bestLen = k, len(s)
		}
	}
	if best < 0 {
		return -1
	}
	return best<<32 | bestLen
}

func (r *Redactor) isPrefix(b []byte) bool {
	for _, s := range r.secrets {
		if len(s) > len(b) && bytes.HasPrefix(s, b) {
			return true
		}
	}
	return false
}

// RedactString masks the secret values in s.
func RedactString(s string, values []string) string {
	var b bytes.Buffer
	r := NewRedactor(&b, values)
	r.Write([]byte(s))
	r.Flush()
	return b.String()
}
