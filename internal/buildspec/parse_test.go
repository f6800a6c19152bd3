package buildspec_test

import (
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"strings"
	"testing"
	"time"

	"github.com/codeyard/codeyard/internal/buildspec"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ignorePositions compares commands by text only.
var ignorePositions = cmpopts.IgnoreFields(buildspec.Command{}, "Line", "Column")

// minimal is a valid buildspec that table tests extend.
const minimal = "version: 0.2\nphases:\n  build:\n    commands:\n      - make\n"

func cmds(texts ...string) []buildspec.Command {
	out := make([]buildspec.Command, 0, len(texts))
	for _, t := range texts {
		out = append(out, buildspec.Command{Text: t})
	}
	return out
}

func buildPhase(texts ...string) []buildspec.Phase {
	return []buildspec.Phase{{Name: "build", Commands: cmds(texts...)}}
}

// mustParse parses src and fails the test on an error.
func mustParse(t *testing.T, src string) (*buildspec.Spec, []buildspec.Diagnostic) {
	t.Helper()
	spec, warns, err := buildspec.Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse(%q) error: %v", src, err)
	}
	return spec, warns
}

// diagnostics returns the diagnostics of a Parse error, failing the test if
// err is not an *Error.
func diagnostics(t *testing.T, err error) []buildspec.Diagnostic {
	t.Helper()
	var e *buildspec.Error
	if !errors.As(err, &e) {
		t.Fatalf("Parse error = %v (%T), want *buildspec.Error", err, err)
	}
	if len(e.Diagnostics) == 0 {
		t.Fatal("Parse returned an *Error without diagnostics")
	}
	return e.Diagnostics
}

