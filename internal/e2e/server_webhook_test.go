package e2e_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
)

// The commits the saved payloads (internal/webhook/testdata) name; the
// tests put the repository's in their place.
const (
	payloadHead  = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
	payloadBase  = "95790bf891e76fee5e1747ab589903a6a1f80f22"
	payloadMerge = "c0ffee0000000000000000000000000000c0ffee"
)

const webhookSpec = `version: 0.2
phases:
  build:
    commands:
      - echo "EVENT=$CODEBUILD_WEBHOOK_EVENT"
      - echo "TRIGGER=$CODEBUILD_WEBHOOK_TRIGGER"
      - echo "HEAD_REF=$CODEBUILD_WEBHOOK_HEAD_REF"
      - echo "BASE_REF=$CODEBUILD_WEBHOOK_BASE_REF"
      - echo "ACTOR=$CODEBUILD_WEBHOOK_ACTOR_ACCOUNT_ID"
      - echo "PREV=$CODEBUILD_WEBHOOK_PREV_COMMIT"
      - echo "MERGE=$CODEBUILD_WEBHOOK_MERGE_COMMIT"
      - echo "SOURCE_VERSION=$CODEBUILD_SOURCE_VERSION"
      - echo "RESOLVED=$CODEBUILD_RESOLVED_SOURCE_VERSION"
      - echo "INITIATOR=$CODEBUILD_INITIATOR"
      - echo "CHECKED_OUT=$(git rev-parse HEAD)"
      - cat which.txt
`

// forgeRepo is a bare repository shaped as the payloads are: main at
// base, then pushed to push (tagged v1.2.0), and feature/login, from
// base, at head.
type forgeRepo struct {
	url              string
	base, push, head string
}

