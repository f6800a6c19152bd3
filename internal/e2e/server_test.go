package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
)

// server is a `codeyard serve` process for a test.
type server struct {
	t        testing.TB
	cmd      *exec.Cmd
	endpoint string
	keyID    string
	secret   string
	home     string
	dataDir  string
	addr     string
	env      []string
	stderr   *lockedBuffer
	done     chan struct{}
}

// startServer starts a server on a new data directory and reads the
// credentials its first start prints.
func startServer(t testing.TB, extra ...string) *server {
	t.Helper()
	return startServerEnv(t, nil, extra...)
}

// startServerEnv starts a server with more environment variables.
func startServerEnv(t testing.TB, env []string, extra ...string) *server {
	t.Helper()
	dir := t.TempDir()
	s := &server{t: t, home: filepath.Join(dir, "home"), dataDir: filepath.Join(dir, "data"), addr: "127.0.0.1:0", env: env}
	s.start(extra...)
	t.Cleanup(s.stop)
	return s
}

var exportLine = regexp.MustCompile(`export (AWS_[A-Z_]+)=(\S+)`)

func (s *server) start(extra ...string) {
	t := s.t
	t.Helper()
	args := append([]string{"serve", "--addr", s.addr, "--data-dir", s.dataDir, "--allow-host-builds"}, extra...)
	cmd := exec.Command(binary, args...)
	// Host builds: DOCKER_HOST (which scripts/test sets) would put them in
	// containers.
	cmd.Env = append(append(os.Environ(), "CODEYARD_HOME="+s.home, "DOCKER_HOST="), s.env...)
	stdout := &lockedBuffer{}
	cmd.Stdout = stdout
	s.stderr = &lockedBuffer{}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	// The server logs its endpoint once it listens; a first start prints
	// the access key before that.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if m := listening.FindStringSubmatch(s.stderr.String()); m != nil && len(m) > 1 {
			s.endpoint = m[1]
			s.addr = strings.TrimPrefix(m[1], "http://")
			break
		}
		select {
		case <-s.done:
			t.Fatalf("codeyard serve exited: %s", s.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("codeyard serve did not listen within 20s: %s", s.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	for s.keyID == "" {
		for _, m := range exportLine.FindAllStringSubmatch(stdout.String(), -1) {
			switch m[1] {
			case "AWS_ACCESS_KEY_ID":
				s.keyID = m[2]
			case "AWS_SECRET_ACCESS_KEY":
				s.secret = m[2]
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("codeyard serve printed no access key: %s", stdout.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var listening = regexp.MustCompile(`codeyard server listening" endpoint=(http://\S+)`)

func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	if s.t.Failed() {
		s.t.Logf("server log:\n%s", s.stderr.String())
	}
}

// kill9 kills the server as a crash would.
func (s *server) kill9() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

func (s *server) creds() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(s.keyID, s.secret, "")
}

func (s *server) codebuild() *codebuild.Client {
	return codebuild.New(codebuild.Options{Region: "eu-west-1", Credentials: s.creds(), BaseEndpoint: aws.String(s.endpoint)})
}

func (s *server) codebuildIn(region string) *codebuild.Client {
	return codebuild.New(codebuild.Options{Region: region, Credentials: s.creds(), BaseEndpoint: aws.String(s.endpoint)})
}

func (s *server) logs() *cloudwatchlogs.Client {
	return cloudwatchlogs.New(cloudwatchlogs.Options{Region: "eu-west-1", Credentials: s.creds(), BaseEndpoint: aws.String(s.endpoint)})
}

// gitRepo makes a bare repository with the given files on main, and
// returns its file:// URL and the commit.
func gitRepo(t *testing.T, files map[string]string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	work, bare := filepath.Join(dir, "work"), filepath.Join(dir, "repo.git")
	git := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	os.MkdirAll(work, 0o755)
	git(work, "init", "-q", "-b", "main")
	for name, content := range files {
		p := filepath.Join(work, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git(work, "add", "-A")
	git(work, "commit", "-q", "-m", "first")
	commit := git(work, "rev-parse", "HEAD")
	git(dir, "clone", "-q", "--bare", work, bare)
	return "file://" + bare, commit
}

// waitBuild polls BatchGetBuilds until the build completes.
func waitBuild(t testing.TB, c *codebuild.Client, id string, timeout time.Duration) cbtypes.Build {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out, err := c.BatchGetBuilds(context.Background(), &codebuild.BatchGetBuildsInput{Ids: []string{id}})
		if err != nil {
			t.Fatalf("BatchGetBuilds(%s): %v", id, err)
		}
		if len(out.Builds) != 1 {
			t.Fatalf("BatchGetBuilds(%s): %d builds, not found %v", id, len(out.Builds), out.BuildsNotFound)
		}
		if b := out.Builds[0]; b.BuildComplete {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("build %s did not complete within %v: %+v", id, timeout, out.Builds[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logText reads a build's whole log through GetLogEvents.
func logText(t *testing.T, l *cloudwatchlogs.Client, b cbtypes.Build) string {
	t.Helper()
	var sb strings.Builder
	var token *string
	for {
		out, err := l.GetLogEvents(context.Background(), &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: b.Logs.GroupName, LogStreamName: b.Logs.StreamName, StartFromHead: aws.Bool(true), NextToken: token,
		})
		if err != nil {
			t.Fatalf("GetLogEvents: %v", err)
		}
		for _, e := range out.Events {
			sb.WriteString(aws.ToString(e.Message) + "\n")
		}
		if token != nil && aws.ToString(out.NextForwardToken) == *token {
			return sb.String()
		}
		token = out.NextForwardToken
	}
}

func phase(b cbtypes.Build, typ cbtypes.BuildPhaseType) *cbtypes.BuildPhase {
	for i := range b.Phases {
		if b.Phases[i].PhaseType == typ {
			return &b.Phases[i]
		}
	}
	return nil
}

func apiErrorCode(err error) string {
	var ae interface{ ErrorCode() string }
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

var _ = io.Discard
var _ = fmt.Sprint