func TestParseSpec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want *buildspec.Spec
	}{
		{
			name: "minimal",
			src:  minimal,
			want: &buildspec.Spec{Version: "0.2", Phases: buildPhase("make")},
		},
		{
			name: "version as a string",
			src:  "version: \"0.2\"\nphases:\n  build:\n    commands: [make]\n",
			want: &buildspec.Spec{Version: "0.2", Phases: buildPhase("make")},
		},
		{
			name: "version 0.1",
			src:  "version: 0.1\nphases:\n  build:\n    commands: [make]\n",
			want: &buildspec.Spec{Version: "0.1", Phases: buildPhase("make")},
		},
		{
			name: "run-as",
			src:  "version: 0.2\nrun-as: builder\nphases:\n  build:\n    run-as: root\n    commands: [make]\n",
			want: &buildspec.Spec{Version: "0.2", RunAs: "builder", Phases: []buildspec.Phase{
				{Name: "build", RunAs: "root", Commands: cmds("make")},
			}},
		},
		{
			name: "env",
			src: `version: 0.2
env:
  shell: /bin/sh
  variables:
    A: "1"
    B: two words
  parameter-store:
    P: /ssm/p
  secrets-manager:
    S: my-secret:password
  exported-variables: [A, B]
  git-credential-helper: no
phases:
  build:
    commands: [make]
`,
			want: &buildspec.Spec{Version: "0.2", Env: buildspec.Env{
				Shell:             "/bin/sh",
				Variables:         []buildspec.Var{{Name: "A", Value: "1"}, {Name: "B", Value: "two words"}},
				ParameterStore:    []buildspec.Var{{Name: "P", Value: "/ssm/p"}},
				SecretsManager:    []buildspec.Var{{Name: "S", Value: "my-secret:password"}},
				ExportedVariables: []string{"A", "B"},
			}, Phases: buildPhase("make")},
		},
		{
			name: "version 0.1 environment_variables",
			src:  "version: 0.1\nenvironment_variables:\n  plaintext:\n    A: b\nphases:\n  build:\n    commands: [make]\n",
			want: &buildspec.Spec{Version: "0.1", Env: buildspec.Env{Variables: []buildspec.Var{{Name: "A", Value: "b"}}}, Phases: buildPhase("make")},
		},
		{
			name: "git-credential-helper true",
			src:  "version: 0.2\nenv:\n  git-credential-helper: true\nphases:\n  build:\n    commands: [make]\n",
			want: &buildspec.Spec{Version: "0.2", Env: buildspec.Env{GitCredentialHelper: true}, Phases: buildPhase("make")},
		},
		{
			name: "proxy",
			src:  "version: 0.2\nproxy:\n  upload-artifacts: yes\n  logs: no\nphases:\n  build:\n    commands: [make]\n",
			want: &buildspec.Spec{Version: "0.2", Proxy: &buildspec.Proxy{UploadArtifacts: true}, Phases: buildPhase("make")},
		},
		{
			name: "phases in run order",
			src: `version: 0.2
phases:
  post_build:
    commands: [d]
  build:
    commands: [c]
  pre_build:
    commands: [b]
  install:
    runtime-versions:
      nodejs: 18
      java: corretto17
`,
			want: &buildspec.Spec{Version: "0.2", Phases: []buildspec.Phase{
				{Name: "install", Commands: []buildspec.Command{}, RuntimeVersions: []buildspec.Var{{Name: "nodejs", Value: "18"}, {Name: "java", Value: "corretto17"}}},
				{Name: "pre_build", Commands: cmds("b")},
				{Name: "build", Commands: cmds("c")},
				{Name: "post_build", Commands: cmds("d")},
			}},
		},
		{
			name: "install with nothing",
			src:  "version: 0.2\nphases:\n  install:\n  build:\n    commands: [make]\n",
			want: &buildspec.Spec{Version: "0.2", Phases: []buildspec.Phase{
				{Name: "install", Commands: []buildspec.Command{}},
				{Name: "build", Commands: cmds("make")},
			}},
		},
		{
			name: "finally",
			src:  "version: 0.2\nphases:\n  build:\n    commands: [make]\n    finally:\n      - echo one\n      - echo two\n",
			want: &buildspec.Spec{Version: "0.2", Phases: []buildspec.Phase{
				{Name: "build", Commands: cmds("make"), Finally: cmds("echo one", "echo two")},
			}},
		},
		{
			name: "empty commands list",
			src:  "version: 0.2\nphases:\n  build:\n    commands: []\n",
			want: &buildspec.Spec{Version: "0.2", Phases: []buildspec.Phase{{Name: "build", Commands: []buildspec.Command{}}}},
		},
		{
			name: "reports",
			src: `version: 0.2
phases:
  build:
    commands: [make]
reports:
  unit:
    files: [a.xml]
  coverage:
    files:
      - cov.xml
    file-format: cobertUraXml
    base-directory: out
    discard-paths: yes
`,
			want: &buildspec.Spec{Version: "0.2", Phases: buildPhase("make"), Reports: []buildspec.Report{
				{Group: "unit", Files: []string{"a.xml"}, FileFormat: "JUNITXML", Kind: "TEST"},
				{Group: "coverage", Files: []string{"cov.xml"}, FileFormat: "COBERTURAXML", Kind: "CODE_COVERAGE", BaseDirectory: "out", DiscardPaths: true},
			}},
		},
		{
			name: "artifacts",
			src: `version: 0.2
phases:
  build:
    commands: [make]
artifacts:
  files: [a, b]
  name: n-$(date +%s)
  discard-paths: yes
  base-directory: out
  exclude-paths: ['**/*.map']
  enable-symlinks: yes
  s3-prefix: builds
  secondary-artifacts:
    second:
      files: [c]
      name: s
      discard-paths: true
      base-directory: d
      exclude-paths: [e]
      enable-symlinks: true
      s3-prefix: p
`,
			want: &buildspec.Spec{Version: "0.2", Phases: buildPhase("make"), Artifacts: &buildspec.Artifacts{
				Files: []string{"a", "b"}, Name: "n-$(date +%s)", DiscardPaths: true, BaseDirectory: "out",
				ExcludePaths: []string{"**/*.map"}, EnableSymlinks: true, S3Prefix: "builds",
				Secondary: []buildspec.SecondaryArtifact{{
					Identifier: "second", Files: []string{"c"}, Name: "s", DiscardPaths: true, BaseDirectory: "d",
					ExcludePaths: []string{"e"}, EnableSymlinks: true, S3Prefix: "p",
				}},
			}},
		},
		{
			name: "cache",
			src:  "version: 0.2\nphases:\n  build:\n    commands: [make]\ncache:\n  paths: [x]\n  key: k\n  fallback-keys: [a, b, c, d, e]\n  action: save\n",
			want: &buildspec.Spec{Version: "0.2", Phases: buildPhase("make"), Cache: &buildspec.Cache{
				Paths: []string{"x"}, Key: "k", FallbackKeys: []string{"a", "b", "c", "d", "e"}, Action: buildspec.CacheSave,
			}},
		},
		{
			name: "batch build-list",
			src: `version: 0.2
batch:
  fast-fail: true
  build-list:
    - identifier: a
      buildspec: other.yml
      env:
        compute-type: BUILD_GENERAL1_SMALL
        image: img
        privileged-mode: true
        type: LINUX_CONTAINER
        variables:
          V: "1"
      debug-session: true
      ignore-failure: true
    - buildspec: no-identifier.yml
phases:
  build:
    commands: [make]
`,
			want: &buildspec.Spec{Version: "0.2", Phases: buildPhase("make"), Batch: &buildspec.Batch{
				FastFail: true, Type: buildspec.BuildList, Tasks: []buildspec.BatchTask{
					{Identifier: "a", Buildspec: "other.yml", DebugSession: true, IgnoreFailure: true, Env: buildspec.TaskEnv{
						ComputeType: "BUILD_GENERAL1_SMALL", Image: "img", PrivilegedMode: true, Type: "LINUX_CONTAINER",
						Variables: []buildspec.Var{{Name: "V", Value: "1"}},
					}},
					{Buildspec: "no-identifier.yml"},
				},
			}},
		},
		{
			name: "batch build-graph",
			src:  "version: 0.2\nbatch:\n  build-graph:\n    - identifier: a\n    - identifier: b\n      depend-on: [a]\nphases:\n  build:\n    commands: [make]\n",
			want: &buildspec.Spec{Version: "0.2", Phases: buildPhase("make"), Batch: &buildspec.Batch{
				Type: buildspec.BuildGraph, Tasks: []buildspec.BatchTask{{Identifier: "a"}, {Identifier: "b", DependOn: []string{"a"}}},
			}},
		},
		{
			name: "batch build-matrix",
			src: `version: 0.2
batch:
  build-matrix:
    static:
      ignore-failure: true
      env:
        type: LINUX_CONTAINER
    dynamic:
      buildspec: [a.yml, b.yml]
      env:
        compute-type: [SMALL]
        image: [i1, i2]
        variables:
          V: [1.10, 2]
phases:
  build:
    commands: [make]
`,
			want: &buildspec.Spec{Version: "0.2", Phases: buildPhase("make"), Batch: &buildspec.Batch{
				Type: buildspec.BuildMatrix, Matrix: &buildspec.Matrix{
					Static: buildspec.MatrixStatic{IgnoreFailure: true, Env: buildspec.TaskEnv{Type: "LINUX_CONTAINER"}},
					Dynamic: buildspec.MatrixDynamic{
						Buildspec: []string{"a.yml", "b.yml"}, ComputeType: []string{"SMALL"}, Image: []string{"i1", "i2"},
						Variables: []buildspec.MatrixVar{{Name: "V", Values: []string{"1.10", "2"}}},
					},
				},
			}},
		},
		{
			name: "batch build-fanout",
			src:  "version: 0.2\nbatch:\n  build-fanout:\n    parallelism: 10\n    ignore-failure: yes\nphases:\n  build:\n    commands: [make]\n",
			want: &buildspec.Spec{Version: "0.2", Phases: buildPhase("make"), Batch: &buildspec.Batch{
				Type: buildspec.BuildFanout, Fanout: &buildspec.Fanout{Parallelism: 10, IgnoreFailure: true},
			}},
		},
		{
			name: "merge key and aliases",
			src: `version: 0.2
defaults: &d
  A: from-defaults
  B: from-defaults
env:
  variables:
    B: own
    <<: *d
    C: own
phases:
  build:
    commands: &c [make, make test]
  post_build:
    commands: *c
`,
			want: &buildspec.Spec{Version: "0.2",
				Env: buildspec.Env{Variables: []buildspec.Var{{Name: "B", Value: "own"}, {Name: "A", Value: "from-defaults"}, {Name: "C", Value: "own"}}},
				Phases: []buildspec.Phase{
					{Name: "build", Commands: cmds("make", "make test")},
					{Name: "post_build", Commands: cmds("make", "make test")},
				}},
		},
		{
			name: "merge of a list of maps, earlier wins",
			src:  "version: 0.2\na: &a {X: a}\nb: &b {X: b, Y: b}\nenv:\n  variables:\n    <<: [*a, *b]\nphases:\n  build:\n    commands: [make]\n",
			want: &buildspec.Spec{Version: "0.2",
				Env:    buildspec.Env{Variables: []buildspec.Var{{Name: "X", Value: "a"}, {Name: "Y", Value: "b"}}},
				Phases: buildPhase("make")},
		},
		{
			name: "anchored keys and values",
			src:  "version: 0.2\nenv:\n  variables:\n    &k KEY: value\n    OTHER: &v >-\n      x\n      y\n    !!str THIRD: *v\nphases:\n  build:\n    commands: [make]\n",
			want: &buildspec.Spec{Version: "0.2", Env: buildspec.Env{Variables: []buildspec.Var{{Name: "KEY", Value: "value"}, {Name: "OTHER", Value: "x y"}, {Name: "THIRD", Value: "x y"}}}, Phases: buildPhase("make")},
		},
		{
			name: "explicit key",
			src:  "version: 0.2\nenv:\n  variables:\n    ? A\n    : b\nphases:\n  build:\n    commands: [make]\n",
			want: &buildspec.Spec{Version: "0.2", Env: buildspec.Env{Variables: []buildspec.Var{{Name: "A", Value: "b"}}}, Phases: buildPhase("make")},
		},
		{
			name: "tags",
			src:  "version: !!str 0.2\nphases:\n  build:\n    commands:\n      - !!str 123\n      - !!str\n",
			want: &buildspec.Spec{Version: "0.2", Phases: buildPhase("123", "")},
		},
		{
			name: "byte order mark and CRLF line breaks",
			src:  "\uFEFFversion: 0.2\r\nphases:\r\n  build:\r\n    commands:\r\n      - \"a\r\n        b\"\r\n      - |\r\n        c\r\n        d\r\n",
			want: &buildspec.Spec{Version: "0.2", Phases: buildPhase("a b", "c\nd\n")},
		},
		{
			name: "no final line break",
			src:  "version: 0.2\nphases:\n  build:\n    commands:\n      - |\n        a\n        b",
			want: &buildspec.Spec{Version: "0.2", Phases: buildPhase("a\nb")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _ := mustParse(t, tt.src)
			if diff := cmp.Diff(tt.want, got, ignorePositions, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tt.src, diff)
			}
		})
	}
}

