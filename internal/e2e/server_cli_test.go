package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
)

// awsCLI runs the installed aws CLI against srv.
func awsCLI(t *testing.T, srv *server, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the aws CLI is not installed (scripts/test installs it)")
	}
	cmd := exec.Command("aws", args...)
	cmd.Env = append(os.Environ(),
		"AWS_ENDPOINT_URL="+srv.endpoint, "AWS_ACCESS_KEY_ID="+srv.keyID, "AWS_SECRET_ACCESS_KEY="+srv.secret,
		"AWS_DEFAULT_REGION=us-east-2", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out) + string(ee.Stderr), err
	}
	return string(out), err
}

// TestServerAWSCLI drives a project and a build with the aws CLI (v1,
// botocore), the way a user pastes the first start's lines into a shell.
func TestServerAWSCLI(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	dir := t.TempDir()
	project := `{"name":"cli-demo","source":{"type":"NO_SOURCE","buildspec":"version: 0.2\nenv:\n  exported-variables: [OUT]\nphases:\n  build:\n    commands:\n      - echo hello from the cli\n      - export OUT=$CODEBUILD_BUILD_NUMBER\n"},` +
		`"artifacts":{"type":"NO_ARTIFACTS"},"environment":{"type":"LINUX_CONTAINER","image":"aws/codebuild/standard:7.0","computeType":"BUILD_GENERAL1_SMALL",` +
		`"environmentVariables":[{"name":"A","value":"1"}]},"serviceRole":"arn:aws:iam::000000000000:role/r","tags":[{"key":"team","value":"ci"}]}`
	os.WriteFile(filepath.Join(dir, "project.json"), []byte(project), 0o644)
	out, err := awsCLI(t, srv, "codebuild", "create-project", "--cli-input-json", "file://"+filepath.Join(dir, "project.json"))
	if err != nil {
		t.Fatalf("create-project: %v\n%s", err, out)
	}
	if !strings.Contains(out, `"arn": "arn:aws:codebuild:us-east-2:000000000000:project/cli-demo"`) || !strings.Contains(out, `"team"`) {
		t.Errorf("create-project output lacks the ARN in the request's region or the tags:\n%s", out)
	}
	id, err := awsCLI(t, srv, "codebuild", "start-build", "--project-name", "cli-demo", "--query", "build.id", "--output", "text")
	if err != nil {
		t.Fatalf("start-build: %v\n%s", err, id)
	}
	id = strings.TrimSpace(id)
	b := waitBuild(t, srv.codebuildIn("us-east-2"), id, 60*time.Second)
	out, err = awsCLI(t, srv, "codebuild", "batch-get-builds", "--ids", id)
	if err != nil {
		t.Fatalf("batch-get-builds: %v\n%s", err, out)
	}
	var got struct {
		Builds []struct {
			BuildStatus string                         `json:"buildStatus"`
			Exported    []struct{ Name, Value string } `json:"exportedEnvironmentVariables"`
			Phases      []struct {
				PhaseType string `json:"phaseType"`
			} `json:"phases"`
			Logs struct{ GroupName, StreamName string } `json:"logs"`
		} `json:"builds"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.Builds) != 1 {
		t.Fatalf("batch-get-builds output: %v\n%s", err, out)
	}
	if g := got.Builds[0]; g.BuildStatus != "SUCCEEDED" || len(g.Exported) != 1 || g.Exported[0].Value != "1" || len(g.Phases) != 11 {
		t.Errorf("batch-get-builds: %+v", g)
	}
	logs, err := awsCLI(t, srv, "logs", "get-log-events", "--log-group-name", aws.ToString(b.Logs.GroupName), "--log-stream-name", aws.ToString(b.Logs.StreamName),
		"--start-from-head", "--query", "events[].message", "--output", "text")
	if err != nil || !strings.Contains(logs, "hello from the cli") {
		t.Errorf("get-log-events: %v\n%s", err, logs)
	}
	filtered, err := awsCLI(t, srv, "logs", "filter-log-events", "--log-group-name", "/aws/codebuild/cli-demo", "--filter-pattern", `"Running command"`, "--query", "events[].message", "--output", "text")
	if err != nil || strings.Count(filtered, "Running command") != 2 {
		t.Errorf("filter-log-events: %v\n%s", err, filtered)
	}
	out, err = awsCLI(t, srv, "codebuild", "list-projects")
	if err != nil || !strings.Contains(out, "cli-demo") {
		t.Errorf("list-projects: %v\n%s", err, out)
	}
	out, err = awsCLI(t, srv, "codebuild", "list-curated-environment-images")
	if err != nil || !strings.Contains(out, "aws/codebuild/standard:7.0") {
		t.Errorf("list-curated-environment-images: %v\n%s", err, out)
	}
	// An error as botocore shows it.
	out, err = awsCLI(t, srv, "codebuild", "start-build", "--project-name", "missing")
	if err == nil || !strings.Contains(out, "ResourceNotFoundException") || !strings.Contains(out, "Project cannot be found") {
		t.Errorf("start-build of a missing project: %v\n%s", err, out)
	}
	out, err = awsCLI(t, srv, "codebuild", "list-builds", "--sort-order", "SIDEWAYS")
	if err == nil || !strings.Contains(out, "SIDEWAYS") {
		// botocore checks enums itself? No: it sends them, and the
		// server must refuse.
		t.Errorf("list-builds with a bad sort order: %v\n%s", err, out)
	}
}

// TestServerLiveLog reads a build's log while it runs, as `aws logs tail
// --follow` does: FilterLogEvents polled from the last timestamp seen,
// events de-duplicated by id.
func TestServerLiveLog(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := context.Background()
	cb := srv.codebuild()
	noSourceProject(t, cb, "live", "version: 0.2\nphases:\n  build:\n    commands:\n      - for i in 1 2 3 4 5; do echo tick-$i; sleep 0.3; done\n", 0)
	sb, err := cb.StartBuild(ctx, &codebuild.StartBuildInput{ProjectName: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(sb.Build.Id)
	logs := srv.logs()
	seen := map[string]bool{}
	var lines []string
	var start int64
	sawWhileRunning := false
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, err := logs.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("/aws/codebuild/live"), StartTime: aws.Int64(start)})
		if apiErrorCode(err) == "ResourceNotFoundException" {
			// The group appears when the build's log starts, once a
			// worker has taken the build.
			time.Sleep(20 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatalf("FilterLogEvents: %v", err)
		}
		for _, e := range out.Events {
			if seen[aws.ToString(e.EventId)] {
				continue
			}
			seen[aws.ToString(e.EventId)] = true
			lines = append(lines, aws.ToString(e.Message))
			start = max(start, aws.ToInt64(e.Timestamp))
		}
		bs, _ := cb.BatchGetBuilds(ctx, &codebuild.BatchGetBuildsInput{Ids: []string{id}})
		done := len(bs.Builds) == 1 && bs.Builds[0].BuildComplete
		if !done && strings.Contains(strings.Join(lines, "\n"), "tick-2") {
			sawWhileRunning = true
		}
		if done && strings.Contains(strings.Join(lines, "\n"), "Phase complete: UPLOAD_ARTIFACTS") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !sawWhileRunning {
		t.Errorf("no log line arrived while the build ran; lines: %q", lines)
	}
	for i := 1; i <= 5; i++ {
		want, n := fmt.Sprintf("tick-%d", i), 0
		for _, l := range lines {
			if l == want {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s seen %d times, want once: %q", want, n, lines)
		}
	}
}
