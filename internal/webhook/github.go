package webhook

// GitHub and Gitea/Forgejo payloads: Gitea's push, pull_request and
// release events carry GitHub's fields (Gitea says "synchronized" where
// GitHub says "synchronize", and "published" for releases).

type ghRepo struct {
	Name     string `json:"name"`
	FullName string `json:"full_name"`
	Owner    struct {
		Login    string `json:"login"`
		Username string `json:"username"` // Gitea
	} `json:"owner"`
}

type ghUser struct {
	ID id `json:"id"`
}

type ghPush struct {
	Ref        string   `json:"ref"`
	Before     string   `json:"before"`
	After      string   `json:"after"`
	Deleted    bool     `json:"deleted"`
	Commits    []commit `json:"commits"`
	HeadCommit *commit  `json:"head_commit"`
	Repository ghRepo   `json:"repository"`
	Sender     ghUser   `json:"sender"`
}

type ghPull struct {
	Action      string `json:"action"`
	Number      int    `json:"number"`
	Before      string `json:"before"`
	PullRequest *struct {
		Number int `json:"number"`
		Head   struct {
			Ref string `json:"ref"`
			SHA string `json:"sha"`
		} `json:"head"`
		Base struct {
			Ref string `json:"ref"`
			SHA string `json:"sha"`
		} `json:"base"`
		Merged         bool   `json:"merged"`
		MergeCommitSHA string `json:"merge_commit_sha"`
	} `json:"pull_request"`
	Repository ghRepo `json:"repository"`
	Sender     ghUser `json:"sender"`
}

type ghRelease struct {
	Action  string `json:"action"`
	Release *struct {
		TagName    string `json:"tag_name"`
		Name       string `json:"name"`
		Prerelease bool   `json:"prerelease"`
		Draft      bool   `json:"draft"`
	} `json:"release"`
	Repository ghRepo `json:"repository"`
	Sender     ghUser `json:"sender"`
}

func (r ghRepo) owner() string {
	if r.Owner.Login != "" {
		return r.Owner.Login
	}
	return r.Owner.Username
}

func parseGitHub(event string, body []byte, forge string) (*Event, error) {
	switch event {
	case "push":
		var p ghPush
		if err := decode(body, &p); err != nil {
			return nil, err
		}
		if err := requireRef(p.Ref); err != nil {
			return nil, err
		}
		if p.Deleted || isZero(p.After) {
			return nil, ignored("push deleted %s", p.Ref)
		}
		e := &Event{Type: Push, HeadRef: p.Ref, Commit: p.After, Actor: string(p.Sender.ID),
			Files: files(p.Commits), FilesKnown: true,
			Repository: p.Repository.Name, Organization: p.Repository.owner()}
		if !isZero(p.Before) {
			e.Prev = p.Before
		}
		if p.HeadCommit != nil {
			e.Message, e.MessageKnown = p.HeadCommit.Message, true
		} else if n := len(p.Commits); n > 0 {
			e.Message, e.MessageKnown = p.Commits[n-1].Message, true
		}
		return e, nil
	case "pull_request":
		var p ghPull
		if err := decode(body, &p); err != nil {
			return nil, err
		}
		pr := p.PullRequest
		if pr == nil {
			return nil, malformed("no pull_request")
		}
		e := &Event{HeadRef: "refs/heads/" + pr.Head.Ref, BaseRef: "refs/heads/" + pr.Base.Ref,
			Commit: pr.Head.SHA, PullRequest: cmpOr(p.Number, pr.Number), Actor: string(p.Sender.ID),
			Repository: p.Repository.Name, Organization: p.Repository.owner()}
		switch p.Action {
		case "opened":
			e.Type = PullRequestCreated
		case "synchronize", "synchronized":
			e.Type = PullRequestUpdated
			e.Prev = p.Before
		case "reopened":
			e.Type = PullRequestReopened
		case "closed":
			e.Type = PullRequestClosed
			if pr.Merged {
				e.Type = PullRequestMerged
				e.MergeCommit = pr.MergeCommitSHA
			}
		default:
			return nil, ignored("pull request action %q starts no build", p.Action)
		}
		if pr.Head.Ref == "" || pr.Head.SHA == "" || e.PullRequest <= 0 {
			return nil, malformed("pull request without a head or a number")
		}
		return e, nil
	case "release":
		var p ghRelease
		if err := decode(body, &p); err != nil {
			return nil, err
		}
		rel := p.Release
		if rel == nil || rel.TagName == "" {
			return nil, malformed("release without a tag")
		}
		e := &Event{HeadRef: "refs/tags/" + rel.TagName, TagName: rel.TagName, ReleaseName: rel.Name,
			Actor: string(p.Sender.ID), Repository: p.Repository.Name, Organization: p.Repository.owner()}
		switch {
		case forge == GitHub && p.Action == "released", forge == Gitea && p.Action == "published" && !rel.Prerelease:
			e.Type = Released
		case forge == GitHub && p.Action == "prereleased", forge == Gitea && p.Action == "published" && rel.Prerelease:
			e.Type = Prereleased
		default:
			return nil, ignored("release action %q starts no build", p.Action)
		}
		if rel.Draft {
			return nil, ignored("draft release")
		}
		return e, nil
	case "ping":
		return nil, ignored("ping")
	}
	return nil, ignored("event %q starts no build", event)
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}