// TestCommandText checks that each command is the exact string YAML gives,
// scalars keeping the text they were written with. The expected values of
// the quoted, block and folded forms were checked against PyYAML 6.0.3.
func TestCommandText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		entry string // one entry of a commands list at indentation 6
		want  string
	}{
		{"plain", "- echo hi", "echo hi"},
		{"float as written", "- 1.10", "1.10"},
		{"bool as written", "- true", "true"},
		{"capitalized bool", "- False", "False"},
		{"octal looking", "- 0755", "0755"},
		{"hex", "- 0x1F", "0x1F"},
		{"exponent", "- 1e3", "1e3"},
		{"infinity", "- .inf", ".inf"},
		{"comment after plain", "- echo a # comment", "echo a"},
		{"hash without space", "- echo a#b", "echo a#b"},
		{"colon without space", "- echo $HOME:$PATH", "echo $HOME:$PATH"},
		{"trailing spaces", "- echo a   ", "echo a"},
		{"multi-line plain", "- echo one\n        two\n\n        three", "echo one two\nthree"},
		{"double quoted", `- "echo \"x: y\""`, `echo "x: y"`},
		{"double quoted escapes", `- "a\tb\nc\x41\u263A\\"`, "a\tb\ncA\u263A\\"},
		{"double quoted folding", "- \"a\n        b\n\n        c\"", "a b\nc"},
		{"double quoted line continuation", "- \"a \\\n        b\"", "a b"},
		{"double quoted trailing spaces before break", "- \"a   \n        b\"", "a b"},
		{"double quoted keeps edge spaces", `- "  a  "`, "  a  "},
		{"single quoted", "- 'it''s: fine'", "it's: fine"},
		{"single quoted folding", "- 'a\n\n\n        b'", "a\n\nb"},
		{"literal", "- |\n        a\n          b\n        c", "a\n  b\nc\n"},
		{"literal strip", "- |-\n        a\n\n", "a"},
		{"literal keep", "- |+\n        a\n\n", "a\n\n\n"},
		{"literal indentation indicator", "- |2\n           a\n          b", "   a\n  b\n"},
		{"literal leading blank line", "- |\n\n        a", "\na\n"},
		{"literal with header comment", "- | # runs a script\n        ./a.sh", "./a.sh\n"},
		{"folded", "- >\n        a\n        b\n\n        c\n          d\n        e", "a b\nc\n  d\ne\n"},
		{"folded strip", "- >-\n        docker build\n        -t x .", "docker build -t x ."},
		{"tab in plain", "- echo\ta\tb", "echo\ta\tb"},
		{"tab in double quotes", "- \"a\tb\"", "a\tb"},
		{"tab in single quotes", "- 'a\tb'", "a\tb"},
		{"tab in literal", "- |\n        all:\n        \tgo build", "all:\n\tgo build\n"},
		{"anchored scalar", "- &x echo anchored", "echo anchored"},
		{"anchored block scalar", "- &x |\n        anchored block", "anchored block\n"},
		{"flow sequence entry", "- echo [a, b]", "echo [a, b]"},
		{"braces inside plain", "- echo ${VAR:-default} {a}", "echo ${VAR:-default} {a}"},
		{"Windows path", `- C:\tools\bin\app.exe /x`, `C:\tools\bin\app.exe /x`},
		{"unicode", "- echo héllo ✓", "echo héllo ✓"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := "version: 0.2\nphases:\n  build:\n    commands:\n      " + tt.entry + "\n"
			spec, _ := mustParse(t, src)
			if len(spec.Phases) != 1 || len(spec.Phases[0].Commands) != 1 {
				t.Fatalf("Parse(%q) phases = %+v, want one build command", src, spec.Phases)
			}
			if got := spec.Phases[0].Commands[0].Text; got != tt.want {
				t.Errorf("Parse(%q) command = %q, want %q", src, got, tt.want)
			}
		})
	}
}

func TestCommandPositions(t *testing.T) {
	t.Parallel()
	src := "version: 0.2\n" + // 1
		"phases:\n" + // 2
		"  build:\n" + // 3
		"    commands:\n" + // 4
		"      - make   \n" + // 5: trailing spaces
		"      -   spaced\n" + // 6
		"      - \"quoted\"\n" + // 7
		"      - |\n" + // 8
		"        block\n" + // 9
		"      - multi\n" + // 10
		"        line\n" + // 11
		"      - é  ü\t\n" + // 12: wide characters and a trailing tab
		"    finally: [a, 'b']\n" // 13
	spec, _ := mustParse(t, src)
	want := []buildspec.Phase{{
		Name: "build",
		Commands: []buildspec.Command{
			{Text: "make", Line: 5, Column: 9},
			{Text: "spaced", Line: 6, Column: 11},
			{Text: "quoted", Line: 7, Column: 9},
			{Text: "block\n", Line: 8, Column: 9},
			{Text: "multi line", Line: 10, Column: 9},
			{Text: "é  ü", Line: 12, Column: 9},
		},
		Finally: []buildspec.Command{{Text: "a", Line: 13, Column: 15}, {Text: "b", Line: 13, Column: 18}},
	}}
	if diff := cmp.Diff(want, spec.Phases); diff != "" {
		t.Errorf("Parse phases mismatch (-want +got):\n%s", diff)
	}
}

func TestOnFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value string
		want  *buildspec.OnFailure
	}{
		{"ABORT", &buildspec.OnFailure{Raw: "ABORT", Action: buildspec.Abort}},
		{"CONTINUE", &buildspec.OnFailure{Raw: "CONTINUE", Action: buildspec.Continue}},
		{"RETRY", &buildspec.OnFailure{Raw: "RETRY", Action: buildspec.Retry, RetryCount: 3}},
		{"RETRY-0", &buildspec.OnFailure{Raw: "RETRY-0", Action: buildspec.Retry}},
		{"RETRY-100", &buildspec.OnFailure{Raw: "RETRY-100", Action: buildspec.Retry, RetryCount: 100}},
		{"RETRY-timed out", &buildspec.OnFailure{Raw: "RETRY-timed out", Action: buildspec.Retry, RetryCount: 3, RetryRegex: "timed out"}},
		{"RETRY-4-exit status [0-9]+", &buildspec.OnFailure{Raw: "RETRY-4-exit status [0-9]+", Action: buildspec.Retry, RetryCount: 4, RetryRegex: "exit status [0-9]+"}},
		{"RETRY-3-a-b", &buildspec.OnFailure{Raw: "RETRY-3-a-b", Action: buildspec.Retry, RetryCount: 3, RetryRegex: "a-b"}},
		{"RETRY-12abc", &buildspec.OnFailure{Raw: "RETRY-12abc", Action: buildspec.Retry, RetryCount: 3, RetryRegex: "12abc"}},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			t.Parallel()
			src := fmt.Sprintf("version: 0.2\nphases:\n  build:\n    on-failure: %q\n    commands: [make]\n", tt.value)
			spec, _ := mustParse(t, src)
			if diff := cmp.Diff(tt.want, spec.Phases[0].OnFailure); diff != "" {
				t.Errorf("Parse(%q) on-failure mismatch (-want +got):\n%s", src, diff)
			}
		})
	}
}

