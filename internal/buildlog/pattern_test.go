package buildlog

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPattern(t *testing.T) {
	t.Parallel()
	msgs := []string{
		`[Container] 2026/11/27 10:00:00.101010 Entering phase BUILD`,
		`ERROR: build failed with Exception in MainThread`,
		`WARN: Deadlock detected`,
		`error: lowercase`,
		`Exit status 1`,
		`he said "hi" \o/`,
		`100% done`,
		`ERROR retrying in 5s`,
		`a-b c-d`,
	}
	tests := []struct {
		pattern string
		want    []int // indexes into msgs
	}{
		{``, []int{0, 1, 2, 3, 4, 5, 6, 7, 8}},
		{`   `, []int{0, 1, 2, 3, 4, 5, 6, 7, 8}},
		{`ERROR`, []int{1, 7}},
		{`ERROR Exception`, []int{1}},
		{`Exception ERROR`, []int{1}},
		{`error`, []int{3}},
		{`"Exit status 1"`, []int{4}},
		{`Exit 1`, []int{4}},
		{`"status  1"`, nil},
		{`?ERROR ?WARN`, []int{1, 2, 7}},
		{`?ERROR MainThread ?WARN Deadlock`, []int{1, 2}},
		{`ERROR -retrying`, []int{1}},
		{`-ERROR`, []int{0, 2, 3, 4, 5, 6, 8}},
		{`-"Entering phase" -ERROR`, []int{2, 3, 4, 5, 6, 8}},
		{`"\"hi\""`, []int{5}},
		{`"\\o/"`, []int{5}},
		{`\o/`, []int{5}},
		{`100%`, []int{6}},
		{`%[Ee]rror%`, []int{3}},
		{`%^ERROR%`, []int{1, 7}},
		{`%retrying in \d+s$%`, []int{7}},
		{`?%^WARN% ?%^Exit%`, []int{2, 4}},
		{`-%[0-9]%`, []int{1, 2, 3, 5, 8}},
		{`a-b`, []int{8}},
		{`""`, []int{0, 1, 2, 3, 4, 5, 6, 7, 8}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			t.Parallel()
			p, err := parsePattern(tt.pattern)
			if err != nil {
				t.Fatalf("parsePattern(%q): %v", tt.pattern, err)
			}
			var got []int
			for i, m := range msgs {
				if p.match([]byte(m)) {
					got = append(got, i)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parsePattern(%q) matches (-want +got):\n%s", tt.pattern, diff)
			}
		})
	}
}

func TestPatternErrors(t *testing.T) {
	t.Parallel()
	for _, pattern := range []string{
		`{ $.level = "ERROR" }`,
		`[ip, user, ..., status_code = 4*]`,
		`"unterminated`,
		`ERROR "a"b`,
		`a"b`,
		`%unterminated`,
		`%%`,
		`%(%`,
		`? x`,
		`-`,
		`ERROR ?`,
		strings.Repeat("a", 1025),
	} {
		_, err := parsePattern(pattern)
		var pe *InvalidParameterError
		if !errors.As(err, &pe) {
			t.Errorf("parsePattern(%.40q) error = %v, want an *InvalidParameterError", pattern, err)
		}
	}
}

// FuzzPattern checks that parsing and matching never panic, and that a
// pattern of plain words matches a message made of them.
func FuzzPattern(f *testing.F) {
	for _, seed := range []string{``, `ERROR`, `"a b" c`, `?a ?b -c`, `%a+%`, `{ $.x = 1 }`, `[a, b]`, `"\"\\"`, `-"x"`, `?-%y%`} {
		f.Add(seed, "some ERROR message a b c")
	}
	f.Fuzz(func(t *testing.T, pattern, msg string) {
		p, err := parsePattern(pattern)
		if err != nil {
			if !errors.Is(err, ErrInvalidParameter) {
				t.Fatalf("parsePattern(%q) error %v is not ErrInvalidParameter", pattern, err)
			}
			return
		}
		p.match([]byte(msg[:min(len(msg), 256)]))
		words := strings.FieldsFunc(pattern, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) })
		for _, w := range words {
			if strings.ContainsAny(w, `"%?-`) {
				return
			}
		}
		if len(words) > 0 && !p.match([]byte(strings.Join(words, " "))) {
			t.Fatalf("pattern %q does not match its own words", pattern)
		}
	})
}
