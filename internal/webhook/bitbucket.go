package webhook

type bbRepo struct {
	Name      string `json:"name"`
	FullName  string `json:"full_name"`
	Workspace struct {
		Slug string `json:"slug"`
	} `json:"workspace"`
}

type bbActor struct {
	AccountID string `json:"account_id"`
}

type bbRef struct {
	Type   string `json:"type"` // branch, tag
	Name   string `json:"name"`
	Target struct {
		Hash    string  `json:"hash"`
		Message *string `json:"message"`
	} `json:"target"`
}

type bbPush struct {
	Actor      bbActor `json:"actor"`
	Repository bbRepo  `json:"repository"`
	Push       *struct {
		Changes []struct {
			New *bbRef `json:"new"`
			Old *bbRef `json:"old"`
		} `json:"changes"`
	} `json:"push"`
}

type bbPull struct {
	Actor       bbActor `json:"actor"`
	Repository  bbRepo  `json:"repository"`
	PullRequest *struct {
		ID     int `json:"id"`
		Source struct {
			Branch struct {
				Name string `json:"name"`
			} `json:"branch"`
			Commit struct {
				Hash string `json:"hash"`
			} `json:"commit"`
		} `json:"source"`
		Destination struct {
			Branch struct {
				Name string `json:"name"`
			} `json:"branch"`
		} `json:"destination"`
		MergeCommit *struct {
			Hash string `json:"hash"`
		} `json:"merge_commit"`
	} `json:"pullrequest"`
}

func parseBitbucket(event string, body []byte) (*Event, error) {
	switch event {
	case "repo:push":
		var p bbPush
		if err := decode(body, &p); err != nil {
			return nil, err
		}
		if p.Push == nil {
			return nil, malformed("no push")
		}
		// A push of several references: the first that still exists, as
		// CodeBuild builds one.
		for _, c := range p.Push.Changes {
			n := c.New
			if n == nil {
				continue
			}
			if n.Name == "" || n.Target.Hash == "" {
				return nil, malformed("push change without a name or a target")
			}
			ref := "refs/heads/" + n.Name
			if n.Type == "tag" {
				ref = "refs/tags/" + n.Name
			}
			e := &Event{Type: Push, HeadRef: ref, Commit: n.Target.Hash, Actor: p.Actor.AccountID,
				Repository: p.Repository.Name, Organization: p.Repository.Workspace.Slug}
			if c.Old != nil && c.Old.Target.Hash != "" {
				e.Prev = c.Old.Target.Hash
			}
			if m := n.Target.Message; m != nil {
				e.Message, e.MessageKnown = *m, true
			}
			return e, nil
		}
		return nil, ignored("push deleted every reference it names")
	case "pullrequest:created", "pullrequest:updated", "pullrequest:fulfilled", "pullrequest:rejected":
		var p bbPull
		if err := decode(body, &p); err != nil {
			return nil, err
		}
		pr := p.PullRequest
		if pr == nil || pr.ID <= 0 || pr.Source.Branch.Name == "" || pr.Source.Commit.Hash == "" {
			return nil, malformed("pull request without an id, a source branch or a commit")
		}
		e := &Event{HeadRef: "refs/heads/" + pr.Source.Branch.Name, BaseRef: "refs/heads/" + pr.Destination.Branch.Name,
			Commit: pr.Source.Commit.Hash, PullRequest: pr.ID, Actor: p.Actor.AccountID,
			Repository: p.Repository.Name, Organization: p.Repository.Workspace.Slug}
		switch event {
		case "pullrequest:created":
			e.Type = PullRequestCreated
		case "pullrequest:updated":
			e.Type = PullRequestUpdated
		case "pullrequest:fulfilled":
			e.Type = PullRequestMerged
			if pr.MergeCommit != nil {
				e.MergeCommit = pr.MergeCommit.Hash
			}
		case "pullrequest:rejected":
			e.Type = PullRequestClosed
		}
		return e, nil
	case "diagnostics:ping":
		return nil, ignored("ping")
	}
	return nil, ignored("event %q starts no build", event)
}
