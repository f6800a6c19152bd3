package webhook_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/codeyard/codeyard/internal/webhook"
)

const (
	head  = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
	base  = "95790bf891e76fee5e1747ab589903a6a1f80f22"
	merge = "c0ffee0000000000000000000000000000c0ffee"
)

func payload(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var pushFiles = []string{"src/app.go", "README.md", "docs/old.md"}

func TestParse(t *testing.T) {
	t.Parallel()
	ghRepo := func(e webhook.Event) webhook.Event {
		e.Forge, e.Repository, e.Organization = webhook.GitHub, "hello-world", "octocat"
		return e
	}
	ghPR := func(typ string) webhook.Event {
		return ghRepo(webhook.Event{Type: typ, HeadRef: "refs/heads/feature/login", BaseRef: "refs/heads/main",
			Commit: head, PullRequest: 7, Actor: "583233"})
	}
	glRepo := func(e webhook.Event) webhook.Event {
		e.Forge, e.Repository, e.Organization = webhook.GitLab, "Diaspora", "Mike"
		return e
	}
	glMR := func(typ string) webhook.Event {
		return glRepo(webhook.Event{Type: typ, HeadRef: "refs/heads/feature/login", BaseRef: "refs/heads/main",
			Commit: head, PullRequest: 7, Actor: "1", Message: "Add a login page\n", MessageKnown: true})
	}
	const bbActor = "557058:c0b8a3c5-3a4d-4b1e-9a4e-4f7f3e2a1b6c"
	bbRepo := func(e webhook.Event) webhook.Event {
		e.Forge, e.Repository, e.Organization, e.Actor = webhook.Bitbucket, "hello-world", "team", bbActor
		return e
	}
	bbPR := func(typ string) webhook.Event {
		return bbRepo(webhook.Event{Type: typ, HeadRef: "refs/heads/feature/login", BaseRef: "refs/heads/main",
			Commit: head[:12], PullRequest: 7})
	}
	gtRepo := func(e webhook.Event) webhook.Event {
		e.Forge, e.Repository, e.Organization = webhook.Gitea, "hello-world", "gitea"
		return e
	}
	gtPR := func(typ string) webhook.Event {
		return gtRepo(webhook.Event{Type: typ, HeadRef: "refs/heads/feature/login", BaseRef: "refs/heads/main",
			Commit: head, PullRequest: 7, Actor: "2"})
	}
	with := func(e webhook.Event, f func(*webhook.Event)) webhook.Event { f(&e); return e }

	tests := []struct {
		file, forge, event string
		want               webhook.Event
		ignored            bool
	}{
		{file: "github_push.json", forge: webhook.GitHub, event: "push", want: ghRepo(webhook.Event{Type: webhook.Push, HeadRef: "refs/heads/main",
			Commit: head, Prev: base, Actor: "583231", Files: pushFiles, FilesKnown: true, Message: "Update README [CodeBuild]", MessageKnown: true})},
		{file: "github_push_tag.json", forge: webhook.GitHub, event: "push", want: ghRepo(webhook.Event{Type: webhook.Push, HeadRef: "refs/tags/v1.2.0",
			Commit: head, Actor: "583231", Files: []string{}, FilesKnown: true, Message: "Update README [CodeBuild]", MessageKnown: true})},
		{file: "github_push_delete.json", forge: webhook.GitHub, event: "push", ignored: true},
		{file: "github_pull_request_opened.json", forge: webhook.GitHub, event: "pull_request", want: ghPR(webhook.PullRequestCreated)},
		{file: "github_pull_request_synchronize.json", forge: webhook.GitHub, event: "pull_request", want: with(ghPR(webhook.PullRequestUpdated), func(e *webhook.Event) { e.Prev = base })},
		{file: "github_pull_request_reopened.json", forge: webhook.GitHub, event: "pull_request", want: ghPR(webhook.PullRequestReopened)},
		{file: "github_pull_request_merged.json", forge: webhook.GitHub, event: "pull_request", want: with(ghPR(webhook.PullRequestMerged), func(e *webhook.Event) { e.MergeCommit = merge })},
		{file: "github_pull_request_closed.json", forge: webhook.GitHub, event: "pull_request", want: ghPR(webhook.PullRequestClosed)},
		{file: "github_pull_request_labeled.json", forge: webhook.GitHub, event: "pull_request", ignored: true},
		{file: "github_release.json", forge: webhook.GitHub, event: "release", want: ghRepo(webhook.Event{Type: webhook.Released, HeadRef: "refs/tags/v1.2.0",
			TagName: "v1.2.0", ReleaseName: "Version 1.2", Actor: "583231"})},
		{file: "github_prerelease.json", forge: webhook.GitHub, event: "release", want: ghRepo(webhook.Event{Type: webhook.Prereleased, HeadRef: "refs/tags/v1.3.0-rc.1",
			TagName: "v1.3.0-rc.1", ReleaseName: "Version 1.3 RC 1", Actor: "583231"})},
		{file: "github_ping.json", forge: webhook.GitHub, event: "ping", ignored: true},
		{file: "github_push.json", forge: webhook.GitHub, event: "issues", ignored: true},

		{file: "gitlab_push.json", forge: webhook.GitLab, event: "Push Hook", want: glRepo(webhook.Event{Type: webhook.Push, HeadRef: "refs/heads/main",
			Commit: head, Prev: base, Actor: "4", Files: pushFiles, FilesKnown: true, Message: "Update README [CodeBuild]\n", MessageKnown: true})},
		{file: "gitlab_tag_push.json", forge: webhook.GitLab, event: "Tag Push Hook", want: glRepo(webhook.Event{Type: webhook.Push, HeadRef: "refs/tags/v1.2.0",
			Commit: head, Actor: "4", Files: []string{}, FilesKnown: true})},
		{file: "gitlab_merge_request_open.json", forge: webhook.GitLab, event: "Merge Request Hook", want: glMR(webhook.PullRequestCreated)},
		{file: "gitlab_merge_request_update.json", forge: webhook.GitLab, event: "Merge Request Hook", want: with(glMR(webhook.PullRequestUpdated), func(e *webhook.Event) { e.Prev = base })},
		{file: "gitlab_merge_request_update_title.json", forge: webhook.GitLab, event: "Merge Request Hook", ignored: true},
		{file: "gitlab_merge_request_merge.json", forge: webhook.GitLab, event: "Merge Request Hook", want: with(glMR(webhook.PullRequestMerged), func(e *webhook.Event) { e.MergeCommit = merge })},
		{file: "gitlab_merge_request_close.json", forge: webhook.GitLab, event: "Merge Request Hook", want: glMR(webhook.PullRequestClosed)},
		{file: "gitlab_merge_request_reopen.json", forge: webhook.GitLab, event: "Merge Request Hook", want: glMR(webhook.PullRequestReopened)},
		{file: "gitlab_release.json", forge: webhook.GitLab, event: "Release Hook", want: glRepo(webhook.Event{Type: webhook.Released, HeadRef: "refs/tags/v1.2.0",
			TagName: "v1.2.0", ReleaseName: "Version 1.2"})},

		{file: "bitbucket_push.json", forge: webhook.Bitbucket, event: "repo:push", want: bbRepo(webhook.Event{Type: webhook.Push, HeadRef: "refs/heads/main",
			Commit: head, Prev: base, Message: "Update README [CodeBuild]\n", MessageKnown: true})},
		{file: "bitbucket_push_tag.json", forge: webhook.Bitbucket, event: "repo:push", want: bbRepo(webhook.Event{Type: webhook.Push, HeadRef: "refs/tags/v1.2.0",
			Commit: head, Message: "Update README [CodeBuild]\n", MessageKnown: true})},
		{file: "bitbucket_pullrequest_created.json", forge: webhook.Bitbucket, event: "pullrequest:created", want: bbPR(webhook.PullRequestCreated)},
		{file: "bitbucket_pullrequest_updated.json", forge: webhook.Bitbucket, event: "pullrequest:updated", want: bbPR(webhook.PullRequestUpdated)},
		{file: "bitbucket_pullrequest_fulfilled.json", forge: webhook.Bitbucket, event: "pullrequest:fulfilled", want: with(bbPR(webhook.PullRequestMerged), func(e *webhook.Event) { e.MergeCommit = merge })},
		{file: "bitbucket_pullrequest_rejected.json", forge: webhook.Bitbucket, event: "pullrequest:rejected", want: bbPR(webhook.PullRequestClosed)},

		{file: "gitea_push.json", forge: webhook.Gitea, event: "push", want: gtRepo(webhook.Event{Type: webhook.Push, HeadRef: "refs/heads/main",
			Commit: head, Prev: base, Actor: "1", Files: []string{"src/app.go", "README.md", "docs/old.md"}, FilesKnown: true, Message: "Update README [CodeBuild]\n", MessageKnown: true})},
		{file: "gitea_push_tag.json", forge: webhook.Gitea, event: "push", want: gtRepo(webhook.Event{Type: webhook.Push, HeadRef: "refs/tags/v1.2.0",
			Commit: head, Actor: "1", Files: []string{}, FilesKnown: true, Message: "Update README [CodeBuild]\n", MessageKnown: true})},
		{file: "gitea_pull_request_opened.json", forge: webhook.Gitea, event: "pull_request", want: gtPR(webhook.PullRequestCreated)},
		{file: "gitea_pull_request_synchronized.json", forge: webhook.Gitea, event: "pull_request", want: gtPR(webhook.PullRequestUpdated)},
		{file: "gitea_pull_request_merged.json", forge: webhook.Gitea, event: "pull_request", want: with(gtPR(webhook.PullRequestMerged), func(e *webhook.Event) { e.MergeCommit = merge })},
		{file: "gitea_release.json", forge: webhook.Gitea, event: "release", want: gtRepo(webhook.Event{Type: webhook.Released, HeadRef: "refs/tags/v1.2.0",
			TagName: "v1.2.0", ReleaseName: "Version 1.2", Actor: "1"})},
	}
	for _, tt := range tests {
		t.Run(tt.forge+"/"+tt.file, func(t *testing.T) {
			t.Parallel()
			got, err := webhook.Parse(tt.forge, tt.event, payload(t, tt.file))
			if tt.ignored {
				if !errors.Is(err, webhook.ErrIgnored) {
					t.Fatalf("Parse(%s) = %+v, %v; want ErrIgnored", tt.file, got, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%s): %v", tt.file, err)
			}
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("Parse(%s) mismatch (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}

func TestParseMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, forge, event, body string
	}{
		{"not JSON", webhook.GitHub, "push", `{"ref": `},
		{"wrong type", webhook.GitHub, "push", `{"ref": 7}`},
		{"short ref", webhook.GitHub, "push", `{"ref": "main", "after": "` + head + `"}`},
		{"no pull request", webhook.GitHub, "pull_request", `{"action": "opened", "number": 1}`},
		{"pull request without head", webhook.Gitea, "pull_request", `{"action": "opened", "number": 1, "pull_request": {}}`},
		{"release without tag", webhook.GitHub, "release", `{"action": "released", "release": {}}`},
		{"merge request without attributes", webhook.GitLab, "Merge Request Hook", `{"object_kind": "merge_request"}`},
		{"bitbucket push without push", webhook.Bitbucket, "repo:push", `{"actor": {}}`},
		{"bitbucket change without target", webhook.Bitbucket, "repo:push", `{"push": {"changes": [{"new": {"type": "branch", "name": "x"}}]}}`},
		{"actor id not a number", webhook.GitHub, "push", `{"ref": "refs/heads/x", "after": "` + head + `", "sender": {"id": 1.5}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := webhook.Parse(tt.forge, tt.event, []byte(tt.body))
			var se *webhook.SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("Parse(%s) = %+v, %v; want a SyntaxError", tt.body, got, err)
			}
		})
	}
}

func TestParseForm(t *testing.T) {
	t.Parallel()
	body := "payload=" + urlQueryEscape(string(payload(t, "github_push.json")))
	e, err := webhook.Parse(webhook.GitHub, "push", []byte(body))
	if err != nil || e.Commit != head {
		t.Errorf("Parse(form) = %+v, %v; want commit %s", e, err, head)
	}
}

func TestStart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, forge, event string
		want               webhook.Build
	}{
		{"github_push.json", webhook.GitHub, "push", webhook.Build{SourceVersion: head, Fetch: "refs/heads/main^{" + head + "}", Variables: []webhook.Variable{
			{"CODEBUILD_WEBHOOK_EVENT", "PUSH"}, {"CODEBUILD_WEBHOOK_TRIGGER", "branch/main"}, {"CODEBUILD_WEBHOOK_HEAD_REF", "refs/heads/main"},
			{"CODEBUILD_WEBHOOK_ACTOR_ACCOUNT_ID", "583231"}, {"CODEBUILD_WEBHOOK_PREV_COMMIT", base}}}},
		{"github_push_tag.json", webhook.GitHub, "push", webhook.Build{SourceVersion: head, Fetch: "refs/tags/v1.2.0^{" + head + "}", Variables: []webhook.Variable{
			{"CODEBUILD_WEBHOOK_EVENT", "PUSH"}, {"CODEBUILD_WEBHOOK_TRIGGER", "tag/v1.2.0"}, {"CODEBUILD_WEBHOOK_HEAD_REF", "refs/tags/v1.2.0"},
			{"CODEBUILD_WEBHOOK_ACTOR_ACCOUNT_ID", "583231"}}}},
		{"github_pull_request_merged.json", webhook.GitHub, "pull_request", webhook.Build{SourceVersion: "pr/7", Fetch: "refs/pull/7/head^{" + head + "}", Variables: []webhook.Variable{
			{"CODEBUILD_WEBHOOK_EVENT", "PULL_REQUEST_MERGED"}, {"CODEBUILD_WEBHOOK_TRIGGER", "pr/7"}, {"CODEBUILD_WEBHOOK_HEAD_REF", "refs/heads/feature/login"},
			{"CODEBUILD_WEBHOOK_BASE_REF", "refs/heads/main"}, {"CODEBUILD_WEBHOOK_ACTOR_ACCOUNT_ID", "583233"}, {"CODEBUILD_WEBHOOK_MERGE_COMMIT", merge}}}},
		{"gitlab_merge_request_update.json", webhook.GitLab, "Merge Request Hook", webhook.Build{SourceVersion: "pr/7", Fetch: "refs/merge-requests/7/head^{" + head + "}", Variables: []webhook.Variable{
			{"CODEBUILD_WEBHOOK_EVENT", "PULL_REQUEST_UPDATED"}, {"CODEBUILD_WEBHOOK_TRIGGER", "pr/7"}, {"CODEBUILD_WEBHOOK_HEAD_REF", "refs/heads/feature/login"},
			{"CODEBUILD_WEBHOOK_BASE_REF", "refs/heads/main"}, {"CODEBUILD_WEBHOOK_ACTOR_ACCOUNT_ID", "1"}, {"CODEBUILD_WEBHOOK_PREV_COMMIT", base}}}},
		{"bitbucket_pullrequest_created.json", webhook.Bitbucket, "pullrequest:created", webhook.Build{SourceVersion: "pr/7", Fetch: "refs/heads/feature/login", Variables: []webhook.Variable{
			{"CODEBUILD_WEBHOOK_EVENT", "PULL_REQUEST_CREATED"}, {"CODEBUILD_WEBHOOK_TRIGGER", "pr/7"}, {"CODEBUILD_WEBHOOK_HEAD_REF", "refs/heads/feature/login"},
			{"CODEBUILD_WEBHOOK_BASE_REF", "refs/heads/main"}, {"CODEBUILD_WEBHOOK_ACTOR_ACCOUNT_ID", "557058:c0b8a3c5-3a4d-4b1e-9a4e-4f7f3e2a1b6c"}}}},
		{"bitbucket_pullrequest_fulfilled.json", webhook.Bitbucket, "pullrequest:fulfilled", webhook.Build{SourceVersion: "pr/7", Fetch: "refs/heads/main^{" + merge + "}", Variables: []webhook.Variable{
			{"CODEBUILD_WEBHOOK_EVENT", "PULL_REQUEST_MERGED"}, {"CODEBUILD_WEBHOOK_TRIGGER", "pr/7"}, {"CODEBUILD_WEBHOOK_HEAD_REF", "refs/heads/feature/login"},
			{"CODEBUILD_WEBHOOK_BASE_REF", "refs/heads/main"}, {"CODEBUILD_WEBHOOK_ACTOR_ACCOUNT_ID", "557058:c0b8a3c5-3a4d-4b1e-9a4e-4f7f3e2a1b6c"}, {"CODEBUILD_WEBHOOK_MERGE_COMMIT", merge}}}},
		{"github_release.json", webhook.GitHub, "release", webhook.Build{SourceVersion: "refs/tags/v1.2.0", Fetch: "refs/tags/v1.2.0", Variables: []webhook.Variable{
			{"CODEBUILD_WEBHOOK_EVENT", "RELEASED"}, {"CODEBUILD_WEBHOOK_TRIGGER", "tag/v1.2.0"}, {"CODEBUILD_WEBHOOK_HEAD_REF", "refs/tags/v1.2.0"},
			{"CODEBUILD_WEBHOOK_ACTOR_ACCOUNT_ID", "583231"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			e, err := webhook.Parse(tt.forge, tt.event, payload(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, e.Start()); diff != "" {
				t.Errorf("Start(%s) mismatch (-want +got):\n%s", tt.file, diff)
			}
		})
	}
}
