package webhook

type glProject struct {
	Name              string `json:"name"`
	Namespace         string `json:"namespace"`
	PathWithNamespace string `json:"path_with_namespace"`
}

type glPush struct {
	ObjectKind  string    `json:"object_kind"`
	Before      string    `json:"before"`
	After       string    `json:"after"`
	Ref         string    `json:"ref"`
	CheckoutSHA string    `json:"checkout_sha"`
	UserID      id        `json:"user_id"`
	Project     glProject `json:"project"`
	Commits     []commit  `json:"commits"`
}

type glMerge struct {
	ObjectKind string `json:"object_kind"`
	User       struct {
		ID id `json:"id"`
	} `json:"user"`
	Project          glProject `json:"project"`
	ObjectAttributes *struct {
		IID          int    `json:"iid"`
		SourceBranch string `json:"source_branch"`
		TargetBranch string `json:"target_branch"`
		Action       string `json:"action"`
		OldRev       string `json:"oldrev"`
		MergeCommit  string `json:"merge_commit_sha"`
		LastCommit   struct {
			ID      string `json:"id"`
			Message string `json:"message"`
		} `json:"last_commit"`
	} `json:"object_attributes"`
}

type glRelease struct {
	ObjectKind string    `json:"object_kind"`
	Action     string    `json:"action"`
	Tag        string    `json:"tag"`
	Name       string    `json:"name"`
	Project    glProject `json:"project"`
}

func parseGitLab(event string, body []byte) (*Event, error) {
	switch event {
	case "Push Hook", "Tag Push Hook", "System Hook":
		var p glPush
		if err := decode(body, &p); err != nil {
			return nil, err
		}
		if p.ObjectKind != "push" && p.ObjectKind != "tag_push" {
			return nil, ignored("object kind %q starts no build", p.ObjectKind)
		}
		if err := requireRef(p.Ref); err != nil {
			return nil, err
		}
		after := p.After
		if !isZero(p.CheckoutSHA) {
			after = p.CheckoutSHA
		}
		if isZero(after) {
			return nil, ignored("push deleted %s", p.Ref)
		}
		e := &Event{Type: Push, HeadRef: p.Ref, Commit: after, Actor: string(p.UserID),
			Files: files(p.Commits), FilesKnown: true,
			Repository: p.Project.Name, Organization: p.Project.Namespace}
		if !isZero(p.Before) {
			e.Prev = p.Before
		}
		for i := len(p.Commits) - 1; i >= 0; i-- {
			if c := p.Commits[i]; c.ID == after || i == len(p.Commits)-1 {
				e.Message, e.MessageKnown = c.Message, true
				if c.ID == after {
					break
				}
			}
		}
		return e, nil
	case "Merge Request Hook":
		var p glMerge
		if err := decode(body, &p); err != nil {
			return nil, err
		}
		a := p.ObjectAttributes
		if a == nil || a.IID <= 0 || a.SourceBranch == "" || a.LastCommit.ID == "" {
			return nil, malformed("merge request without an iid, a source branch or a last commit")
		}
		e := &Event{HeadRef: "refs/heads/" + a.SourceBranch, BaseRef: "refs/heads/" + a.TargetBranch,
			Commit: a.LastCommit.ID, PullRequest: a.IID, Actor: string(p.User.ID),
			Message: a.LastCommit.Message, MessageKnown: true,
			Repository: p.Project.Name, Organization: p.Project.Namespace}
		switch a.Action {
		case "open":
			e.Type = PullRequestCreated
		case "update":
			if a.OldRev == "" {
				return nil, ignored("merge request update without new commits")
			}
			e.Type, e.Prev = PullRequestUpdated, a.OldRev
		case "reopen":
			e.Type = PullRequestReopened
		case "merge":
			e.Type, e.MergeCommit = PullRequestMerged, a.MergeCommit
		case "close":
			e.Type = PullRequestClosed
		default:
			return nil, ignored("merge request action %q starts no build", a.Action)
		}
		return e, nil
	case "Release Hook":
		var p glRelease
		if err := decode(body, &p); err != nil {
			return nil, err
		}
		if p.Action != "create" {
			return nil, ignored("release action %q starts no build", p.Action)
		}
		if p.Tag == "" {
			return nil, malformed("release without a tag")
		}
		return &Event{Type: Released, HeadRef: "refs/tags/" + p.Tag, TagName: p.Tag, ReleaseName: p.Name,
			Repository: p.Project.Name, Organization: p.Project.Namespace}, nil
	}
	return nil, ignored("event %q starts no build", event)
}
