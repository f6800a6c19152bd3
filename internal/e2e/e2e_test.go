package e2e_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "codeyard-e2e-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "codeyard")
	args := []string{"build", "-o", binary}
	if tags := os.Getenv("E2E_TAGS"); tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.Command("go", append(args, "github.com/codeyard/codeyard/cmd/codeyard")...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		panic("build codeyard: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// codeyard runs the binary with a private CODEYARD_HOME.
func codeyard(t *testing.T, home string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "CODEYARD_HOME="+home)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run codeyard: %v", err)
	}
	return result{code, out.String(), errOut.String()}
}

// copyProject copies a sample project into a temp dir, so tests can check
// that a build leaves it untouched.
func copyProject(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	src := filepath.Join("testdata", "projects", name)
	if name == "hello" {
		src = filepath.Join("..", "..", "examples", "hello") // the README's example
	}
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

type apiBuild struct {
	ID           string `json:"id"`
	BuildNumber  int64  `json:"buildNumber"`
	BuildStatus  string `json:"buildStatus"`
	CurrentPhase string `json:"currentPhase"`
	Phases       []struct {
		PhaseType   string `json:"phaseType"`
		PhaseStatus string `json:"phaseStatus"`
		Contexts    []struct {
			StatusCode string `json:"statusCode"`
			Message    string `json:"message"`
		} `json:"contexts"`
	} `json:"phases"`
	ExportedEnvironmentVariables []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"exportedEnvironmentVariables"`
	BuildComplete bool `json:"buildComplete"`
}

func decode(t *testing.T, s string) apiBuild {
	t.Helper()
	var b apiBuild
	if err := json.Unmarshal([]byte(s), &b); err != nil {
		t.Fatalf("--json output is not a Build: %v\n%s", err, s)
	}
	return b
}

func phaseList(b apiBuild) string {
	var parts []string
	for _, p := range b.Phases {
		parts = append(parts, p.PhaseType+"="+p.PhaseStatus)
	}
	return strings.Join(parts, " ")
}

func TestBuildSucceeds(t *testing.T) {
	t.Parallel()
	home, dir := t.TempDir(), copyProject(t, "hello")
	r := codeyard(t, home, "build", dir)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"[Container] ", "Running command echo \"$GREETING from $(cat app.txt)\"\nhello from app v1\n",
		"Skipping install of runtimes. Runtime version selection is not supported by this build image.",
		"Phase complete: BUILD State: SUCCEEDED", "done, succeeding=1",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("log lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, want := range []string{"SUCCEEDED", "APP_VERSION=1.0.1", "Log: " + home} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stderr)
		}
	}
	// The user's tree stays clean: the build ran on a scratch copy.
	if _, err := os.Stat(filepath.Join(dir, "build-output.txt")); err == nil {
		t.Errorf("build wrote into the source directory without --in-place")
	}
	// The log file keeps what was streamed.
	log, err := os.ReadFile(filepath.Join(home, "builds", "hello", "1", "build.log"))
	if err != nil || string(log) != r.stdout {
		t.Errorf("build.log differs from the streamed log (err %v)", err)
	}
	// Build numbers count up.
	r = codeyard(t, home, "build", dir, "--json")
	b := decode(t, r.stdout)
	if b.BuildNumber != 2 || !strings.HasPrefix(b.ID, "hello:") {
		t.Errorf("second build: number %d id %q, want 2, hello:<uuid>", b.BuildNumber, b.ID)
	}
}

func TestBuildInPlace(t *testing.T) {
	t.Parallel()
	home, dir := t.TempDir(), copyProject(t, "hello")
	if r := codeyard(t, home, "build", "--in-place", dir); r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "build-output.txt")); err != nil || string(got) != "built\n" {
		t.Errorf("--in-place build output = %q, %v; want built", got, err)
	}
}

func TestBuildFails(t *testing.T) {
	t.Parallel()
	home, dir := t.TempDir(), copyProject(t, "failing")
	r := codeyard(t, home, "build", "--json", dir)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	b := decode(t, r.stdout)
	want := "SUBMITTED=SUCCEEDED PROVISIONING=SUCCEEDED DOWNLOAD_SOURCE=SUCCEEDED INSTALL=SUCCEEDED PRE_BUILD=SUCCEEDED BUILD=FAILED POST_BUILD=SUCCEEDED UPLOAD_ARTIFACTS=SUCCEEDED FINALIZING=SUCCEEDED COMPLETED="
	if got := phaseList(b); got != want {
		t.Errorf("phases\n got %s\nwant %s", got, want)
	}
	if b.BuildStatus != "FAILED" || !b.BuildComplete || b.CurrentPhase != "COMPLETED" {
		t.Errorf("buildStatus %s complete %v currentPhase %s", b.BuildStatus, b.BuildComplete, b.CurrentPhase)
	}
	for _, p := range b.Phases {
		if p.PhaseType == "BUILD" {
			msg := "Error while executing command: sh -c 'echo \"2 tests failed\" >&2; exit 2'. Reason: exit status 2"
			if len(p.Contexts) != 1 || p.Contexts[0].StatusCode != "COMMAND_EXECUTION_ERROR" || p.Contexts[0].Message != msg {
				t.Errorf("BUILD contexts = %+v", p.Contexts)
			}
		}
	}
	// With --json the log goes to stderr, stderr before the summary.
	for _, want := range []string{"2 tests failed", "post_build sees succeeding=0", "Failed command: sh -c"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if strings.Contains(r.stderr, "never printed") {
		t.Errorf("a command after the failing one ran")
	}
}

func TestBuildSecretsAndOverrides(t *testing.T) {
	t.Parallel()
	home, dir := t.TempDir(), copyProject(t, "secrets")
	files := t.TempDir()
	params := filepath.Join(files, "params.env")
	secrets := filepath.Join(files, "secrets.json")
	os.WriteFile(params, []byte("# parameters\n/ci/api-token=\"s3cr3t-token-value\"\n"), 0o600)
	os.WriteFile(secrets, []byte(`{"prod/db": {"username": "app", "password": "hunter2-very-secret"}}`), 0o600)
	r := codeyard(t, home, "build", dir, "--parameters-file", params, "--secrets-file", secrets)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "s3cr3t-token-value") || strings.Contains(r.stdout, "hunter2-very-secret") {
		t.Errorf("secret values reached the log:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "token is ***\n") || !strings.Contains(r.stdout, "db password is ***\n") {
		t.Errorf("masked values missing from the log:\n%s", r.stdout)
	}
	log, _ := os.ReadFile(filepath.Join(home, "builds", "secrets", "1", "build.log"))
	if bytes.Contains(log, []byte("hunter2-very-secret")) {
		t.Errorf("secret value reached build.log")
	}

	// Without the files, DOWNLOAD_SOURCE fails as CodeBuild's does.
	r = codeyard(t, home, "build", dir, "--json")
	b := decode(t, r.stdout)
	if r.code != 1 || phaseList(b) != "SUBMITTED=SUCCEEDED PROVISIONING=SUCCEEDED DOWNLOAD_SOURCE=FAILED FINALIZING=SUCCEEDED COMPLETED=" {
		t.Fatalf("exit %d phases %s", r.code, phaseList(b))
	}
	if c := b.Phases[2].Contexts; len(c) != 1 || c[0].StatusCode != "Decrypted Variables Error" || c[0].Message != "parameter does not exist: /ci/api-token" {
		t.Errorf("DOWNLOAD_SOURCE contexts = %+v", c)
	}
}

func TestBuildExportedAndEnv(t *testing.T) {
	t.Parallel()
	home, dir := t.TempDir(), copyProject(t, "exported")
	r := codeyard(t, home, "build", dir, "--json", "--env", "OVERRIDE_ME=from-flag", "--project", "my-app")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	b := decode(t, r.stdout)
	got := map[string]string{}
	for _, v := range b.ExportedEnvironmentVariables {
		got[v.Name] = v.Value
	}
	if got["IMAGE_TAG"] != "my-app-1" || got["FROM_ENV"] != "from-flag" {
		t.Errorf("exported = %v, want IMAGE_TAG=my-app-1 FROM_ENV=from-flag", got)
	}
}

func TestBuildTimeoutAndInterrupt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "buildspec.yml"), []byte("version: 0.2\nphases:\n  build:\n    commands:\n      - echo started\n      - sleep 300\n"), 0o644)

	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		start := time.Now()
		r := codeyard(t, t.TempDir(), "build", dir, "--timeout", "1s", "--json")
		if r.code != 124 || decode(t, r.stdout).BuildStatus != "TIMED_OUT" {
			t.Errorf("exit %d, want 124 and TIMED_OUT\n%s", r.code, r.stderr)
		}
		if d := time.Since(start); d > 7*time.Second {
			t.Errorf("took %v", d)
		}
	})
	t.Run("interrupt", func(t *testing.T) {
		t.Parallel()
		cmd := exec.Command(binary, "build", dir, "--json")
		cmd.Env = append(os.Environ(), "CODEYARD_HOME="+t.TempDir())
		var out bytes.Buffer
		var errOut lockedBuffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(errOut.String(), "started") && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		start := time.Now()
		cmd.Process.Signal(syscall.SIGINT)
		err := cmd.Wait()
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("stop took %v, want < 5s", d)
		}
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
			t.Errorf("exit %v, want 130", err)
		}
		if b := decode(t, out.String()); b.BuildStatus != "STOPPED" {
			t.Errorf("buildStatus %s, want STOPPED", b.BuildStatus)
		}
	})
}

// lockedBuffer is a bytes.Buffer a test may read while a command writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestBuildUsageErrors(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"build", "/does/not/exist"}, "not a directory"},
		{[]string{"build", ".", "--env", "NOEQUALS"}, "want NAME=VALUE"},
		{[]string{"build", ".", "--env", "CODEBUILD_X=1"}, "reserved"},
		{[]string{"build", ".", "--secrets-file", "/nope.json"}, "--secrets-file"},
		{[]string{"build", ".", "--project", "-bad"}, "project name"},
	}
	for _, tt := range tests {
		r := codeyard(t, home, tt.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("codeyard %v: exit %d stderr %q; want 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}

func TestBatch(t *testing.T) {
	t.Parallel()
	home, dir := t.TempDir(), copyProject(t, "batch")
	r := codeyard(t, home, "build", dir, "--parallel", "2", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var bb struct {
		BuildBatchStatus string `json:"buildBatchStatus"`
		CurrentPhase     string `json:"currentPhase"`
		Phases           []struct {
			PhaseType string `json:"phaseType"`
		} `json:"phases"`
		BuildGroups []struct {
			Identifier          string   `json:"identifier"`
			DependsOn           []string `json:"dependsOn"`
			IgnoreFailure       bool     `json:"ignoreFailure"`
			CurrentBuildSummary struct {
				BuildStatus string `json:"buildStatus"`
			} `json:"currentBuildSummary"`
		} `json:"buildGroups"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &bb); err != nil {
		t.Fatalf("--json is not a BuildBatch: %v\n%s", err, r.stdout)
	}
	if bb.BuildBatchStatus != "SUCCEEDED" || bb.CurrentPhase != "SUCCEEDED" {
		t.Errorf("batch %s / %s, want SUCCEEDED", bb.BuildBatchStatus, bb.CurrentPhase)
	}
	got := map[string]string{}
	for _, g := range bb.BuildGroups {
		got[g.Identifier] = g.CurrentBuildSummary.BuildStatus
	}
	want := map[string]string{"lint": "SUCCEEDED", "unit_tests": "SUCCEEDED", "integration": "FAILED", "package": "SUCCEEDED"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("builds %v, want %v", got, want)
	}
	// Every line of a task's log carries its identifier, and the order of
	// the graph holds.
	lines := strings.Split(r.stderr, "\n")
	pos := map[string]int{}
	for i, l := range lines {
		for _, id := range []string{"lint", "unit_tests", "integration", "package"} {
			if strings.Contains(l, "running ") && strings.HasSuffix(l, " as "+id) {
				if !strings.HasPrefix(l, "["+id) {
					t.Errorf("line %q lacks its prefix", l)
				}
				pos[id] = i
			}
		}
	}
	if !(pos["lint"] < pos["unit_tests"] && pos["unit_tests"] < pos["package"] && pos["lint"] < pos["integration"]) {
		t.Errorf("graph order broken: %v\n%s", pos, r.stderr)
	}

	// --no-batch runs the buildspec as one build.
	r = codeyard(t, home, "build", dir, "--no-batch", "--json")
	if b := decode(t, r.stdout); r.code != 0 || b.BuildStatus != "SUCCEEDED" {
		t.Errorf("--no-batch: exit %d status %s", r.code, b.BuildStatus)
	}
}