func TestBooleans(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"yes", "Yes", "YES", "y", "Y", "true", "True", "TRUE", "on", "On", "ON", `"yes"`} {
		src := "version: 0.2\nphases:\n  build:\n    commands: [make]\nartifacts:\n  files: [a]\n  discard-paths: " + v + "\n"
		spec, _ := mustParse(t, src)
		if !spec.Artifacts.DiscardPaths {
			t.Errorf("Parse(%q) discard-paths = false, want true", src)
		}
	}
	for _, v := range []string{"no", "No", "NO", "n", "N", "false", "False", "FALSE", "off", "Off", "OFF", ""} {
		src := "version: 0.2\nphases:\n  build:\n    commands: [make]\nartifacts:\n  files: [a]\n  discard-paths: " + v + "\n"
		spec, _ := mustParse(t, src)
		if spec.Artifacts.DiscardPaths {
			t.Errorf("Parse(%q) discard-paths = true, want false", src)
		}
	}
}

// TestParseErrors checks every error with its exact message and position.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []buildspec.Diagnostic
	}{
		{
			name: "subkeys in a command",
			src:  "version: 0.2\nphases:\n  build:\n    commands:\n      - make\n      - echo foo: bar\n",
			want: []buildspec.Diagnostic{{Line: 6, Column: 9, Message: "Expected Commands[1] to be of string type: found subkeys instead at line 6, value of the key tag on line 5 might be empty"}},
		},
		{
			name: "flow map as a command",
			src:  "version: 0.2\nphases:\n  build:\n    commands:\n      - {echo: hi}\n",
			want: []buildspec.Diagnostic{{Line: 5, Column: 9, Message: "Expected Commands[0] to be of string type: found subkeys instead at line 5, value of the key tag on line 4 might be empty"}},
		},
		{
			name: "subkeys in finally",
			src:  "version: 0.2\nphases:\n  build:\n    commands: [make]\n    finally:\n      - echo a: b\n",
			want: []buildspec.Diagnostic{{Line: 6, Column: 9, Message: "Expected Finally[0] to be of string type: found subkeys instead at line 6, value of the key tag on line 5 might be empty"}},
		},
		{
			name: "null command",
			src:  "version: 0.2\nphases:\n  build:\n    commands:\n      -\n",
			want: []buildspec.Diagnostic{{Line: 5, Column: 7, Message: "Expected Commands[0] to be of string type: found null instead at line 5, column 7"}},
		},
		{
			name: "explicit null command",
			src:  "version: 0.2\nphases:\n  build:\n    commands:\n      - make\n      - ~\n",
			want: []buildspec.Diagnostic{{Line: 6, Column: 9, Message: "Expected Commands[1] to be of string type: found null instead at line 6, column 9"}},
		},
		{
			name: "list as a command",
			src:  "version: 0.2\nphases:\n  build:\n    commands:\n      - - make\n",
			want: []buildspec.Diagnostic{{Line: 5, Column: 9, Message: "Expected Commands[0] to be of string type: found list instead at line 5, column 9"}},
		},
		{
			name: "commands as a map",
			src:  "version: 0.2\nphases:\n  build:\n    commands:\n      make: all\n",
			want: []buildspec.Diagnostic{{Line: 5, Column: 7, Message: "Expected Commands to be of list type: found subkeys instead at line 5, column 7"}},
		},
		{
			name: "unknown phase",
			src:  "version: 0.2\nphases:\n  biuld:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 3, Column: 3, Message: "Invalid buildspec phase name: biuld. Expecting: build,install,post_build,pre_build"}},
		},
		{
			name: "phase names are case-sensitive",
			src:  "version: 0.2\nphases:\n  BUILD:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 3, Column: 3, Message: "Invalid buildspec phase name: BUILD. Expecting: build,install,post_build,pre_build"}},
		},
		{
			name: "missing version",
			src:  "phases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Message: "wrong number of container tags, expected 1 (the buildspec has no version key)"}},
		},
		{
			name: "unsupported version",
			src:  "version: 0.3\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 1, Column: 10, Message: "invalid buildspec `version` specified: 0.3, see documentation"}},
		},
		{
			name: "version 0.20 is not 0.2",
			src:  "version: 0.20\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 1, Column: 10, Message: "invalid buildspec `version` specified: 0.20, see documentation"}},
		},
		{
			name: "version as a list",
			src:  "version: [0.2]\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 1, Column: 10, Message: "Expected version to be of string type: found list instead at line 1, column 10"}},
		},
		{
			name: "missing phases",
			src:  "version: 0.2\n",
			want: []buildspec.Diagnostic{{Message: "missing required key phases"}},
		},
		{
			name: "null phases",
			src:  "version: 0.2\nphases:\n",
			want: []buildspec.Diagnostic{{Line: 2, Column: 1, Message: "missing required key phases"}},
		},
		{
			name: "phases as a list",
			src:  "version: 0.2\nphases:\n  - build\n",
			want: []buildspec.Diagnostic{{Line: 3, Column: 3, Message: "Expected phases to be of map type: found list instead at line 3, column 3"}},
		},
		{
			name: "phase as a string",
			src:  "version: 0.2\nphases:\n  build: make\n",
			want: []buildspec.Diagnostic{
				{Line: 3, Column: 3, Message: "missing required key phases/build/commands"},
				{Line: 3, Column: 10, Message: "Expected phases/build to be of map type: found string instead at line 3, column 10"},
			},
		},
		{
			name: "phase without commands",
			src:  "version: 0.2\nphases:\n  pre_build:\n    finally: [a]\n  build:\n    commands: [make]\n  post_build:\n    commands:\n",
			want: []buildspec.Diagnostic{
				{Line: 3, Column: 3, Message: "missing required key phases/pre_build/commands"},
				{Line: 7, Column: 3, Message: "missing required key phases/post_build/commands"},
			},
		},
		{
			name: "on-failure",
			src:  "version: 0.2\nphases:\n  build:\n    on-failure: RETRY-x(\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 17, Message: "Invalid buildspec on-failure value: RETRY-x(. The retry regex does not compile: missing closing ): `x(`"}},
		},
		{
			name: "on-failure unknown action",
			src:  "version: 0.2\nphases:\n  build:\n    on-failure: STOP\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 17, Message: "Invalid buildspec on-failure value: STOP. Expecting: ABORT,CONTINUE,RETRY,RETRY-<count>,RETRY-<regex>,RETRY-<count>-<regex>"}},
		},
		{
			name: "on-failure count too high",
			src:  "version: 0.2\nphases:\n  build:\n    on-failure: RETRY-999999999999999999999\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 17, Message: "Invalid buildspec on-failure value: RETRY-999999999999999999999. The retry count must be between 0 and 100"}},
		},
		{
			name: "on-failure as a list",
			src:  "version: 0.2\nphases:\n  build:\n    on-failure: [ABORT]\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 17, Message: "Expected phases/build/on-failure to be of string type: found list instead at line 4, column 17"}},
		},
		{
			name: "empty runtime-versions",
			src:  "version: 0.2\nphases:\n  install:\n    runtime-versions: {}\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 5, Message: "phases/install/runtime-versions must name at least one runtime"}},
		},
		{
			name: "runtime version as a list",
			src:  "version: 0.2\nphases:\n  install:\n    runtime-versions:\n      nodejs: [18, 20]\n",
			want: []buildspec.Diagnostic{{Line: 5, Column: 15, Message: "Expected phases/install/runtime-versions/nodejs to be of string type: found list instead at line 5, column 15"}},
		},
		{
			name: "report file format",
			src:  minimal + "reports:\n  r:\n    files: [a]\n    file-format: HTML\n",
			want: []buildspec.Diagnostic{{Line: 9, Column: 18, Message: "Invalid report file format: HTML. Expecting: CUCUMBERJSON,JUNITXML,NUNITXML,NUNIT3XML,TESTNGXML,VISUALSTUDIOTRX,CLOVERXML,COBERTURAXML,JACOCOXML,SIMPLECOV"}},
		},
		{
			name: "report without files",
			src:  minimal + "reports:\n  r:\n    base-directory: out\n",
			want: []buildspec.Diagnostic{{Line: 7, Column: 3, Message: "missing required key reports/r/files"}},
		},
		{
			name: "artifacts without files",
			src:  minimal + "artifacts:\n  secondary-artifacts:\n    a:\n      files: [x]\n",
			want: []buildspec.Diagnostic{{Line: 6, Column: 1, Message: "missing required key artifacts/files"}},
		},
		{
			name: "secondary artifact without files",
			src:  minimal + "artifacts:\n  files: [x]\n  secondary-artifacts:\n    a:\n      name: y\n",
			want: []buildspec.Diagnostic{{Line: 9, Column: 5, Message: "missing required key artifacts/secondary-artifacts/a/files"}},
		},
		{
			name: "artifact files as a string",
			src:  minimal + "artifacts:\n  files: '**/*'\n",
			want: []buildspec.Diagnostic{{Line: 7, Column: 10, Message: "Expected artifacts/files to be of list type: found string instead at line 7, column 10"}},
		},
		{
			name: "list entry of the wrong type",
			src:  minimal + "artifacts:\n  files:\n    - a\n    - {b: c}\n",
			want: []buildspec.Diagnostic{{Line: 9, Column: 7, Message: "Expected artifacts/files[1] to be of string type: found subkeys instead at line 9, column 7"}},
		},
		{
			name: "boolean",
			src:  minimal + "artifacts:\n  files: [a]\n  enable-symlinks: sometimes\n",
			want: []buildspec.Diagnostic{{Line: 8, Column: 20, Message: "Invalid boolean value for artifacts/enable-symlinks: sometimes. Expecting: yes,no,true,false"}},
		},
		{
			name: "cache action",
			src:  minimal + "cache:\n  action: Restore\n",
			want: []buildspec.Diagnostic{{Line: 7, Column: 11, Message: "Invalid cache action: Restore. Expecting: restore,save"}},
		},
		{
			name: "too many fallback keys",
			src:  minimal + "cache:\n  key: k\n  fallback-keys: [a, b, c, d, e, f]\n",
			want: []buildspec.Diagnostic{{Line: 8, Column: 18, Message: "cache/fallback-keys has 6 keys; CodeBuild accepts at most 5"}},
		},
		{
			name: "reserved variable name",
			src:  "version: 0.2\nenv:\n  variables:\n    CODEBUILD_X: y\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 5, Message: "No user environment variables can start with CODEBUILD_: env/variables/CODEBUILD_X"}},
		},
		{
			name: "reserved secret name",
			src:  "version: 0.2\nenv:\n  secrets-manager:\n    CODEBUILD_X: s:k\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 5, Message: "No user environment variables can start with CODEBUILD_: env/secrets-manager/CODEBUILD_X"}},
		},
		{
			name: "reserved batch variable name",
			src:  "version: 0.2\nbatch:\n  build-list:\n    - identifier: a\n      env:\n        variables:\n          CODEBUILD_X: y\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 7, Column: 11, Message: "No user environment variables can start with CODEBUILD_: batch/build-list[0]/env/variables/CODEBUILD_X"}},
		},
		{
			name: "variable name with =",
			src:  "version: 0.2\nenv:\n  variables:\n    \"A=B\": c\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 5, Message: "environment variable name \"A=B\" in env/variables cannot contain '='"}},
		},
		{
			name: "empty variable name",
			src:  "version: 0.2\nenv:\n  variables:\n    \"\": c\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 5, Message: "env/variables has an empty environment variable name"}},
		},
		{
			name: "variable value as a map",
			src:  "version: 0.2\nenv:\n  variables:\n    A:\n      B: c\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 5, Column: 7, Message: "Expected env/variables/A to be of string type: found subkeys instead at line 5, column 7"}},
		},
		{
			name: "empty parameter name",
			src:  "version: 0.2\nenv:\n  parameter-store:\n    A: \"\"\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 8, Message: "env/parameter-store/A is empty: it must name the value to fetch"}},
		},
		{
			name: "secret reference with too many parts",
			src:  "version: 0.2\nenv:\n  secrets-manager:\n    A: id:key:stage:version:extra\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 8, Message: "env/secrets-manager/A: id:key:stage:version:extra has too many parts: expected secret-id:json-key:version-stage:version-id"}},
		},
		{
			name: "empty exported variable",
			src:  "version: 0.2\nenv:\n  exported-variables: [\"\"]\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 3, Column: 24, Message: "env/exported-variables[0] is an empty variable name"}},
		},
		{
			name: "batch with two types",
			src:  "version: 0.2\nbatch:\n  build-list: [{identifier: a}]\n  build-fanout: {parallelism: 2}\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 3, Message: "batch defines both build-list and build-fanout; a batch build has exactly one of build-graph, build-list, build-matrix, build-fanout"}},
		},
		{
			name: "batch without a type",
			src:  "version: 0.2\nbatch:\n  fast-fail: true\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 2, Column: 1, Message: "batch defines no batch build: it needs one of build-graph, build-list, build-matrix, build-fanout"}},
		},
		{
			name: "empty build list",
			src:  "version: 0.2\nbatch:\n  build-list:\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 3, Column: 3, Message: "batch/build-list has no builds"}},
		},
		{
			name: "duplicate batch identifier",
			src:  "version: 0.2\nbatch:\n  build-list:\n    - identifier: a\n    - identifier: a\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 5, Column: 19, Message: "batch/build-list[1]: identifier a is already used at line 4"}},
		},
		{
			name: "build graph without identifier",
			src:  "version: 0.2\nbatch:\n  build-graph:\n    - buildspec: x.yml\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 7, Message: "missing required key batch/build-graph[0]/identifier"}},
		},
		{
			name: "build graph self dependency",
			src:  "version: 0.2\nbatch:\n  build-graph:\n    - identifier: a\n      depend-on: [a]\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 19, Message: "batch/build-graph has a dependency cycle: a -> a"}},
		},
		{
			name: "build graph unknown dependency",
			src:  "version: 0.2\nbatch:\n  build-graph:\n    - identifier: a\n      depend-on: [b]\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 5, Column: 19, Message: "batch/build-graph: a depends on b, which is not a build of the graph"}},
		},
		{
			name: "fanout parallelism",
			src:  "version: 0.2\nbatch:\n  build-fanout:\n    parallelism: 0\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 18, Message: "Expected batch/build-fanout/parallelism to be a positive integer: found 0 instead at line 4, column 18"}},
		},
		{
			name: "fanout without parallelism",
			src:  "version: 0.2\nbatch:\n  build-fanout:\n    ignore-failure: true\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 3, Column: 3, Message: "missing required key batch/build-fanout/parallelism"}},
		},
		{
			name: "duplicate key",
			src:  "version: 0.2\nphases:\n  build:\n    commands: [make]\n    commands: [make again]\n",
			want: []buildspec.Diagnostic{{Line: 5, Column: 5, Message: "mapping key \"commands\" already defined at line 4"}},
		},
		{
			name: "unknown anchor",
			src:  "version: 0.2\nphases:\n  build:\n    commands: *nope\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 15, Message: "unknown anchor 'nope' referenced at line 4, column 15"}},
		},
		{
			name: "recursive anchor",
			src:  "version: 0.2\nx: &a [*a]\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 2, Column: 8, Message: "anchor 'a' value contains itself at line 2, column 8"}},
		},
		{
			name: "merge of a scalar",
			src:  "version: 0.2\nx: &a text\nenv:\n  variables:\n    <<: *a\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 5, Column: 5, Message: "map merge requires map or sequence of maps as the value at line 5, column 5"}},
		},
		{
			name: "collection as a key",
			src:  "version: 0.2\n? [a, b]\n: c\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 3, Column: 1, Message: "found an invalid key for this map at line 3"}},
		},
		{
			name: "bad escape",
			src:  "version: 0.2\nphases:\n  build:\n    commands:\n      - \"a\\qb\"\n",
			want: []buildspec.Diagnostic{{Line: 5, Column: 12, Message: "found unknown escape character 'q' at line 5"}},
		},
		{
			name: "tab indentation",
			src:  "version: 0.2\nphases:\n\tbuild:\n",
			want: []buildspec.Diagnostic{{Line: 3, Column: 1, Message: "found character that cannot start any token at line 3"}},
		},
		{
			name: "list document",
			src:  "- version: 0.2\n",
			want: []buildspec.Diagnostic{{Line: 1, Column: 1, Message: "Expected buildspec to be of map type: found list instead at line 1, column 1"}},
		},
		{
			name: "scalar document",
			src:  "just some text\n",
			want: []buildspec.Diagnostic{{Line: 1, Column: 1, Message: "Expected buildspec to be of map type: found string instead at line 1, column 1"}},
		},
		{
			name: "multiple documents",
			src:  minimal + "---\nversion: 0.2\n",
			want: []buildspec.Diagnostic{{Line: 7, Column: 1, Message: "multiple YAML documents: a buildspec is a single document, found another at line 7, column 1"}},
		},
		{
			name: "empty",
			src:  "",
			want: []buildspec.Diagnostic{{Message: "wrong number of container tags, expected 1 (the buildspec is empty)"}},
		},
		{
			name: "only comments and a document marker",
			src:  "# nothing\n---\n# here\n",
			want: []buildspec.Diagnostic{{Message: "wrong number of container tags, expected 1 (the buildspec is empty)"}},
		},
		{
			name: "null document",
			src:  "~\n",
			want: []buildspec.Diagnostic{{Message: "wrong number of container tags, expected 1 (the buildspec is empty)"}},
		},
		{
			name: "invalid leading UTF-8 octet",
			src:  "version: 0.2\nphases: \xff\n",
			want: []buildspec.Diagnostic{{Line: 2, Column: 9, Message: "invalid leading UTF-8 octet at line 2, column 9"}},
		},
		{
			name: "invalid trailing UTF-8 octet",
			src:  "version: 0.2\n# é\xc3(\n",
			want: []buildspec.Diagnostic{{Line: 2, Column: 4, Message: "invalid trailing UTF-8 octet at line 2, column 4"}},
		},
		{
			name: "incomplete UTF-8 octet sequence",
			src:  "version: 0.2\n# \xe2\x82",
			want: []buildspec.Diagnostic{{Line: 2, Column: 3, Message: "incomplete UTF-8 octet sequence at line 2, column 3"}},
		},
		{
			name: "control character",
			src:  "version: 0.2\r\nphases:\x00\n",
			want: []buildspec.Diagnostic{{Line: 2, Column: 8, Message: "control characters are not allowed at line 2, column 8"}},
		},
		{
			name: "binary garbage",
			src:  "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
			want: []buildspec.Diagnostic{{Line: 1, Column: 1, Message: "invalid leading UTF-8 octet at line 1, column 1"}},
		},
		{
			name: "deep nesting",
			src:  "version: 0.2\nx: " + strings.Repeat("[", 300) + strings.Repeat("]", 300) + "\n",
			want: []buildspec.Diagnostic{{Line: 2, Column: 202, Message: "the buildspec nests more than 200 levels deep at line 2, column 202"}},
		},
		{
			name: "deep nesting of block sequences",
			src:  "version: 0.2\nx:\n  " + strings.Repeat("- ", 300) + "a\n",
			want: []buildspec.Diagnostic{{Line: 3, Column: 399, Message: "the buildspec nests more than 200 levels deep at line 3, column 399"}},
		},
		{
			name: "huge flow list",
			src:  "version: 0.2\nx: [" + strings.Repeat("a, ", 4000) + "]\n",
			want: []buildspec.Diagnostic{{Line: 2, Column: 4, Message: "the buildspec's mappings and flow collections have too many entries to parse in reasonable time (at line 2, column 4)"}},
		},
		{
			name: "huge mapping",
			src:  "version: 0.2\nx:\n" + strings.Repeat("  k: v\n", 4000),
			want: []buildspec.Diagnostic{{Line: 3, Column: 3, Message: "the buildspec's mappings and flow collections have too many entries to parse in reasonable time (at line 3, column 3)"}},
		},
		{
			name: "every error is reported",
			src:  "phases:\n  biuld:\n    commands: [make]\n  build:\n    commands:\n      - a: b\n",
			want: []buildspec.Diagnostic{
				{Message: "wrong number of container tags, expected 1 (the buildspec has no version key)"},
				{Line: 2, Column: 3, Message: "Invalid buildspec phase name: biuld. Expecting: build,install,post_build,pre_build"},
				{Line: 6, Column: 9, Message: "Expected Commands[0] to be of string type: found subkeys instead at line 6, value of the key tag on line 5 might be empty"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec, _, err := buildspec.Parse([]byte(tt.src))
			if spec != nil {
				t.Errorf("Parse(%q) spec = %+v, want nil", tt.src, spec)
			}
			if diff := cmp.Diff(tt.want, diagnostics(t, err)); diff != "" {
				t.Errorf("Parse(%q) diagnostics mismatch (-want +got):\n%s", tt.src, diff)
			}
		})
	}
}

