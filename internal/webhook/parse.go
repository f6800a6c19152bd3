package webhook

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Errors of Parse and Detect.
var (
	// ErrIgnored is a delivery that starts no build: a ping, an event
	// type CodeBuild does not build (issues, comments), a deleted branch.
	ErrIgnored = errors.New("event starts no build")
	// ErrNoEvent is a request without any forge's event header.
	ErrNoEvent = errors.New("no X-GitHub-Event, X-Gitlab-Event, X-Event-Key, X-Gitea-Event or X-Forgejo-Event header")
)

// IgnoredError says why a delivery starts no build; it is ErrIgnored.
type IgnoredError struct{ Reason string }

func (e *IgnoredError) Error() string        { return e.Reason }
func (e *IgnoredError) Is(target error) bool { return target == ErrIgnored }

func ignored(format string, args ...any) error {
	return &IgnoredError{Reason: fmt.Sprintf(format, args...)}
}

// Delivery is what a request's headers say about it.
type Delivery struct {
	Forge string
	// Event is the forge's event name: push, pull_request, Push Hook,
	// repo:push, ...
	Event string
	// ID identifies the delivery, so a redelivery is known: the forge's
	// delivery id, or a digest of the body when it sends none.
	ID string
}

// Detect finds the forge, event and delivery id of a request. Gitea and
// Forgejo also send GitHub's headers, so theirs are looked at first.
func Detect(h http.Header, body []byte) (Delivery, error) {
	var d Delivery
	switch {
	case h.Get("X-Forgejo-Event") != "":
		d = Delivery{Forge: Gitea, Event: h.Get("X-Forgejo-Event"), ID: first(h, "X-Forgejo-Delivery", "X-Gitea-Delivery")}
	case h.Get("X-Gitea-Event") != "":
		d = Delivery{Forge: Gitea, Event: h.Get("X-Gitea-Event"), ID: h.Get("X-Gitea-Delivery")}
	case h.Get("X-Gitlab-Event") != "":
		d = Delivery{Forge: GitLab, Event: h.Get("X-Gitlab-Event"), ID: h.Get("X-Gitlab-Event-UUID")}
	case h.Get("X-Event-Key") != "":
		d = Delivery{Forge: Bitbucket, Event: h.Get("X-Event-Key"), ID: h.Get("X-Request-UUID")}
	case h.Get("X-GitHub-Event") != "":
		d = Delivery{Forge: GitHub, Event: h.Get("X-GitHub-Event"), ID: h.Get("X-GitHub-Delivery")}
	default:
		return d, ErrNoEvent
	}
	if d.ID == "" {
		sum := sha256.Sum256(body)
		d.ID = "sha256:" + hex.EncodeToString(sum[:])
	}
	if len(d.ID) > 200 {
		d.ID = d.ID[:200]
	}
	return d, nil
}

func first(h http.Header, names ...string) string {
	for _, n := range names {
		if v := h.Get(n); v != "" {
			return v
		}
	}
	return ""
}

// SyntaxError is a payload that is not what its forge sends.
type SyntaxError struct{ Msg string }

func (e *SyntaxError) Error() string { return "malformed payload: " + e.Msg }

func malformed(format string, args ...any) error {
	return &SyntaxError{Msg: fmt.Sprintf(format, args...)}
}

// Parse reads a delivery's payload: event is the forge's event header
// (push, Push Hook, repo:push). A body sent as a form (GitHub's
// application/x-www-form-urlencoded) is read from its payload field. The
// errors are ErrIgnored (no build) or a *SyntaxError.
func Parse(forge, event string, body []byte) (*Event, error) {
	body = formPayload(body)
	if !json.Valid(body) {
		return nil, malformed("not JSON")
	}
	var (
		e   *Event
		err error
	)
	switch forge {
	case GitHub:
		e, err = parseGitHub(event, body, GitHub)
	case Gitea:
		e, err = parseGitHub(event, body, Gitea)
	case GitLab:
		e, err = parseGitLab(event, body)
	case Bitbucket:
		e, err = parseBitbucket(event, body)
	default:
		return nil, fmt.Errorf("unknown forge %q: want github, gitlab, bitbucket or gitea", forge)
	}
	if err != nil {
		return nil, err
	}
	e.Forge = forge
	return e, nil
}

// formPayload returns the payload field of a form-encoded body, or the
// body.
func formPayload(body []byte) []byte {
	if !strings.HasPrefix(string(body), "payload=") {
		return body
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return body
	}
	return []byte(v.Get("payload"))
}

// decode unmarshals a payload into v; a field of the wrong type is a
// SyntaxError.
func decode(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return malformed("field %s: want %s", te.Field, te.Type)
		}
		return malformed("%v", err)
	}
	return nil
}

// id is an account id sent as a number (GitHub, GitLab, Gitea) or a
// string (Bitbucket).
type id string

func (i *id) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*i = id(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	if _, err := strconv.ParseInt(string(n), 10, 64); err != nil {
		return err
	}
	*i = id(n)
	return nil
}

// files collects the changed paths of commits, in order, once each.
func files(commits []commit) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, c := range commits {
		for _, list := range [][]string{c.Added, c.Modified, c.Removed} {
			for _, p := range list {
				if !seen[p] {
					seen[p] = true
					out = append(out, p)
				}
			}
		}
	}
	return out
}

// commit is a commit of a GitHub, Gitea or GitLab push.
type commit struct {
	ID       string   `json:"id"`
	Message  string   `json:"message"`
	Added    []string `json:"added"`
	Modified []string `json:"modified"`
	Removed  []string `json:"removed"`
}

func isZero(sha string) bool { return sha == "" || strings.Trim(sha, "0") == "" }

func requireRef(ref string) error {
	if !strings.HasPrefix(ref, "refs/") {
		return malformed("ref %q is not a full reference name", ref)
	}
	return nil
}