func TestArtifacts(t *testing.T) {
	t.Parallel()
	t.Run("zip with an evaluated name and a secondary folder", func(t *testing.T) {
		t.Parallel()
		home, dir, out := t.TempDir(), copyProject(t, "artifacts"), t.TempDir()
		r := codeyard(t, home, "build", dir, "--json", "--artifacts", out, "--artifacts-packaging", "zip")
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		zr, err := zip.OpenReader(filepath.Join(out, "build-1-x.zip"))
		if err != nil {
			t.Fatalf("primary artifact: %v", err)
		}
		defer zr.Close()
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
		}
		if got := strings.Join(names, " "); got != "app.js assets/ assets/a.css" {
			t.Errorf("zip holds %q, want the contents of base-directory dist", got)
		}
		// packaging ZIP applies to the secondary artifact too.
		if _, err := zip.OpenReader(filepath.Join(out, "docs-out")); err != nil {
			t.Errorf("secondary artifact: %v", err)
		}
		var b struct {
			Artifacts struct {
				Location  string `json:"location"`
				SHA256Sum string `json:"sha256sum"`
			} `json:"artifacts"`
			SecondaryArtifacts []struct {
				ArtifactIdentifier string `json:"artifactIdentifier"`
			} `json:"secondaryArtifacts"`
		}
		json.Unmarshal([]byte(r.stdout), &b)
		data, _ := os.ReadFile(filepath.Join(out, "build-1-x.zip"))
		if sum := sha256.Sum256(data); b.Artifacts.SHA256Sum != hex.EncodeToString(sum[:]) {
			t.Errorf("sha256sum %q does not match the file", b.Artifacts.SHA256Sum)
		}
		if len(b.SecondaryArtifacts) != 1 || b.SecondaryArtifacts[0].ArtifactIdentifier != "docs" {
			t.Errorf("secondaryArtifacts = %+v", b.SecondaryArtifacts)
		}
	})
	t.Run("folder per build id", func(t *testing.T) {
		t.Parallel()
		home, dir, out := t.TempDir(), copyProject(t, "artifacts"), t.TempDir()
		r := codeyard(t, home, "build", dir, "--json", "--artifacts", out, "--artifacts-namespace", "build_id")
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		uuid := strings.TrimPrefix(decode(t, r.stdout).ID, "artifacts:")
		if got, err := os.ReadFile(filepath.Join(out, uuid, "build-1-x.zip", "assets", "a.css")); err != nil || string(got) != "css\n" {
			t.Errorf("NONE packaging under the build id: %q, %v", got, err)
		}
	})
	t.Run("no match fails UPLOAD_ARTIFACTS, even after a failed build", func(t *testing.T) {
		t.Parallel()
		home, dir, out := t.TempDir(), t.TempDir(), t.TempDir()
		os.WriteFile(filepath.Join(dir, "buildspec.yml"), []byte("version: 0.2\nphases:\n  build:\n    commands:\n      - exit 1\nartifacts:\n  files:\n    - missing/**/*\n"), 0o644)
		r := codeyard(t, home, "build", dir, "--json", "--artifacts", out)
		b := decode(t, r.stdout)
		last := b.Phases[len(b.Phases)-3]
		if last.PhaseType != "UPLOAD_ARTIFACTS" || last.PhaseStatus != "FAILED" || len(last.Contexts) != 1 ||
			last.Contexts[0].StatusCode != "CLIENT_ERROR" || last.Contexts[0].Message != "no matching artifact paths found" {
			t.Errorf("UPLOAD_ARTIFACTS = %+v", last)
		}
		if !strings.Contains(r.stderr, "Skipping invalid file path missing/**/*") {
			t.Errorf("log lacks the skipped path:\n%s", r.stderr)
		}
	})
}