func newForgeRepo(t testing.TB, spec string) forgeRepo {
	t.Helper()
	dir := t.TempDir()
	work, bare := filepath.Join(dir, "work"), filepath.Join(dir, "repo.git")
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(work, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(work, 0o755)
	git("init", "-q", "-b", "main")
	write("buildspec.yml", spec)
	write("which.txt", "base\n")
	git("add", "-A")
	git("commit", "-q", "-m", "first")
	r := forgeRepo{base: git("rev-parse", "HEAD")}
	write("which.txt", "push\n")
	git("commit", "-q", "-am", "Update README [CodeBuild]")
	r.push = git("rev-parse", "HEAD")
	git("tag", "v1.2.0")
	git("checkout", "-q", "-b", "feature/login", r.base)
	write("which.txt", "head\n")
	git("commit", "-q", "-am", "Add a login page")
	r.head = git("rev-parse", "HEAD")
	git("checkout", "-q", "main")
	cmd := exec.Command("git", "clone", "-q", "--bare", work, bare)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	r.url = "file://" + bare
	return r
}

// payload reads a saved payload with the repository's commits in it:
// pushes go from base to push, pull requests from base to head.
func (r forgeRepo) payload(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "webhook", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	after := r.push
	if strings.Contains(name, "pull") || strings.Contains(name, "merge_request") {
		after = r.head
	}
	s = strings.NewReplacer(payloadHead, after, payloadHead[:12], after[:12], payloadBase, r.base, payloadBase[:12], r.base[:12], payloadMerge, r.push).Replace(s)
	return []byte(s)
}

// delivery is a POST of a payload as a forge sends it.
type delivery struct {
	forge, event, id string
	body             []byte
	secret           string // signs the body; "" leaves it unsigned
	userAgent        string
}

func (d delivery) request(t testing.TB, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(d.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	m := hmac.New(sha256.New, []byte(d.secret))
	m.Write(d.body)
	sig := hex.EncodeToString(m.Sum(nil))
	ua := d.userAgent
	switch d.forge {
	case "github":
		req.Header.Set("X-GitHub-Event", d.event)
		req.Header.Set("X-GitHub-Delivery", d.id)
		req.Header.Set("X-GitHub-Hook-ID", "292430182")
		if d.secret != "" {
			req.Header.Set("X-Hub-Signature-256", "sha256="+sig)
		}
		ua = cmp.Or(ua, "GitHub-Hookshot/a1b2c3d")
	case "gitlab":
		req.Header.Set("X-Gitlab-Event", d.event)
		req.Header.Set("X-Gitlab-Event-UUID", d.id)
		req.Header.Set("X-Gitlab-Instance", "https://gitlab.example.com")
		if d.secret != "" {
			req.Header.Set("X-Gitlab-Token", d.secret)
		}
		ua = cmp.Or(ua, "GitLab/17.0.0")
	case "bitbucket":
		req.Header.Set("X-Event-Key", d.event)
		req.Header.Set("X-Request-UUID", d.id)
		req.Header.Set("X-Hook-UUID", "{8b6f4d8e-4ab1-4bd0-9d9a-0d0e3cf5d3a1}")
		if d.secret != "" {
			req.Header.Set("X-Hub-Signature", "sha256="+sig)
		}
		ua = cmp.Or(ua, "Bitbucket-Webhooks/2.0")
	case "gitea":
		req.Header.Set("X-Gitea-Event", d.event)
		req.Header.Set("X-Gitea-Delivery", d.id)
		req.Header.Set("X-GitHub-Event", d.event)
		req.Header.Set("X-GitHub-Delivery", d.id)
		if d.secret != "" {
			req.Header.Set("X-Gitea-Signature", sig)
		}
		ua = cmp.Or(ua, "Go-http-client/1.1")
	}
	req.Header.Set("User-Agent", ua)
	return req
}

type hookAnswer struct {
	Message     string `json:"message"`
	Build       string `json:"build"`
	BuildBatch  string `json:"buildBatch"`
	FilterGroup int    `json:"filterGroup"`
	Duplicate   bool   `json:"duplicate"`
	Skipped     string `json:"skipped"`
}

func deliver(t testing.TB, url string, d delivery) (int, hookAnswer) {
	t.Helper()
	resp, err := http.DefaultClient.Do(d.request(t, url))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var a hookAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatalf("POST %s: %d %q: %v", url, resp.StatusCode, body, err)
	}
	return resp.StatusCode, a
}

func createHookProject(t testing.TB, cb *codebuild.Client, name, repo string, source cbtypes.SourceType) {
	t.Helper()
	_, err := cb.CreateProject(context.Background(), &codebuild.CreateProjectInput{
		Name:        aws.String(name),
		Source:      &cbtypes.ProjectSource{Type: source, Location: aws.String(repo)},
		Artifacts:   &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
		Environment: &cbtypes.ProjectEnvironment{Type: cbtypes.EnvironmentTypeLinuxContainer, Image: aws.String("aws/codebuild/standard:7.0"), ComputeType: cbtypes.ComputeTypeBuildGeneral1Small},
		ServiceRole: aws.String("r"),
	})
	if err != nil {
		t.Fatalf("CreateProject(%s): %v", name, err)
	}
}

// TestServerWebhooks delivers each forge's push of a branch and a tag
// and its pull request opened, updated and merged to a project's webhook,
// signed with its secret, and checks the builds they start: the commit
// checked out, sourceVersion, the initiator and every CODEBUILD_WEBHOOK_*
// variable.
func TestServerWebhooks(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	cb := srv.codebuild()
	ctx := context.Background()
	repo := newForgeRepo(t, webhookSpec)
	sources := map[string]cbtypes.SourceType{"github": cbtypes.SourceTypeGithub, "gitlab": cbtypes.SourceTypeGitlab,
		"bitbucket": cbtypes.SourceTypeBitbucket, "gitea": cbtypes.SourceTypeGithubEnterprise}
	hooks := map[string]*cbtypes.Webhook{}
	for forge, typ := range sources {
		createHookProject(t, cb, "hook-"+forge, repo.url, typ)
		out, err := cb.CreateWebhook(ctx, &codebuild.CreateWebhookInput{ProjectName: aws.String("hook-" + forge),
			FilterGroups: [][]cbtypes.WebhookFilter{
				{{Type: cbtypes.WebhookFilterTypeEvent, Pattern: aws.String("PUSH")}, {Type: cbtypes.WebhookFilterTypeHeadRef, Pattern: aws.String("^refs/(heads/main|tags/v1)")}},
				{{Type: cbtypes.WebhookFilterTypeEvent, Pattern: aws.String("PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED, PULL_REQUEST_MERGED")},
					{Type: cbtypes.WebhookFilterTypeBaseRef, Pattern: aws.String("^refs/heads/main$")},
					{Type: cbtypes.WebhookFilterTypeHeadRef, Pattern: aws.String("^refs/tags/"), ExcludeMatchedPattern: aws.Bool(true)}},
			}})
		if err != nil {
			t.Fatalf("CreateWebhook(%s): %v", forge, err)
		}
		w := out.Webhook
		if aws.ToString(w.Secret) == "" || !strings.HasPrefix(aws.ToString(w.PayloadUrl), srv.endpoint+"/_codeyard/webhooks/") || w.LastModifiedSecret == nil {
			t.Fatalf("CreateWebhook(%s) = %+v: want a secret, a payload URL at %s and lastModifiedSecret", forge, w, srv.endpoint)
		}
		hooks[forge] = w
	}

	const (
		bbActor = "557058:c0b8a3c5-3a4d-4b1e-9a4e-4f7f3e2a1b6c"
	)
	pr := func(event, actor, prev, merge string) map[string]string {
		return map[string]string{"EVENT": event, "TRIGGER": "pr/7", "HEAD_REF": "refs/heads/feature/login", "BASE_REF": "refs/heads/main",
			"ACTOR": actor, "PREV": prev, "MERGE": merge, "SOURCE_VERSION": "pr/7", "CHECKED_OUT": repo.head, "RESOLVED": repo.head, "which": "head"}
	}
	push := func(ref, trigger, actor, prev string) map[string]string {
		return map[string]string{"EVENT": "PUSH", "TRIGGER": trigger, "HEAD_REF": ref, "BASE_REF": "", "ACTOR": actor, "PREV": prev, "MERGE": "",
			"SOURCE_VERSION": repo.push, "CHECKED_OUT": repo.push, "RESOLVED": repo.push, "which": "push"}
	}
	tests := []struct {
		forge, file, event string
		initiator          string
		want               map[string]string
	}{
		{"github", "github_push.json", "push", "GitHub-Hookshot/a1b2c3d", push("refs/heads/main", "branch/main", "583231", repo.base)},
		{"github", "github_push_tag.json", "push", "GitHub-Hookshot/a1b2c3d", push("refs/tags/v1.2.0", "tag/v1.2.0", "583231", "")},
		{"github", "github_pull_request_opened.json", "pull_request", "GitHub-Hookshot/a1b2c3d", pr("PULL_REQUEST_CREATED", "583233", "", "")},
		{"github", "github_pull_request_synchronize.json", "pull_request", "GitHub-Hookshot/a1b2c3d", pr("PULL_REQUEST_UPDATED", "583233", repo.base, "")},
		{"github", "github_pull_request_merged.json", "pull_request", "GitHub-Hookshot/a1b2c3d", pr("PULL_REQUEST_MERGED", "583233", "", repo.push)},
		{"gitlab", "gitlab_push.json", "Push Hook", "GitLab/17.0.0", push("refs/heads/main", "branch/main", "4", repo.base)},
		{"gitlab", "gitlab_tag_push.json", "Tag Push Hook", "GitLab/17.0.0", push("refs/tags/v1.2.0", "tag/v1.2.0", "4", "")},
		{"gitlab", "gitlab_merge_request_open.json", "Merge Request Hook", "GitLab/17.0.0", pr("PULL_REQUEST_CREATED", "1", "", "")},
		{"gitlab", "gitlab_merge_request_update.json", "Merge Request Hook", "GitLab/17.0.0", pr("PULL_REQUEST_UPDATED", "1", repo.base, "")},
		{"gitlab", "gitlab_merge_request_merge.json", "Merge Request Hook", "GitLab/17.0.0", pr("PULL_REQUEST_MERGED", "1", "", repo.push)},
		{"bitbucket", "bitbucket_push.json", "repo:push", "Bitbucket-Webhooks/2.0", push("refs/heads/main", "branch/main", bbActor, repo.base)},
		{"bitbucket", "bitbucket_push_tag.json", "repo:push", "Bitbucket-Webhooks/2.0", push("refs/tags/v1.2.0", "tag/v1.2.0", bbActor, "")},
		{"bitbucket", "bitbucket_pullrequest_created.json", "pullrequest:created", "Bitbucket-Webhooks/2.0", pr("PULL_REQUEST_CREATED", bbActor, "", "")},
		{"bitbucket", "bitbucket_pullrequest_updated.json", "pullrequest:updated", "Bitbucket-Webhooks/2.0", pr("PULL_REQUEST_UPDATED", bbActor, "", "")},
		{"gitea", "gitea_push.json", "push", "Go-http-client/1.1", push("refs/heads/main", "branch/main", "1", repo.base)},
		{"gitea", "gitea_push_tag.json", "push", "Go-http-client/1.1", push("refs/tags/v1.2.0", "tag/v1.2.0", "1", "")},
		{"gitea", "gitea_pull_request_opened.json", "pull_request", "Go-http-client/1.1", pr("PULL_REQUEST_CREATED", "2", "", "")},
		{"gitea", "gitea_pull_request_synchronized.json", "pull_request", "Go-http-client/1.1", pr("PULL_REQUEST_UPDATED", "2", "", "")},
		{"gitea", "gitea_pull_request_merged.json", "pull_request", "Go-http-client/1.1", pr("PULL_REQUEST_MERGED", "2", "", repo.push)},
	}
	// A Bitbucket merge builds the merge commit, on main.
	bbMerged := pr("PULL_REQUEST_MERGED", bbActor, "", repo.push)
	bbMerged["CHECKED_OUT"], bbMerged["RESOLVED"], bbMerged["which"] = repo.push, repo.push, "push"
	tests = append(tests, struct {
		forge, file, event string
		initiator          string
		want               map[string]string
	}{"bitbucket", "bitbucket_pullrequest_fulfilled.json", "pullrequest:fulfilled", "Bitbucket-Webhooks/2.0", bbMerged})

	for i, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			w := hooks[tt.forge]
			d := delivery{forge: tt.forge, event: tt.event, id: "delivery-" + tt.file, body: repo.payload(t, tt.file), secret: aws.ToString(w.Secret)}
			code, a := deliver(t, aws.ToString(w.PayloadUrl), d)
			if code != http.StatusAccepted || a.Build == "" {
				t.Fatalf("deliver %s: %d %+v, want 202 and a build", tt.file, code, a)
			}
			wantGroup := 1
			if tt.want["SOURCE_VERSION"] == "pr/7" {
				wantGroup = 2
			}
			if a.FilterGroup != wantGroup {
				t.Errorf("deliver %s: filter group %d, want %d", tt.file, a.FilterGroup, wantGroup)
			}
			b := waitBuild(t, cb, a.Build, time.Minute)
			log := logText(t, srv.logs(), b)
			if b.BuildStatus != cbtypes.StatusTypeSucceeded {
				t.Fatalf("build %d (%s): %s\n%s", i, tt.file, b.BuildStatus, log)
			}
			if got := aws.ToString(b.SourceVersion); got != tt.want["SOURCE_VERSION"] {
				t.Errorf("%s: sourceVersion %q, want %q", tt.file, got, tt.want["SOURCE_VERSION"])
			}
			if got := aws.ToString(b.ResolvedSourceVersion); got != tt.want["RESOLVED"] {
				t.Errorf("%s: resolvedSourceVersion %q, want %q", tt.file, got, tt.want["RESOLVED"])
			}
			if got := aws.ToString(b.Initiator); got != tt.initiator {
				t.Errorf("%s: initiator %q, want %q", tt.file, got, tt.initiator)
			}
			want := map[string]string{"INITIATOR": tt.initiator}
			for k, v := range tt.want {
				want[k] = v
			}
			for k, v := range want {
				if k == "which" {
					if !strings.Contains(log, "\n"+v+"\n") {
						t.Errorf("%s: the build did not check out the %s commit:\n%s", tt.file, v, log)
					}
					continue
				}
				if !strings.Contains(log, "\n"+k+"="+v+"\n") {
					t.Errorf("%s: log has no %s=%s:\n%s", tt.file, k, v, log)
				}
			}
		})
	}
}

