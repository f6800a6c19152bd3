package build_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/executor/shell"
)

// mapSecrets is a Secrets over two maps, for these tests only.
type mapSecrets struct{ params, secrets map[string]string }

func (m mapSecrets) Parameter(_ context.Context, name string) (string, error) {
	if v, ok := m.params[name]; ok {
		return v, nil
	}
	return "", fmt.Errorf("parameter does not exist: %s", name)
}

func (m mapSecrets) Secret(_ context.Context, id, _, _ string) (string, error) {
	if v, ok := m.secrets[id]; ok {
		return v, nil
	}
	return "", fmt.Errorf("ResourceNotFoundException: Secrets Manager can't find the specified secret")
}

type opts struct {
	vars    []build.Variable
	secrets build.Secrets
	timeout time.Duration
	ctx     context.Context
	noSpec  bool
}

// runSpec runs spec (a buildspec.yml) in a fresh workspace on the host
// shell executor and returns the build and its log.
func runSpec(t *testing.T, spec string, o opts) (*build.Build, string) {
	t.Helper()
	ws := t.TempDir()
	if !o.noSpec {
		if err := os.WriteFile(filepath.Join(ws, "buildspec.yml"), []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := o.ctx
	if ctx == nil {
		ctx = t.Context()
	}
	var log bytes.Buffer
	e := build.NewEngine(shell.New(shell.Options{Grace: time.Second}), o.secrets)
	b := e.Run(ctx, &build.Request{
		UUID: "0000-1111", Project: "demo", Number: 7, Region: "eu-west-1", Account: "123456789012",
		Initiator: "tester", Image: "aws/codebuild/standard:7.0", Workspace: ws,
		BaseEnv:   []string{"PATH=" + os.Getenv("PATH"), "FROM_IMAGE=image", "HOME=/root"},
		Variables: o.vars, Timeout: o.timeout,
	}, &log)
	return b, log.String()
}

// phases renders a build's phases as TYPE=STATUS, the way tests compare
// transitions.
func phases(b *build.Build) string {
	var parts []string
	for _, p := range b.Phases {
		if p.Type == build.PhaseCompleted {
			parts = append(parts, string(p.Type))
			continue
		}
		parts = append(parts, fmt.Sprintf("%s=%s", p.Type, p.Status))
	}
	return strings.Join(parts, " ")
}

const head = "SUBMITTED=SUCCEEDED PROVISIONING=SUCCEEDED DOWNLOAD_SOURCE=SUCCEEDED "

func TestTransitions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		spec       string
		wantPhases string
		wantStatus build.Status
		wantLog    []string // substrings, in order
		notInLog   []string
	}{
		{
			name: "all phases succeed",
			spec: `version: 0.2
phases:
  install: {commands: [echo i]}
  pre_build: {commands: [echo p]}
  build: {commands: [echo b]}
  post_build: {commands: [echo pb]}
`,
			wantPhases: head + "INSTALL=SUCCEEDED PRE_BUILD=SUCCEEDED BUILD=SUCCEEDED POST_BUILD=SUCCEEDED UPLOAD_ARTIFACTS=SUCCEEDED FINALIZING=SUCCEEDED COMPLETED",
			wantStatus: build.StatusSucceeded,
			wantLog:    []string{"Entering phase INSTALL", "Running command echo i\ni\n\n", "Phase complete: INSTALL State: SUCCEEDED", "Phase context status code:  Message: \n", "Entering phase POST_BUILD", "pb\n"},
		},
		{
			name:       "phases left out still run, empty",
			spec:       "version: 0.2\nphases:\n  build:\n    commands:\n      - echo only\n",
			wantPhases: head + "INSTALL=SUCCEEDED PRE_BUILD=SUCCEEDED BUILD=SUCCEEDED POST_BUILD=SUCCEEDED UPLOAD_ARTIFACTS=SUCCEEDED FINALIZING=SUCCEEDED COMPLETED",
			wantStatus: build.StatusSucceeded,
		},
		{
			name: "install failure skips to finalizing",
			spec: `version: 0.2
phases:
  install: {commands: ["false", "echo never"]}
  build: {commands: [echo b]}
  post_build: {commands: [echo pb]}
`,
			wantPhases: head + "INSTALL=FAILED FINALIZING=SUCCEEDED COMPLETED",
			wantStatus: build.StatusFailed,
			wantLog:    []string{"Command did not exit successfully false exit status 1", "Phase complete: INSTALL State: FAILED", "Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: false. Reason: exit status 1"},
			notInLog:   []string{"never", "Entering phase BUILD", "UPLOAD_ARTIFACTS"},
		},
		{
			name: "pre_build failure skips to finalizing",
			spec: `version: 0.2
phases:
  pre_build: {commands: ["exit 3"]}
  build: {commands: [echo b]}
`,
			wantPhases: head + "INSTALL=SUCCEEDED PRE_BUILD=FAILED FINALIZING=SUCCEEDED COMPLETED",
			wantStatus: build.StatusFailed,
			wantLog:    []string{"Reason: exit status 3"},
		},
		{
			name: "build failure still runs post_build and upload with SUCCEEDING=0",
			spec: `version: 0.2
phases:
  build: {commands: ["echo before=$CODEBUILD_BUILD_SUCCEEDING", "make-this-fail-please", "echo never"]}
  post_build: {commands: ["echo after=$CODEBUILD_BUILD_SUCCEEDING"]}
`,
			wantPhases: head + "INSTALL=SUCCEEDED PRE_BUILD=SUCCEEDED BUILD=FAILED POST_BUILD=SUCCEEDED UPLOAD_ARTIFACTS=SUCCEEDED FINALIZING=SUCCEEDED COMPLETED",
			wantStatus: build.StatusFailed,
			wantLog:    []string{"before=1", "Reason: exit status 127", "Entering phase POST_BUILD", "after=0"},
			notInLog:   []string{"never"},
		},
		{
			name: "post_build failure still uploads",
			spec: `version: 0.2
phases:
  post_build: {commands: ["false"]}
`,
			wantPhases: head + "INSTALL=SUCCEEDED PRE_BUILD=SUCCEEDED BUILD=SUCCEEDED POST_BUILD=FAILED UPLOAD_ARTIFACTS=SUCCEEDED FINALIZING=SUCCEEDED COMPLETED",
			wantStatus: build.StatusFailed,
		},
		{
			name: "on-failure ABORT in build skips post_build and upload",
			spec: `version: 0.2
phases:
  build:
    on-failure: ABORT
    commands: ["false"]
  post_build: {commands: [echo pb]}
`,
			wantPhases: head + "INSTALL=SUCCEEDED PRE_BUILD=SUCCEEDED BUILD=FAILED FINALIZING=SUCCEEDED COMPLETED",
			wantStatus: build.StatusFailed,
			notInLog:   []string{"pb\n"},
		},
		{
			name: "on-failure CONTINUE in install goes on",
			spec: `version: 0.2
phases:
  install:
    on-failure: CONTINUE
    commands: ["false"]
  pre_build: {commands: ["echo pre=$CODEBUILD_BUILD_SUCCEEDING"]}
`,
			wantPhases: head + "INSTALL=FAILED PRE_BUILD=SUCCEEDED BUILD=SUCCEEDED POST_BUILD=SUCCEEDED UPLOAD_ARTIFACTS=SUCCEEDED FINALIZING=SUCCEEDED COMPLETED",
			wantStatus: build.StatusFailed,
			wantLog:    []string{"pre=0"},
		},
		{
			name: "finally runs after a failed command and the phase stays failed",
			spec: `version: 0.2
phases:
  build:
    commands: ["false", "echo never"]
    finally: ["echo cleanup1", "echo cleanup2"]
`,
			wantPhases: head + "INSTALL=SUCCEEDED PRE_BUILD=SUCCEEDED BUILD=FAILED POST_BUILD=SUCCEEDED UPLOAD_ARTIFACTS=SUCCEEDED FINALIZING=SUCCEEDED COMPLETED",
			wantStatus: build.StatusFailed,
			wantLog:    []string{"cleanup1", "cleanup2", "Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: false."},
			notInLog:   []string{"never"},
		},
		{
			name: "a failing finally command fails the phase",
			spec: `version: 0.2
phases:
  pre_build:
    commands: ["echo ok"]
    finally: ["exit 5", "echo never"]
`,
			wantPhases: head + "INSTALL=SUCCEEDED PRE_BUILD=FAILED FINALIZING=SUCCEEDED COMPLETED",
			wantStatus: build.StatusFailed,
			wantLog:    []string{"Error while executing command: exit 5. Reason: exit status 5"},
			notInLog:   []string{"never"},
		},
		{
			name: "RETRY-2 retries a flaky phase until it passes",
			spec: `version: 0.2
phases:
  build:
    on-failure: RETRY-2
    commands:
      - echo x >> tries
      - test $(wc -l < tries) -ge 3
`,
			wantPhases: head + "INSTALL=SUCCEEDED PRE_BUILD=SUCCEEDED BUILD=FAILED BUILD=FAILED BUILD=SUCCEEDED POST_BUILD=SUCCEEDED UPLOAD_ARTIFACTS=SUCCEEDED FINALIZING=SUCCEEDED COMPLETED",
			wantStatus: build.StatusSucceeded,
			wantLog:    []string{"Retrying phase BUILD (retry 1 of 2)", "Retrying phase BUILD (retry 2 of 2)"},
		},
		{
			name: "RETRY-1 gives up and then follows the default transition",
			spec: `version: 0.2
phases:
  pre_build:
    on-failure: RETRY-1
    commands: ["false"]
`,
			wantPhases: head + "INSTALL=SUCCEEDED PRE_BUILD=FAILED PRE_BUILD=FAILED FINALIZING=SUCCEEDED COMPLETED",
			wantStatus: build.StatusFailed,
		},
		{
			name: "RETRY with a regex that does not match does not retry",
			spec: `version: 0.2
phases:
  build:
    on-failure: RETRY-3-exit status 9
    commands: ["exit 2"]
`,
			wantPhases: head + "INSTALL=SUCCEEDED PRE_BUILD=SUCCEEDED BUILD=FAILED POST_BUILD=SUCCEEDED UPLOAD_ARTIFACTS=SUCCEEDED FINALIZING=SUCCEEDED COMPLETED",
			wantStatus: build.StatusFailed,
		},
		{
			name: "RETRY with a matching regex retries",
			spec: `version: 0.2
phases:
  build:
    on-failure: RETRY-1-exit status 9
    commands: ["exit 9"]
`,
			wantPhases: head + "INSTALL=SUCCEEDED PRE_BUILD=SUCCEEDED BUILD=FAILED BUILD=FAILED POST_BUILD=SUCCEEDED UPLOAD_ARTIFACTS=SUCCEEDED FINALIZING=SUCCEEDED COMPLETED",
			wantStatus: build.StatusFailed,
		},
		{
			name:       "a buildspec that does not parse fails DOWNLOAD_SOURCE",
			spec:       "version: 0.2\nphases:\n  build:\n    commands:\n      - echo a: b\n",
			wantPhases: "SUBMITTED=SUCCEEDED PROVISIONING=SUCCEEDED DOWNLOAD_SOURCE=FAILED FINALIZING=SUCCEEDED COMPLETED",
			wantStatus: build.StatusFailed,
			wantLog:    []string{"Phase complete: DOWNLOAD_SOURCE State: FAILED", "Phase context status code: YAML_FILE_ERROR Message: "},
		},
		{
			name:       "a shell the host cannot run fails DOWNLOAD_SOURCE",
			spec:       "version: 0.2\nenv:\n  shell: cmd.exe\nphases:\n  build:\n    commands:\n      - dir\n",
			wantPhases: "SUBMITTED=SUCCEEDED PROVISIONING=SUCCEEDED DOWNLOAD_SOURCE=FAILED FINALIZING=SUCCEEDED COMPLETED",
			wantStatus: build.StatusFailed,
			wantLog:    []string{"CLIENT_ERROR Message: shell cmd.exe needs a Windows build environment"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, log := runSpec(t, tt.spec, opts{})
			if diff := cmp.Diff(tt.wantPhases, phases(b)); diff != "" {
				t.Errorf("phases mismatch (-want +got):\n%s\nlog:\n%s", diff, log)
			}
			if b.Status != tt.wantStatus {
				t.Errorf("status = %s, want %s", b.Status, tt.wantStatus)
			}
			if !b.Complete || b.CurrentPhase != build.PhaseCompleted {
				t.Errorf("Complete = %v, CurrentPhase = %s; want true, COMPLETED", b.Complete, b.CurrentPhase)
			}
			rest := log
			for _, s := range tt.wantLog {
				i := strings.Index(rest, s)
				if i < 0 {
					t.Errorf("log lacks %q (in order); log:\n%s", s, log)
					break
				}
				rest = rest[i+len(s):]
			}
			for _, s := range tt.notInLog {
				if strings.Contains(log, s) {
					t.Errorf("log has %q; log:\n%s", s, log)
				}
			}
		})
	}
}

