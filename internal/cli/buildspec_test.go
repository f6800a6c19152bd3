package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codeyard/codeyard/internal/buildspec"
	"github.com/google/go-cmp/cmp"
)

const (
	validBuildspec = `version: 0.2
phases:
  build:
    commands:
      - make
      - make test
artifacts:
  files: [out/app]
`
	warningBuildspec = `version: 0.2
phases:
  build:
    commands: [make]
    timeout: 5
`
	invalidBuildspec = `version: 0.2
phases:
  biuld:
    commands:
      - make
  post_build:
    commands:
      - echo "Status: done"
`
)

// writeFiles writes name/content pairs into a temporary directory and
// returns their paths.
func writeFiles(t *testing.T, files ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for i := 0; i < len(files); i += 2 {
		p := filepath.Join(dir, files[i])
		if err := os.WriteFile(p, []byte(files[i+1]), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// run runs codeyard with args and returns the exit code, stdout and stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Run(t.Context(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestBuildspecCheck(t *testing.T) {
	t.Parallel()
	paths := writeFiles(t,
		"valid.yml", validBuildspec,
		"warning.yml", warningBuildspec,
		"invalid.yml", invalidBuildspec,
	)
	valid, warning, invalid := paths[0], paths[1], paths[2]
	missing := filepath.Join(filepath.Dir(valid), "missing.yml")
	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStderr string
	}{
		{
			name:     "valid",
			args:     []string{valid},
			wantCode: 0,
		},
		{
			name:       "warnings only",
			args:       []string{warning},
			wantCode:   0,
			wantStderr: warning + ":5:5: warning: unknown key phases/build/timeout is ignored\n",
		},
		{
			name:     "invalid",
			args:     []string{invalid},
			wantCode: 1,
			wantStderr: invalid + ":3:3: Invalid buildspec phase name: biuld. Expecting: build,install,post_build,pre_build\n" +
				invalid + ":8:9: Expected Commands[0] to be of string type: found subkeys instead at line 8, value of the key tag on line 7 might be empty\n",
		},
		{
			name:       "missing file",
			args:       []string{missing},
			wantCode:   1,
			wantStderr: missing + ": YAML file does not exist\n",
		},
		{
			name:       "a directory",
			args:       []string{filepath.Dir(valid)},
			wantCode:   1,
			wantStderr: filepath.Dir(valid) + ": is a directory\n",
		},
		{
			name:       "error without a position",
			args:       []string{"-"},
			stdin:      "phases:\n  build:\n    commands: [make]\n",
			wantCode:   1,
			wantStderr: "<stdin>: wrong number of container tags, expected 1 (the buildspec has no version key)\n",
		},
		{
			name:     "several files, one invalid",
			args:     []string{valid, invalid, warning},
			wantCode: 1,
			wantStderr: invalid + ":3:3: Invalid buildspec phase name: biuld. Expecting: build,install,post_build,pre_build\n" +
				invalid + ":8:9: Expected Commands[0] to be of string type: found subkeys instead at line 8, value of the key tag on line 7 might be empty\n" +
				warning + ":5:5: warning: unknown key phases/build/timeout is ignored\n",
		},
		{
			name:     "stdin",
			args:     []string{"-"},
			stdin:    validBuildspec,
			wantCode: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"buildspec", "check"}, tt.args...)
			code, stdout, stderr := run(t, tt.stdin, args...)
			if code != tt.wantCode {
				t.Errorf("Run(%q) = %d, want %d (stderr %q)", args, code, tt.wantCode, stderr)
			}
			if stdout != "" {
				t.Errorf("Run(%q) stdout = %q, want nothing", args, stdout)
			}
			if diff := cmp.Diff(tt.wantStderr, stderr); diff != "" {
				t.Errorf("Run(%q) stderr mismatch (-want +got):\n%s", args, diff)
			}
		})
	}
}