func TestReports(t *testing.T) {
	t.Parallel()
	home, dir, out := t.TempDir(), copyProject(t, "reports"), t.TempDir()
	r := codeyard(t, home, "build", dir, "--reports", out, "--json")
	if r.code != 0 {
		t.Fatalf("a failing report must not fail the build: exit %d\n%s", r.code, r.stderr)
	}
	if b := decode(t, r.stdout); len(b.Phases) == 0 {
		t.Fatal("no phases")
	}
	var unit struct {
		Report struct {
			Name           string `json:"name"`
			Status         string `json:"status"`
			ReportGroupARN string `json:"reportGroupArn"`
			TestSummary    struct {
				Total        int            `json:"total"`
				StatusCounts map[string]int `json:"statusCounts"`
			} `json:"testSummary"`
		} `json:"report"`
		TestCases []struct {
			Prefix, Name, Status, Message string
		} `json:"testCases"`
	}
	data, err := os.ReadFile(filepath.Join(out, "reports-unit-tests.json"))
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(data, &unit)
	if unit.Report.Status != "FAILED" || unit.Report.TestSummary.Total != 3 || unit.Report.TestSummary.StatusCounts["FAILED"] != 1 ||
		unit.Report.TestSummary.StatusCounts["SKIPPED"] != 1 || !strings.HasSuffix(unit.Report.ReportGroupARN, ":report-group/reports-unit-tests") {
		t.Errorf("unit-tests report = %+v", unit.Report)
	}
	var cov struct {
		Report struct {
			Status              string `json:"status"`
			CodeCoverageSummary struct {
				LineCoveragePercentage float64 `json:"lineCoveragePercentage"`
			} `json:"codeCoverageSummary"`
		} `json:"report"`
	}
	data, _ = os.ReadFile(filepath.Join(out, "reports-coverage.json"))
	json.Unmarshal(data, &cov)
	if cov.Report.Status != "SUCCEEDED" || cov.Report.CodeCoverageSummary.LineCoveragePercentage != 75 {
		t.Errorf("coverage report = %+v", cov.Report)
	}
	for _, want := range []string{
		"reports-broken      TEST           FAILED", "reports-missing     TEST           INCOMPLETE",
		"FAILED com.example.CalculatorTest.divides: expected 2 but was 3",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stderr)
		}
	}
}

