package codebuild_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/codebuild"
	"github.com/codeyard/codeyard/internal/executor/shell"
	"github.com/codeyard/codeyard/internal/store"
)

type discardLogs struct{}

func (discardLogs) Create(group, stream string) (io.WriteCloser, error) { return nopCloser{}, nil }
func (discardLogs) DeleteStream(group, stream string) error             { return nil }

type nopCloser struct{ io.Writer }

func (nopCloser) Write(p []byte) (int, error) { return len(p), nil }
func (nopCloser) Close() error                { return nil }

type hostExec struct{ x build.Executor }

func (h hostExec) Executor(string, *cb.ProjectEnvironment) (build.Executor, error) { return h.x, nil }

// newService runs a Service on a fresh SQLite store with the host shell
// executor until the test ends.
func newService(t *testing.T) *codebuild.Service {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(t.Context(), filepath.Join(dir, "codeyard.db"))
	if err != nil {
		t.Fatal(err)
	}
	svc := codebuild.New(codebuild.Config{
		Store:   st,
		Logs:    discardLogs{},
		Exec:    hostExec{shell.New(shell.Options{})},
		WorkDir: dir,
		BaseEnv: os.Environ(),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		st.Close()
	})
	return svc
}

var caller = codebuild.Caller{Region: "eu-west-1", Account: "000000000000", Initiator: "tester"}

func batchProject(t *testing.T, svc *codebuild.Service, name, spec string) {
	t.Helper()
	_, err := svc.CreateProject(t.Context(), caller, &cb.CreateProjectInput{
		Name:             name,
		Source:           &cb.ProjectSource{Type: "NO_SOURCE", Buildspec: spec},
		Artifacts:        &cb.ProjectArtifacts{Type: "NO_ARTIFACTS"},
		Environment:      &cb.ProjectEnvironment{Type: "LINUX_CONTAINER", Image: "aws/codebuild/standard:7.0", ComputeType: "BUILD_GENERAL1_SMALL"},
		ServiceRole:      "r",
		BuildBatchConfig: &cb.ProjectBuildBatchConfig{ServiceRole: "r"},
	})
	if err != nil {
		t.Fatalf("CreateProject(%s): %v", name, err)
	}
}