// TestServerWebhookRejects checks what the endpoint refuses, and that it
// starts nothing for it: unsigned, badly signed, unknown, malformed or
// huge deliveries, a delivery no filter group takes, a duplicate, and a
// deleted webhook. It also checks CreateWebhook's, UpdateWebhook's and
// DeleteWebhook's answers and errors, and BatchGetProjects's webhook.
func TestServerWebhookRejects(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	cb := srv.codebuild()
	ctx := context.Background()
	repo := newForgeRepo(t, webhookSpec)
	createHookProject(t, cb, "rejects", repo.url, cbtypes.SourceTypeGithub)
	out, err := cb.CreateWebhook(ctx, &codebuild.CreateWebhookInput{ProjectName: aws.String("rejects"),
		FilterGroups: [][]cbtypes.WebhookFilter{{{Type: cbtypes.WebhookFilterTypeEvent, Pattern: aws.String("PUSH")},
			{Type: cbtypes.WebhookFilterTypeFilePath, Pattern: aws.String("^docs/"), ExcludeMatchedPattern: aws.Bool(true)}}}})
	if err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	w := out.Webhook
	url, secret := aws.ToString(w.PayloadUrl), aws.ToString(w.Secret)

	// The project shows the webhook, without its secret.
	ps, err := cb.BatchGetProjects(ctx, &codebuild.BatchGetProjectsInput{Names: []string{"rejects"}})
	if err != nil || len(ps.Projects) != 1 || ps.Projects[0].Webhook == nil {
		t.Fatalf("BatchGetProjects: %+v, %v: want the project with its webhook", ps, err)
	}
	pw := ps.Projects[0].Webhook
	if pw.Secret != nil || aws.ToString(pw.PayloadUrl) != url || aws.ToString(pw.Url) != url || pw.BuildType != cbtypes.WebhookBuildTypeBuild ||
		len(pw.FilterGroups) != 1 || len(pw.FilterGroups[0]) != 2 || pw.LastModifiedSecret == nil {
		t.Errorf("BatchGetProjects webhook = %+v: want the payload URL, BUILD, the filter group and no secret", pw)
	}

	for _, tt := range []struct {
		name string
		in   *codebuild.CreateWebhookInput
		code string
	}{
		{"second webhook", &codebuild.CreateWebhookInput{ProjectName: aws.String("rejects")}, "ResourceAlreadyExistsException"},
		{"no project", &codebuild.CreateWebhookInput{ProjectName: aws.String("nope")}, "ResourceNotFoundException"},
		{"no EVENT", &codebuild.CreateWebhookInput{ProjectName: aws.String("nope"), FilterGroups: [][]cbtypes.WebhookFilter{{{Type: cbtypes.WebhookFilterTypeHeadRef, Pattern: aws.String("x")}}}}, "ResourceNotFoundException"},
	} {
		if _, err := cb.CreateWebhook(ctx, tt.in); apiErrorCode(err) != tt.code {
			t.Errorf("CreateWebhook(%s) = %v, want %s", tt.name, err, tt.code)
		}
	}
	createHookProject(t, cb, "other", repo.url, cbtypes.SourceTypeGithub)
	for _, tt := range []struct {
		name   string
		groups [][]cbtypes.WebhookFilter
	}{
		{"no EVENT filter", [][]cbtypes.WebhookFilter{{{Type: cbtypes.WebhookFilterTypeHeadRef, Pattern: aws.String("x")}}}},
		{"unknown event", [][]cbtypes.WebhookFilter{{{Type: cbtypes.WebhookFilterTypeEvent, Pattern: aws.String("PUSH, FORKED")}}}},
		{"bad pattern", [][]cbtypes.WebhookFilter{{{Type: cbtypes.WebhookFilterTypeEvent, Pattern: aws.String("PUSH")}, {Type: cbtypes.WebhookFilterTypeFilePath, Pattern: aws.String("(")}}}},
	} {
		if _, err := cb.CreateWebhook(ctx, &codebuild.CreateWebhookInput{ProjectName: aws.String("other"), FilterGroups: tt.groups}); apiErrorCode(err) != "InvalidInputException" {
			t.Errorf("CreateWebhook(%s) = %v, want InvalidInputException", tt.name, err)
		}
	}
	if _, err := cb.UpdateWebhook(ctx, &codebuild.UpdateWebhookInput{ProjectName: aws.String("other")}); apiErrorCode(err) != "ResourceNotFoundException" {
		t.Errorf("UpdateWebhook(no webhook) = %v, want ResourceNotFoundException", err)
	}
	if _, err := cb.DeleteWebhook(ctx, &codebuild.DeleteWebhookInput{ProjectName: aws.String("other")}); apiErrorCode(err) != "ResourceNotFoundException" {
		t.Errorf("DeleteWebhook(no webhook) = %v, want ResourceNotFoundException", err)
	}

	body := repo.payload(t, "github_push.json")
	good := delivery{forge: "github", event: "push", id: "d-1", body: body, secret: secret}
	for _, tt := range []struct {
		name string
		url  string
		d    delivery
		code int
	}{
		{"unsigned", url, delivery{forge: "github", event: "push", id: "d-u", body: body}, http.StatusUnauthorized},
		{"wrong secret", url, delivery{forge: "github", event: "push", id: "d-w", body: body, secret: "not-the-secret"}, http.StatusForbidden},
		{"body changed after signing", url, func() delivery {
			d := good
			d.id = "d-c"
			d.body = bytes.Replace(body, []byte("refs/heads/main"), []byte("refs/heads/evil"), 1)
			r := good.request(t, url)
			_ = r
			return d
		}(), http.StatusAccepted}, // re-signed below: see tampered
		{"no event header", url, delivery{forge: "none", id: "d-n", body: body, secret: secret}, http.StatusBadRequest},
		{"unknown webhook", srv.endpoint + "/_codeyard/webhooks/0123456789abcdef", good, http.StatusNotFound},
		{"malformed", url, delivery{forge: "github", event: "push", id: "d-m", body: []byte(`{"ref": `), secret: secret}, http.StatusBadRequest},
		{"huge", url, delivery{forge: "github", event: "push", id: "d-h", body: bytes.Repeat([]byte(" "), 26<<20), secret: secret}, http.StatusRequestEntityTooLarge},
		{"ping", url, delivery{forge: "github", event: "ping", id: "d-p", body: repo.payload(t, "github_ping.json"), secret: secret}, http.StatusOK},
		{"no filter group", url, delivery{forge: "github", event: "pull_request", id: "d-pr", body: repo.payload(t, "github_pull_request_opened.json"), secret: secret}, http.StatusOK},
	} {
		if tt.name == "body changed after signing" {
			// Signed, then changed: the signature is the original body's.
			req := good.request(t, tt.url)
			req.Body = io.NopCloser(bytes.NewReader(tt.d.body))
			req.ContentLength = int64(len(tt.d.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s: %d, want 403", tt.name, resp.StatusCode)
			}
			continue
		}
		code, a := deliver(t, tt.url, tt.d)
		if code != tt.code || a.Build != "" {
			t.Errorf("%s: %d %+v, want %d and no build", tt.name, code, a, tt.code)
		}
	}
	// A push that changes only docs/ is excluded by the FILE_PATH filter.
	docsOnly := bytes.ReplaceAll(bytes.ReplaceAll(body, []byte(`"src/app.go"`), []byte(`"docs/app.md"`)), []byte(`"README.md"`), []byte(`"docs/README.md"`))
	if code, a := deliver(t, url, delivery{forge: "github", event: "push", id: "d-docs", body: docsOnly, secret: secret}); code != http.StatusOK || a.Skipped == "" {
		t.Errorf("docs-only push: %d %+v, want 200 skipped", code, a)
	}

	// A delivery starts one build, however often it is delivered.
	code, first := deliver(t, url, good)
	if code != http.StatusAccepted || first.Build == "" {
		t.Fatalf("first delivery: %d %+v, want 202 and a build", code, first)
	}
	for range 3 {
		code, again := deliver(t, url, good)
		if code != http.StatusOK || !again.Duplicate || again.Build != first.Build {
			t.Errorf("redelivery: %d %+v, want 200, duplicate of %s", code, again, first.Build)
		}
	}
	waitBuild(t, cb, first.Build, time.Minute)
	ids, err := cb.ListBuildsForProject(ctx, &codebuild.ListBuildsForProjectInput{ProjectName: aws.String("rejects")})
	if err != nil || len(ids.Ids) != 1 {
		t.Errorf("ListBuildsForProject = %v, %v; want the one build of the delivery", ids, err)
	}

	// A rotated secret replaces the old one.
	up, err := cb.UpdateWebhook(ctx, &codebuild.UpdateWebhookInput{ProjectName: aws.String("rejects"), RotateSecret: true})
	if err != nil {
		t.Fatalf("UpdateWebhook(rotateSecret): %v", err)
	}
	newSecret := aws.ToString(up.Webhook.Secret)
	if newSecret == "" || newSecret == secret || !up.Webhook.LastModifiedSecret.After(*w.LastModifiedSecret) && !up.Webhook.LastModifiedSecret.Equal(*w.LastModifiedSecret) {
		t.Errorf("UpdateWebhook(rotateSecret) = %+v, want a new secret", up.Webhook)
	}
	if code, _ := deliver(t, url, delivery{forge: "github", event: "push", id: "d-2", body: body, secret: secret}); code != http.StatusForbidden {
		t.Errorf("old secret after rotation: %d, want 403", code)
	}
	if code, a := deliver(t, url, delivery{forge: "github", event: "push", id: "d-3", body: body, secret: newSecret}); code != http.StatusAccepted {
		t.Errorf("new secret after rotation: %d %+v, want 202", code, a)
	} else {
		waitBuild(t, cb, a.Build, time.Minute)
	}

	// UpdateWebhook replaces the filter groups.
	if _, err := cb.UpdateWebhook(ctx, &codebuild.UpdateWebhookInput{ProjectName: aws.String("rejects"),
		FilterGroups: [][]cbtypes.WebhookFilter{{{Type: cbtypes.WebhookFilterTypeEvent, Pattern: aws.String("PULL_REQUEST_CREATED")}}}}); err != nil {
		t.Fatalf("UpdateWebhook(filterGroups): %v", err)
	}
	if code, a := deliver(t, url, delivery{forge: "github", event: "push", id: "d-4", body: body, secret: newSecret}); code != http.StatusOK || a.Skipped == "" {
		t.Errorf("push after the filter groups changed: %d %+v, want 200 skipped", code, a)
	}

	// Deleted: the payload URL is gone.
	if _, err := cb.DeleteWebhook(ctx, &codebuild.DeleteWebhookInput{ProjectName: aws.String("rejects")}); err != nil {
		t.Fatalf("DeleteWebhook: %v", err)
	}
	if code, _ := deliver(t, url, delivery{forge: "github", event: "push", id: "d-5", body: body, secret: newSecret}); code != http.StatusNotFound {
		t.Errorf("delivery after DeleteWebhook: %d, want 404", code)
	}
	ps, _ = cb.BatchGetProjects(ctx, &codebuild.BatchGetProjectsInput{Names: []string{"rejects"}})
	if len(ps.Projects) != 1 || ps.Projects[0].Webhook != nil {
		t.Errorf("BatchGetProjects after DeleteWebhook: webhook %+v, want none", ps.Projects[0].Webhook)
	}
}

// TestServerWebhookTestCommand replays saved payloads with `codeyard
// webhook test` against a project's webhook on the server: it names the
// filter group that passes and the build that would start, and starts
// none.
func TestServerWebhookTestCommand(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	cb := srv.codebuild()
	ctx := context.Background()
	repo := newForgeRepo(t, webhookSpec)
	createHookProject(t, cb, "replay", repo.url, cbtypes.SourceTypeGithub)
	if _, err := cb.CreateWebhook(ctx, &codebuild.CreateWebhookInput{ProjectName: aws.String("replay"),
		FilterGroups: [][]cbtypes.WebhookFilter{
			{{Type: cbtypes.WebhookFilterTypeEvent, Pattern: aws.String("PUSH")}, {Type: cbtypes.WebhookFilterTypeHeadRef, Pattern: aws.String("^refs/heads/dev$")}},
			{{Type: cbtypes.WebhookFilterTypeEvent, Pattern: aws.String("PUSH, PULL_REQUEST_CREATED")}, {Type: cbtypes.WebhookFilterTypeBaseRef, Pattern: aws.String("^refs/heads/main$")}},
		}}); err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	run := func(args ...string) (int, string) {
		cmd := exec.Command(binary, append([]string{"webhook", "test", "--project", "replay"}, args...)...)
		cmd.Env = append(os.Environ(), "CODEYARD_HOME="+t.TempDir(), "AWS_ENDPOINT_URL="+srv.endpoint,
			"AWS_ACCESS_KEY_ID="+srv.keyID, "AWS_SECRET_ACCESS_KEY="+srv.secret, "AWS_REGION=eu-west-1")
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, string(out)
	}
	dir := filepath.Join("..", "webhook", "testdata")
	code, out := run("--forge", "github", "--event", "pull_request", filepath.Join(dir, "github_pull_request_opened.json"))
	for _, want := range []string{"filter group 1: fails", "filter group 2: passes", "it would start a build of replay",
		"sourceVersion: pr/7", "CODEBUILD_WEBHOOK_TRIGGER=pr/7", "CODEBUILD_WEBHOOK_BASE_REF=refs/heads/main"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("webhook test (pull request): exit %d, want 0 and %q in:\n%s", code, want, out)
		}
	}
	code, out = run("--forge", "github", filepath.Join(dir, "github_push.json"))
	if code != 1 || !strings.Contains(out, `BASE_REF "^refs/heads/main$": fails`) || !strings.Contains(out, "no build would start") {
		t.Errorf("webhook test (push): exit %d, want 1 and no build:\n%s", code, out)
	}
	ids, err := cb.ListBuildsForProject(ctx, &codebuild.ListBuildsForProjectInput{ProjectName: aws.String("replay")})
	if err != nil || len(ids.Ids) != 0 {
		t.Errorf("ListBuildsForProject = %v, %v; want no builds", ids, err)
	}
}

