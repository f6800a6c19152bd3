package build

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExpansionValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		printed string
		words   []string
		want    []string
		other   string
		wantErr string
	}{
		{"values", "\x1dbuild-7.zip\x1e\x1d\x1e", []string{"build-$N.zip", "$EMPTY"}, []string{"build-7.zip", ""}, "", ""},
		{"noise around values", "warn: x\n\x1da\x1eoops\n\x1db\x1e", []string{"a", "b"}, []string{"a", "b"}, "warn: x\noops\n", ""},
		{"a word fails", "\x1da\x1esh: bad substitution\n", []string{"a", "${"}, nil, "sh: bad substitution\n", `expand ["a" "${"]: sh: bad substitution`},
		{"nothing printed", "", []string{"a"}, nil, "", "got 0 of 1 values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			got, err := ExpansionValues([]byte(tt.printed), tt.words, &out)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ExpansionValues err = %v, want one containing %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("ExpansionValues: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			if out.String() != tt.other {
				t.Errorf("other output = %q, want %q", out.String(), tt.other)
			}
		})
	}
}

func TestExpansionScript(t *testing.T) {
	t.Parallel()
	got := ExpansionScript([]string{`a"b\c`}, "> /dev/fd/62")
	want := "__cy_v=\"a\\\"b\\\\c\" && printf '\\035%s\\036' \"$__cy_v\" > /dev/fd/62\n"
	if got != want {
		t.Errorf("ExpansionScript = %q, want %q", got, want)
	}
}

func TestVarsScriptAndValues(t *testing.T) {
	t.Parallel()
	script := VarsScript([]string{"A", "not-a-name", "B_2"}, ">&62")
	if strings.Contains(script, "not-a-name") || strings.Count(script, "\n") != 2 {
		t.Errorf("VarsScript = %q, want lines for A and B_2 only", script)
	}
	got := VarsValues([]byte("A\x1fone\x1eB_2\x1f\x1eZ\x1fnot asked\x1e"), []string{"A", "B_2", "C"})
	if diff := cmp.Diff(map[string]string{"A": "one", "B_2": ""}, got); diff != "" {
		t.Errorf("VarsValues (-want +got):\n%s", diff)
	}
	for n, want := range map[string]bool{"A": true, "_x9": true, "9x": false, "": false, "a-b": false} {
		if IsName(n) != want {
			t.Errorf("IsName(%q) = %v, want %v", n, !want, want)
		}
	}
}