// TestParseWarnings checks every warning with its exact message and
// position, and that the buildspec is still accepted.
func TestParseWarnings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want []buildspec.Diagnostic
	}{
		{
			name: "unknown keys at every level",
			src: "version: 0.2\nfoo: 1\nenv:\n  bar: 2\nproxy:\n  baz: 3\nphases:\n  build:\n    commands: [make]\n    qux: 4\n" +
				"reports:\n  r:\n    files: [a]\n    r1: 5\nartifacts:\n  files: [a]\n  a1: 6\n  secondary-artifacts:\n    s:\n      files: [b]\n      s1: 7\n" +
				"cache:\n  c1: 8\nbatch:\n  b1: 9\n  build-list:\n    - identifier: x\n      t1: 10\n      env:\n        e1: 11\n",
			want: []buildspec.Diagnostic{
				{Line: 2, Column: 1, Message: "unknown key foo is ignored"},
				{Line: 4, Column: 3, Message: "unknown key env/bar is ignored"},
				{Line: 6, Column: 3, Message: "unknown key proxy/baz is ignored"},
				{Line: 10, Column: 5, Message: "unknown key phases/build/qux is ignored"},
				{Line: 14, Column: 5, Message: "unknown key reports/r/r1 is ignored"},
				{Line: 17, Column: 3, Message: "unknown key artifacts/a1 is ignored"},
				{Line: 21, Column: 7, Message: "unknown key artifacts/secondary-artifacts/s/s1 is ignored"},
				{Line: 23, Column: 3, Message: "unknown key cache/c1 is ignored"},
				{Line: 25, Column: 3, Message: "unknown key batch/b1 is ignored"},
				{Line: 28, Column: 7, Message: "unknown key batch/build-list[0]/t1 is ignored"},
				{Line: 30, Column: 9, Message: "unknown key batch/build-list[0]/env/e1 is ignored"},
			},
		},
		{
			name: "unknown keys in a build matrix",
			src:  "version: 0.2\nbatch:\n  build-matrix:\n    m1: 1\n    static:\n      s1: 2\n    dynamic:\n      d1: 3\n      env:\n        image: [i]\n        e1: 4\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{
				{Line: 4, Column: 5, Message: "unknown key batch/build-matrix/m1 is ignored"},
				{Line: 6, Column: 7, Message: "unknown key batch/build-matrix/static/s1 is ignored"},
				{Line: 8, Column: 7, Message: "unknown key batch/build-matrix/dynamic/d1 is ignored"},
				{Line: 11, Column: 9, Message: "unknown key batch/build-matrix/dynamic/env/e1 is ignored"},
			},
		},
		{
			name: "unknown shell",
			src:  "version: 0.2\nenv:\n  shell: zsh\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 3, Column: 10, Message: "env/shell zsh is not one of the shells CodeBuild supports: bash, /bin/sh, powershell.exe, cmd.exe"}},
		},
		{
			name: "variable name the shell cannot expand",
			src:  "version: 0.2\nenv:\n  variables:\n    my.var: x\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 5, Message: "environment variable name \"my.var\" in env/variables is not a valid shell variable name"}},
		},
		{
			name: "variable defined twice",
			src:  "version: 0.2\nenv:\n  variables:\n    A: x\n  parameter-store:\n    A: /p\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 6, Column: 5, Message: "environment variable A is defined in both env/variables and env/parameter-store"}},
		},
		{
			name: "exported AWS_ variable",
			src:  "version: 0.2\nenv:\n  exported-variables:\n    - AWS_REGION\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 7, Message: "AWS_REGION cannot be exported: CodeBuild does not export variables that start with AWS_"}},
		},
		{
			name: "secret with both version stage and id",
			src:  "version: 0.2\nenv:\n  secrets-manager:\n    S: id:key:AWSCURRENT:v1\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 8, Message: "env/secrets-manager/S sets both version-stage and version-id; use one of them"}},
		},
		{
			name: "secret ARN of another service",
			src:  "version: 0.2\nenv:\n  secrets-manager:\n    S: arn:aws:ssm:us-east-1:1:parameter/x\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 8, Message: "env/secrets-manager/S: arn:aws:ssm:us-east-1:1:parameter/x is not a Secrets Manager secret ARN"}},
		},
		{
			name: "environment_variables in version 0.2",
			src:  "version: 0.2\nenvironment_variables:\n  plaintext:\n    A: b\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 2, Column: 1, Message: "environment_variables is the buildspec version 0.1 name of env and is ignored in version 0.2"}},
		},
		{
			name: "env and environment_variables in version 0.1",
			src:  "version: 0.1\nenv:\n  variables:\n    A: b\nenvironment_variables:\n  plaintext:\n    C: d\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 5, Column: 1, Message: "environment_variables and env both define environment variables"}},
		},
		{
			name: "runtime-versions outside install",
			src:  "version: 0.2\nphases:\n  build:\n    runtime-versions:\n      nodejs: 18\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 5, Message: "phases/build/runtime-versions is only used in the install phase and is ignored here"}},
		},
		{
			name: "empty phases",
			src:  "version: 0.2\nphases: {}\n",
			want: []buildspec.Diagnostic{{Line: 2, Column: 1, Message: "phases is empty: the build runs no commands"}},
		},
		{
			name: "too many report groups",
			src:  minimal + "reports:\n  a: {files: [x]}\n  b: {files: [x]}\n  c: {files: [x]}\n  d: {files: [x]}\n  e: {files: [x]}\n  f: {files: [x]}\n",
			want: []buildspec.Diagnostic{{Line: 12, Column: 3, Message: "reports names 6 report groups; a project can have at most 5"}},
		},
		{
			name: "malformed report group ARN",
			src:  minimal + "reports:\n  arn:aws:s3:::bucket: {files: [x]}\n",
			want: []buildspec.Diagnostic{{Line: 7, Column: 3, Message: "arn:aws:s3:::bucket is not a report group ARN (arn:aws:codebuild:<region>:<account>:report-group/<name>)"}},
		},
		{
			name: "artifacts type",
			src:  minimal + "artifacts:\n  type: zip\n  files: [a]\n",
			want: []buildspec.Diagnostic{{Line: 7, Column: 3, Message: "artifacts/type is deprecated and ignored"}},
		},
		{
			name: "artifact identifier",
			src:  minimal + "artifacts:\n  files: [a]\n  secondary-artifacts:\n    my-artifact:\n      files: [b]\n",
			want: []buildspec.Diagnostic{{Line: 9, Column: 5, Message: "artifact identifier \"my-artifact\" should contain only alphanumeric characters and underscores"}},
		},
		{
			name: "fallback keys without a key",
			src:  minimal + "cache:\n  fallback-keys: [a]\n",
			want: []buildspec.Diagnostic{{Line: 7, Column: 3, Message: "cache/fallback-keys is ignored without cache/key"}},
		},
		{
			name: "depend-on in a build list",
			src:  "version: 0.2\nbatch:\n  build-list:\n    - identifier: a\n      depend-on: [b]\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 5, Column: 7, Message: "batch/build-list[0]/depend-on is only used in a build-graph and is ignored here"}},
		},
		{
			name: "batch identifier",
			src:  "version: 0.2\nbatch:\n  build-list:\n    - identifier: linux-small\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 19, Message: "batch identifier \"linux-small\" should contain only alphanumeric characters and underscores"}},
		},
		{
			name: "matrix without values",
			src:  "version: 0.2\nbatch:\n  build-matrix:\n    static:\n      ignore-failure: true\nphases:\n  build:\n    commands: [make]\n",
			want: []buildspec.Diagnostic{{Line: 4, Column: 5, Message: "batch/build-matrix/dynamic lists no values: the matrix has a single build"}},
		},
		{
			name: "unknown tag",
			src:  "version: 0.2\nphases:\n  build:\n    commands:\n      - !Sub echo ${AWS::Region}\n",
			want: []buildspec.Diagnostic{{Line: 5, Column: 9, Message: "tag !Sub has no meaning in a buildspec and is ignored"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, got := mustParse(t, tt.src)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) warnings mismatch (-want +got):\n%s", tt.src, diff)
			}
		})
	}
}

