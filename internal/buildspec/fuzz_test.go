package buildspec_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/codeyard/codeyard/internal/buildspec"
)

// FuzzParse checks that Parse never panics; that a spec it accepts has its
// commands inside the file, comes out the same from a second Parse, and
// marshals to JSON and back to the same JSON; and that every failure is an
// *Error with at least one diagnostic. The seeds are the golden buildspecs;
// testdata/fuzz/FuzzParse holds inputs golden files cannot hold (tabs,
// CRLF, invalid UTF-8) and any the fuzzer finds failing.
func FuzzParse(f *testing.F) {
	for _, file := range goldenFiles(f) {
		input, _ := splitGolden(f, file)
		f.Add(input)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		spec, warns, err := buildspec.Parse(src)
		if err != nil {
			var e *buildspec.Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse error is %T, want *buildspec.Error: %v", err, err)
			}
			if len(e.Diagnostics) == 0 {
				t.Fatalf("Parse returned an *Error without diagnostics")
			}
			if spec != nil {
				t.Fatalf("Parse returned a spec with an error")
			}
			if e.Message() == "" {
				t.Fatalf("Parse returned an *Error with an empty message")
			}
			return
		}
		if spec == nil {
			t.Fatalf("Parse returned neither a spec nor an error")
		}
		lines := bytes.Count(src, []byte("\n")) + bytes.Count(src, []byte("\r")) + 1
		for _, p := range spec.Phases {
			for _, c := range append(slices.Clone(p.Commands), p.Finally...) {
				if c.Line < 1 || c.Line > lines || c.Column < 1 {
					t.Fatalf("command %q at %d:%d, outside a %d-line file", c.Text, c.Line, c.Column, lines)
				}
			}
		}
		again, _, err := buildspec.Parse(src)
		if err != nil || !reflect.DeepEqual(spec, again) {
			t.Fatalf("a second Parse differs: %v", err)
		}
		for _, w := range warns {
			if w.Message == "" {
				t.Fatalf("Parse returned a warning without a message")
			}
		}
		first, err := json.Marshal(spec)
		if err != nil {
			t.Fatalf("json.Marshal(spec): %v", err)
		}
		var back buildspec.Spec
		if err := json.Unmarshal(first, &back); err != nil {
			t.Fatalf("json.Unmarshal: %v", err)
		}
		second, err := json.Marshal(&back)
		if err != nil {
			t.Fatalf("json.Marshal(round trip): %v", err)
		}
		if string(first) != string(second) {
			t.Fatalf("JSON round trip differs:\n%s\n%s", first, second)
		}
	})
}
