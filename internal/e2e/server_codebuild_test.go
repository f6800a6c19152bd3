package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

const gitBuildspec = `version: 0.2
env:
  variables:
    GREETING: from-buildspec
  exported-variables:
    - RESULT
phases:
  build:
    commands:
      - echo "greeting=$GREETING"
      - echo "resolved=$CODEBUILD_RESOLVED_SOURCE_VERSION"
      - cat message.txt
      - test "$FAIL" != yes
      - export RESULT=done-$CODEBUILD_BUILD_NUMBER
reports:
  unit:
    files: [junit.xml]
    file-format: JUNITXML
  cover:
    files: [coverage.xml]
    file-format: COBERTURAXML
artifacts:
  files: [message.txt]
`

const cobertura = `<?xml version="1.0" ?>
<coverage line-rate="0.6" branch-rate="0" lines-covered="3" lines-valid="5" branches-covered="0" branches-valid="0">
<packages><package name="p"><classes>
<class name="a.py" filename="a.py"><lines><line number="1" hits="1"/><line number="2" hits="1"/></lines></class>
<class name="b.py" filename="b.py"><lines><line number="1" hits="1"/><line number="2" hits="0"/><line number="3" hits="0"/></lines></class>
</classes></package></packages></coverage>`

const junit = `<testsuites><testsuite name="s" tests="3">
<testcase classname="pkg" name="ok1" time="0.5"/>
<testcase classname="pkg" name="ok2" time="0.25"/>
<testcase classname="pkg" name="bad" time="0.1"><failure message="boom">trace</failure></testcase>
</testsuite></testsuites>`

