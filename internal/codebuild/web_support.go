package codebuild

import (
	"context"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
)

// This file holds what the web UI needs beyond the API's operations.

// EditProject is UpdateProject for a form that shows every setting it
// sends: the input's description and source version replace the
// project's even when empty, where UpdateProject keeps a setting the
// input leaves empty.
func (s *Service) EditProject(ctx context.Context, c Caller, in *cb.UpdateProjectInput) (*cb.Project, error) {
	p, err := s.UpdateProject(ctx, c, in)
	if err != nil || (p.Description == in.Description && p.SourceVersion == in.SourceVersion) {
		return p, err
	}
	p.Description, p.SourceVersion = in.Description, in.SourceVersion
	now := s.now()
	p.LastModified = ts(now)
	if err := s.store.UpdateProject(ctx, &ProjectRecord{Name: p.Name, Modified: now, Doc: mustJSON(p)}); err != nil {
		return nil, storeErr(err, "Project "+p.Name)
	}
	return p, nil
}

// Objects returns the S3 store the service's artifacts are put in; nil
// when it has none.
func (s *Service) Objects() Objects { return s.cfg.Objects }
