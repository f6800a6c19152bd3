package web

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
	"github.com/codeyard/codeyard/internal/codebuild"
)

// webhookEvents are the events the webhook form offers.
var webhookEvents = []string{"PUSH", "PULL_REQUEST_CREATED", "PULL_REQUEST_UPDATED", "PULL_REQUEST_REOPENED", "PULL_REQUEST_MERGED", "PULL_REQUEST_CLOSED"}

// gitSources are the source types a webhook can be given to.
var gitSources = []string{"GITHUB", "GITHUB_ENTERPRISE", "GITLAB", "GITLAB_SELF_MANAGED", "BITBUCKET", "CODECOMMIT"}

// hookForm is the form that gives a project a webhook: one filter group
// of the events chosen and, optionally, a head reference pattern.
type hookForm struct {
	Events    []string
	HeadRef   string
	BuildType string
	Errors    map[string]string
}

// hookSecret is a webhook's payload URL and secret, shown once after
// the webhook is made or its secret changed.
type hookSecret struct {
	PayloadURL, Secret string
}

func (f hookForm) Has(event string) bool { return slices.Contains(f.Events, event) }

// endpoint is the server's URL as the browser reached it.
func endpoint(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := writer(r); err != nil {
		return err
	}
	r.ParseForm()
	f := hookForm{Events: r.PostForm["event"], HeadRef: strings.TrimSpace(r.PostFormValue("headRef")), BuildType: r.PostFormValue("buildType"), Errors: map[string]string{}}
	pd := &projectData{Hook: f}
	if len(f.Events) == 0 {
		f.Errors["event"] = "Choose at least one event."
	}
	for _, e := range f.Events {
		if !slices.Contains(webhookEvents, e) {
			f.Errors["event"] = "Choose events from the list."
		}
	}
	if f.HeadRef != "" {
		if _, err := regexp.Compile(f.HeadRef); err != nil {
			f.Errors["headRef"] = "Not a regular expression: " + err.Error()
		}
	}
	if f.BuildType != "BUILD" && f.BuildType != "BUILD_BATCH" {
		f.Errors["buildType"] = "Choose BUILD or BUILD_BATCH."
	}
	pd.Hook = f
	if len(f.Errors) > 0 {
		return s.renderProjectData(w, r, http.StatusUnprocessableEntity, pd)
	}
	group := []cb.WebhookFilter{{Type: "EVENT", Pattern: strings.Join(f.Events, ", ")}}
	if f.HeadRef != "" {
		group = append(group, cb.WebhookFilter{Type: "HEAD_REF", Pattern: f.HeadRef})
	}
	manual := true
	hook, err := s.cfg.CodeBuild.CreateWebhook(r.Context(), s.caller(sessionOf(r)), &cb.CreateWebhookInput{
		ProjectName: r.PathValue("name"), FilterGroups: [][]cb.WebhookFilter{group}, BuildType: f.BuildType, ManualCreation: &manual,
	}, endpoint(r))
	if err != nil {
		var ie *codebuild.InputError
		var ee *codebuild.ExistsError
		switch {
		case errors.As(err, &ee):
			f.Errors["hook"] = ee.Message
		case errors.As(err, &ie):
			switch msg := strings.ToLower(ie.Message); {
			case strings.Contains(msg, "build type") || strings.Contains(msg, "batch"):
				f.Errors["buildType"] = ie.Message
			case strings.Contains(msg, "head_ref") || strings.Contains(msg, "pattern"):
				f.Errors["headRef"] = ie.Message
			default:
				f.Errors["hook"] = ie.Message
			}
		default:
			return err
		}
		pd.Hook = f
		return s.renderProjectData(w, r, http.StatusUnprocessableEntity, pd)
	}
	pd.Secret = &hookSecret{PayloadURL: hook.PayloadUrl, Secret: hook.Secret}
	return s.renderProjectData(w, r, http.StatusOK, pd)
}

func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request) error {
	if err := writer(r); err != nil {
		return err
	}
	rotate := true
	hook, err := s.cfg.CodeBuild.UpdateWebhook(r.Context(), s.caller(sessionOf(r)), &cb.UpdateWebhookInput{ProjectName: r.PathValue("name"), RotateSecret: &rotate})
	if err != nil {
		return err
	}
	return s.renderProjectData(w, r, http.StatusOK, &projectData{Secret: &hookSecret{PayloadURL: hook.PayloadUrl, Secret: hook.Secret}})
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	if err := writer(r); err != nil {
		return err
	}
	name := r.PathValue("name")
	if err := s.cfg.CodeBuild.DeleteWebhook(r.Context(), s.caller(sessionOf(r)), name); err != nil {
		return err
	}
	return redirect(w, r, Prefix+"projects/"+url.PathEscape(name)+"#webhook-h")
}

// filterText shows a webhook filter.
func filterText(f cb.WebhookFilter) string {
	op := " matches "
	if f.Type == "EVENT" {
		op = " is one of "
	}
	if f.ExcludeMatchedPattern != nil && *f.ExcludeMatchedPattern {
		op = " does not match "
		if f.Type == "EVENT" {
			op = " is none of "
		}
	}
	return f.Type + op + f.Pattern
}
