package e2e_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
)

const graphBuildspec = `version: 0.2
batch:
  fast-fail: false
  build-graph:
    - identifier: lint
      env:
        variables:
          STEP: lint
    - identifier: unit
      env:
        variables:
          STEP: unit
    - identifier: package
      buildspec: package.yml
      depend-on:
        - lint
        - unit
phases:
  build:
    commands:
      - echo "step=$STEP id=$CODEBUILD_BATCH_BUILD_IDENTIFIER greeting=$GREETING"
      - cat message.txt
`

const packageBuildspec = `version: 0.2
phases:
  build:
    commands:
      - echo "packaging id=$CODEBUILD_BATCH_BUILD_IDENTIFIER"
`

// batchProject creates a project with a batch configuration.
func batchProject(t *testing.T, c *codebuild.Client, name string, src *cbtypes.ProjectSource, batch *cbtypes.ProjectBuildBatchConfig) {
	t.Helper()
	_, err := c.CreateProject(context.Background(), &codebuild.CreateProjectInput{
		Name:             aws.String(name),
		Source:           src,
		Artifacts:        &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
		Environment:      &cbtypes.ProjectEnvironment{Type: cbtypes.EnvironmentTypeLinuxContainer, Image: aws.String("aws/codebuild/standard:7.0"), ComputeType: cbtypes.ComputeTypeBuildGeneral1Small},
		ServiceRole:      aws.String("arn:aws:iam::000000000000:role/codebuild"),
		BuildBatchConfig: batch,
	})
	if err != nil {
		t.Fatalf("CreateProject(%s): %v", name, err)
	}
}

func batchRole() *cbtypes.ProjectBuildBatchConfig {
	return &cbtypes.ProjectBuildBatchConfig{ServiceRole: aws.String("arn:aws:iam::000000000000:role/codebuild-batch")}
}

func getBatch(t *testing.T, c *codebuild.Client, id string) cbtypes.BuildBatch {
	t.Helper()
	out, err := c.BatchGetBuildBatches(context.Background(), &codebuild.BatchGetBuildBatchesInput{Ids: []string{id}})
	if err != nil {
		t.Fatalf("BatchGetBuildBatches(%s): %v", id, err)
	}
	if len(out.BuildBatches) != 1 {
		t.Fatalf("BatchGetBuildBatches(%s): %d batches, not found %v", id, len(out.BuildBatches), out.BuildBatchesNotFound)
	}
	return out.BuildBatches[0]
}

