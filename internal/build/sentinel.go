package build

import (
	"bytes"
	"strconv"
)

// ScanSentinel looks in data, a stretch of a build's output, for the first
// complete sentinel line an executor's shell writes to end a command:
// prefix (which starts with the byte 0x1e and carries the build's nonce),
// a kind byte, an optional decimal shell id, ':', a decimal status and a
// line feed. It returns the sentinel's kind, shell id (0 when none) and
// status, and its place, data[start:end]; end is -1 when there is none.
// partial is where a sentinel that may still be completing begins at the
// end of data (-1 if none): the bytes before it are output, those from it
// on must wait for more. Anything else that starts with 0x1e is output.
func ScanSentinel(data, prefix []byte) (code int, kind byte, sid, start, end, partial int) {
	start, end, partial = -1, -1, -1
	off := 0
	for {
		i := bytes.IndexByte(data[off:], 0x1e)
		if i < 0 {
			return
		}
		i += off
		rest := data[i:]
		m := min(len(rest), len(prefix))
		if !bytes.Equal(rest[:m], prefix[:m]) {
			off = i + 1
			continue
		}
		if m < len(prefix) {
			partial = i
			return
		}
		tail := rest[len(prefix):]
		nl := bytes.IndexByte(tail, '\n')
		if nl < 0 {
			if len(tail) > 32 { // longer than any sentinel: output
				off = i + 1
				continue
			}
			partial = i
			return
		}
		colon := bytes.IndexByte(tail[:nl], ':')
		if colon < 1 {
			off = i + 1
			continue
		}
		c, err := strconv.Atoi(string(tail[colon+1 : nl]))
		if err != nil {
			off = i + 1
			continue
		}
		s := 0
		if colon > 1 {
			if s, err = strconv.Atoi(string(tail[1:colon])); err != nil {
				off = i + 1
				continue
			}
		}
		return c, tail[0], s, i, i + len(prefix) + nl + 1, -1
	}
}