func TestMissingBuildspec(t *testing.T) {
	t.Parallel()
	b, log := runSpec(t, "", opts{noSpec: true})
	p, _ := b.Phase(build.PhaseDownloadSource)
	want := []build.Context{{StatusCode: "YAML_FILE_ERROR", Message: "YAML file does not exist"}}
	if diff := cmp.Diff(want, p.Contexts); diff != "" || p.Status != build.StatusFailed {
		t.Errorf("DOWNLOAD_SOURCE = %s %v, want FAILED %v; log:\n%s", p.Status, p.Contexts, want, log)
	}
}

func TestShellInstances(t *testing.T) {
	t.Parallel()
	tests := []struct {
		version, want string
	}{
		// 0.2: one shell for all phases.
		{"0.2", "X=1 dir=sub fn=yes"},
		// 0.1: a shell per command.
		{"0.1", "X= dir=src fn=no"},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			t.Parallel()
			spec := fmt.Sprintf(`version: %s
phases:
  install:
    commands:
      - X=1
      - mkdir -p sub && cd sub
      - f() { :; }
  build:
    commands:
      - echo "X=$X dir=$(basename $PWD) fn=$(command -v f >/dev/null && echo yes || echo no)" > "$CODEBUILD_SRC_DIR/result"
`, tt.version)
			b, log := runSpec(t, spec, opts{})
			if b.Status != build.StatusSucceeded {
				t.Fatalf("status %s; log:\n%s", b.Status, log)
			}
			got, err := os.ReadFile(filepath.Join(b.SrcDir, "result"))
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if tt.version == "0.1" {
				want = "X= dir=" + filepath.Base(b.SrcDir) + " fn=no"
			}
			if strings.TrimSpace(string(got)) != want {
				t.Errorf("version %s: got %q, want %q", tt.version, strings.TrimSpace(string(got)), want)
			}
		})
	}
}

