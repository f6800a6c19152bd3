package webhook

import (
	"strconv"
	"strings"
)

// Forges whose deliveries Parse reads.
const (
	GitHub    = "github"
	GitLab    = "gitlab"
	Bitbucket = "bitbucket"
	Gitea     = "gitea" // Gitea and Forgejo, which send the same payloads
)

// Event types, as an EVENT filter names them.
const (
	Push                = "PUSH"
	PullRequestCreated  = "PULL_REQUEST_CREATED"
	PullRequestUpdated  = "PULL_REQUEST_UPDATED"
	PullRequestReopened = "PULL_REQUEST_REOPENED"
	PullRequestMerged   = "PULL_REQUEST_MERGED"
	PullRequestClosed   = "PULL_REQUEST_CLOSED"
	Released            = "RELEASED"
	Prereleased         = "PRERELEASED"
)

// EventTypes are the event types an EVENT filter may name.
var EventTypes = []string{Push, PullRequestCreated, PullRequestUpdated, PullRequestReopened,
	PullRequestMerged, PullRequestClosed, Released, Prereleased}

// Event is one delivery of a forge, in CodeBuild's terms.
type Event struct {
	Forge string // GitHub, GitLab, Bitbucket or Gitea
	Type  string // Push, PullRequestCreated, ...
	// HeadRef is the pushed reference (refs/heads/<branch> or
	// refs/tags/<tag>), a pull request's source branch, or a release's
	// tag.
	HeadRef string
	// BaseRef is a pull request's target branch (refs/heads/<branch>).
	BaseRef string
	// Commit is the commit the build runs: the pushed commit, or a pull
	// request's head. Empty for a release, which builds its tag.
	Commit string
	// Prev is the commit before a push, or before a pull request's update.
	Prev string
	// MergeCommit is the commit that merged a pull request.
	MergeCommit string
	// PullRequest is the pull (merge) request's number.
	PullRequest int
	// Actor is the account id of who caused the event.
	Actor string
	// Files are the paths the event changed, when FilesKnown: a push
	// lists them, a pull request's payload does not.
	Files      []string
	FilesKnown bool
	// Message is the head commit's message, when MessageKnown.
	Message      string
	MessageKnown bool
	// TagName and ReleaseName are a release's.
	TagName     string
	ReleaseName string
	// Repository is the repository's name, Organization its owner's.
	Repository   string
	Organization string
}

// IsPullRequest reports whether the event is about a pull request.
func (e *Event) IsPullRequest() bool { return strings.HasPrefix(e.Type, "PULL_REQUEST_") }

// Trigger is CODEBUILD_WEBHOOK_TRIGGER: pr/<number>, branch/<name> or
// tag/<name>.
func (e *Event) Trigger() string {
	switch {
	case e.IsPullRequest():
		return "pr/" + strconv.Itoa(e.PullRequest)
	case strings.HasPrefix(e.HeadRef, "refs/tags/"):
		return "tag/" + strings.TrimPrefix(e.HeadRef, "refs/tags/")
	}
	return "branch/" + strings.TrimPrefix(e.HeadRef, "refs/heads/")
}

// Build is what an event's build runs.
type Build struct {
	// SourceVersion is the build's sourceVersion, and so its
	// CODEBUILD_SOURCE_VERSION: the commit of a push, pr/<number> for a
	// pull request, the tag of a release.
	SourceVersion string
	// Fetch is the version to fetch, as the git source reads it: the
	// commit, pinned to the reference it is found on (<ref>^{<commit>}),
	// so that it is fetched even from a server that does not serve
	// commits by id.
	Fetch string
	// Variables are the CODEBUILD_WEBHOOK_* variables, in a fixed order.
	Variables []Variable
}

// Variable is an environment variable of the build.
type Variable struct{ Name, Value string }

// Start returns what the build an event starts runs.
func (e *Event) Start() Build {
	var b Build
	switch {
	case e.IsPullRequest():
		b.SourceVersion = "pr/" + strconv.Itoa(e.PullRequest)
		commit, ref := e.Commit, prRef(e.Forge, e.PullRequest)
		if e.Forge == Bitbucket {
			ref = e.HeadRef
			if e.Type == PullRequestMerged && isCommit(e.MergeCommit) {
				// The source branch may be gone (squash merges close it):
				// build the merge commit, as CodeBuild does.
				commit, ref = e.MergeCommit, e.BaseRef
			}
		}
		b.Fetch = pin(ref, commit)
	case e.Commit != "":
		b.SourceVersion = e.Commit
		b.Fetch = pin(e.HeadRef, e.Commit)
	default:
		b.SourceVersion = e.HeadRef
		b.Fetch = e.HeadRef
	}
	add := func(name, value string) {
		if value != "" {
			b.Variables = append(b.Variables, Variable{name, value})
		}
	}
	add("CODEBUILD_WEBHOOK_EVENT", e.Type)
	add("CODEBUILD_WEBHOOK_TRIGGER", e.Trigger())
	add("CODEBUILD_WEBHOOK_HEAD_REF", e.HeadRef)
	add("CODEBUILD_WEBHOOK_BASE_REF", e.BaseRef)
	add("CODEBUILD_WEBHOOK_ACTOR_ACCOUNT_ID", e.Actor)
	add("CODEBUILD_WEBHOOK_PREV_COMMIT", e.Prev)
	add("CODEBUILD_WEBHOOK_MERGE_COMMIT", e.MergeCommit)
	return b
}

// prRef is where a forge keeps a pull request's head.
func prRef(forge string, n int) string {
	if forge == GitLab {
		return "refs/merge-requests/" + strconv.Itoa(n) + "/head"
	}
	return "refs/pull/" + strconv.Itoa(n) + "/head"
}

// pin is ref^{commit} when commit is a full commit id; else the best of
// the two a git source can fetch.
func pin(ref, commit string) string {
	switch {
	case isCommit(commit) && ref != "":
		return ref + "^{" + commit + "}"
	case isCommit(commit):
		return commit
	case ref != "":
		return ref // an abbreviated id (Bitbucket's pull requests): the branch
	}
	return commit
}

// isCommit reports whether s is a full SHA-1 or SHA-256 commit id.
func isCommit(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
