package build

import (
	"bytes"
	"fmt"
	"io"
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