func TestVariables(t *testing.T) {
	t.Parallel()
	spec := `version: 0.2
env:
  variables:
    FROM_IMAGE: buildspec
    FROM_SPEC: spec
    OVERRIDDEN: spec
    LITERAL: $PATH:/extra
  exported-variables:
    - VERSION
    - FROM_SPEC
    - NEVER_SET
phases:
  build:
    commands:
      - export VERSION=1.2.$CODEBUILD_BUILD_NUMBER
      - env | grep -E '^(FROM_|OVERRIDDEN|LITERAL|CODEBUILD_|AWS_|HOME)' | sort > "$CODEBUILD_SRC_DIR/env.txt"
`
	b, log := runSpec(t, spec, opts{vars: []build.Variable{
		{Name: "OVERRIDDEN", Value: "project"},
		{Name: "OVERRIDDEN", Value: "override", Type: build.VarPlaintext},
	}})
	if b.Status != build.StatusSucceeded {
		t.Fatalf("status %s; log:\n%s", b.Status, log)
	}
	data, _ := os.ReadFile(filepath.Join(b.SrcDir, "env.txt"))
	env := map[string]string{}
	for line := range strings.Lines(string(data)) {
		k, v, _ := strings.Cut(strings.TrimSuffix(line, "\n"), "=")
		env[k] = v
	}
	want := map[string]string{
		"FROM_IMAGE":                 "buildspec",
		"FROM_SPEC":                  "spec",
		"OVERRIDDEN":                 "override",
		"LITERAL":                    "$PATH:/extra",
		"HOME":                       "/root",
		"AWS_REGION":                 "eu-west-1",
		"AWS_DEFAULT_REGION":         "eu-west-1",
		"CODEBUILD_BUILD_ID":         "demo:0000-1111",
		"CODEBUILD_BUILD_ARN":        "arn:aws:codebuild:eu-west-1:123456789012:build/demo:0000-1111",
		"CODEBUILD_PROJECT_ARN":      "arn:aws:codebuild:eu-west-1:123456789012:project/demo",
		"CODEBUILD_BUILD_NUMBER":     "7",
		"CODEBUILD_BUILD_IMAGE":      "aws/codebuild/standard:7.0",
		"CODEBUILD_BUILD_SUCCEEDING": "1",
		"CODEBUILD_INITIATOR":        "tester",
		"CODEBUILD_KMS_KEY_ID":       "arn:aws:kms:eu-west-1:123456789012:alias/aws/s3",
		"CODEBUILD_LOG_PATH":         "0000-1111",
		"CODEBUILD_SRC_DIR":          b.SrcDir,
		"CODEBUILD_START_TIME":       fmt.Sprint(b.Start.UnixMilli()),
		"CODEBUILD_SOURCE_REPO_URL":  "",
		"CODEBUILD_SOURCE_VERSION":   "",
	}
	if diff := cmp.Diff(want, env); diff != "" {
		t.Errorf("build environment mismatch (-want +got):\n%s", diff)
	}
	wantExported := []build.Var{{"VERSION", "1.2.7"}, {"FROM_SPEC", "spec"}, {"NEVER_SET", ""}}
	if diff := cmp.Diff(wantExported, b.Exported); diff != "" {
		t.Errorf("exported variables mismatch (-want +got):\n%s", diff)
	}
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	secrets := mapSecrets{
		params:  map[string]string{"/app/token": "tok-123456", "/app/multi": "line-one-secret\nline-two-secret"},
		secrets: map[string]string{"db": `{"username":"admin","password":"pa55-w0rd!"}`, "plain": "plain-secret-value"},
	}
	spec := `version: 0.2
env:
  parameter-store:
    TOKEN: /app/token
    MULTI: /app/multi
  secrets-manager:
    DB_PASS: db:password
    PLAIN: plain
  exported-variables: [TOKEN]
phases:
  build:
    commands:
      - echo "token=$TOKEN pass=$DB_PASS plain=$PLAIN"
      - printf '%s' "$TOKEN" | cut -c1-5; printf '%s\n' "$TOKEN" | cut -c6-
      - printf 'tok-12'; sleep 0.1; printf '3456 split across writes\n'
      - echo "$MULTI"
      - echo "$PROJECT_SECRET"
`
	b, log := runSpec(t, spec, opts{secrets: secrets, vars: []build.Variable{
		{Name: "PROJECT_SECRET", Value: "plain", Type: build.VarSecretsManager},
	}})
	if b.Status != build.StatusSucceeded {
		t.Fatalf("status %s; log:\n%s", b.Status, log)
	}
	for _, secret := range []string{"tok-123456", "pa55-w0rd!", "plain-secret-value", "line-one-secret", "line-two-secret"} {
		if strings.Contains(log, secret) {
			t.Errorf("log shows secret %q:\n%s", secret, log)
		}
	}
	if !strings.Contains(log, "token=*** pass=*** plain=***") || !strings.Contains(log, "*** split across writes") {
		t.Errorf("log does not show masked values:\n%s", log)
	}
	// A value cut in two by the command itself is not the secret any more.
	if !strings.Contains(log, "tok-1\n23456\n") {
		t.Errorf("log lost the halves of a cut value:\n%s", log)
	}
	if diff := cmp.Diff([]build.Var{{"TOKEN", "***"}}, b.Exported); diff != "" {
		t.Errorf("exported secrets mismatch (-want +got):\n%s", diff)
	}
	for _, v := range b.Env {
		if v.Name == "TOKEN" && v.Value != "***" {
			t.Errorf("Build.Env shows TOKEN=%q", v.Value)
		}
	}
}

func TestSecretErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, spec string
		want       build.Context
	}{
		{"missing parameter", "version: 0.2\nenv:\n  parameter-store:\n    X: /nope\nphases:\n  build:\n    commands: [echo]\n",
			build.Context{StatusCode: "Decrypted Variables Error", Message: "parameter does not exist: /nope"}},
		{"missing secret", "version: 0.2\nenv:\n  secrets-manager:\n    X: nope:key\nphases:\n  build:\n    commands: [echo]\n",
			build.Context{StatusCode: "Secrets Manager Error", Message: "ResourceNotFoundException: Secrets Manager can't find the specified secret"}},
		{"missing json key", "version: 0.2\nenv:\n  secrets-manager:\n    X: db:nokey\nphases:\n  build:\n    commands: [echo]\n",
			build.Context{StatusCode: "Secrets Manager Error", Message: `json-key "nokey" not found in secret db`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, log := runSpec(t, tt.spec, opts{secrets: mapSecrets{secrets: map[string]string{"db": `{"a":"b"}`}}})
			p, _ := b.Phase(build.PhaseDownloadSource)
			if p.Status != build.StatusFailed || len(p.Contexts) != 1 || p.Contexts[0] != tt.want {
				t.Errorf("DOWNLOAD_SOURCE = %s %v, want FAILED %v; log:\n%s", p.Status, p.Contexts, tt.want, log)
			}
			if _, ran := b.Phase(build.PhaseInstall); ran {
				t.Errorf("INSTALL ran after DOWNLOAD_SOURCE failed")
			}
		})
	}
}