func TestFanoutTools(t *testing.T) {
	t.Parallel()
	home, dir := t.TempDir(), copyProject(t, "fanout")
	r := codeyard(t, home, "build", dir)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// equal-distribution over 5 sorted files: 3 then 2.
	for _, want := range []string{
		"[fanout_1] ran tests/test_1.sh", "[fanout_1] ran tests/test_3.sh", "[fanout_1] shard files: tests/test_1.sh tests/test_2.sh tests/test_3.sh",
		"[fanout_2] ran tests/test_4.sh", "[fanout_2] test 5", "codebuild-tests-run: shard 2 of 2 runs 2 of 5 test file(s)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("log lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "[fanout_2] ran tests/test_1.sh") {
		t.Errorf("a file ran in both shards")
	}
	// codebuild-hash-files printed the same hash in both builds.
	var hashes []string
	for line := range strings.Lines(r.stdout) {
		if i := strings.Index(line, "] hash "); i >= 0 {
			hashes = append(hashes, strings.TrimSpace(line[i+7:]))
		}
	}
	if len(hashes) != 2 || hashes[0] != hashes[1] || len(hashes[0]) != 64 {
		t.Errorf("codebuild-hash-files printed %q", hashes)
	}
}

func TestCache(t *testing.T) {
	t.Parallel()
	home, dir := t.TempDir(), copyProject(t, "cache")
	build := func() string {
		t.Helper()
		r := codeyard(t, home, "build", dir)
		if r.code != 0 {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		return r.stdout
	}
	first := build()
	if !strings.Contains(first, "Cache miss") || !strings.Contains(first, "Saved cache with key \"npm-") {
		t.Fatalf("first build did not miss and save:\n%s", first)
	}
	second := build()
	if !strings.Contains(second, "(exact match)") || !strings.Contains(second, "node_modules restored: installed") ||
		!strings.Contains(second, "already exists and is immutable") {
		t.Errorf("second build did not restore the exact key:\n%s", second)
	}
	os.WriteFile(filepath.Join(dir, "package-lock.json"), []byte(`{"lock":2}`), 0o644)
	third := build()
	if !strings.Contains(third, `matched fallback key "npm-"`) || !strings.Contains(third, "node_modules restored") {
		t.Errorf("third build did not fall back:\n%s", third)
	}
	r := codeyard(t, home, "cache", "ls")
	if n := strings.Count(r.stdout, "npm-"); r.code != 0 || n != 2 {
		t.Errorf("cache ls shows %d entries (exit %d):\n%s", n, r.code, r.stdout)
	}
	if r := codeyard(t, home, "cache", "rm", "no-such-key"); r.code != 1 {
		t.Errorf("cache rm of an unknown key: exit %d", r.code)
	}
	if r := codeyard(t, home, "cache", "rm", "--all"); r.code != 0 {
		t.Errorf("cache rm --all: exit %d %s", r.code, r.stderr)
	}
	if r := codeyard(t, home, "cache", "ls"); strings.Contains(r.stdout, "npm-") {
		t.Errorf("entries left after rm --all:\n%s", r.stdout)
	}
	if fourth := build(); !strings.Contains(fourth, "Cache miss") {
		t.Errorf("build after rm --all did not miss:\n%s", fourth)
	}
}

func TestOutputDirsInsideSource(t *testing.T) {
	t.Parallel()
	home, dir := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(dir, "buildspec.yml"), []byte("version: 0.2\nphases:\n  build:\n    commands: [echo a > a.txt]\nartifacts:\n  files: ['**/*']\n"), 0o644)
	for range 2 {
		if r := codeyard(t, home, "build", dir, "--artifacts", filepath.Join(dir, "dist"), "--project", "p1"); r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "dist", "p1", "dist")); err == nil {
		t.Errorf("the artifacts directory was packaged into itself")
	}
	if _, err := os.Stat(filepath.Join(dir, "dist", "p1", "a.txt")); err != nil {
		t.Errorf("artifact missing: %v", err)
	}
}

func TestBatchspecErrors(t *testing.T) {
	t.Parallel()
	home, dir := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(dir, "buildspec.yml"), []byte("version: 0.2\nbatch:\n  build-graph:\n    - identifier: a\n      depend-on: [b]\n    - identifier: b\n      depend-on: [a]\nphases:\n  build:\n    commands:\n      - touch ran.txt\n"), 0o644)
	r := codeyard(t, home, "build", dir, "--json", "--in-place")
	if r.code != 1 || !strings.Contains(r.stdout, `"buildBatchStatus": "FAILED"`) || !strings.Contains(r.stdout, "dependency cycle") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "ran.txt")); err == nil {
		t.Errorf("a build ran although the batch section is invalid")
	}
}