func waitBatch(t *testing.T, svc *codebuild.Service, id string) cb.BuildBatch {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		bs, _, err := svc.BuildBatches(t.Context(), []string{id})
		if err != nil || len(bs) != 1 {
			t.Fatalf("BuildBatches(%s) = %d, %v", id, len(bs), err)
		}
		if bs[0].Complete != nil && *bs[0].Complete {
			return bs[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch %s did not complete: %+v", id, bs[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func statuses(b cb.BuildBatch) map[string]string {
	m := map[string]string{}
	for _, g := range b.BuildGroups {
		s := "none"
		if g.CurrentBuildSummary != nil {
			s = g.CurrentBuildSummary.BuildStatus
		}
		m[g.Identifier] = s
	}
	return m
}

func phases(b cb.BuildBatch) string {
	var s []string
	for _, p := range b.Phases {
		s = append(s, p.PhaseType+":"+p.PhaseStatus)
	}
	return strings.Join(s, " ")
}

// TestBatchGraphRetry runs a build graph whose second build fails until a
// file exists: the build after it never starts. RETRY_ALL_BUILDS runs all
// three again; RETRY_FAILED_BUILDS runs the failed build and the one that
// could not start, not the one that succeeded, which they depend on.
func TestBatchGraphRetry(t *testing.T) {
	t.Parallel()
	svc := newService(t)
	marker := filepath.Join(t.TempDir(), "fixed")
	batchProject(t, svc, "graph", `version: 0.2
batch:
  build-graph:
    - identifier: base
    - identifier: flaky
      depend-on: [base]
      env:
        variables:
          FLAKY: "yes"
    - identifier: last
      depend-on: [flaky]
phases:
  build:
    commands:
      - test "$CODEBUILD_BATCH_BUILD_IDENTIFIER" != ""
      - if [ "$FLAKY" = yes ]; then test -f `+marker+`; fi
`)
	b, err := svc.StartBuildBatch(t.Context(), caller, &cb.StartBuildBatchInput{ProjectName: "graph"})
	if err != nil {
		t.Fatal(err)
	}
	got := waitBatch(t, svc, b.Id)
	if want := map[string]string{"base": "SUCCEEDED", "flaky": "FAILED", "last": "none"}; got.BuildBatchStatus != "FAILED" || !mapsEqual(statuses(got), want) {
		t.Fatalf("first run: %s %v, want FAILED %v", got.BuildBatchStatus, statuses(got), want)
	}
	first := got.BuildGroups[0].CurrentBuildSummary.Arn

	if _, err := svc.RetryBuildBatch(t.Context(), caller, &cb.RetryBuildBatchInput{Id: got.Arn, RetryType: "RETRY_ALL_BUILDS", IdempotencyToken: "tok"}); err != nil {
		t.Fatal(err)
	}
	// The same token and parameters answer the same batch.
	again, err := svc.RetryBuildBatch(t.Context(), caller, &cb.RetryBuildBatchInput{Id: got.Arn, RetryType: "RETRY_ALL_BUILDS", IdempotencyToken: "tok"})
	if err != nil || again.Id != b.Id {
		t.Errorf("RetryBuildBatch with the same token = %v, %v", again, err)
	}
	got = waitBatch(t, svc, b.Id)
	if want := map[string]string{"base": "SUCCEEDED", "flaky": "FAILED", "last": "none"}; got.BuildBatchStatus != "FAILED" || !mapsEqual(statuses(got), want) {
		t.Fatalf("retry before the fix: %s %v, want FAILED %v", got.BuildBatchStatus, statuses(got), want)
	}
	g := got.BuildGroups[0]
	if g.CurrentBuildSummary.Arn == first || len(g.PriorBuildSummaryList) != 1 || g.PriorBuildSummaryList[0].Arn != first {
		t.Errorf("RETRY_ALL_BUILDS did not rebuild base: %+v", g)
	}
	base := g.CurrentBuildSummary.Arn

	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RetryBuildBatch(t.Context(), caller, &cb.RetryBuildBatchInput{Id: b.Id, RetryType: "RETRY_FAILED_BUILDS"}); err != nil {
		t.Fatal(err)
	}
	got = waitBatch(t, svc, b.Id)
	if want := map[string]string{"base": "SUCCEEDED", "flaky": "SUCCEEDED", "last": "SUCCEEDED"}; got.BuildBatchStatus != "SUCCEEDED" || !mapsEqual(statuses(got), want) {
		t.Fatalf("retry after the fix: %s %v, want SUCCEEDED %v; phases %s", got.BuildBatchStatus, statuses(got), want, phases(got))
	}
	if g := got.BuildGroups[0]; g.CurrentBuildSummary.Arn != base || len(g.PriorBuildSummaryList) != 1 {
		t.Errorf("base was rebuilt: %+v", g)
	}
	if n := len(got.BuildGroups[1].PriorBuildSummaryList); n != 2 {
		t.Errorf("flaky has %d prior builds, want 2", n)
	}
	if n := len(got.BuildGroups[2].PriorBuildSummaryList); n != 0 {
		t.Errorf("last has %d prior builds, want 0 (it never started before)", n)
	}
	want := "SUBMITTED:SUCCEEDED DOWNLOAD_BATCHSPEC:SUCCEEDED IN_PROGRESS:FAILED FAILED:RETRY " +
		"SUBMITTED:SUCCEEDED IN_PROGRESS:FAILED FAILED:RETRY SUBMITTED:SUCCEEDED IN_PROGRESS:SUCCEEDED SUCCEEDED:"
	if phases(got) != want {
		t.Errorf("phases = %s, want %s", phases(got), want)
	}

	if _, err := svc.RetryBuildBatch(t.Context(), caller, &cb.RetryBuildBatchInput{Id: b.Id}); err == nil {
		t.Error("RetryBuildBatch of a batch that succeeded: no error")
	}
}

// TestBatchFastFailAndStop: with fast-fail, the first failure stops the
// builds still running; StopBuildBatch stops a batch and its builds.
func TestBatchFastFailAndStop(t *testing.T) {
	t.Parallel()
	svc := newService(t)
	batchProject(t, svc, "ff", `version: 0.2
batch:
  fast-fail: true
  build-list:
    - identifier: slow
      env:
        variables:
          SLEEP: "60"
    - identifier: bad
      env:
        variables:
          BAD: "yes"
phases:
  build:
    commands:
      - sleep ${SLEEP:-0}
      - test "$BAD" != yes
`)
	start := time.Now()
	b, err := svc.StartBuildBatch(t.Context(), caller, &cb.StartBuildBatchInput{ProjectName: "ff"})
	if err != nil {
		t.Fatal(err)
	}
	got := waitBatch(t, svc, b.Id)
	if want := map[string]string{"slow": "STOPPED", "bad": "FAILED"}; got.BuildBatchStatus != "FAILED" || !mapsEqual(statuses(got), want) {
		t.Errorf("fast-fail batch: %s %v, want FAILED %v", got.BuildBatchStatus, statuses(got), want)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("fast-fail took %v", d)
	}

	// Stop a batch whose builds sleep.
	b, err = svc.StartBuildBatch(t.Context(), caller, &cb.StartBuildBatchInput{ProjectName: "ff",
		EnvironmentVariablesOverride: []cb.EnvironmentVariable{{Name: "SLEEP", Value: "60"}},
		BuildspecOverride:            "version: 0.2\nbatch:\n  build-list:\n    - identifier: one\n    - identifier: two\nphases:\n  build:\n    commands:\n      - sleep $SLEEP\n"})
	if err != nil {
		t.Fatal(err)
	}
	for {
		bs, _, _ := svc.BuildBatches(t.Context(), []string{b.Id})
		if st := statuses(bs[0]); st["one"] == "IN_PROGRESS" && st["two"] == "IN_PROGRESS" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	stopped, err := svc.StopBuildBatch(t.Context(), caller, b.Arn)
	if err != nil || stopped.BuildBatchStatus != "STOPPED" {
		t.Fatalf("StopBuildBatch = %v, %v", stopped, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		bs, _, _ := svc.BuildBatches(t.Context(), []string{b.Id})
		if st := statuses(bs[0]); st["one"] == "STOPPED" && st["two"] == "STOPPED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("builds of the stopped batch: %v", statuses(bs[0]))
		}
		time.Sleep(10 * time.Millisecond)
	}
	ids, _, err := svc.ListBuildBatches(t.Context(), caller, "ff", "STOPPED", "", "", 0)
	if err != nil || !slices.Equal(ids, []string{b.Id}) {
		t.Errorf("ListBuildBatches(STOPPED) = %v, %v; want [%s]", ids, err, b.Id)
	}
	out, err := svc.DeleteBuildBatch(t.Context(), b.Id)
	if err != nil || len(out.BuildsDeleted) != 2 {
		t.Errorf("DeleteBuildBatch = %+v, %v; want 2 builds deleted", out, err)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestIdempotencyTokens checks StartBuild and RetryBuild with a token:
// concurrent calls with one token start one build, a repeat answers that
// build, and the token with other parameters is refused.
func TestIdempotencyTokens(t *testing.T) {
	t.Parallel()
	svc := newService(t)
	batchProject(t, svc, "tokens", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n")
	in := &cb.StartBuildInput{ProjectName: "tokens", IdempotencyToken: "start-1"}
	ids := make([]string, 8)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			b, err := svc.StartBuild(t.Context(), caller, in)
			if err != nil {
				t.Errorf("StartBuild: %v", err)
				return
			}
			ids[i] = b.Id
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("one token started several builds: %v", ids)
		}
	}
	if _, err := svc.StartBuild(t.Context(), caller, &cb.StartBuildInput{ProjectName: "tokens", IdempotencyToken: "start-1", SourceVersion: "other"}); err == nil {
		t.Error("StartBuild reusing a token with other parameters: no error")
	}
	retry := &cb.RetryBuildInput{Id: ids[0], IdempotencyToken: "retry-1"}
	r1, err := svc.RetryBuild(t.Context(), caller, retry)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := svc.RetryBuild(t.Context(), caller, retry)
	if err != nil || r2.Id != r1.Id || r1.Id == ids[0] {
		t.Errorf("RetryBuild twice with one token: %s then %v (%v); want one new build", r1.Id, r2, err)
	}
}

// TestQueuedTimeout ends a build that waits behind its project's
// concurrent build limit longer than queuedTimeoutInMinutes TIMED_OUT.
func TestQueuedTimeout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := store.Open(t.Context(), filepath.Join(dir, "codeyard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var skew atomic.Int64 // how far the service's clock is ahead
	svc := codebuild.New(codebuild.Config{Store: st, Logs: discardLogs{}, Exec: hostExec{shell.New(shell.Options{})}, WorkDir: dir, BaseEnv: os.Environ(),
		Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	defer func() { cancel(); <-done }()
	_, err = svc.CreateProject(t.Context(), caller, &cb.CreateProjectInput{
		Name: "limited", Source: &cb.ProjectSource{Type: "NO_SOURCE", Buildspec: "version: 0.2\nphases:\n  build:\n    commands:\n      - sleep 30\n"},
		Artifacts: &cb.ProjectArtifacts{Type: "NO_ARTIFACTS"}, ServiceRole: "r", ConcurrentBuildLimit: ptr[int64](1), QueuedTimeoutInMinutes: ptr[int64](5),
		Environment: &cb.ProjectEnvironment{Type: "LINUX_CONTAINER", Image: "i", ComputeType: "BUILD_GENERAL1_SMALL"},
	})
	if err != nil {
		t.Fatal(err)
	}
	first, err := svc.StartBuild(t.Context(), caller, &cb.StartBuildInput{ProjectName: "limited"})
	if err != nil {
		t.Fatal(err)
	}
	second, err := svc.StartBuild(t.Context(), caller, &cb.StartBuildInput{ProjectName: "limited"})
	if err != nil {
		t.Fatal(err)
	}
	// The first build must hold the project's one slot before the clock
	// moves: a first build still waiting would time out too, and the
	// second would then take the freed slot instead of timing out.
	deadline := time.Now().Add(30 * time.Second)
	for {
		bs, _, err := svc.Builds(t.Context(), []string{first.Id})
		if err != nil {
			t.Fatal(err)
		}
		if p := bs[0].CurrentPhase; p != "SUBMITTED" && p != "QUEUED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("first build still %s after 30 s", bs[0].CurrentPhase)
		}
		time.Sleep(10 * time.Millisecond)
	}
	svc.TimeOutQueued(t.Context())
	if bs, _, _ := svc.Builds(t.Context(), []string{second.Id}); bs[0].BuildStatus != "IN_PROGRESS" {
		t.Fatalf("queued build ended before its timeout: %s", bs[0].BuildStatus)
	}
	skew.Store(int64(6 * time.Minute))
	svc.TimeOutQueued(t.Context())
	bs, _, _ := svc.Builds(t.Context(), []string{second.Id})
	if b := bs[0]; b.BuildStatus != "TIMED_OUT" || b.Phases[1].PhaseType != "QUEUED" || b.Phases[1].PhaseStatus != "TIMED_OUT" {
		t.Errorf("queued build after its timeout: %s, phases %+v; want TIMED_OUT in QUEUED", b.BuildStatus, b.Phases)
	}
	svc.StopBuild(t.Context(), caller, first.Id)
}

func ptr[T any](v T) *T { return &v }