func TestTimeoutAndStop(t *testing.T) {
	t.Parallel()
	spec := "version: 0.2\nphases:\n  build:\n    commands:\n      - trap '' TERM; sleep 300 & sleep 300\n  post_build:\n    commands:\n      - echo post\n"
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		b, log := runSpec(t, spec, opts{timeout: 500 * time.Millisecond})
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("timed-out build took %v, want < 5s", d)
		}
		if b.Status != build.StatusTimedOut {
			t.Errorf("status = %s, want TIMED_OUT; log:\n%s", b.Status, log)
		}
		want := head + "INSTALL=SUCCEEDED PRE_BUILD=SUCCEEDED BUILD=TIMED_OUT FINALIZING=SUCCEEDED COMPLETED"
		if diff := cmp.Diff(want, phases(b)); diff != "" {
			t.Errorf("phases mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("stop", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancelCause(t.Context())
		time.AfterFunc(500*time.Millisecond, func() { cancel(build.ErrStopped) })
		start := time.Now()
		b, log := runSpec(t, spec, opts{ctx: ctx})
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("stopped build took %v, want < 5s", d)
		}
		want := head + "INSTALL=SUCCEEDED PRE_BUILD=SUCCEEDED BUILD=STOPPED FINALIZING=SUCCEEDED COMPLETED"
		if diff := cmp.Diff(want, phases(b)); diff != "" || b.Status != build.StatusStopped {
			t.Errorf("status %s, phases mismatch (-want +got):\n%s\nlog:\n%s", b.Status, diff, log)
		}
		if strings.Contains(log, "post\n") {
			t.Errorf("post_build ran after a stop")
		}
	})
}

func TestOutputIntegrity(t *testing.T) {
	t.Parallel()
	spec := `version: 0.2
phases:
  build:
    commands:
      - printf 'partial'
      - printf '\377\376 invalid utf8\n'
      - head -c 300000 /dev/zero | tr '\0' 'a'; echo
      - i=0; while [ $i -lt 20000 ]; do echo "n=$i"; i=$((i+1)); done
`
	b, log := runSpec(t, spec, opts{})
	if b.Status != build.StatusSucceeded {
		t.Fatalf("status %s", b.Status)
	}
	if !strings.Contains(log, "partial\n\n[Container]") {
		t.Errorf("unterminated output not ended before the next agent line")
	}
	if !strings.Contains(log, "\xff\xfe invalid utf8\n") {
		t.Errorf("invalid UTF-8 bytes not kept")
	}
	if !strings.Contains(log, "\n"+strings.Repeat("a", 300000)+"\n") {
		t.Errorf("a 300,000-byte line was cut")
	}
	n := 0
	for line := range strings.Lines(log) {
		if strings.HasPrefix(line, "n=") {
			if want := fmt.Sprintf("n=%d\n", n); line != want {
				t.Fatalf("line %q, want %q", line, want)
			}
			n++
		}
	}
	if n != 20000 {
		t.Errorf("got %d numbered lines, want 20000", n)
	}
}

func TestSetupFailure(t *testing.T) {
	t.Parallel()
	e := build.NewEngine(failingExecutor{}, nil)
	var log bytes.Buffer
	b := e.Run(t.Context(), &build.Request{UUID: "u", Project: "p", Workspace: t.TempDir()}, &log)
	want := "SUBMITTED=SUCCEEDED PROVISIONING=FAILED FINALIZING=SUCCEEDED COMPLETED"
	if got := phases(b); got != want || b.Status != build.StatusFailed {
		t.Errorf("phases %q status %s, want %q FAILED", got, b.Status, want)
	}
	p, _ := b.Phase(build.PhaseProvisioning)
	if p.Contexts[0].StatusCode != "BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE" {
		t.Errorf("PROVISIONING context %v", p.Contexts)
	}
}

