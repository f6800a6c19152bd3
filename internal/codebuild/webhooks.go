package codebuild

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/webhook"
)

// Sealer seals secrets at rest, bound to what they belong to by aad.
type Sealer interface {
	Seal(plaintext, aad []byte) []byte
	Open(sealed, aad []byte) ([]byte, error)
}

var _ webhook.Hooks = (*Service)(nil)

func hookAAD(id string) []byte { return []byte("webhook:" + id) }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// CreateWebhook gives a project a webhook. codeyard does not register it
// with the forge: the answer's payloadUrl and secret are what to enter in
// the forge's webhook settings, as CodeBuild's manualCreation. endpoint
// is the server's URL as the caller reached it; Config.PublicURL, when
// set, is used instead.
func (s *Service) CreateWebhook(ctx context.Context, c Caller, in *cb.CreateWebhookInput, endpoint string) (*cb.Webhook, error) {
	rec, p, err := s.projectRecord(ctx, c, in.ProjectName)
	if err != nil {
		return nil, err
	}
	if p.Webhook != nil {
		return nil, &ExistsError{Message: "Webhook for project " + p.Name + " already exists"}
	}
	if p.Source == nil || !gitTypes[p.Source.Type] {
		typ := "NO_SOURCE"
		if p.Source != nil {
			typ = p.Source.Type
		}
		return nil, invalid("Webhooks are not supported for source type %s: the project's source must be a git repository (GITHUB, GITHUB_ENTERPRISE, GITLAB, GITLAB_SELF_MANAGED, BITBUCKET or CODECOMMIT)", typ)
	}
	w := &cb.Webhook{
		BranchFilter:           in.BranchFilter,
		FilterGroups:           in.FilterGroups,
		BuildType:              cmpOr(in.BuildType, "BUILD"),
		ManualCreation:         in.ManualCreation,
		ScopeConfiguration:     in.ScopeConfiguration,
		PullRequestBuildPolicy: in.PullRequestBuildPolicy,
		Status:                 "ACTIVE",
	}
	if err := checkWebhook(p, w); err != nil {
		return nil, err
	}
	id, secret, now := randomHex(16), randomHex(20), s.now()
	base := strings.TrimSuffix(cmpOr(s.cfg.PublicURL, endpoint), "/")
	w.PayloadUrl = base + webhook.PathPrefix + id
	w.Url = w.PayloadUrl
	w.LastModifiedSecret = ts(now)
	p.Webhook = w
	rec.Doc = mustJSON(p)
	err = s.store.CreateWebhook(ctx, rec, &WebhookRecord{ID: id, Project: p.Name, Secret: s.seal(id, secret), Created: now, Modified: now})
	if errors.Is(err, ErrExists) {
		return nil, &ExistsError{Message: "Webhook for project " + p.Name + " already exists"}
	}
	if err != nil {
		return nil, storeErr(err, "Project "+p.Name)
	}
	out := *w
	out.Secret = secret
	return &out, nil
}

// UpdateWebhook changes a project's webhook: the filter groups and build
// type given replace the webhook's, and rotateSecret gives it a new
// secret, which the answer carries.
func (s *Service) UpdateWebhook(ctx context.Context, c Caller, in *cb.UpdateWebhookInput) (*cb.Webhook, error) {
	rec, p, err := s.projectRecord(ctx, c, in.ProjectName)
	if err != nil {
		return nil, err
	}
	w := p.Webhook
	if w == nil {
		return nil, &NotFoundError{Message: "Webhook for project " + p.Name + " does not exist"}
	}
	if in.BranchFilter != "" {
		w.BranchFilter = in.BranchFilter
	}
	if in.FilterGroups != nil {
		w.FilterGroups = in.FilterGroups
	}
	if in.BuildType != "" {
		w.BuildType = in.BuildType
	}
	if in.PullRequestBuildPolicy != nil {
		w.PullRequestBuildPolicy = in.PullRequestBuildPolicy
	}
	if err := checkWebhook(p, w); err != nil {
		return nil, err
	}
	hook, err := s.store.Webhook(ctx, hookID(w))
	if err != nil {
		return nil, storeErr(err, "Webhook for project "+p.Name)
	}
	now, secret := s.now(), ""
	if val(in.RotateSecret) {
		secret = randomHex(20)
		hook.Secret = s.seal(hook.ID, secret)
		w.LastModifiedSecret = ts(now)
	}
	hook.Modified = now
	rec.Doc = mustJSON(p)
	if err := s.store.UpdateWebhook(ctx, rec, hook); err != nil {
		return nil, storeErr(err, "Webhook for project "+p.Name)
	}
	out := *w
	out.Secret = secret
	return &out, nil
}