func TestErrorMethods(t *testing.T) {
	t.Parallel()
	_, _, err := buildspec.Parse([]byte("version: 0.2\nphases:\n  build:\n    commands:\n      - echo \"Hello: world\"\n"))
	var e *buildspec.Error
	if !errors.As(err, &e) {
		t.Fatalf("Parse error = %v, want *buildspec.Error", err)
	}
	const msg = "Expected Commands[0] to be of string type: found subkeys instead at line 5, value of the key tag on line 4 might be empty"
	if got := e.StatusCode(); got != "YAML_FILE_ERROR" {
		t.Errorf("StatusCode() = %q, want YAML_FILE_ERROR", got)
	}
	if got := e.Message(); got != msg {
		t.Errorf("Message() = %q, want %q", got, msg)
	}
	if got, want := e.Error(), "YAML_FILE_ERROR Message: "+msg; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestParseTooLarge(t *testing.T) {
	t.Parallel()
	src := minimal + strings.Repeat("#", buildspec.MaxSize)
	_, _, err := buildspec.Parse([]byte(src))
	want := []buildspec.Diagnostic{{Message: fmt.Sprintf("buildspec is too large: %d bytes, the limit is 10485760 bytes", len(src))}}
	if diff := cmp.Diff(want, diagnostics(t, err)); diff != "" {
		t.Errorf("Parse(%d bytes) mismatch (-want +got):\n%s", len(src), diff)
	}
}

// TestAliasBomb checks that aliases and merge keys cannot make Parse do
// unbounded work: a 60 KB buildspec that merges a 2000-key map into 3000
// maps would copy six million keys.
func TestAliasBomb(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("version: 0.2\nm0: &m0 {")
	for j := 0; j < 2000; j++ {
		fmt.Fprintf(&b, "k%d: x, ", j)
	}
	b.WriteString("}\nx:\n")
	for i := 0; i < 3000; i++ {
		b.WriteString("  - {<<: *m0}\n")
	}
	b.WriteString("phases:\n  build:\n    commands: [make]\n")
	start := time.Now()
	_, _, err := buildspec.Parse([]byte(b.String()))
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Parse of a merge bomb took %v", d)
	}
	want := []buildspec.Diagnostic{{Message: "the buildspec expands to too many values through its aliases and merge keys"}}
	if diff := cmp.Diff(want, diagnostics(t, err)); diff != "" {
		t.Errorf("Parse of a merge bomb mismatch (-want +got):\n%s", diff)
	}
}