// failingExecutor fails Setup, as an executor does that cannot pull its
// image.
type failingExecutor struct{}

func (failingExecutor) Setup(context.Context, *build.Plan) error {
	return &build.ContextError{StatusCode: "BUILD_CONTAINER_UNABLE_TO_PULL_IMAGE", Message: "image not found"}
}
func (failingExecutor) Run(context.Context, *build.Plan, build.Step, io.Writer) (int, error) {
	return 0, errors.New("not set up")
}
func (failingExecutor) Destroy(context.Context, *build.Plan) error { return nil }

func TestRunAs(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("run-as needs root; scripts/test runs as root in CI")
	}
	spec := `version: 0.2
run-as: nobody
phases:
  install:
    commands:
      - id -un > who-install
  build:
    run-as: root
    commands:
      - id -un > who-build
  post_build:
    commands:
      - id -un > who-post; echo "home=$HOME"
`
	ws, err := os.MkdirTemp("", "codeyard-runas-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(ws) })
	os.Chmod(ws, 0o755)
	os.WriteFile(filepath.Join(ws, "buildspec.yml"), []byte(spec), 0o644)
	var log bytes.Buffer
	e := build.NewEngine(shell.New(shell.Options{}), nil)
	b := e.Run(t.Context(), &build.Request{UUID: "u", Project: "p", Region: "us-east-1", Account: "1", Workspace: ws,
		BaseEnv: []string{"PATH=" + os.Getenv("PATH")}}, &log)
	if b.Status != build.StatusSucceeded {
		t.Fatalf("status %s; log:\n%s", b.Status, log.String())
	}
	for file, want := range map[string]string{"who-install": "nobody", "who-build": "root", "who-post": "nobody"} {
		got, _ := os.ReadFile(filepath.Join(ws, file))
		if strings.TrimSpace(string(got)) != want {
			t.Errorf("%s = %q, want %q\n%s", file, strings.TrimSpace(string(got)), want, log.String())
		}
	}
	if !strings.Contains(log.String(), "home=/nonexistent") {
		t.Errorf("run-as user's HOME not set:\n%s", log.String())
	}
}

// BenchmarkEngine runs whole builds on the host shell executor: the fixed
// cost of a build, and the cost per command.
func BenchmarkEngine(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(fmt.Sprintf("commands=%d", n), func(b *testing.B) {
			var sb strings.Builder
			sb.WriteString("version: 0.2\nphases:\n  build:\n    commands:\n")
			for i := range n {
				fmt.Fprintf(&sb, "      - echo step %d\n", i)
			}
			ws := b.TempDir()
			os.WriteFile(filepath.Join(ws, "buildspec.yml"), []byte(sb.String()), 0o644)
			e := build.NewEngine(shell.New(shell.Options{}), nil)
			for b.Loop() {
				bld := e.Run(b.Context(), &build.Request{UUID: "u", Project: "bench", Region: "us-east-1", Account: "1",
					Workspace: ws, BaseEnv: []string{"PATH=" + os.Getenv("PATH")}}, io.Discard)
				if bld.Status != build.StatusSucceeded {
					b.Fatalf("build %s", bld.Status)
				}
			}
		})
	}
}

func TestExitKeepsState(t *testing.T) {
	t.Parallel()
	for _, shell := range []string{"bash", "/bin/sh"} {
		t.Run(shell, func(t *testing.T) {
			t.Parallel()
			spec := fmt.Sprintf(`version: 0.2
env:
  shell: %s
phases:
  pre_build:
    commands:
      - export IMAGE_TAG=v1.2
      - notify() { echo "notify $1"; }
      - mkdir -p sub && cd sub
  build:
    commands:
      - exit 1
  post_build:
    commands:
      - echo "tag=$IMAGE_TAG dir=$(basename "$PWD") succeeding=$CODEBUILD_BUILD_SUCCEEDING"
      - if command -v notify >/dev/null; then notify done; else echo no-function; fi
`, shell)
			b, log := runSpec(t, spec, opts{})
			want := head + "INSTALL=SUCCEEDED PRE_BUILD=SUCCEEDED BUILD=FAILED POST_BUILD=SUCCEEDED UPLOAD_ARTIFACTS=SUCCEEDED FINALIZING=SUCCEEDED COMPLETED"
			if got := phases(b); got != want {
				t.Errorf("phases %s, want %s", got, want)
			}
			if !strings.Contains(log, "tag=v1.2 dir=sub succeeding=0\n") {
				t.Errorf("post_build lost the environment after exit:\n%s", log)
			}
			// bash can list its functions; dash cannot.
			wantFn := map[string]string{"bash": "notify done\n", "/bin/sh": "no-function\n"}[shell]
			if !strings.Contains(log, wantFn) {
				t.Errorf("want %q after exit:\n%s", wantFn, log)
			}
		})
	}
}