// waitBatch polls BatchGetBuildBatches until the batch completes.
func waitBatch(t *testing.T, c *codebuild.Client, id string, timeout time.Duration) cbtypes.BuildBatch {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		b := getBatch(t, c, id)
		if b.Complete {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch %s did not complete within %v: %s in %s", id, timeout, b.BuildBatchStatus, aws.ToString(b.CurrentPhase))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// batchPhases lists a batch's phases as TYPE:STATUS.
func batchPhases(b cbtypes.BuildBatch) string {
	var s []string
	for _, p := range b.Phases {
		s = append(s, string(p.PhaseType)+":"+string(p.PhaseStatus))
	}
	return strings.Join(s, " ")
}

func batchPhase(b cbtypes.BuildBatch, typ cbtypes.BuildBatchPhaseType) *cbtypes.BuildBatchPhase {
	for i := range b.Phases {
		if b.Phases[i].PhaseType == typ {
			return &b.Phases[i]
		}
	}
	return nil
}

// groups returns a batch's build groups by identifier.
func groups(b cbtypes.BuildBatch) map[string]cbtypes.BuildGroup {
	m := map[string]cbtypes.BuildGroup{}
	for _, g := range b.BuildGroups {
		m[aws.ToString(g.Identifier)] = g
	}
	return m
}

func groupStatus(g cbtypes.BuildGroup) string {
	if g.CurrentBuildSummary == nil {
		return "none"
	}
	return string(g.CurrentBuildSummary.BuildStatus)
}

// TestServerBatchGraph runs a build-graph batch on a file:// git
// repository: two builds, then a third that depends on both, with its own
// buildspec; then lists and deletes the batch.
func TestServerBatchGraph(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := context.Background()
	c := srv.codebuild()
	repo, commit := gitRepo(t, map[string]string{"buildspec.yml": graphBuildspec, "package.yml": packageBuildspec, "message.txt": "hello from git\n"})
	batchProject(t, c, "graph", &cbtypes.ProjectSource{Type: cbtypes.SourceTypeGithub, Location: aws.String(repo), GitCloneDepth: aws.Int32(1)},
		&cbtypes.ProjectBuildBatchConfig{ServiceRole: aws.String("r"), Restrictions: &cbtypes.BatchRestrictions{MaximumBuildsAllowed: aws.Int32(10)}})

	out, err := c.StartBuildBatch(ctx, &codebuild.StartBuildBatchInput{
		ProjectName:                  aws.String("graph"),
		EnvironmentVariablesOverride: []cbtypes.EnvironmentVariable{{Name: aws.String("GREETING"), Value: aws.String("hi")}},
		BuildBatchConfigOverride:     &cbtypes.ProjectBuildBatchConfig{CombineArtifacts: aws.Bool(true)},
	})
	if err != nil {
		t.Fatalf("StartBuildBatch: %v", err)
	}
	sb := out.BuildBatch
	id := aws.ToString(sb.Id)
	if !strings.HasPrefix(id, "graph:") || aws.ToString(sb.Arn) != "arn:aws:codebuild:eu-west-1:000000000000:build-batch/"+id {
		t.Errorf("batch id %s, arn %s", id, aws.ToString(sb.Arn))
	}
	if aws.ToString(sb.CurrentPhase) != "SUBMITTED" || sb.BuildBatchStatus != cbtypes.StatusTypeInProgress || sb.Complete || aws.ToInt64(sb.BuildBatchNumber) != 1 {
		t.Errorf("started batch: phase %s, status %s, complete %v, number %d; want SUBMITTED, IN_PROGRESS, false, 1",
			aws.ToString(sb.CurrentPhase), sb.BuildBatchStatus, sb.Complete, aws.ToInt64(sb.BuildBatchNumber))
	}
	if cfg := sb.BuildBatchConfig; cfg == nil || !aws.ToBool(cfg.CombineArtifacts) || aws.ToString(cfg.ServiceRole) != "r" || cfg.Restrictions == nil {
		t.Errorf("buildBatchConfig = %+v, want the project's with the override's combineArtifacts", cfg)
	}

	b := waitBatch(t, c, id, 60*time.Second)
	if b.BuildBatchStatus != cbtypes.StatusTypeSucceeded {
		t.Fatalf("batch status = %s, want SUCCEEDED; phases %s", b.BuildBatchStatus, batchPhases(b))
	}
	if got, want := batchPhases(b), "SUBMITTED:SUCCEEDED DOWNLOAD_BATCHSPEC:SUCCEEDED IN_PROGRESS:SUCCEEDED COMBINE_ARTIFACTS:SUCCEEDED SUCCEEDED:"; got != want {
		t.Errorf("phases = %s, want %s", got, want)
	}
	if aws.ToString(b.ResolvedSourceVersion) != commit || b.EndTime == nil {
		t.Errorf("resolvedSourceVersion = %s (want %s), endTime %v", aws.ToString(b.ResolvedSourceVersion), commit, b.EndTime)
	}
	g := groups(b)
	if len(b.BuildGroups) != 3 || !slices.Equal(g["package"].DependsOn, []string{"lint", "unit"}) {
		t.Fatalf("build groups = %+v, want lint, unit and package depending on both", b.BuildGroups)
	}
	builds := map[string]cbtypes.Build{}
	for name, grp := range g {
		if groupStatus(grp) != "SUCCEEDED" {
			t.Errorf("group %s: %s, want SUCCEEDED", name, groupStatus(grp))
			continue
		}
		bs, err := c.BatchGetBuilds(ctx, &codebuild.BatchGetBuildsInput{Ids: []string{aws.ToString(grp.CurrentBuildSummary.Arn)}})
		if err != nil || len(bs.Builds) != 1 {
			t.Fatalf("BatchGetBuilds(%s): %v", name, err)
		}
		builds[name] = bs.Builds[0]
		if got := aws.ToString(bs.Builds[0].BuildBatchArn); got != aws.ToString(b.Arn) {
			t.Errorf("build %s: buildBatchArn = %s, want %s", name, got, aws.ToString(b.Arn))
		}
	}
	if len(builds) != 3 {
		t.FailNow()
	}
	pkg := builds["package"]
	for _, dep := range []string{"lint", "unit"} {
		if pkg.StartTime.Before(*builds[dep].EndTime) {
			t.Errorf("package started at %v, before %s ended at %v", pkg.StartTime, dep, builds[dep].EndTime)
		}
	}
	if log := logText(t, srv.logs(), builds["lint"]); !strings.Contains(log, "step=lint id=lint greeting=hi") || !strings.Contains(log, "hello from git") {
		t.Errorf("lint log lacks its identifier, variables or source:\n%s", log)
	}
	if log := logText(t, srv.logs(), pkg); !strings.Contains(log, "packaging id=package") {
		t.Errorf("package log did not run package.yml:\n%s", log)
	}

	// Listing.
	lp, err := c.ListBuildBatchesForProject(ctx, &codebuild.ListBuildBatchesForProjectInput{ProjectName: aws.String("graph")})
	if err != nil || !slices.Equal(lp.Ids, []string{id}) {
		t.Errorf("ListBuildBatchesForProject = %v, %v; want [%s]", lp, err, id)
	}
	la, err := c.ListBuildBatches(ctx, &codebuild.ListBuildBatchesInput{})
	if err != nil || !slices.Contains(la.Ids, id) {
		t.Errorf("ListBuildBatches = %v, %v; want it to hold %s", la, err, id)
	}
	if _, err := c.ListBuildBatchesForProject(ctx, &codebuild.ListBuildBatchesForProjectInput{ProjectName: aws.String("nope")}); apiErrorCode(err) != "ResourceNotFoundException" {
		t.Errorf("ListBuildBatchesForProject(unknown): err = %v, want ResourceNotFoundException", err)
	}
	nf, err := c.BatchGetBuildBatches(ctx, &codebuild.BatchGetBuildBatchesInput{Ids: []string{aws.ToString(b.Arn), "graph:nope"}})
	if err != nil || len(nf.BuildBatches) != 1 || !slices.Equal(nf.BuildBatchesNotFound, []string{"graph:nope"}) {
		t.Errorf("BatchGetBuildBatches(arn, unknown) = %+v, %v", nf, err)
	}

	// Deletion takes the builds with it.
	del, err := c.DeleteBuildBatch(ctx, &codebuild.DeleteBuildBatchInput{Id: aws.String(id)})
	if err != nil {
		t.Fatalf("DeleteBuildBatch: %v", err)
	}
	if aws.ToString(del.StatusCode) != "BATCH_DELETED" || len(del.BuildsDeleted) != 3 || len(del.BuildsNotDeleted) != 0 {
		t.Errorf("DeleteBuildBatch = %s, deleted %v, not deleted %+v; want BATCH_DELETED and the 3 builds", aws.ToString(del.StatusCode), del.BuildsDeleted, del.BuildsNotDeleted)
	}
	gone, err := c.BatchGetBuildBatches(ctx, &codebuild.BatchGetBuildBatchesInput{Ids: []string{id}})
	if err != nil || len(gone.BuildBatches) != 0 {
		t.Errorf("BatchGetBuildBatches of a deleted batch = %+v, %v", gone, err)
	}
	gb, err := c.BatchGetBuilds(ctx, &codebuild.BatchGetBuildsInput{Ids: del.BuildsDeleted})
	if err != nil || len(gb.Builds) != 0 || len(gb.BuildsNotFound) != 3 {
		t.Errorf("BatchGetBuilds of the deleted batch's builds = %d builds, %v", len(gb.Builds), err)
	}
}

// TestServerBatchFailAndRetry runs a build-list batch in which one build
// fails: the batch fails and still reports the others; it lists batches
// by status and order; RETRY_FAILED_BUILDS then reruns only the failed
// build, and the batch succeeds.
func TestServerBatchFailAndRetry(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := context.Background()
	c := srv.codebuild()
	marker := filepath.Join(t.TempDir(), "fixed")
	spec := fmt.Sprintf(`version: 0.2
batch:
  build-list:
    - identifier: ok1
    - identifier: flaky
      env:
        variables:
          MODE: flaky
    - identifier: ok2
phases:
  build:
    commands:
      - echo "running $CODEBUILD_BATCH_BUILD_IDENTIFIER"
      - if [ "$MODE" = flaky ]; then test -f %s; fi
`, marker)
	batchProject(t, c, "list", &cbtypes.ProjectSource{Type: cbtypes.SourceTypeNoSource, Buildspec: aws.String(spec)}, batchRole())

	start := func(in *codebuild.StartBuildBatchInput) string {
		t.Helper()
		in.ProjectName = aws.String("list")
		out, err := c.StartBuildBatch(ctx, in)
		if err != nil {
			t.Fatalf("StartBuildBatch: %v", err)
		}
		return aws.ToString(out.BuildBatch.Id)
	}
	failed := start(&codebuild.StartBuildBatchInput{})
	b := waitBatch(t, c, failed, 60*time.Second)
	if b.BuildBatchStatus != cbtypes.StatusTypeFailed {
		t.Fatalf("batch status = %s, want FAILED; phases %s", b.BuildBatchStatus, batchPhases(b))
	}
	if got, want := batchPhases(b), "SUBMITTED:SUCCEEDED DOWNLOAD_BATCHSPEC:SUCCEEDED IN_PROGRESS:FAILED FAILED:"; got != want {
		t.Errorf("phases = %s, want %s", got, want)
	}
	if p := batchPhase(b, cbtypes.BuildBatchPhaseTypeInProgress); p == nil || len(p.Contexts) == 0 || !strings.Contains(aws.ToString(p.Contexts[0].Message), "flaky") {
		t.Errorf("IN_PROGRESS phase = %+v, want a context naming the failed build", p)
	}
	first := groups(b)
	for name, want := range map[string]string{"ok1": "SUCCEEDED", "flaky": "FAILED", "ok2": "SUCCEEDED"} {
		if got := groupStatus(first[name]); got != want {
			t.Errorf("group %s: %s, want %s", name, got, want)
		}
	}

	// A second batch, which succeeds, to list by status and order.
	succeeded := start(&codebuild.StartBuildBatchInput{BuildspecOverride: aws.String("version: 0.2\nbatch:\n  build-list:\n    - identifier: only\nphases:\n  build:\n    commands:\n      - echo fine\n")})
	if b := waitBatch(t, c, succeeded, 60*time.Second); b.BuildBatchStatus != cbtypes.StatusTypeSucceeded || aws.ToInt64(b.BuildBatchNumber) != 2 {
		t.Fatalf("second batch: %s, number %d; want SUCCEEDED, 2", b.BuildBatchStatus, aws.ToInt64(b.BuildBatchNumber))
	}
	list := func(in *codebuild.ListBuildBatchesForProjectInput) ([]string, *string) {
		t.Helper()
		in.ProjectName = aws.String("list")
		out, err := c.ListBuildBatchesForProject(ctx, in)
		if err != nil {
			t.Fatalf("ListBuildBatchesForProject: %v", err)
		}
		return out.Ids, out.NextToken
	}
	for _, tc := range []struct {
		name string
		in   codebuild.ListBuildBatchesForProjectInput
		want []string
	}{
		{"default order", codebuild.ListBuildBatchesForProjectInput{}, []string{succeeded, failed}},
		{"ascending", codebuild.ListBuildBatchesForProjectInput{SortOrder: cbtypes.SortOrderTypeAscending}, []string{failed, succeeded}},
		{"failed", codebuild.ListBuildBatchesForProjectInput{Filter: &cbtypes.BuildBatchFilter{Status: cbtypes.StatusTypeFailed}}, []string{failed}},
		{"succeeded", codebuild.ListBuildBatchesForProjectInput{Filter: &cbtypes.BuildBatchFilter{Status: cbtypes.StatusTypeSucceeded}}, []string{succeeded}},
		{"in progress", codebuild.ListBuildBatchesForProjectInput{Filter: &cbtypes.BuildBatchFilter{Status: cbtypes.StatusTypeInProgress}}, nil},
	} {
		if got, next := list(&tc.in); !slices.Equal(got, tc.want) || next != nil {
			t.Errorf("ListBuildBatchesForProject(%s) = %v, token %v; want %v, no token", tc.name, got, next, tc.want)
		}
	}
	p1, next := list(&codebuild.ListBuildBatchesForProjectInput{MaxResults: aws.Int32(1)})
	if !slices.Equal(p1, []string{succeeded}) || next == nil {
		t.Fatalf("page 1 = %v, token %v; want [%s] and a token", p1, next, succeeded)
	}
	if p2, next := list(&codebuild.ListBuildBatchesForProjectInput{MaxResults: aws.Int32(1), NextToken: next}); !slices.Equal(p2, []string{failed}) || next != nil {
		t.Errorf("page 2 = %v, token %v; want [%s] and no token", p2, next, failed)
	}
	if _, err := c.RetryBuildBatch(ctx, &codebuild.RetryBuildBatchInput{Id: aws.String(succeeded)}); apiErrorCode(err) != "InvalidInputException" {
		t.Errorf("RetryBuildBatch of a batch that succeeded: err = %v, want InvalidInputException", err)
	}

	// The failure is fixed; retry the failed build only.
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	rb, err := c.RetryBuildBatch(ctx, &codebuild.RetryBuildBatchInput{Id: aws.String(failed), RetryType: cbtypes.RetryBuildBatchTypeRetryFailedBuilds})
	if err != nil {
		t.Fatalf("RetryBuildBatch: %v", err)
	}
	if r := rb.BuildBatch; aws.ToString(r.Id) != failed || r.Complete || r.BuildBatchStatus != cbtypes.StatusTypeInProgress || aws.ToString(r.CurrentPhase) != "SUBMITTED" ||
		!strings.HasSuffix(batchPhases(*r), "FAILED:RETRY SUBMITTED:") {
		t.Errorf("retried batch: %s %s complete=%v, phases %s; want the same batch IN_PROGRESS in SUBMITTED after FAILED:RETRY",
			aws.ToString(r.Id), r.BuildBatchStatus, r.Complete, batchPhases(*r))
	}
	b = waitBatch(t, c, failed, 60*time.Second)
	if b.BuildBatchStatus != cbtypes.StatusTypeSucceeded {
		t.Fatalf("retried batch status = %s, want SUCCEEDED; phases %s", b.BuildBatchStatus, batchPhases(b))
	}
	if got, want := batchPhases(b), "SUBMITTED:SUCCEEDED DOWNLOAD_BATCHSPEC:SUCCEEDED IN_PROGRESS:FAILED FAILED:RETRY SUBMITTED:SUCCEEDED IN_PROGRESS:SUCCEEDED SUCCEEDED:"; got != want {
		t.Errorf("phases after retry = %s, want %s", got, want)
	}
	second := groups(b)
	for _, name := range []string{"ok1", "ok2"} {
		if g := second[name]; aws.ToString(g.CurrentBuildSummary.Arn) != aws.ToString(first[name].CurrentBuildSummary.Arn) || len(g.PriorBuildSummaryList) != 0 {
			t.Errorf("group %s was rebuilt by RETRY_FAILED_BUILDS: %+v", name, g)
		}
	}
	fl := second["flaky"]
	if groupStatus(fl) != "SUCCEEDED" || len(fl.PriorBuildSummaryList) != 1 || fl.PriorBuildSummaryList[0].BuildStatus != cbtypes.StatusTypeFailed ||
		aws.ToString(fl.PriorBuildSummaryList[0].Arn) != aws.ToString(first["flaky"].CurrentBuildSummary.Arn) {
		t.Errorf("group flaky after retry = %+v, want a new SUCCEEDED build and the FAILED one as prior", fl)
	}
}

// TestServerBatchStop stops a batch while its first build sleeps: the
// batch ends STOPPED at once, the build is stopped, and the build that
// depended on it never starts.
func TestServerBatchStop(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := context.Background()
	c := srv.codebuild()
	batchProject(t, c, "stop", &cbtypes.ProjectSource{Type: cbtypes.SourceTypeNoSource, Buildspec: aws.String(`version: 0.2
batch:
  build-graph:
    - identifier: sleeper
    - identifier: after
      depend-on: [sleeper]
phases:
  build:
    commands:
      - echo started
      - sleep 120
`)}, batchRole())
	out, err := c.StartBuildBatch(ctx, &codebuild.StartBuildBatchInput{ProjectName: aws.String("stop")})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.BuildBatch.Id)
	var sleeper string
	deadline := time.Now().Add(30 * time.Second)
	for sleeper == "" {
		if s := groups(getBatch(t, c, id))["sleeper"].CurrentBuildSummary; s != nil {
			sleeper = aws.ToString(s.Arn)
		} else if time.Now().After(deadline) {
			t.Fatal("the sleeper build never started")
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitPhase(t, c, sleeper, cbtypes.BuildPhaseTypeBuild)
	if _, err := c.DeleteBuildBatch(ctx, &codebuild.DeleteBuildBatchInput{Id: aws.String(id)}); apiErrorCode(err) != "InvalidInputException" {
		t.Errorf("DeleteBuildBatch of a batch in progress: err = %v, want InvalidInputException", err)
	}

	begin := time.Now()
	sb, err := c.StopBuildBatch(ctx, &codebuild.StopBuildBatchInput{Id: aws.String(id)})
	if err != nil {
		t.Fatalf("StopBuildBatch: %v", err)
	}
	if r := sb.BuildBatch; r.BuildBatchStatus != cbtypes.StatusTypeStopped || !r.Complete || aws.ToString(r.CurrentPhase) != "STOPPED" {
		t.Errorf("StopBuildBatch answered %s in %s, complete %v; want STOPPED", r.BuildBatchStatus, aws.ToString(r.CurrentPhase), r.Complete)
	}
	b := waitBuild(t, c, sleeper, 30*time.Second)
	if b.BuildStatus != cbtypes.StatusTypeStopped {
		t.Errorf("sleeper build: %s, want STOPPED", b.BuildStatus)
	}
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("stopping took %v", d)
	}
	bb := waitBatch(t, c, id, 10*time.Second)
	if got, want := batchPhases(bb), "SUBMITTED:SUCCEEDED DOWNLOAD_BATCHSPEC:SUCCEEDED IN_PROGRESS:STOPPED STOPPED:"; got != want {
		t.Errorf("phases = %s, want %s", got, want)
	}
	g := groups(bb)
	if groupStatus(g["sleeper"]) != "STOPPED" || g["after"].CurrentBuildSummary != nil {
		t.Errorf("groups after stop: sleeper %s, after %s; want STOPPED and none", groupStatus(g["sleeper"]), groupStatus(g["after"]))
	}
	if _, err := c.StopBuildBatch(ctx, &codebuild.StopBuildBatchInput{Id: aws.String("stop:nope")}); apiErrorCode(err) != "ResourceNotFoundException" {
		t.Errorf("StopBuildBatch(unknown): err = %v, want ResourceNotFoundException", err)
	}
}

// TestServerBatchFailsEarly covers what fails a batch before any build:
// no batch configuration, a buildspec without a batch section, more
// builds than the restrictions allow.
func TestServerBatchFailsEarly(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := context.Background()
	c := srv.codebuild()
	noSourceProject(t, c, "plain", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n", 0)
	if _, err := c.StartBuildBatch(ctx, &codebuild.StartBuildBatchInput{ProjectName: aws.String("plain")}); apiErrorCode(err) != "InvalidInputException" {
		t.Errorf("StartBuildBatch without a batch configuration: err = %v, want InvalidInputException", err)
	}
	if _, err := c.StartBuildBatch(ctx, &codebuild.StartBuildBatchInput{ProjectName: aws.String("nope")}); apiErrorCode(err) != "ResourceNotFoundException" {
		t.Errorf("StartBuildBatch(unknown project): err = %v, want ResourceNotFoundException", err)
	}

	for _, tc := range []struct {
		name, spec string
		config     *cbtypes.ProjectBuildBatchConfig
		code, msg  string
	}{
		{name: "no batch section", spec: "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n",
			code: "YAML_FILE_ERROR", msg: "batch section"},
		{name: "bad batch section", spec: "version: 0.2\nbatch:\n  build-graph:\n    - identifier: a\n      depend-on: [b]\nphases:\n  build:\n    commands:\n      - echo hi\n",
			code: "YAML_FILE_ERROR", msg: "b"},
		{name: "too many builds", spec: "version: 0.2\nbatch:\n  build-list:\n    - identifier: a\n    - identifier: b\nphases:\n  build:\n    commands:\n      - echo hi\n",
			config: &cbtypes.ProjectBuildBatchConfig{Restrictions: &cbtypes.BatchRestrictions{MaximumBuildsAllowed: aws.Int32(1)}},
			code:   "CLIENT_ERROR", msg: "maximumBuildsAllowed"},
	} {
		out, err := c.StartBuildBatch(ctx, &codebuild.StartBuildBatchInput{ProjectName: aws.String("plain"), BuildspecOverride: aws.String(tc.spec),
			BuildBatchConfigOverride: cmpOr(tc.config, batchRole())})
		if err != nil {
			t.Fatalf("%s: StartBuildBatch: %v", tc.name, err)
		}
		b := waitBatch(t, c, aws.ToString(out.BuildBatch.Id), 30*time.Second)
		if got, want := batchPhases(b), "SUBMITTED:SUCCEEDED DOWNLOAD_BATCHSPEC:FAILED FAILED:"; got != want || b.BuildBatchStatus != cbtypes.StatusTypeFailed {
			t.Errorf("%s: %s, phases %s; want FAILED, %s", tc.name, b.BuildBatchStatus, got, want)
			continue
		}
		p := batchPhase(b, cbtypes.BuildBatchPhaseTypeDownloadBatchspec)
		if len(p.Contexts) != 1 || aws.ToString(p.Contexts[0].StatusCode) != tc.code || !strings.Contains(aws.ToString(p.Contexts[0].Message), tc.msg) {
			t.Errorf("%s: DOWNLOAD_BATCHSPEC contexts = %+v, want %s mentioning %q", tc.name, p.Contexts, tc.code, tc.msg)
		}
		if len(b.BuildGroups) != 0 {
			t.Errorf("%s: build groups %+v, want none", tc.name, b.BuildGroups)
		}
	}
}

func cmpOr[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}

// TestServerBatchCrash kills the server while a batch runs, one build
// running and one queued behind the project's limit of 1: after the
// restart the batch ends FAILED, saying its coordinator was lost, and
// neither build runs on.
func TestServerBatchCrash(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := context.Background()
	c := srv.codebuild()
	_, err := c.CreateProject(ctx, &codebuild.CreateProjectInput{
		Name: aws.String("crashy"),
		Source: &cbtypes.ProjectSource{Type: cbtypes.SourceTypeNoSource, Buildspec: aws.String(
			"version: 0.2\nbatch:\n  build-list:\n    - identifier: one\n    - identifier: two\nphases:\n  build:\n    commands:\n      - sleep 120\n")},
		Artifacts:            &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
		Environment:          &cbtypes.ProjectEnvironment{Type: cbtypes.EnvironmentTypeLinuxContainer, Image: aws.String("aws/codebuild/standard:7.0"), ComputeType: cbtypes.ComputeTypeBuildGeneral1Small},
		ServiceRole:          aws.String("r"),
		ConcurrentBuildLimit: aws.Int32(1),
		BuildBatchConfig:     batchRole(),
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.StartBuildBatch(ctx, &codebuild.StartBuildBatchInput{ProjectName: aws.String("crashy")})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.BuildBatch.Id)
	var arns []string
	deadline := time.Now().Add(30 * time.Second)
	for running := false; !running; {
		if time.Now().After(deadline) {
			t.Fatal("the batch's builds never started")
		}
		time.Sleep(20 * time.Millisecond)
		arns = arns[:0]
		for _, g := range getBatch(t, c, id).BuildGroups {
			if g.CurrentBuildSummary != nil {
				arns = append(arns, aws.ToString(g.CurrentBuildSummary.Arn))
			}
		}
		if len(arns) != 2 {
			continue
		}
		bs, err := c.BatchGetBuilds(ctx, &codebuild.BatchGetBuildsInput{Ids: arns})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs.Builds {
			running = running || aws.ToString(b.CurrentPhase) == "BUILD"
		}
	}

	srv.kill9()
	srv.start()
	c = srv.codebuild()

	b := waitBatch(t, c, id, 30*time.Second)
	if b.BuildBatchStatus != cbtypes.StatusTypeFailed {
		t.Errorf("lost batch: %s, want FAILED", b.BuildBatchStatus)
	}
	p := batchPhase(b, cbtypes.BuildBatchPhaseTypeInProgress)
	if p == nil || len(p.Contexts) == 0 || !strings.Contains(aws.ToString(p.Contexts[0].Message), "lost") {
		t.Errorf("IN_PROGRESS phase of the lost batch = %+v, want a context saying its coordinator was lost", p)
	}
	for _, arn := range arns {
		if bb := waitBuild(t, c, arn, 30*time.Second); bb.BuildStatus != cbtypes.StatusTypeFailed {
			t.Errorf("build %s of the lost batch: %s, want FAILED", arn, bb.BuildStatus)
		}
	}
	for _, g := range getBatch(t, c, id).BuildGroups {
		if groupStatus(g) != "FAILED" {
			t.Errorf("group %s: %s, want FAILED", aws.ToString(g.Identifier), groupStatus(g))
		}
	}
}
