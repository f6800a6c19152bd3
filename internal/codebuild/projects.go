package codebuild

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
)

// Source types that are fetched with git.
var gitTypes = map[string]bool{
	"CODECOMMIT": true, "GITHUB": true, "GITHUB_ENTERPRISE": true,
	"BITBUCKET": true, "GITLAB": true, "GITLAB_SELF_MANAGED": true,
}

func (c Caller) projectARN(name string) string { return c.arn("project/" + name) }

// projectName takes a project name or ARN.
func projectName(nameOrARN string) string {
	if strings.HasPrefix(nameOrARN, "arn:") {
		if _, name, ok := strings.Cut(nameOrARN, ":project/"); ok {
			return name
		}
	}
	return nameOrARN
}

// CreateProject creates a project from a CreateProject request.
func (s *Service) CreateProject(ctx context.Context, c Caller, in *cb.CreateProjectInput) (*cb.Project, error) {
	var p cb.Project
	// The input's members are the project's, but badgeEnabled.
	if err := json.Unmarshal(mustJSON(in), &p); err != nil {
		return nil, err
	}
	p.Badge = &cb.ProjectBadge{BadgeEnabled: ptr(val(in.BadgeEnabled))}
	now := s.now()
	p.Arn = c.projectARN(p.Name)
	p.Created, p.LastModified = ts(now), ts(now)
	if err := s.completeProject(c, &p); err != nil {
		return nil, err
	}
	err := s.store.CreateProject(ctx, &ProjectRecord{Name: p.Name, ARN: p.Arn, Created: now, Modified: now, Doc: mustJSON(&p)})
	if err != nil {
		if se := storeErr(err, ""); se != err {
			if _, ok := se.(*ExistsError); ok {
				return nil, &ExistsError{Message: "Project already exists: " + p.Arn}
			}
		}
		return nil, err
	}
	return &p, nil
}

// UpdateProject changes the settings an UpdateProject request names and
// keeps the others.
func (s *Service) UpdateProject(ctx context.Context, c Caller, in *cb.UpdateProjectInput) (*cb.Project, error) {
	recs, err := s.store.Projects(ctx, []string{in.Name})
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, &NotFoundError{Message: "Project cannot be found: " + c.projectARN(in.Name)}
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(recs[0].Doc, &doc); err != nil {
		return nil, err
	}
	var changes map[string]json.RawMessage
	if err := json.Unmarshal(mustJSON(in), &changes); err != nil {
		return nil, err
	}
	for k, v := range changes {
		switch k {
		case "name":
		case "badgeEnabled":
			doc["badge"] = mustJSON(cb.ProjectBadge{BadgeEnabled: in.BadgeEnabled})
		default:
			doc[k] = v
		}
	}
	var p cb.Project
	if err := json.Unmarshal(mustJSON(doc), &p); err != nil {
		return nil, err
	}
	now := s.now()
	p.LastModified = ts(now)
	if err := s.completeProject(c, &p); err != nil {
		return nil, err
	}
	if err := s.store.UpdateProject(ctx, &ProjectRecord{Name: p.Name, Modified: now, Doc: mustJSON(&p)}); err != nil {
		return nil, storeErr(err, "Project "+p.Name)
	}
	// A changed concurrent build limit applies to the builds waiting.
	if err := s.store.SetQueueLimit(ctx, p.Name, int(val(p.ConcurrentBuildLimit))); err != nil {
		return nil, err
	}
	s.poke()
	return &p, nil
}