// DeleteWebhook removes a project's webhook; its payload URL answers 404
// from then on.
func (s *Service) DeleteWebhook(ctx context.Context, c Caller, name string) error {
	rec, p, err := s.projectRecord(ctx, c, name)
	if err != nil {
		return err
	}
	if p.Webhook == nil {
		return &NotFoundError{Message: "Webhook for project " + p.Name + " does not exist"}
	}
	p.Webhook = nil
	rec.Doc = mustJSON(p)
	return storeErr(s.store.DeleteWebhook(ctx, rec), "Webhook for project "+p.Name)
}

// projectRecord loads a project's record and document.
func (s *Service) projectRecord(ctx context.Context, c Caller, name string) (*ProjectRecord, *cb.Project, error) {
	recs, err := s.store.Projects(ctx, []string{projectName(name)})
	if err != nil {
		return nil, nil, err
	}
	if len(recs) == 0 {
		return nil, nil, &NotFoundError{Message: "Project cannot be found: " + c.projectARN(projectName(name))}
	}
	var p cb.Project
	if err := json.Unmarshal(recs[0].Doc, &p); err != nil {
		return nil, nil, err
	}
	return recs[0], &p, nil
}

// hookID is the id a webhook's payload URL ends in.
func hookID(w *cb.Webhook) string {
	_, id, _ := strings.Cut(w.PayloadUrl, webhook.PathPrefix)
	return id
}

