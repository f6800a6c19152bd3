package e2e_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	_ "modernc.org/sqlite"
)

func noSourceProject(t testing.TB, cb *codebuild.Client, name, spec string, limit int32) {
	t.Helper()
	in := &codebuild.CreateProjectInput{
		Name:        aws.String(name),
		Source:      &cbtypes.ProjectSource{Type: cbtypes.SourceTypeNoSource, Buildspec: aws.String(spec)},
		Artifacts:   &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
		Environment: &cbtypes.ProjectEnvironment{Type: cbtypes.EnvironmentTypeLinuxContainer, Image: aws.String("aws/codebuild/standard:7.0"), ComputeType: cbtypes.ComputeTypeBuildGeneral1Small},
		ServiceRole: aws.String("r"),
	}
	if limit > 0 {
		in.ConcurrentBuildLimit = aws.Int32(limit)
	}
	if _, err := cb.CreateProject(context.Background(), in); err != nil {
		t.Fatalf("CreateProject(%s): %v", name, err)
	}
}

// TestServerCrash kills the server with SIGKILL while a build runs and
// others wait in the queue, then restarts it on the same data directory:
// the running build ends FAILED with a context saying why, keeping its
// log; the queued builds run; the database is intact.
func TestServerCrash(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := context.Background()
	cb := srv.codebuild()
	// A sleep no other test runs: tests of other packages and other
	// checkouts may run this one at the same time.
	nap := fmt.Sprintf("1207.%06d", time.Now().UnixNano()%1000000)
	noSourceProject(t, cb, "crash", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo before-the-crash\n      - sleep "+nap+"\n", 1)
	noSourceProject(t, cb, "after", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo queued-build-ran\n", 1)

	first, err := cb.StartBuild(ctx, &codebuild.StartBuildInput{ProjectName: aws.String("crash")})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(first.Build.Id)
	waitPhase(t, cb, id, cbtypes.BuildPhaseTypeBuild)
	// The project's limit of 1 keeps this one queued behind the first.
	queued, err := cb.StartBuild(ctx, &codebuild.StartBuildInput{ProjectName: aws.String("crash"),
		BuildspecOverride: aws.String("version: 0.2\nphases:\n  build:\n    commands:\n      - echo queued-build-ran\n")})
	if err != nil {
		t.Fatal(err)
	}
	// Wait until the log holds the line written before the crash.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logTextOf(t, srv, id), "before-the-crash") {
		if time.Now().After(deadline) {
			t.Fatal("the log never showed the first command's output")
		}
		time.Sleep(20 * time.Millisecond)
	}

	srv.kill9()
	srv.start()
	cb = srv.codebuild()

	b := waitBuild(t, cb, id, 30*time.Second)
	if b.BuildStatus != cbtypes.StatusTypeFailed {
		t.Errorf("lost build status = %s, want FAILED", b.BuildStatus)
	}
	p := phase(b, cbtypes.BuildPhaseTypeBuild)
	if p == nil || len(p.Contexts) == 0 || !strings.Contains(aws.ToString(p.Contexts[0].Message), "lost") {
		t.Errorf("BUILD phase of the lost build = %+v, want a context saying the build process was lost", p)
	}
	// The lost build's command, re-parented to init by the crash, is
	// killed by the recovery.
	for wait := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		pids := processesWithArgs("sleep", nap)
		if len(pids) == 0 {
			break
		}
		if time.Now().After(wait) {
			t.Errorf("the lost build's sleep %s still runs after recovery: pids %v", nap, pids)
			break
		}
	}
	if log := logTextOf(t, srv, id); !strings.Contains(log, "before-the-crash") {
		t.Errorf("log of the lost build lost its lines:\n%s", log)
	}
	q := waitBuild(t, cb, aws.ToString(queued.Build.Id), 30*time.Second)
	if q.BuildStatus != cbtypes.StatusTypeSucceeded || !strings.Contains(logTextOf(t, srv, aws.ToString(q.Id)), "queued-build-ran") {
		t.Errorf("queued build after restart: %s, want SUCCEEDED with its output", q.BuildStatus)
	}
	srv.stop()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(srv.dataDir, "codeyard.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Errorf("integrity_check = %q, %v; want ok", res, err)
	}
}

// processesWithArgs returns the pids whose command line is exactly args.
func processesWithArgs(args ...string) []int {
	want := strings.Join(args, "\x00") + "\x00"
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil && string(cmd) == want {
			pids = append(pids, pid)
		}
	}
	return pids
}

func logTextOf(t *testing.T, srv *server, id string) string {
	t.Helper()
	out, err := srv.codebuild().BatchGetBuilds(context.Background(), &codebuild.BatchGetBuildsInput{Ids: []string{id}})
	if err != nil || len(out.Builds) != 1 {
		t.Fatalf("BatchGetBuilds(%s): %v", id, err)
	}
	return logText(t, srv.logs(), out.Builds[0])
}