// TestServerCodeBuild drives the server with the aws-sdk-go-v2 CodeBuild
// and CloudWatch Logs clients: a project on a file:// git repository,
// builds with overrides that succeed and fail, their logs, reports,
// artifacts, listing and deletion.
func TestServerCodeBuild(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := context.Background()
	cb := srv.codebuild()
	repo, commit := gitRepo(t, map[string]string{"buildspec.yml": gitBuildspec, "message.txt": "hello from git\n", "junit.xml": junit, "coverage.xml": cobertura})
	if _, err := srv.s3().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("my-bucket")}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}

	cp, err := cb.CreateProject(ctx, &codebuild.CreateProjectInput{
		Name:        aws.String("demo"),
		Source:      &cbtypes.ProjectSource{Type: cbtypes.SourceTypeGithub, Location: aws.String(repo), GitCloneDepth: aws.Int32(1)},
		Artifacts:   &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeS3, Location: aws.String("my-bucket"), Packaging: cbtypes.ArtifactPackagingZip, Name: aws.String("out.zip")},
		Environment: &cbtypes.ProjectEnvironment{Type: cbtypes.EnvironmentTypeLinuxContainer, Image: aws.String("aws/codebuild/standard:7.0"), ComputeType: cbtypes.ComputeTypeBuildGeneral1Small},
		ServiceRole: aws.String("arn:aws:iam::000000000000:role/codebuild"),
	})
	if err != nil {
		t.Fatalf("CreateProject: %v", err)
	}
	if got, want := aws.ToString(cp.Project.Arn), "arn:aws:codebuild:eu-west-1:000000000000:project/demo"; got != want {
		t.Errorf("project ARN = %s, want %s", got, want)
	}
	if got := aws.ToInt32(cp.Project.TimeoutInMinutes); got != 60 {
		t.Errorf("default timeoutInMinutes = %d, want 60", got)
	}
	if _, err := cb.CreateProject(ctx, &codebuild.CreateProjectInput{
		Name: aws.String("demo"), Source: &cbtypes.ProjectSource{Type: cbtypes.SourceTypeNoSource, Buildspec: aws.String("version: 0.2")},
		Artifacts:   &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
		Environment: &cbtypes.ProjectEnvironment{Type: cbtypes.EnvironmentTypeLinuxContainer, Image: aws.String("x"), ComputeType: cbtypes.ComputeTypeBuildGeneral1Small},
		ServiceRole: aws.String("r"),
	}); apiErrorCode(err) != "ResourceAlreadyExistsException" {
		t.Errorf("CreateProject of an existing name: err = %v, want ResourceAlreadyExistsException", err)
	}

	// A build that succeeds, with an environment variable override.
	sb, err := cb.StartBuild(ctx, &codebuild.StartBuildInput{
		ProjectName:                  aws.String("demo"),
		EnvironmentVariablesOverride: []cbtypes.EnvironmentVariable{{Name: aws.String("GREETING"), Value: aws.String("from-override"), Type: cbtypes.EnvironmentVariableTypePlaintext}},
	})
	if err != nil {
		t.Fatalf("StartBuild: %v", err)
	}
	if aws.ToInt64(sb.Build.BuildNumber) != 1 || sb.Build.BuildStatus != cbtypes.StatusTypeInProgress {
		t.Errorf("StartBuild: number %d status %s, want 1 IN_PROGRESS", aws.ToInt64(sb.Build.BuildNumber), sb.Build.BuildStatus)
	}
	b := waitBuild(t, cb, aws.ToString(sb.Build.Id), 60*time.Second)
	if b.BuildStatus != cbtypes.StatusTypeSucceeded {
		t.Fatalf("build status = %s, want SUCCEEDED; phases %+v", b.BuildStatus, b.Phases)
	}
	if got := aws.ToString(b.ResolvedSourceVersion); got != commit {
		t.Errorf("resolvedSourceVersion = %s, want %s", got, commit)
	}
	var types []string
	for _, p := range b.Phases {
		types = append(types, string(p.PhaseType))
	}
	if got, want := strings.Join(types, " "), "SUBMITTED QUEUED PROVISIONING DOWNLOAD_SOURCE INSTALL PRE_BUILD BUILD POST_BUILD UPLOAD_ARTIFACTS FINALIZING COMPLETED"; got != want {
		t.Errorf("phases = %s, want %s", got, want)
	}
	if len(b.ExportedEnvironmentVariables) != 1 || aws.ToString(b.ExportedEnvironmentVariables[0].Value) != "done-1" {
		t.Errorf("exported variables = %+v, want RESULT=done-1", b.ExportedEnvironmentVariables)
	}
	if b.Artifacts == nil || aws.ToString(b.Artifacts.Location) != "arn:aws:s3:::my-bucket/out.zip" || aws.ToString(b.Artifacts.Sha256sum) == "" {
		t.Errorf("artifacts = %+v, want a ZIP at arn:aws:s3:::my-bucket/out.zip with its sha256", b.Artifacts)
	}
	if got := aws.ToString(b.Initiator); got != "admin" {
		t.Errorf("initiator = %q, want admin", got)
	}
	log := logText(t, srv.logs(), b)
	streams, err := srv.logs().DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: b.Logs.GroupName})
	if err != nil || len(streams.LogStreams) != 1 || aws.ToString(streams.LogStreams[0].LogStreamName) != aws.ToString(b.Logs.StreamName) ||
		streams.LogStreams[0].LastEventTimestamp == nil || aws.ToInt64(streams.LogStreams[0].StoredBytes) != 0 {
		t.Errorf("DescribeLogStreams = %+v, %v; want the build's stream, with events and storedBytes 0", streams, err)
	}
	lgroups, err := srv.logs().DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/codebuild/")})
	if err != nil || len(lgroups.LogGroups) != 1 || aws.ToString(lgroups.LogGroups[0].LogGroupName) != "/aws/codebuild/demo" {
		t.Errorf("DescribeLogGroups = %+v, %v; want /aws/codebuild/demo", lgroups, err)
	}
	for _, want := range []string{"greeting=from-override", "resolved=" + commit, "hello from git", "Phase complete: BUILD State: SUCCEEDED"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}

	// A build that fails in BUILD.
	fb, err := cb.StartBuild(ctx, &codebuild.StartBuildInput{
		ProjectName:                  aws.String("demo"),
		SourceVersion:                aws.String("main"),
		EnvironmentVariablesOverride: []cbtypes.EnvironmentVariable{{Name: aws.String("FAIL"), Value: aws.String("yes")}},
	})
	if err != nil {
		t.Fatalf("StartBuild: %v", err)
	}
	f := waitBuild(t, cb, aws.ToString(fb.Build.Id), 60*time.Second)
	if f.BuildStatus != cbtypes.StatusTypeFailed {
		t.Fatalf("failing build status = %s, want FAILED", f.BuildStatus)
	}
	if p := phase(f, cbtypes.BuildPhaseTypeBuild); p == nil || p.PhaseStatus != cbtypes.StatusTypeFailed || len(p.Contexts) == 0 ||
		aws.ToString(p.Contexts[0].StatusCode) != "COMMAND_EXECUTION_ERROR" {
		t.Errorf("BUILD phase = %+v, want FAILED with COMMAND_EXECUTION_ERROR", p)
	}
	if aws.ToString(f.SourceVersion) != "main" {
		t.Errorf("sourceVersion = %q, want main", aws.ToString(f.SourceVersion))
	}

	// Reports of the first build: tests and coverage.
	if len(b.ReportArns) != 2 {
		t.Fatalf("reportArns = %v, want two", b.ReportArns)
	}
	reps, err := cb.BatchGetReports(ctx, &codebuild.BatchGetReportsInput{ReportArns: b.ReportArns})
	if err != nil || len(reps.Reports) != 2 {
		t.Fatalf("BatchGetReports: %v %+v", err, reps)
	}
	r, cov := reps.Reports[0], reps.Reports[1]
	if r.Type != cbtypes.ReportTypeTest {
		r, cov = cov, r
	}
	if cov.CodeCoverageSummary == nil || aws.ToFloat64(cov.CodeCoverageSummary.LineCoveragePercentage) != 60 {
		t.Errorf("coverage report = %+v, want 60%% of lines", cov.CodeCoverageSummary)
	}
	cc, err := cb.DescribeCodeCoverages(ctx, &codebuild.DescribeCodeCoveragesInput{ReportArn: cov.Arn,
		SortBy: cbtypes.ReportCodeCoverageSortByTypeLineCoveragePercentage, MaxLineCoveragePercentage: aws.Float64(50)})
	if err != nil || len(cc.CodeCoverages) != 1 || aws.ToString(cc.CodeCoverages[0].FilePath) != "b.py" {
		t.Errorf("DescribeCodeCoverages(max 50%%) = %+v, %v; want b.py alone", cc, err)
	}
	if r.Status != cbtypes.ReportStatusTypeFailed || r.TestSummary == nil || aws.ToInt32(r.TestSummary.Total) != 3 || r.TestSummary.StatusCounts["FAILED"] != 1 {
		t.Errorf("report = %+v, want FAILED with 3 tests, 1 failed", r)
	}
	tc, err := cb.DescribeTestCases(ctx, &codebuild.DescribeTestCasesInput{ReportArn: r.Arn, Filter: &cbtypes.TestCaseFilter{Status: aws.String("FAILED")}})
	if err != nil || len(tc.TestCases) != 1 || aws.ToString(tc.TestCases[0].Message) == "" {
		t.Errorf("DescribeTestCases(FAILED) = %+v, %v; want the one failed case with its message", tc, err)
	}
	groups, err := cb.ListReportGroups(ctx, &codebuild.ListReportGroupsInput{})
	if err != nil || len(groups.ReportGroups) != 2 {
		t.Errorf("ListReportGroups = %+v, %v; want demo-unit and demo-cover", groups, err)
	}
	trend, err := cb.GetReportGroupTrend(ctx, &codebuild.GetReportGroupTrendInput{ReportGroupArn: r.ReportGroupArn, TrendField: cbtypes.ReportGroupTrendFieldTypePassRate})
	if err != nil || trend.Stats == nil || aws.ToString(trend.Stats.Average) == "" {
		t.Errorf("GetReportGroupTrend = %+v, %v", trend, err)
	}

	// Listing, newest first; and for the project.
	list, err := cb.ListBuildsForProject(ctx, &codebuild.ListBuildsForProjectInput{ProjectName: aws.String("demo")})
	if err != nil || len(list.Ids) != 2 || list.Ids[0] != aws.ToString(f.Id) {
		t.Errorf("ListBuildsForProject = %v, %v; want the failed build first", list, err)
	}
	byARN, err := cb.ListBuildsForProject(ctx, &codebuild.ListBuildsForProjectInput{ProjectName: cp.Project.Arn})
	if err != nil || len(byARN.Ids) != 2 {
		t.Errorf("ListBuildsForProject(project ARN) = %v, %v; want the 2 builds", byARN, err)
	}
	if _, err := cb.ListBuildsForProject(ctx, &codebuild.ListBuildsForProjectInput{ProjectName: aws.String("nope")}); apiErrorCode(err) != "ResourceNotFoundException" {
		t.Errorf("ListBuildsForProject(nope): err = %v, want ResourceNotFoundException", err)
	}

	// Retry runs the same settings as a new build.
	rb, err := cb.RetryBuild(ctx, &codebuild.RetryBuildInput{Id: f.Id})
	if err != nil {
		t.Fatalf("RetryBuild: %v", err)
	}
	rt := waitBuild(t, cb, aws.ToString(rb.Build.Id), 60*time.Second)
	if rt.BuildStatus != cbtypes.StatusTypeFailed || aws.ToInt64(rt.BuildNumber) != 3 || aws.ToString(rt.SourceVersion) != "main" {
		t.Errorf("retried build: %s #%d version %q, want FAILED #3 main", rt.BuildStatus, aws.ToInt64(rt.BuildNumber), aws.ToString(rt.SourceVersion))
	}

	// Delete: completed builds go, unknown ids are reported.
	del, err := cb.BatchDeleteBuilds(ctx, &codebuild.BatchDeleteBuildsInput{Ids: []string{aws.ToString(rt.Id), "demo:nope"}})
	if err != nil || len(del.BuildsDeleted) != 1 || len(del.BuildsNotDeleted) != 1 {
		t.Errorf("BatchDeleteBuilds = %+v, %v", del, err)
	}
	got, err := cb.BatchGetBuilds(ctx, &codebuild.BatchGetBuildsInput{Ids: []string{aws.ToString(rt.Id)}})
	if err != nil || len(got.Builds) != 0 || len(got.BuildsNotFound) != 1 {
		t.Errorf("BatchGetBuilds of a deleted build = %+v, %v", got, err)
	}
}