// TestAliasReuse checks that a buildspec reusing a large alias many times
// within the budget is accepted.
func TestAliasReuse(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("version: 0.2\nx-steps: &steps\n")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&b, "  - echo %d\n", i)
	}
	b.WriteString("phases:\n")
	for _, p := range []string{"install", "pre_build", "build", "post_build"} {
		fmt.Fprintf(&b, "  %s:\n    commands: *steps\n    finally: *steps\n", p)
	}
	spec, _ := mustParse(t, b.String())
	for _, p := range spec.Phases {
		if len(p.Commands) != 200 || len(p.Finally) != 200 {
			t.Errorf("phase %s has %d commands and %d finally commands, want 200 each", p.Name, len(p.Commands), len(p.Finally))
		}
	}
}

// largeBuildspec returns a valid buildspec of at least size bytes, made
// the way a large real one is: many commands and block scalars, and a batch
// build list, rather than a few huge maps.
func largeBuildspec(size int) []byte {
	var b strings.Builder
	b.WriteString("version: 0.2\nenv:\n  variables:\n")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&b, "    VAR_%d: \"value %d with some text\"\n", i, i)
	}
	b.WriteString("batch:\n  build-list:\n")
	for i := 0; b.Len() < size/4; i++ {
		fmt.Fprintf(&b, "    - identifier: build_%d\n      env:\n        compute-type: BUILD_GENERAL1_SMALL\n        variables:\n          SHARD: \"%d\"\n", i, i)
	}
	b.WriteString("phases:\n")
	for k, phase := range []string{"install", "pre_build", "build", "post_build"} {
		fmt.Fprintf(&b, "  %s:\n    commands:\n", phase)
		for i := 0; i == 0 || b.Len() < size*(k+2)/5; i++ {
			if i%10 == 0 {
				fmt.Fprintf(&b, "      - |\n        if [ -f step%d ]; then\n          ./scripts/run.sh --flag=%d\n        fi\n", i, i)
				continue
			}
			fmt.Fprintf(&b, "      - echo \"step %d\" && ./scripts/run.sh --flag=%d | tee -a log.txt\n", i, i)
		}
	}
	return []byte(b.String())
}

