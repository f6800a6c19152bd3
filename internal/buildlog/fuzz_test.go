package buildlog

import (
	"errors"
	"strings"
	"testing"
)

// FuzzTokens checks that the token parsers never panic, refuse what they do
// not accept with ErrInvalidToken, and read back what they write.
func FuzzTokens(f *testing.F) {
	f.Add("f/00000000000000000042000000000000000000000000000000000007/s", int64(7), "stream", uint64(42))
	f.Add("b/37573027568974156271757159761545765678340254830751121408/s", int64(0), "", uint64(0))
	f.Add(filterKey{ts: t0, stream: "build-1", num: 3}.token(), int64(-1), "x", uint64(1<<63-1))
	f.Add(streamKey{ts: 5, name: "a"}.token(true), int64(1<<62), "a/b", uint64(9))
	f.Add("", int64(3), "é", uint64(3))
	f.Fuzz(func(t *testing.T, s string, n int64, name string, serial uint64) {
		for _, err := range []error{
			func() error { _, err := parseGetToken(s); return err }(),
			func() error { _, err := parseFilterToken(s); return err }(),
			func() error { _, err := parseStreamToken(s, true); return err }(),
			func() error { _, err := parseStreamToken(s, false); return err }(),
		} {
			if err != nil && !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("token %q: error %v is not ErrInvalidToken", s, err)
			}
		}
		if n >= 0 && serial < 1<<63 {
			tok := getToken{forward: n%2 == 0, serial: serial, pos: n}
			if got, err := parseGetToken(tok.String()); err != nil || got != tok {
				t.Fatalf("parseGetToken(%q) = %+v, %v; want %+v", tok.String(), got, err, tok)
			}
		}
		if n >= -1 && len(name) <= 512 {
			k := filterKey{ts: n, stream: name, num: n / 3}
			if got, err := parseFilterToken(k.token()); err != nil || got != k {
				t.Fatalf("parseFilterToken(%q) = %+v, %v; want %+v", k.token(), got, err, k)
			}
		}
		if checkStreamName("", name) == nil {
			k := streamKey{ts: n, name: name}
			if got, err := parseStreamToken(k.token(true), true); err != nil || got != k {
				t.Fatalf("parseStreamToken(%q) = %+v, %v; want %+v", k.token(true), got, err, k)
			}
		}
	})
}

// FuzzEscapeName checks that escaped names are safe file names, unique, and
// come back unescaped when short.
func FuzzEscapeName(f *testing.F) {
	for _, s := range []string{"/aws/codebuild/p", ".", "..", "a/b", "%41", "~", "\x00", "é"} {
		f.Add(s, s+"x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ea, eb := escapeName(a), escapeName(b)
		if a != b && ea == eb {
			t.Fatalf("escapeName(%q) == escapeName(%q) == %q", a, b, ea)
		}
		for i := 0; i < len(ea); i++ {
			if c := ea[i]; !safeByte(c) && c != '%' && c != '~' {
				t.Fatalf("escapeName(%q) = %q holds %q", a, ea, c)
			}
		}
		if len(ea) > maxDirName || ea == "." || ea == ".." || (ea == "" && a != "") {
			t.Fatalf("escapeName(%q) = %q", a, ea)
		}
		// A shortened name has a "~", which escapeName escapes otherwise.
		hashed := strings.Contains(ea, "~")
		got, ok := unescapeName(ea)
		if ok && (hashed || got != a) {
			t.Fatalf("unescapeName(escapeName(%q)) = %q", a, got)
		}
		if !ok && !hashed && a != "" {
			t.Fatalf("unescapeName(%q) failed", ea)
		}
		unescapeName(a)
	})
}