// TestServerStopAndTimeout stops a running build and lets one time out.
func TestServerStop(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := context.Background()
	cb := srv.codebuild()
	_, err := cb.CreateProject(ctx, &codebuild.CreateProjectInput{
		Name:        aws.String("sleepy"),
		Source:      &cbtypes.ProjectSource{Type: cbtypes.SourceTypeNoSource, Buildspec: aws.String("version: 0.2\nphases:\n  build:\n    commands:\n      - echo started\n      - sleep 60\n")},
		Artifacts:   &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
		Environment: &cbtypes.ProjectEnvironment{Type: cbtypes.EnvironmentTypeLinuxContainer, Image: aws.String("aws/codebuild/standard:7.0"), ComputeType: cbtypes.ComputeTypeBuildGeneral1Small},
		ServiceRole: aws.String("r"),
	})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := cb.StartBuild(ctx, &codebuild.StartBuildInput{ProjectName: aws.String("sleepy")})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(sb.Build.Id)
	waitPhase(t, cb, id, cbtypes.BuildPhaseTypeBuild)
	start := time.Now()
	stopped, err := cb.StopBuild(ctx, &codebuild.StopBuildInput{Id: aws.String(id)})
	if err != nil {
		t.Fatalf("StopBuild: %v", err)
	}
	if stopped.Build.BuildStatus != cbtypes.StatusTypeStopped {
		t.Errorf("StopBuild answered %s, want STOPPED", stopped.Build.BuildStatus)
	}
	b := waitBuild(t, cb, id, 30*time.Second)
	if b.BuildStatus != cbtypes.StatusTypeStopped {
		t.Errorf("stopped build status = %s, want STOPPED", b.BuildStatus)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stop took %v, want under 5s", d)
	}
	if _, err := cb.StopBuild(ctx, &codebuild.StopBuildInput{Id: aws.String("sleepy:nope")}); apiErrorCode(err) != "ResourceNotFoundException" {
		t.Errorf("StopBuild(unknown): err = %v, want ResourceNotFoundException", err)
	}
}

// waitPhase polls until a build is in phase typ.
func waitPhase(t *testing.T, cb *codebuild.Client, id string, typ cbtypes.BuildPhaseType) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, err := cb.BatchGetBuilds(context.Background(), &codebuild.BatchGetBuildsInput{Ids: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Builds) == 1 && aws.ToString(out.Builds[0].CurrentPhase) == string(typ) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("build %s never reached %s", id, typ)
}
