package build

import (
	"bytes"
	"testing"
)

func TestScanSentinel(t *testing.T) {
	prefix := []byte("\x1ecyabc:")
	for _, c := range []struct {
		data                           string
		code, sid, start, end, partial int
		kind                           byte
	}{
		{"no sentinel here\n", 0, 0, -1, -1, -1, 0},
		{"out\x1ecyabc:r:0\nmore", 0, 0, 3, 14, -1, 'r'},
		{"\x1ecyabc:x:127\n", 127, 0, 0, 13, -1, 'x'},
		{"a\x1ecyabc:w12:143\nb", 143, 12, 1, 16, -1, 'w'},
		{"out\x1ecya", 0, 0, -1, -1, 3, 0},                                          // the prefix, cut
		{"out\x1ecyabc:r:1", 0, 0, -1, -1, 3, 0},                                    // no line feed yet
		{"\x1ecyxyz:r:0\n\x1ecyabc:r:5\n", 5, 0, 11, 22, -1, 'r'},                   // another nonce is output
		{"\x1ecyabc:r:x\n\x1ecyabc:r:2\n", 2, 0, 11, 22, -1, 'r'},                   // a bad status is output
		{"\x1ecyabc:r\n\x1ecyabc:k:0\n", 0, 0, 9, 20, -1, 'k'},                      // no colon: output
		{"\x1ecyabc:" + string(bytes.Repeat([]byte("9"), 40)), 0, 0, -1, -1, -1, 0}, // too long to be one
		{"\x1ecyabc:w-1:0\n\x1ecyabc:r:+1\n", 0, 0, -1, -1, -1, 0},                  // signs are output
	} {
		code, kind, sid, start, end, partial := ScanSentinel([]byte(c.data), prefix)
		if code != c.code || kind != c.kind || sid != c.sid || start != c.start || end != c.end || partial != c.partial {
			t.Errorf("ScanSentinel(%q) = %d %q %d %d %d %d; want %d %q %d %d %d %d", c.data, code, kind, sid, start, end, partial,
				c.code, c.kind, c.sid, c.start, c.end, c.partial)
		}
	}
}

// FuzzScanSentinel checks what ScanSentinel returns against data: a
// sentinel is where it says, starts with the prefix and ends its line,
// and a partial one is a start of the prefix or an unfinished line.
func FuzzScanSentinel(f *testing.F) {
	prefix := []byte("\x1ecyn0:")
	f.Add([]byte("out\x1ecyn0:r:0\n"))
	f.Add([]byte("\x1ecyn0:w3:1\n\x1ecy"))
	f.Add([]byte("\x1e\x1ecyn0:x:-1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, kind, sid, start, end, partial := ScanSentinel(data, prefix)
		if end >= 0 {
			if partial != -1 || start < 0 || start >= end || end > len(data) {
				t.Fatalf("bad bounds %d %d %d for %q", start, end, partial, data)
			}
			s := data[start:end]
			if !bytes.HasPrefix(s, prefix) || s[len(s)-1] != '\n' || kind != s[len(prefix)] || sid < 0 {
				t.Fatalf("sentinel %q (kind %q) in %q", s, kind, data)
			}
			if bytes.IndexByte(s[:len(s)-1], '\n') >= 0 {
				t.Fatalf("sentinel %q spans lines", s)
			}
			return
		}
		if start != -1 {
			t.Fatalf("start %d without an end", start)
		}
		if partial >= 0 {
			rest := data[partial:]
			if partial >= len(data) || data[partial] != 0x1e {
				t.Fatalf("partial %d of %q", partial, data)
			}
			m := min(len(rest), len(prefix))
			if !bytes.Equal(rest[:m], prefix[:m]) || bytes.IndexByte(rest, '\n') >= 0 && len(rest) >= len(prefix) {
				t.Fatalf("partial %q is not an unfinished sentinel", rest)
			}
		}
	})
}
