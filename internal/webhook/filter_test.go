package webhook_test

import (
	"strings"
	"testing"

	"github.com/codeyard/codeyard/internal/webhook"
)

func TestMatch(t *testing.T) {
	t.Parallel()
	push := &webhook.Event{Type: webhook.Push, HeadRef: "refs/heads/main", Commit: head, Actor: "583231",
		Files: []string{"src/app.go", "README.md"}, FilesKnown: true, Message: "Fix the build [CodeBuild]", MessageKnown: true,
		Repository: "hello-world", Organization: "octocat"}
	tag := &webhook.Event{Type: webhook.Push, HeadRef: "refs/tags/v1.2.0", Commit: head, Actor: "583231", Files: []string{}, FilesKnown: true}
	docs := &webhook.Event{Type: webhook.Push, HeadRef: "refs/heads/main", Commit: head, Files: []string{"docs/a.md", "docs/b.md"}, FilesKnown: true}
	pr := &webhook.Event{Type: webhook.PullRequestCreated, HeadRef: "refs/heads/feature/login", BaseRef: "refs/heads/main",
		Commit: head, PullRequest: 7, Actor: "583233"}
	release := &webhook.Event{Type: webhook.Released, HeadRef: "refs/tags/v1.2.0", TagName: "v1.2.0", ReleaseName: "Version 1.2"}
	ev := func(p string) webhook.Filter { return webhook.Filter{Type: webhook.FilterEvent, Pattern: p} }
	f := func(typ, p string) webhook.Filter { return webhook.Filter{Type: typ, Pattern: p} }
	not := func(typ, p string) webhook.Filter { return webhook.Filter{Type: typ, Pattern: p, Exclude: true} }

	tests := []struct {
		name   string
		groups [][]webhook.Filter
		event  *webhook.Event
		want   int
	}{
		{"event", [][]webhook.Filter{{ev("PUSH")}}, push, 0},
		{"event list with spaces", [][]webhook.Filter{{ev("PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED,PUSH")}}, push, 0},
		{"event not listed", [][]webhook.Filter{{ev("PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED")}}, push, -1},
		{"event excluded", [][]webhook.Filter{{{Type: webhook.FilterEvent, Pattern: "PUSH", Exclude: true}}}, pr, 0},
		{"second group", [][]webhook.Filter{{ev("PULL_REQUEST_CREATED")}, {ev("PUSH")}}, push, 1},
		{"first group wins", [][]webhook.Filter{{ev("PUSH")}, {ev("PUSH")}}, push, 0},
		{"every filter of a group", [][]webhook.Filter{{ev("PUSH"), f("HEAD_REF", "^refs/heads/dev$")}}, push, -1},

		{"head ref", [][]webhook.Filter{{ev("PUSH"), f("HEAD_REF", "^refs/heads/main$")}}, push, 0},
		{"head ref is searched", [][]webhook.Filter{{ev("PUSH"), f("HEAD_REF", "main")}}, push, 0},
		{"head ref of a tag", [][]webhook.Filter{{ev("PUSH"), f("HEAD_REF", "^refs/tags/v1\\.")}}, tag, 0},
		{"head ref excludes tags", [][]webhook.Filter{{ev("PUSH"), not("HEAD_REF", "^refs/tags/.*")}}, tag, -1},
		{"head ref excludes tags, branch passes", [][]webhook.Filter{{ev("PUSH"), not("HEAD_REF", "^refs/tags/.*")}}, push, 0},
		{"head ref of a pull request", [][]webhook.Filter{{ev("PULL_REQUEST_CREATED"), f("HEAD_REF", "^refs/heads/feature/")}}, pr, 0},

		{"base ref", [][]webhook.Filter{{ev("PULL_REQUEST_CREATED"), f("BASE_REF", "^refs/heads/main$")}}, pr, 0},
		{"base ref mismatch", [][]webhook.Filter{{ev("PULL_REQUEST_CREATED"), f("BASE_REF", "^refs/heads/release$")}}, pr, -1},
		{"base ref excluded", [][]webhook.Filter{{ev("PULL_REQUEST_CREATED"), not("BASE_REF", "^refs/heads/main$")}}, pr, -1},
		{"base ref of a push does not match", [][]webhook.Filter{{ev("PUSH"), f("BASE_REF", ".*")}}, push, -1},
		{"base ref of a push is not excluded", [][]webhook.Filter{{ev("PUSH"), not("BASE_REF", ".*")}}, push, 0},

		{"actor", [][]webhook.Filter{{ev("PUSH"), f("ACTOR_ACCOUNT_ID", "^583231$")}}, push, 0},
		{"actor mismatch", [][]webhook.Filter{{ev("PUSH"), f("ACTOR_ACCOUNT_ID", "^12345$")}}, push, -1},
		{"actor excluded", [][]webhook.Filter{{ev("PUSH"), not("ACTOR_ACCOUNT_ID", "^583231$")}}, push, -1},
		{"other actor not excluded", [][]webhook.Filter{{ev("PULL_REQUEST_CREATED"), not("ACTOR_ACCOUNT_ID", "^583231$")}}, pr, 0},

		{"file path", [][]webhook.Filter{{ev("PUSH"), f("FILE_PATH", "^src/")}}, push, 0},
		{"file path, none matches", [][]webhook.Filter{{ev("PUSH"), f("FILE_PATH", "^buildspec.*")}}, push, -1},
		{"file path excluded, one other file", [][]webhook.Filter{{ev("PUSH"), not("FILE_PATH", "^docs/")}}, push, 0},
		{"file path excluded, only such files", [][]webhook.Filter{{ev("PUSH"), not("FILE_PATH", "^docs/")}}, docs, -1},
		{"file path of a push without files", [][]webhook.Filter{{ev("PUSH"), f("FILE_PATH", ".")}}, tag, -1},
		{"file path unknown passes", [][]webhook.Filter{{ev("PULL_REQUEST_CREATED"), f("FILE_PATH", "^src/")}}, pr, 0},

		{"commit message", [][]webhook.Filter{{ev("PUSH"), f("COMMIT_MESSAGE", "\\[CodeBuild\\]")}}, push, 0},
		{"commit message mismatch", [][]webhook.Filter{{ev("PUSH"), f("COMMIT_MESSAGE", "\\[skip\\]")}}, push, -1},
		{"commit message excluded", [][]webhook.Filter{{ev("PUSH"), not("COMMIT_MESSAGE", "\\[CodeBuild\\]")}}, push, -1},
		{"commit message unknown passes", [][]webhook.Filter{{ev("PULL_REQUEST_CREATED"), f("COMMIT_MESSAGE", "x")}}, pr, 0},

		{"tag name", [][]webhook.Filter{{ev("RELEASED"), f("TAG_NAME", "^v1\\.")}}, release, 0},
		{"tag name of a push does not match", [][]webhook.Filter{{ev("PUSH"), f("TAG_NAME", ".")}}, tag, -1},
		{"release name", [][]webhook.Filter{{ev("RELEASED, PRERELEASED"), f("RELEASE_NAME", "^Version")}}, release, 0},
		{"release name excluded", [][]webhook.Filter{{ev("RELEASED"), not("RELEASE_NAME", "^Version")}}, release, -1},
		{"repository name", [][]webhook.Filter{{ev("PUSH"), f("REPOSITORY_NAME", "^hello-world$")}}, push, 0},
		{"organization name", [][]webhook.Filter{{ev("PUSH"), f("ORGANIZATION_NAME", "^octo")}}, push, 0},
		{"organization name mismatch", [][]webhook.Filter{{ev("PUSH"), f("ORGANIZATION_NAME", "^acme$")}}, push, -1},

		{"default groups", webhook.DefaultGroups(""), push, 0},
		{"default groups take pull requests", webhook.DefaultGroups(""), pr, 0},
		{"default groups skip releases", webhook.DefaultGroups(""), release, -1},
		{"branch filter", webhook.DefaultGroups("^main$"), push, 0},
		{"branch filter mismatch", webhook.DefaultGroups("^dev$"), push, -1},
		{"branch filter of a pull request", webhook.DefaultGroups("^feature/"), pr, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := webhook.Check(tt.groups); err != nil && !strings.Contains(tt.name, "default") && !strings.Contains(tt.name, "branch") {
				t.Fatalf("Check(%v): %v", tt.groups, err)
			}
			if got := webhook.Match(tt.groups, tt.event); got != tt.want {
				t.Errorf("Match(%v, %+v) = %d, want %d; %+v", tt.groups, tt.event, got, tt.want, webhook.Evaluate(tt.groups, tt.event))
			}
		})
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		groups [][]webhook.Filter
		want   string // a part of the error; "" for none
	}{
		{"ok", [][]webhook.Filter{{{Type: "EVENT", Pattern: "PUSH, PULL_REQUEST_MERGED"}, {Type: "HEAD_REF", Pattern: "^refs/heads/"}}}, ""},
		{"none", nil, ""},
		{"empty group", [][]webhook.Filter{{}}, "filter group 1 is empty"},
		{"no event", [][]webhook.Filter{{{Type: "HEAD_REF", Pattern: "x"}}}, "no EVENT filter"},
		{"unknown event", [][]webhook.Filter{{{Type: "EVENT", Pattern: "PUSH, COMMENTED"}}}, `invalid event type "COMMENTED"`},
		{"workflow job", [][]webhook.Filter{{{Type: "EVENT", Pattern: "WORKFLOW_JOB_QUEUED"}}}, "not supported by codeyard"},
		{"workflow name", [][]webhook.Filter{{{Type: "EVENT", Pattern: "PUSH"}, {Type: "WORKFLOW_NAME", Pattern: "x"}}}, "not supported by codeyard"},
		{"unknown type", [][]webhook.Filter{{{Type: "EVENT", Pattern: "PUSH"}, {Type: "BRANCH", Pattern: "x"}}}, `invalid filter type "BRANCH"`},
		{"bad regexp", [][]webhook.Filter{{{Type: "EVENT", Pattern: "PUSH"}, {Type: "FILE_PATH", Pattern: "src/(.*"}}}, "invalid FILE_PATH pattern"},
		{"second group", [][]webhook.Filter{{{Type: "EVENT", Pattern: "PUSH"}}, {{Type: "BASE_REF", Pattern: "x"}}}, "filter group 2 has no EVENT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := webhook.Check(tt.groups)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("Check(%v) = %v, want %q", tt.groups, err, tt.want)
			}
		})
	}
}