// checkWebhook checks what the model cannot: the filter groups, the
// build type and what codeyard does not do.
func checkWebhook(p *cb.Project, w *cb.Webhook) error {
	if err := webhook.Check(filters(w.FilterGroups)); err != nil {
		return invalid("%s", capitalize(err.Error()))
	}
	if err := webhook.CheckBranchFilter(w.BranchFilter); err != nil {
		return invalid("%s", capitalize(err.Error()))
	}
	switch w.BuildType {
	case "BUILD":
	case "BUILD_BATCH":
		if p.BuildBatchConfig == nil {
			return invalid("Batch build is not enabled for project %s: set the project's buildBatchConfig to use build type BUILD_BATCH", p.Name)
		}
	default:
		return invalid("Build type %s is not supported by codeyard: use BUILD or BUILD_BATCH", w.BuildType)
	}
	if pol := w.PullRequestBuildPolicy; pol != nil && pol.RequiresCommentApproval != "" && pol.RequiresCommentApproval != "DISABLED" {
		return invalid("Pull request comment approval (%s) is not supported by codeyard: use DISABLED", pol.RequiresCommentApproval)
	}
	return nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// filters translates the API's filter groups.
func filters(groups [][]cb.WebhookFilter) [][]webhook.Filter {
	out := make([][]webhook.Filter, len(groups))
	for i, g := range groups {
		for _, f := range g {
			out[i] = append(out[i], webhook.Filter{Type: f.Type, Pattern: f.Pattern, Exclude: val(f.ExcludeMatchedPattern)})
		}
	}
	return out
}

// Groups returns the filter groups a webhook applies: its own, or, when
// it has none, the default ones with its branch filter.
func Groups(w *cb.Webhook) [][]webhook.Filter {
	if len(w.FilterGroups) == 0 {
		return webhook.DefaultGroups(w.BranchFilter)
	}
	return filters(w.FilterGroups)
}

func (s *Service) seal(id, secret string) []byte {
	if s.cfg.Seal == nil {
		return []byte(secret)
	}
	return s.cfg.Seal.Seal([]byte(secret), hookAAD(id))
}

// Secret returns the secret of the webhook with the payload URL id.
func (s *Service) Secret(ctx context.Context, id string) (string, error) {
	rec, err := s.store.Webhook(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return "", webhook.ErrNoHook
	}
	if err != nil {
		return "", err
	}
	if s.cfg.Seal == nil {
		return string(rec.Secret), nil
	}
	b, err := s.cfg.Seal.Open(rec.Secret, hookAAD(id))
	return string(b), err
}

// Deliver applies a webhook's filter groups to a verified delivery and
// starts the build it asks for, as the webhook's initiator: at the
// event's commit (pr/<number> for pull requests), with the
// CODEBUILD_WEBHOOK_* variables as environment variable overrides. A
// delivery id that started a build before starts none.
func (s *Service) Deliver(ctx context.Context, id string, r *webhook.Received) (*webhook.Outcome, error) {
	// The claim and the build go together: not cut short by the forge
	// hanging up.
	ctx = context.WithoutCancel(ctx)
	hook, err := s.store.Webhook(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, webhook.ErrNoHook
	}
	if err != nil {
		return nil, err
	}
	_, p, err := s.projectRecord(ctx, Caller{}, hook.Project)
	if err != nil {
		return nil, err
	}
	if p.Webhook == nil {
		return nil, webhook.ErrNoHook
	}
	groups := Groups(p.Webhook)
	i := webhook.Match(groups, r.Event)
	if i < 0 {
		return &webhook.Outcome{Skipped: "no filter group matched " + r.Event.Type + " of " + r.Event.HeadRef}, nil
	}
	out := &webhook.Outcome{}
	if len(p.Webhook.FilterGroups) > 0 {
		out.FilterGroup = i + 1
	}
	batch := p.Webhook.BuildType == "BUILD_BATCH"
	prev, claimed, err := s.store.ClaimDelivery(ctx, id, r.ID, s.now())
	if err != nil {
		return nil, err
	}
	if !claimed {
		out.Duplicate = true
		if batch {
			out.BuildBatch = prev
		} else {
			out.Build = prev
		}
		return out, nil
	}
	started := ""
	defer func() {
		if err := s.store.FinishDelivery(ctx, id, r.ID, started); err != nil {
			s.log.ErrorContext(ctx, "record webhook delivery", "webhook", id, "delivery", r.ID, "err", err)
		}
	}()
	st := r.Event.Start()
	vars := make([]cb.EnvironmentVariable, len(st.Variables))
	for i, v := range st.Variables {
		vars[i] = cb.EnvironmentVariable{Name: v.Name, Value: v.Value, Type: "PLAINTEXT"}
	}
	region, account := arnRegionAccount(p.Arn)
	c := Caller{Region: region, Account: account, Initiator: r.Initiator}
	if batch {
		bb, err := s.StartBuildBatch(ctx, c, &cb.StartBuildBatchInput{ProjectName: p.Name, SourceVersion: st.Fetch, EnvironmentVariablesOverride: vars})
		if err != nil {
			return nil, err
		}
		started, out.BuildBatch = bb.Id, bb.Id
		return out, nil
	}
	tmpl, rs, err := buildFromProject(p, &cb.StartBuildInput{ProjectName: p.Name, SourceVersion: st.SourceVersion, EnvironmentVariablesOverride: vars})
	if err != nil {
		return nil, err
	}
	rs.Fetch = st.Fetch
	b, err := s.createBuild(ctx, c, p, tmpl, rs, "")
	if err != nil {
		return nil, err
	}
	started, out.Build = b.Id, b.Id
	return out, nil
}

// pinned fetches a source at one version and reports another: a webhook
// build fetches its commit pinned to the reference it is on, and its
// CODEBUILD_SOURCE_VERSION is the sourceVersion CodeBuild gives it.
type pinned struct {
	build.Source
	version string
}

func (p pinned) Fetch(ctx context.Context, dir string) (build.SourceInfo, error) {
	info, err := p.Source.Fetch(ctx, dir)
	info.Version = p.version
	return info, err
}
