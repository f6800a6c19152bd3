package buildspec

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxSize is the largest buildspec Parse accepts, in bytes. CodeBuild's own
// limit is not documented; real buildspecs are a few kilobytes, and 10 MiB
// keeps a hostile file from tying up a worker.
const MaxSize = 10 << 20

// StatusCode is the phase context status code CodeBuild reports for a
// buildspec it cannot use.
const StatusCode = "YAML_FILE_ERROR"

// Error is the error Parse returns for a buildspec CodeBuild would reject.
// Diagnostics holds every problem found, sorted by position; problems that
// concern the whole file come first.
type Error struct {
	Diagnostics []Diagnostic
}

// StatusCode returns the phase context status code of the error,
// YAML_FILE_ERROR.
func (e *Error) StatusCode() string { return StatusCode }

// Message returns the message CodeBuild would put in the phase context: the
// message of the first problem.
func (e *Error) Message() string {
	if e == nil || len(e.Diagnostics) == 0 {
		return "invalid buildspec"
	}
	return e.Diagnostics[0].Message
}

// Error returns the phase context as CodeBuild logs it, for example
// "YAML_FILE_ERROR Message: YAML file does not exist".
func (e *Error) Error() string { return e.StatusCode() + " Message: " + e.Message() }

// Parse parses and validates a buildspec. It returns the normalized spec and
// the warnings (keys CodeBuild ignores, values it is likely to trip over).
// When the buildspec is invalid, the spec is nil and the error is an *Error
// holding at least one diagnostic; the warnings found so far are still
// returned. Parse never panics, whatever the input.
func Parse(src []byte) (*Spec, []Diagnostic, error) {
	if len(src) > MaxSize {
		return nil, nil, &Error{Diagnostics: []Diagnostic{{
			Message: fmt.Sprintf("buildspec is too large: %d bytes, the limit is %d bytes", len(src), MaxSize),
		}}}
	}
	text, d := prepare(src)
	if d != nil {
		return nil, nil, &Error{Diagnostics: []Diagnostic{*d}}
	}

	// The budget bounds the work aliases can cause: every node a merge
	// copies or the decoder visits costs one unit. A buildspec without
	// aliases visits fewer nodes than it has bytes.
	budget := len(text) + 100_000
	root, errs, warns := load(text, &budget)
	if len(errs) == 0 {
		var spec *Spec
		spec, errs, warns = decode(root, &budget, warns)
		if len(errs) == 0 {
			sortDiagnostics(warns)
			return spec, warns, nil
		}
	}
	sortDiagnostics(errs)
	sortDiagnostics(warns)
	return nil, warns, &Error{Diagnostics: errs}
}

func sortDiagnostics(ds []Diagnostic) {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
}

// prepare checks that src is text YAML can read and normalizes it: a
// leading byte order mark is dropped and every line break becomes "\n",
// which YAML does to scalar content anyway.
func prepare(src []byte) (string, *Diagnostic) {
	s := string(src)
	s = strings.TrimPrefix(s, "\uFEFF")
	line, col := 1, 1
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			// The wording follows libyaml's reader, which CodeBuild's
			// YAML parser is ported from.
			msg := "invalid leading UTF-8 octet"
			if c := s[i]; c >= 0xC2 && c <= 0xF4 {
				msg = "invalid trailing UTF-8 octet"
				if need := utf8Len(c); i+need > len(s) && validPrefix(s[i+1:]) {
					msg = "incomplete UTF-8 octet sequence"
				}
			}
			return "", &Diagnostic{Line: line, Column: col, Message: fmt.Sprintf("%s at line %d, column %d", msg, line, col)}
		}
		if !printable(r) {
			// libyaml: "control characters are not allowed".
			return "", &Diagnostic{Line: line, Column: col, Message: fmt.Sprintf("control characters are not allowed at line %d, column %d", line, col)}
		}
		switch {
		case r == '\n':
			line, col = line+1, 1
		case r == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			line, col = line+1, 1
		default:
			col++
		}
		i += size
	}
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	return s, nil
}

// utf8Len is the length of the UTF-8 sequence a valid leading byte starts.
func utf8Len(c byte) int {
	switch {
	case c >= 0xF0:
		return 4
	case c >= 0xE0:
		return 3
	default:
		return 2
	}
}

// validPrefix reports whether s consists only of UTF-8 continuation bytes,
// that is whether a sequence was cut short by the end of the input.
func validPrefix(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i]&0xC0 != 0x80 {
			return false
		}
	}
	return true
}

// printable reports whether YAML allows r in a stream (YAML 1.2 c-printable).
func printable(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r >= 0x20 && r <= 0x7E:
		return true
	case r == 0x85:
		return true
	case r >= 0xA0 && r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	case r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}