func TestReviewRegressions(t *testing.T) {
	t.Parallel()
	t.Run("SUCCEEDING reaches every shell", func(t *testing.T) {
		t.Parallel()
		if os.Geteuid() != 0 {
			t.Skip("run-as needs root")
		}
		spec := `version: 0.2
phases:
  install:
    on-failure: CONTINUE
    commands: ["false"]
  pre_build:
    on-failure: CONTINUE
    commands: ["exit 5"]
  build:
    commands: ["echo after-exit=$CODEBUILD_BUILD_SUCCEEDING"]
  post_build:
    run-as: nobody
    commands: ["echo other-user=$CODEBUILD_BUILD_SUCCEEDING"]
`
		ws, _ := os.MkdirTemp("", "codeyard-succ-")
		t.Cleanup(func() { os.RemoveAll(ws) })
		os.Chmod(ws, 0o755)
		os.WriteFile(filepath.Join(ws, "buildspec.yml"), []byte(spec), 0o644)
		var log bytes.Buffer
		b := build.NewEngine(shell.New(shell.Options{}), nil).Run(t.Context(), &build.Request{UUID: "u", Project: "p", Workspace: ws,
			BaseEnv: []string{"PATH=" + os.Getenv("PATH")}}, &log)
		if !strings.Contains(log.String(), "after-exit=0\n") || !strings.Contains(log.String(), "other-user=0\n") {
			t.Errorf("CODEBUILD_BUILD_SUCCEEDING not 0 in every shell after a failure:\n%s", log.String())
		}
		if b.Status != build.StatusFailed {
			t.Errorf("status %s", b.Status)
		}
	})
	t.Run("a secret inside an exported value is masked", func(t *testing.T) {
		t.Parallel()
		spec := `version: 0.2
env:
  parameter-store: {DB_PASS: /db/pass}
  exported-variables: [DB_URL]
phases:
  build:
    commands:
      - export DB_URL="postgres://app:${DB_PASS}@db/app"
      - exec > redirected.txt 2>&1
`
		b, _ := runSpec(t, spec, opts{secrets: mapSecrets{params: map[string]string{"/db/pass": "s3cr3t-pass"}}})
		if diff := cmp.Diff([]build.Var{{"DB_URL", "postgres://app:***@db/app"}}, b.Exported); diff != "" {
			t.Errorf("exported mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("the failed command is the one the context names", func(t *testing.T) {
		t.Parallel()
		b, _ := runSpec(t, "version: 0.2\nphases:\n  build:\n    commands: [\"false\"]\n    finally: [\"sh -c 'exit 3'\"]\n", opts{})
		p, _ := b.Phase(build.PhaseBuild)
		if b.FailedCommand != "false" || !strings.Contains(p.Contexts[0].Message, "command: false.") {
			t.Errorf("FailedCommand %q, context %q", b.FailedCommand, p.Contexts[0].Message)
		}
	})
	t.Run("late output of a tee is drained into the log", func(t *testing.T) {
		t.Parallel()
		spec := `version: 0.2
env:
  shell: bash
phases:
  build:
    commands:
      - exec > >(tee -a all.log) 2>&1
      - echo one
  post_build:
    commands:
      - echo four
`
		_, log := runSpec(t, spec, opts{})
		if !strings.Contains(log, "one\n") || !strings.Contains(log, "four\n") {
			t.Errorf("lines written through tee lost:\n%s", log)
		}
	})
}

// TestLargePlan runs a plan whose command definitions are too big to pass
// inline to the shell, so they go through a file.
func TestLargePlan(t *testing.T) {
	t.Parallel()
	var sb strings.Builder
	sb.WriteString("version: 0.2\nphases:\n  build:\n    commands:\n")
	pad := strings.Repeat("x", 1000)
	for i := range 100 {
		fmt.Fprintf(&sb, "      - echo \"cmd %d\" # %s\n", i, pad)
	}
	b, log := runSpec(t, sb.String(), opts{})
	if b.Status != build.StatusSucceeded {
		t.Fatalf("status %s", b.Status)
	}
	for i := range 100 {
		if !strings.Contains(log, fmt.Sprintf("\ncmd %d\n", i)) {
			t.Fatalf("command %d did not run", i)
		}
	}
}

// TestListEdges covers what a list sent at once must still get right.
func TestListEdges(t *testing.T) {
	t.Parallel()
	t.Run("exit 0 in the middle goes on in a fresh shell", func(t *testing.T) {
		t.Parallel()
		b, log := runSpec(t, "version: 0.2\nphases:\n  build:\n    commands:\n      - export KEEP=kept\n      - exit 0\n      - echo after=$KEEP\n      - echo last\n", opts{})
		if b.Status != build.StatusSucceeded || !strings.Contains(log, "after=kept\n") || !strings.Contains(log, "Running command echo last\nlast\n") {
			t.Errorf("status %s; log:\n%s", b.Status, log)
		}
	})
	t.Run("a stop in the middle of a list", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancelCause(t.Context())
		time.AfterFunc(300*time.Millisecond, func() { cancel(build.ErrStopped) })
		start := time.Now()
		b, log := runSpec(t, "version: 0.2\nphases:\n  build:\n    commands:\n      - echo one\n      - sleep 300\n      - echo never\n", opts{ctx: ctx})
		if b.Status != build.StatusStopped || time.Since(start) > 5*time.Second || strings.Contains(log, "never\n") {
			t.Errorf("status %s after %v; log:\n%s", b.Status, time.Since(start), log)
		}
	})
	t.Run("lines of a failed list are skipped, finally runs", func(t *testing.T) {
		t.Parallel()
		b, log := runSpec(t, "version: 0.2\nphases:\n  build:\n    commands:\n      - echo a\n      - exit 4\n      - echo skipped1\n      - echo skipped2\n    finally:\n      - echo f1\n      - echo f2\n  post_build:\n    commands:\n      - echo post\n", opts{})
		for _, want := range []string{"Command did not exit successfully exit 4 exit status 4", "f1\n", "f2\n", "post\n"} {
			if !strings.Contains(log, want) {
				t.Errorf("log lacks %q:\n%s", want, log)
			}
		}
		if strings.Contains(log, "skipped1") || b.FailedCommand != "exit 4" {
			t.Errorf("FailedCommand %q; log:\n%s", b.FailedCommand, log)
		}
	})
}

// TestArtifactsKeepWhatIsThere checks that a folder artifact lands like
// objects in a bucket: it replaces the files at its keys and leaves the
// rest of the directory alone, even when it goes to the root.
func TestArtifactsKeepWhatIsThere(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "unrelated.txt"), []byte("mine"), 0o644)
	os.WriteFile(filepath.Join(out, "app.txt"), []byte("old"), 0o644)
	ws := t.TempDir()
	spec := "version: 0.2\nphases:\n  build:\n    commands:\n      - echo new > app.txt\nartifacts:\n  name: /\n  files:\n    - app.txt\n"
	os.WriteFile(filepath.Join(ws, "buildspec.yml"), []byte(spec), 0o644)
	var log bytes.Buffer
	b := build.NewEngine(shell.New(shell.Options{}), nil).Run(t.Context(), &build.Request{
		UUID: "u", Project: "p", Workspace: ws, BaseEnv: []string{"PATH=" + os.Getenv("PATH")},
		Artifacts: &build.ArtifactSettings{Dir: out, Name: "p", Packaging: "NONE", OverrideArtifactName: true},
	}, &log)
	if b.Status != build.StatusSucceeded {
		t.Fatalf("status %s\n%s", b.Status, log.String())
	}
	for file, want := range map[string]string{"unrelated.txt": "mine", "app.txt": "new\n"} {
		if got, err := os.ReadFile(filepath.Join(out, file)); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", file, got, err, want)
		}
	}
}