// completeProject checks what the model cannot and fills in the defaults
// CodeBuild gives a project.
func (s *Service) completeProject(c Caller, p *cb.Project) error {
	if err := checkSource(p.Source, "source"); err != nil {
		return err
	}
	ids := map[string]bool{}
	for i := range p.SecondarySources {
		src := &p.SecondarySources[i]
		if src.SourceIdentifier == "" {
			return invalid("Secondary source identifier is required for secondarySources[%d]", i)
		}
		if ids[src.SourceIdentifier] {
			return invalid("Duplicate source identifier: %s", src.SourceIdentifier)
		}
		ids[src.SourceIdentifier] = true
		if err := checkSource(src, "secondarySources"); err != nil {
			return err
		}
	}
	if err := checkArtifacts(p.Artifacts, false); err != nil {
		return err
	}
	aids := map[string]bool{}
	for i := range p.SecondaryArtifacts {
		a := &p.SecondaryArtifacts[i]
		if err := checkArtifacts(a, true); err != nil {
			return err
		}
		if aids[a.ArtifactIdentifier] {
			return invalid("Duplicate artifact identifier: %s", a.ArtifactIdentifier)
		}
		aids[a.ArtifactIdentifier] = true
	}
	if p.Cache == nil {
		p.Cache = &cb.ProjectCache{Type: "NO_CACHE"}
	}
	if p.Cache.Type == "S3" && p.Cache.Location == "" {
		return invalid("Cache location is required for cache type S3")
	}
	if p.Cache.Type == "LOCAL" && len(p.Cache.Modes) == 0 {
		return invalid("Cache modes are required for cache type LOCAL")
	}
	env := p.Environment
	if env != nil {
		if env.PrivilegedMode == nil {
			env.PrivilegedMode = ptr(false)
		}
		if env.ImagePullCredentialsType == "" {
			env.ImagePullCredentialsType = "CODEBUILD"
		}
		if env.EnvironmentVariables == nil {
			env.EnvironmentVariables = []cb.EnvironmentVariable{}
		}
		for i := range env.EnvironmentVariables {
			if env.EnvironmentVariables[i].Type == "" {
				env.EnvironmentVariables[i].Type = "PLAINTEXT"
			}
		}
	}
	if p.TimeoutInMinutes == nil {
		p.TimeoutInMinutes = ptr[int64](60)
	}
	if p.QueuedTimeoutInMinutes == nil {
		p.QueuedTimeoutInMinutes = ptr[int64](480)
	}
	if p.EncryptionKey == "" {
		p.EncryptionKey = "arn:aws:kms:" + c.Region + ":" + c.Account + ":alias/aws/s3"
	}
	if p.Badge == nil {
		p.Badge = &cb.ProjectBadge{BadgeEnabled: ptr(false)}
	}
	if p.LogsConfig == nil {
		p.LogsConfig = &cb.LogsConfig{}
	}
	if p.LogsConfig.CloudWatchLogs == nil {
		p.LogsConfig.CloudWatchLogs = &cb.CloudWatchLogsConfig{Status: "ENABLED"}
	}
	if p.LogsConfig.S3Logs == nil {
		p.LogsConfig.S3Logs = &cb.S3LogsConfig{Status: "DISABLED", EncryptionDisabled: ptr(false)}
	}
	if p.ProjectVisibility == "" {
		p.ProjectVisibility = "PRIVATE"
	}
	if p.ConcurrentBuildLimit != nil && *p.ConcurrentBuildLimit == -1 {
		p.ConcurrentBuildLimit = nil // -1 removes the limit, as the model says
	}
	if p.ConcurrentBuildLimit != nil && *p.ConcurrentBuildLimit < 1 {
		return invalid("Project concurrent build limit must be at least 1, or -1 to remove it")
	}
	return nil
}

func checkSource(src *cb.ProjectSource, field string) error {
	if src == nil {
		return nil
	}
	if field == "secondarySources" && (src.Type == "NO_SOURCE" || src.Type == "CODEPIPELINE") {
		return invalid("Secondary source type %s is not supported: a secondary source needs a location", src.Type)
	}
	if err := checkBuildspecPath(src.Buildspec); err != nil {
		return err
	}
	switch {
	case src.Type == "NO_SOURCE":
		if field == "source" && strings.TrimSpace(src.Buildspec) == "" {
			return invalid("Project source buildspec cannot be empty if source type is NO_SOURCE")
		}
		if src.Location != "" {
			return invalid("Project source location must be empty if source type is NO_SOURCE")
		}
	case gitTypes[src.Type] || src.Type == "S3":
		if src.Location == "" {
			return invalid("Source location is required for source type %s", src.Type)
		}
	}
	if src.GitCloneDepth != nil && *src.GitCloneDepth < 0 {
		return invalid("Invalid git clone depth: %d", *src.GitCloneDepth)
	}
	return nil
}

