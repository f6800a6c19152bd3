package build

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
)

// ExpansionScript returns shell lines that expand each word as a
// double-quoted string, the way CodeBuild expands the cache key and the
// artifact names, and print each value between \035 and \036 through
// redirect (for example "> /dev/fd/62"). Executors that implement
// Expander run it in the build's shell; ExpansionValues reads what it
// printed.
func ExpansionScript(words []string, redirect string) string {
	var sb strings.Builder
	quote := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	for _, w := range words {
		fmt.Fprintf(&sb, "__cy_v=\"%s\" && printf '\\035%%s\\036' \"$__cy_v\" %s\n", quote.Replace(w), redirect)
	}
	return sb.String()
}

// ExpansionValues splits what an ExpansionScript printed into the words'
// values. Whatever else it printed (a failing $(...)'s stderr) goes to out
// (when not nil), not into a value; a word without a value is an error
// that quotes it.
func ExpansionValues(printed []byte, words []string, out io.Writer) ([]string, error) {
	var vals []string
	var other []byte
	rest := printed
	for {
		i := bytes.IndexByte(rest, 0x1d)
		j := bytes.IndexByte(rest, 0x1e)
		if i < 0 || j < i {
			other = append(other, rest...)
			break
		}
		other = append(other, rest[:i]...)
		vals = append(vals, string(rest[i+1:j]))
		rest = rest[j+1:]
	}
	if len(other) > 0 && out != nil {
		out.Write(other)
	}
	if len(vals) != len(words) {
		msg := strings.TrimSpace(string(other))
		if msg == "" {
			msg = fmt.Sprintf("got %d of %d values", len(vals), len(words))
		}
		return nil, fmt.Errorf("expand %q: %s", words, msg)
	}
	return vals, nil
}

// IsName reports whether n is a shell variable name.
func IsName(n string) bool {
	if n == "" {
		return false
	}
	for i, c := range n {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// VarsScript returns shell lines that print each set variable of names as
// name\037value\036 through redirect (past any redirection of the
// shell's stdout); names that are not shell names are skipped. Executors
// that implement VarReader run it in the build's shell; VarsValues reads
// what it printed.
func VarsScript(names []string, redirect string) string {
	var sb strings.Builder
	for _, n := range names {
		if IsName(n) {
			fmt.Fprintf(&sb, "if [ -n \"${%[1]s+x}\" ]; then printf '%%s\\037%%s\\036' %[1]s \"$%[1]s\" %[2]s; fi\n", n, redirect)
		}
	}
	return sb.String()
}

// VarsValues reads what a VarsScript printed: the set variables among
// names, by name.
func VarsValues(printed []byte, names []string) map[string]string {
	vals := map[string]string{}
	for rec := range strings.SplitSeq(string(printed), "\036") {
		if k, v, ok := strings.Cut(rec, "\037"); ok && slices.Contains(names, k) {
			vals[k] = v
		}
	}
	return vals
}