func TestArtifactNameExpansion(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T, name string) (*build.Build, string, string) {
		ws, out := t.TempDir(), t.TempDir()
		spec := fmt.Sprintf("version: 0.2\nphases:\n  build:\n    commands:\n      - echo a > a.txt\nartifacts:\n  name: %s\n  files: [a.txt]\n", name)
		os.WriteFile(filepath.Join(ws, "buildspec.yml"), []byte(spec), 0o644)
		var log bytes.Buffer
		b := build.NewEngine(shell.New(shell.Options{}), nil).Run(t.Context(), &build.Request{
			UUID: "u", Project: "p", Workspace: ws, BaseEnv: []string{"PATH=" + os.Getenv("PATH")},
			Artifacts: &build.ArtifactSettings{Dir: out, Name: "p", Packaging: "NONE", OverrideArtifactName: true},
		}, &log)
		return b, log.String(), out
	}
	t.Run("stderr of a substitution goes to the log, not the name", func(t *testing.T) {
		t.Parallel()
		b, log, out := run(t, `"v-$(sh -c 'echo oops >&2; echo 1')-x"`)
		if _, err := os.Stat(filepath.Join(out, "v-1-x", "a.txt")); err != nil || b.Status != build.StatusSucceeded {
			t.Errorf("artifact not at v-1-x (%v, %s):\n%s", err, b.Status, log)
		}
		if !strings.Contains(log, "oops\n") {
			t.Errorf("the substitution's stderr is not in the log:\n%s", log)
		}
	})
	t.Run("a failing substitution fails UPLOAD_ARTIFACTS", func(t *testing.T) {
		t.Parallel()
		b, log, _ := run(t, `"v-$(echo no tags >&2; exit 3)"`)
		p, _ := b.Phase(build.PhaseUploadArtifacts)
		if p.Status != build.StatusFailed || p.Contexts[0].StatusCode != "CLIENT_ERROR" || !strings.Contains(p.Contexts[0].Message, "no tags") {
			t.Errorf("UPLOAD_ARTIFACTS = %s %v\n%s", p.Status, p.Contexts, log)
		}
	})
}

func TestInvalidReportGroup(t *testing.T) {
	t.Parallel()
	b, log := runSpec(t, "version: 0.2\nphases:\n  build:\n    commands: [echo]\nreports:\n  \"../escape\":\n    files: [r.xml]\n", opts{})
	p, _ := b.Phase(build.PhaseDownloadSource)
	if p.Status != build.StatusFailed || p.Contexts[0].StatusCode != "YAML_FILE_ERROR" || !strings.Contains(p.Contexts[0].Message, "invalid report group name") {
		t.Errorf("DOWNLOAD_SOURCE = %s %v\n%s", p.Status, p.Contexts, log)
	}
}