// checkBuildspecPath refuses a buildspec given as a path that is not
// relative to the source directory: CodeBuild takes an inline buildspec,
// a path relative to CODEBUILD_SRC_DIR, or an S3 object.
func checkBuildspecPath(spec string) error {
	if spec == "" || strings.ContainsAny(spec, "\n\r") || strings.HasPrefix(spec, "arn:") {
		return nil
	}
	clean := filepath.ToSlash(filepath.Clean(spec))
	if filepath.IsAbs(spec) || clean == ".." || strings.HasPrefix(clean, "../") {
		return invalid("Invalid buildspec path %q: it must be relative to the source directory", spec)
	}
	return nil
}

// validBucket reports whether name is an S3 bucket name: 3 to 63
// lowercase letters, digits, dots and hyphens, starting and ending with a
// letter or digit, without "..".
func validBucket(name string) bool {
	if len(name) < 3 || len(name) > 63 || strings.Contains(name, "..") {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (c != '.' && c != '-' || i == 0 || i == len(name)-1) {
			return false
		}
	}
	return true
}

func checkArtifacts(a *cb.ProjectArtifacts, secondary bool) error {
	if a == nil {
		return nil
	}
	if secondary && a.ArtifactIdentifier == "" {
		return invalid("Secondary artifact identifier is required")
	}
	switch a.Type {
	case "S3":
		if a.Location == "" {
			return invalid("Artifacts location is required for artifacts type S3")
		}
		if !validBucket(a.Location) {
			return invalid("Invalid artifacts location %q: an S3 bucket name is 3 to 63 lowercase letters, digits, dots and hyphens", a.Location)
		}
		if a.Packaging == "" {
			a.Packaging = "NONE"
		}
		if a.NamespaceType == "" {
			a.NamespaceType = "NONE"
		}
		if a.OverrideArtifactName == nil {
			a.OverrideArtifactName = ptr(false)
		}
		if a.EncryptionDisabled == nil {
			a.EncryptionDisabled = ptr(false)
		}
	case "NO_ARTIFACTS", "CODEPIPELINE":
		if a.Location != "" && a.Type == "NO_ARTIFACTS" {
			return invalid("Artifacts location must be empty if artifacts type is NO_ARTIFACTS")
		}
	}
	return nil
}

// DeleteProject deletes a project; its builds stay.
func (s *Service) DeleteProject(ctx context.Context, c Caller, name string) error {
	return s.store.DeleteProject(ctx, name)
}

// Projects returns the projects named (by name or ARN) and the names not
// found.
func (s *Service) Projects(ctx context.Context, names []string) ([]cb.Project, []string, error) {
	plain := make([]string, len(names))
	for i, n := range names {
		plain[i] = projectName(n)
	}
	recs, err := s.store.Projects(ctx, plain)
	if err != nil {
		return nil, nil, err
	}
	found := map[string]bool{}
	out := []cb.Project{}
	for _, r := range recs {
		var p cb.Project
		if err := json.Unmarshal(r.Doc, &p); err != nil {
			return nil, nil, err
		}
		out = append(out, p)
		found[r.Name] = true
	}
	notFound := []string{}
	for i, n := range names {
		if !found[plain[i]] {
			notFound = append(notFound, n)
		}
	}
	return out, notFound, nil
}

// project loads one project by name.
func (s *Service) project(ctx context.Context, c Caller, name string) (*cb.Project, error) {
	ps, _, err := s.Projects(ctx, []string{name})
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, &NotFoundError{Message: "Project cannot be found: " + c.projectARN(projectName(name))}
	}
	return &ps[0], nil
}

// ListProjects lists project names.
func (s *Service) ListProjects(ctx context.Context, in *cb.ListProjectsInput) (*cb.ListProjectsOutput, error) {
	names, next, err := s.store.ListProjects(ctx, in.SortBy, Page{Token: in.NextToken, Desc: in.SortOrder == "DESCENDING"})
	if err != nil {
		return nil, storeErr(err, "")
	}
	if names == nil {
		names = []string{}
	}
	return &cb.ListProjectsOutput{Projects: names, NextToken: next}, nil
}