func TestParseLargeFile(t *testing.T) {
	t.Parallel()
	src := largeBuildspec(1 << 20)
	start := time.Now()
	spec, _, err := buildspec.Parse(src)
	if err != nil {
		t.Fatalf("Parse(1 MiB) error: %v", err)
	}
	// About 0.2 s on a laptop; the bound only catches quadratic blowups.
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Parse(1 MiB) took %v", d)
	}
	if n := len(spec.Batch.Tasks); n < 1000 {
		t.Errorf("Parse(1 MiB) found %d batch builds, want more than 1000", n)
	}
	if n := len(spec.Phases[2].Commands); n < 1000 {
		t.Errorf("Parse(1 MiB) found %d build commands, want more than 1000", n)
	}
}

func BenchmarkParse1MiB(b *testing.B) {
	src := largeBuildspec(1 << 20)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if _, _, err := buildspec.Parse(src); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPackageDoc checks that the package has exactly one doc comment.
func TestPackageDoc(t *testing.T) {
	t.Parallel()
	pkgs, err := parser.ParseDir(token.NewFileSet(), ".", nil, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		t.Fatal(err)
	}
	pkg, ok := pkgs["buildspec"]
	if !ok {
		t.Fatal("package buildspec not found")
	}
	var docs []string
	for name, f := range pkg.Files {
		if f.Doc != nil {
			docs = append(docs, name)
		}
	}
	if len(docs) != 1 {
		t.Errorf("package buildspec has doc comments in %v, want exactly one", docs)
	}
}