func TestBuildspecCheckUsage(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := run(t, "", "buildspec", "check")
	if code != 2 {
		t.Errorf("Run(buildspec check) = %d, want 2", code)
	}
	if stdout != "" || !strings.Contains(stderr, "requires at least 1 arg") {
		t.Errorf("Run(buildspec check) stdout %q stderr %q, want a usage error on stderr", stdout, stderr)
	}
}

func TestBuildspecCheckJSON(t *testing.T) {
	t.Parallel()
	paths := writeFiles(t, "valid.yml", validBuildspec, "invalid.yml", invalidBuildspec, "warning.yml", warningBuildspec)
	valid, invalid, warning := paths[0], paths[1], paths[2]

	t.Run("one valid file", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := run(t, "", "buildspec", "check", "--json", valid)
		if code != 0 || stderr != "" {
			t.Fatalf("Run = %d, stderr %q; want 0 and nothing", code, stderr)
		}
		var got buildspec.Spec
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("stdout is not a JSON spec: %v\n%s", err, stdout)
		}
		want, _, err := buildspec.Parse([]byte(validBuildspec))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, &got); diff != "" {
			t.Errorf("JSON spec mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("one invalid file", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := run(t, "", "buildspec", "check", "--json", invalid)
		if code != 1 || stdout != "" || stderr == "" {
			t.Errorf("Run = %d, stdout %q, stderr %q; want 1, no JSON and the errors", code, stdout, stderr)
		}
	})

	t.Run("stdin", func(t *testing.T) {
		t.Parallel()
		code, stdout, _ := run(t, "version: 0.2\nphases:\n  build:\n    commands: [\"a && b > c\"]\n", "buildspec", "check", "--json", "-")
		if code != 0 {
			t.Fatalf("Run = %d, want 0", code)
		}
		// The JSON is meant to be read: shell operators are not escaped.
		if !strings.Contains(stdout, `"command": "a && b > c"`) {
			t.Errorf("stdout = %s, want the command as written", stdout)
		}
	})

	t.Run("several files", func(t *testing.T) {
		t.Parallel()
		code, stdout, _ := run(t, "", "buildspec", "check", "--json", valid, invalid, warning)
		if code != 1 {
			t.Errorf("Run = %d, want 1", code)
		}
		var got []struct {
			File     string                 `json:"file"`
			Spec     *buildspec.Spec        `json:"spec"`
			Warnings []buildspec.Diagnostic `json:"warnings"`
			Errors   []buildspec.Diagnostic `json:"errors"`
		}
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("stdout is not a JSON array: %v\n%s", err, stdout)
		}
		if len(got) != 3 {
			t.Fatalf("got %d entries, want 3:\n%s", len(got), stdout)
		}
		if got[0].File != valid || got[0].Spec == nil || len(got[0].Errors) != 0 || len(got[0].Warnings) != 0 {
			t.Errorf("entry 0 = %+v, want %s with a spec and no diagnostics", got[0], valid)
		}
		wantErrors := []buildspec.Diagnostic{
			{Line: 3, Column: 3, Message: "Invalid buildspec phase name: biuld. Expecting: build,install,post_build,pre_build"},
			{Line: 8, Column: 9, Message: "Expected Commands[0] to be of string type: found subkeys instead at line 8, value of the key tag on line 7 might be empty"},
		}
		if got[1].File != invalid || got[1].Spec != nil {
			t.Errorf("entry 1 = %+v, want %s without a spec", got[1], invalid)
		}
		if diff := cmp.Diff(wantErrors, got[1].Errors); diff != "" {
			t.Errorf("entry 1 errors mismatch (-want +got):\n%s", diff)
		}
		wantWarnings := []buildspec.Diagnostic{{Line: 5, Column: 5, Message: "unknown key phases/build/timeout is ignored"}}
		if diff := cmp.Diff(wantWarnings, got[2].Warnings); diff != "" || got[2].Spec == nil {
			t.Errorf("entry 2 warnings mismatch (-want +got):\n%s", diff)
		}
		// Empty lists are [] rather than null, for jq and friends.
		if !strings.Contains(stdout, `"errors": []`) {
			t.Errorf("stdout has no empty errors list:\n%s", stdout)
		}
	})
}
