package build

import (
	"bytes"
	"strconv"
)

// digits reads b as a decimal number of 1 to 9 digits, no sign.
func digits(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(string(b))
	return n, err == nil
}

// ScanSentinel looks in data, a stretch of a build's output, for the first
// complete sentinel line an executor's shell writes to end a command:
// prefix (which starts with the byte 0x1e and carries the build's nonce),
// a kind byte, an optional shell id, ':', a status and a line feed, the
// id and the status unsigned decimal numbers. It returns the sentinel's kind, shell id (0 when none) and
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
		c, ok := digits(tail[colon+1 : nl])
		s := 0
		if ok && colon > 1 {
			s, ok = digits(tail[1:colon])
		}
		if !ok {
			off = i + 1
			continue
		}
		return c, tail[0], s, i, i + len(prefix) + nl + 1, -1
	}
}