// TestServerWebhookBatch: a webhook of build type BUILD_BATCH starts a
// build batch at the pushed commit, whose builds see the webhook's
// variables.
func TestServerWebhookBatch(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	cb := srv.codebuild()
	ctx := context.Background()
	repo := newForgeRepo(t, `version: 0.2
batch:
  build-list:
    - identifier: one
    - identifier: two
phases:
  build:
    commands:
      - echo "EVENT=$CODEBUILD_WEBHOOK_EVENT"
      - echo "TRIGGER=$CODEBUILD_WEBHOOK_TRIGGER"
      - cat which.txt
`)
	batchProject(t, cb, "batched", &cbtypes.ProjectSource{Type: cbtypes.SourceTypeGithub, Location: aws.String(repo.url)}, batchRole())
	out, err := cb.CreateWebhook(ctx, &codebuild.CreateWebhookInput{ProjectName: aws.String("batched"), BuildType: cbtypes.WebhookBuildTypeBuildBatch})
	if err != nil {
		t.Fatalf("CreateWebhook(BUILD_BATCH): %v", err)
	}
	code, a := deliver(t, aws.ToString(out.Webhook.PayloadUrl), delivery{forge: "github", event: "push", id: "batch-1",
		body: repo.payload(t, "github_push.json"), secret: aws.ToString(out.Webhook.Secret)})
	if code != http.StatusAccepted || a.BuildBatch == "" || a.Build != "" {
		t.Fatalf("deliver: %d %+v, want 202 and a build batch", code, a)
	}
	bb := waitBatch(t, cb, a.BuildBatch, time.Minute)
	if bb.BuildBatchStatus != cbtypes.StatusTypeSucceeded || len(bb.BuildGroups) < 2 {
		t.Fatalf("batch %s: %s, %d groups", a.BuildBatch, bb.BuildBatchStatus, len(bb.BuildGroups))
	}
	checked := 0
	for _, g := range bb.BuildGroups {
		if g.CurrentBuildSummary == nil || aws.ToString(g.Identifier) == "DOWNLOAD_SOURCE" {
			continue
		}
		checked++
		b := waitBuild(t, cb, aws.ToString(g.CurrentBuildSummary.Arn), time.Minute)
		log := logText(t, srv.logs(), b)
		for _, want := range []string{"\nEVENT=PUSH\n", "\nTRIGGER=branch/main\n", "\npush\n"} {
			if !strings.Contains(log, want) {
				t.Errorf("batch build %s: no %q in its log:\n%s", aws.ToString(b.Id), want, log)
			}
		}
	}
	if checked != 2 {
		t.Errorf("batch %s: %d builds checked, want 2: %+v", a.BuildBatch, checked, bb.BuildGroups)
	}
	// A project without a batch configuration cannot have one.
	createHookProject(t, cb, "single", repo.url, cbtypes.SourceTypeGithub)
	if _, err := cb.CreateWebhook(ctx, &codebuild.CreateWebhookInput{ProjectName: aws.String("single"), BuildType: cbtypes.WebhookBuildTypeBuildBatch}); apiErrorCode(err) != "InvalidInputException" {
		t.Errorf("CreateWebhook(BUILD_BATCH, no batch config) = %v, want InvalidInputException", err)
	}
}