// TestServerConcurrentStarts starts 100 builds at once: all succeed, none
// is lost, numbers are unique, and listing pages through them.
func TestServerConcurrentStarts(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := context.Background()
	cb := srv.codebuild()
	noSourceProject(t, cb, "many", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n", 0)
	const n = 100
	ids := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			out, err := cb.StartBuild(ctx, &codebuild.StartBuildInput{ProjectName: aws.String("many")})
			if err != nil {
				errs <- err
				return
			}
			ids[i] = aws.ToString(out.Build.Id)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("StartBuild: %v", err)
	}
	numbers := map[int64]bool{}
	for _, id := range ids {
		b := waitBuild(t, cb, id, 120*time.Second)
		if b.BuildStatus != cbtypes.StatusTypeSucceeded {
			t.Errorf("build %s: %s, want SUCCEEDED", id, b.BuildStatus)
		}
		numbers[aws.ToInt64(b.BuildNumber)] = true
	}
	if len(numbers) != n {
		t.Errorf("%d distinct build numbers, want %d", len(numbers), n)
	}
	var listed []string
	var token *string
	pages := 0
	for {
		out, err := cb.ListBuildsForProject(ctx, &codebuild.ListBuildsForProjectInput{ProjectName: aws.String("many"), NextToken: token, SortOrder: cbtypes.SortOrderTypeAscending})
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, out.Ids...)
		pages++
		if out.NextToken == nil {
			break
		}
		token = out.NextToken
	}
	if len(listed) != n || pages != 1 {
		// 100 builds fit one page of 100.
		t.Errorf("listed %d builds in %d pages, want %d in 1", len(listed), pages, n)
	}
	// A 101st build makes a second page.
	extra, err := cb.StartBuild(ctx, &codebuild.StartBuildInput{ProjectName: aws.String("many")})
	if err != nil {
		t.Fatal(err)
	}
	waitBuild(t, cb, aws.ToString(extra.Build.Id), 60*time.Second)
	p1, err := cb.ListBuilds(ctx, &codebuild.ListBuildsInput{})
	if err != nil || len(p1.Ids) != 100 || p1.NextToken == nil || p1.Ids[0] != aws.ToString(extra.Build.Id) {
		t.Fatalf("ListBuilds page 1: %d ids, token %v, %v; want 100, a token, newest first", len(p1.Ids), p1.NextToken, err)
	}
	p2, err := cb.ListBuilds(ctx, &codebuild.ListBuildsInput{NextToken: p1.NextToken})
	if err != nil || len(p2.Ids) != 1 || p2.NextToken != nil {
		t.Errorf("ListBuilds page 2: %+v, %v; want the last build and no token", p2, err)
	}
	if _, err := cb.ListBuilds(ctx, &codebuild.ListBuildsInput{NextToken: aws.String("garbage!")}); apiErrorCode(err) != "InvalidInputException" {
		t.Errorf("ListBuilds with a bad token: err = %v, want InvalidInputException", err)
	}
}

// TestServerSecretsStayOut checks that codeyard's own secrets reach
// neither builds nor the disk in plaintext: the master key given in the
// environment is not in a build's environment, and the admin key's secret
// is not in the database file.
func TestServerSecretsStayOut(t *testing.T) {
	t.Parallel()
	const master = "c2VjcmV0LW1hc3Rlci1rZXktMzItYnl0ZXMtbG9uZyE="
	srv := startServerEnv(t, []string{"CODEYARD_MASTER_KEY=" + master})
	cb := srv.codebuild()
	noSourceProject(t, cb, "envdump", "version: 0.2\nphases:\n  build:\n    commands:\n      - env\n      - cat $CODEYARD_DATA_DIR/master.key || true\n", 0)
	sb, err := cb.StartBuild(context.Background(), &codebuild.StartBuildInput{ProjectName: aws.String("envdump")})
	if err != nil {
		t.Fatal(err)
	}
	b := waitBuild(t, cb, aws.ToString(sb.Build.Id), time.Minute)
	log := logText(t, srv.logs(), b)
	if !strings.Contains(log, "CODEBUILD_BUILD_ID=") {
		t.Fatalf("the build printed no environment:\n%s", log)
	}
	if strings.Contains(log, master) || strings.Contains(log, "\nCODEYARD_MASTER_KEY=") || strings.Contains(log, "\nCODEYARD_HOME=") {
		t.Errorf("the build saw codeyard's settings:\n%s", log)
	}
	srv.stop()
	if _, err := os.Stat(filepath.Join(srv.dataDir, "master.key")); err == nil {
		t.Error("master.key written although CODEYARD_MASTER_KEY was given")
	}
	for _, f := range []string{"codeyard.db", "codeyard.db-wal"} {
		data, _ := os.ReadFile(filepath.Join(srv.dataDir, f))
		if strings.Contains(string(data), srv.secret) {
			t.Errorf("%s holds the access key's secret in plaintext", f)
		}
	}
}
