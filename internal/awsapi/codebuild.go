package awsapi

import (
	"context"
	"encoding/json"
	"errors"
	"maps"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
	"github.com/codeyard/codeyard/internal/codebuild"
)

// CodeBuild serves the CodeBuild API (CodeBuild_20161006) of svc.
func CodeBuild(svc *codebuild.Service, images []codebuild.Image) Service {
	h := &cbHandlers{svc: svc, images: images}
	svcDef := Service{
		Model:          "codebuild",
		ValidationCode: "InvalidInputException",
		MapError:       codeBuildError,
		Ops: map[string]Handler{
			"CreateProject":                Op(h.createProject),
			"UpdateProject":                Op(h.updateProject),
			"DeleteProject":                Op(h.deleteProject),
			"BatchGetProjects":             Op(h.batchGetProjects),
			"ListProjects":                 Op(h.listProjects),
			"StartBuild":                   Op(h.startBuild),
			"StopBuild":                    Op(h.stopBuild),
			"RetryBuild":                   Op(h.retryBuild),
			"BatchGetBuilds":               Op(h.batchGetBuilds),
			"ListBuilds":                   Op(h.listBuilds),
			"ListBuildsForProject":         Op(h.listBuildsForProject),
			"BatchDeleteBuilds":            Op(h.batchDeleteBuilds),
			"CreateReportGroup":            Op(h.createReportGroup),
			"UpdateReportGroup":            Op(h.updateReportGroup),
			"DeleteReportGroup":            Op(h.deleteReportGroup),
			"BatchGetReportGroups":         Op(h.batchGetReportGroups),
			"ListReportGroups":             Op(h.listReportGroups),
			"ListReports":                  Op(h.listReports),
			"ListReportsForReportGroup":    Op(h.listReportsForReportGroup),
			"BatchGetReports":              Op(h.batchGetReports),
			"DeleteReport":                 Op(h.deleteReport),
			"DescribeTestCases":            Op(h.describeTestCases),
			"DescribeCodeCoverages":        Op(h.describeCodeCoverages),
			"GetReportGroupTrend":          Op(h.getReportGroupTrend),
			"ListCuratedEnvironmentImages": Op(h.listCuratedEnvironmentImages),
		},
	}
	maps.Copy(svcDef.Ops, h.batchOps())
	maps.Copy(svcDef.Ops, h.webhookOps())
	return svcDef
}

// codeBuildError maps the control plane's errors to CodeBuild's.
func codeBuildError(err error) *Error {
	var (
		in *codebuild.InputError
		nf *codebuild.NotFoundError
		ex *codebuild.ExistsError
		li *codebuild.LimitError
	)
	switch {
	case errors.As(err, &in):
		return Errorf("InvalidInputException", "%s", in.Message)
	case errors.As(err, &nf):
		return Errorf("ResourceNotFoundException", "%s", nf.Message)
	case errors.As(err, &ex):
		return Errorf("ResourceAlreadyExistsException", "%s", ex.Message)
	case errors.As(err, &li):
		return Errorf("AccountLimitExceededException", "%s", li.Message)
	case errors.Is(err, codebuild.ErrBadToken):
		return Errorf("InvalidInputException", "Invalid next token")
	}
	return nil
}

type cbHandlers struct {
	svc    *codebuild.Service
	images []codebuild.Image
}

func caller(c *Call) codebuild.Caller {
	return codebuild.Caller{Region: c.Region, Account: c.Account, Initiator: c.Principal.UserName}
}

func (h *cbHandlers) createProject(ctx context.Context, c *Call, in *cb.CreateProjectInput) (*cb.CreateProjectOutput, error) {
	p, err := h.svc.CreateProject(ctx, caller(c), in)
	if err != nil {
		return nil, err
	}
	return &cb.CreateProjectOutput{Project: p}, nil
}

func (h *cbHandlers) updateProject(ctx context.Context, c *Call, in *cb.UpdateProjectInput) (*cb.UpdateProjectOutput, error) {
	p, err := h.svc.UpdateProject(ctx, caller(c), in)
	if err != nil {
		return nil, err
	}
	return &cb.UpdateProjectOutput{Project: p}, nil
}

func (h *cbHandlers) deleteProject(ctx context.Context, c *Call, in *cb.DeleteProjectInput) (*cb.DeleteProjectOutput, error) {
	return &cb.DeleteProjectOutput{}, h.svc.DeleteProject(ctx, caller(c), in.Name)
}

func (h *cbHandlers) batchGetProjects(ctx context.Context, c *Call, in *cb.BatchGetProjectsInput) (*cb.BatchGetProjectsOutput, error) {
	ps, nf, err := h.svc.Projects(ctx, in.Names)
	if err != nil {
		return nil, err
	}
	return &cb.BatchGetProjectsOutput{Projects: ps, ProjectsNotFound: nf}, nil
}

func (h *cbHandlers) listProjects(ctx context.Context, c *Call, in *cb.ListProjectsInput) (*cb.ListProjectsOutput, error) {
	return h.svc.ListProjects(ctx, in)
}

func (h *cbHandlers) startBuild(ctx context.Context, c *Call, in *cb.StartBuildInput) (*cb.StartBuildOutput, error) {
	b, err := h.svc.StartBuild(ctx, caller(c), in)
	if err != nil {
		return nil, err
	}
	return &cb.StartBuildOutput{Build: b}, nil
}

func (h *cbHandlers) stopBuild(ctx context.Context, c *Call, in *cb.StopBuildInput) (*cb.StopBuildOutput, error) {
	b, err := h.svc.StopBuild(ctx, caller(c), in.Id)
	if err != nil {
		return nil, err
	}
	return &cb.StopBuildOutput{Build: b}, nil
}

func (h *cbHandlers) retryBuild(ctx context.Context, c *Call, in *cb.RetryBuildInput) (*cb.RetryBuildOutput, error) {
	b, err := h.svc.RetryBuild(ctx, caller(c), in)
	if err != nil {
		return nil, err
	}
	return &cb.RetryBuildOutput{Build: b}, nil
}

// batchGetBuildsOutput is BatchGetBuildsOutput with the builds as the
// stored documents, which are the Build shape already.
type batchGetBuildsOutput struct {
	Builds         []json.RawMessage `json:"builds"`
	BuildsNotFound []string          `json:"buildsNotFound"`
}

func (h *cbHandlers) batchGetBuilds(ctx context.Context, c *Call, in *cb.BatchGetBuildsInput) (*batchGetBuildsOutput, error) {
	bs, nf, err := h.svc.BuildDocs(ctx, in.Ids)
	if err != nil {
		return nil, err
	}
	return &batchGetBuildsOutput{Builds: bs, BuildsNotFound: nf}, nil
}

func (h *cbHandlers) listBuilds(ctx context.Context, c *Call, in *cb.ListBuildsInput) (*cb.ListBuildsOutput, error) {
	ids, next, err := h.svc.ListBuilds(ctx, caller(c), "", in.SortOrder, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &cb.ListBuildsOutput{Ids: ids, NextToken: next}, nil
}

func (h *cbHandlers) listBuildsForProject(ctx context.Context, c *Call, in *cb.ListBuildsForProjectInput) (*cb.ListBuildsForProjectOutput, error) {
	ids, next, err := h.svc.ListBuilds(ctx, caller(c), in.ProjectName, in.SortOrder, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &cb.ListBuildsForProjectOutput{Ids: ids, NextToken: next}, nil
}

func (h *cbHandlers) batchDeleteBuilds(ctx context.Context, c *Call, in *cb.BatchDeleteBuildsInput) (*cb.BatchDeleteBuildsOutput, error) {
	return h.svc.DeleteBuilds(ctx, in.Ids)
}

func (h *cbHandlers) createReportGroup(ctx context.Context, c *Call, in *cb.CreateReportGroupInput) (*cb.CreateReportGroupOutput, error) {
	g, err := h.svc.CreateReportGroup(ctx, caller(c), in)
	if err != nil {
		return nil, err
	}
	return &cb.CreateReportGroupOutput{ReportGroup: g}, nil
}

func (h *cbHandlers) updateReportGroup(ctx context.Context, c *Call, in *cb.UpdateReportGroupInput) (*cb.UpdateReportGroupOutput, error) {
	g, err := h.svc.UpdateReportGroup(ctx, caller(c), in)
	if err != nil {
		return nil, err
	}
	return &cb.UpdateReportGroupOutput{ReportGroup: g}, nil
}

func (h *cbHandlers) deleteReportGroup(ctx context.Context, c *Call, in *cb.DeleteReportGroupInput) (*cb.DeleteReportGroupOutput, error) {
	return &cb.DeleteReportGroupOutput{}, h.svc.DeleteReportGroup(ctx, in)
}

func (h *cbHandlers) batchGetReportGroups(ctx context.Context, c *Call, in *cb.BatchGetReportGroupsInput) (*cb.BatchGetReportGroupsOutput, error) {
	gs, nf, err := h.svc.ReportGroups(ctx, in.ReportGroupArns)
	if err != nil {
		return nil, err
	}
	return &cb.BatchGetReportGroupsOutput{ReportGroups: gs, ReportGroupsNotFound: nf}, nil
}

func (h *cbHandlers) listReportGroups(ctx context.Context, c *Call, in *cb.ListReportGroupsInput) (*cb.ListReportGroupsOutput, error) {
	arns, next, err := h.svc.ListReportGroups(ctx, in)
	if err != nil {
		return nil, err
	}
	return &cb.ListReportGroupsOutput{ReportGroups: arns, NextToken: next}, nil
}

func (h *cbHandlers) listReports(ctx context.Context, c *Call, in *cb.ListReportsInput) (*cb.ListReportsOutput, error) {
	arns, next, err := h.svc.ListReports(ctx, "", in.SortOrder, in.NextToken, derefInt(in.MaxResults), in.Filter)
	if err != nil {
		return nil, err
	}
	return &cb.ListReportsOutput{Reports: arns, NextToken: next}, nil
}

func (h *cbHandlers) listReportsForReportGroup(ctx context.Context, c *Call, in *cb.ListReportsForReportGroupInput) (*cb.ListReportsForReportGroupOutput, error) {
	arns, next, err := h.svc.ListReports(ctx, in.ReportGroupArn, in.SortOrder, in.NextToken, derefInt(in.MaxResults), in.Filter)
	if err != nil {
		return nil, err
	}
	return &cb.ListReportsForReportGroupOutput{Reports: arns, NextToken: next}, nil
}

func derefInt(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func (h *cbHandlers) batchGetReports(ctx context.Context, c *Call, in *cb.BatchGetReportsInput) (*cb.BatchGetReportsOutput, error) {
	rs, nf, err := h.svc.Reports(ctx, in.ReportArns)
	if err != nil {
		return nil, err
	}
	return &cb.BatchGetReportsOutput{Reports: rs, ReportsNotFound: nf}, nil
}

func (h *cbHandlers) deleteReport(ctx context.Context, c *Call, in *cb.DeleteReportInput) (*cb.DeleteReportOutput, error) {
	return &cb.DeleteReportOutput{}, h.svc.DeleteReport(ctx, in.Arn)
}

func (h *cbHandlers) describeTestCases(ctx context.Context, c *Call, in *cb.DescribeTestCasesInput) (*cb.DescribeTestCasesOutput, error) {
	cs, next, err := h.svc.TestCases(ctx, in)
	if err != nil {
		return nil, err
	}
	return &cb.DescribeTestCasesOutput{TestCases: cs, NextToken: next}, nil
}

func (h *cbHandlers) describeCodeCoverages(ctx context.Context, c *Call, in *cb.DescribeCodeCoveragesInput) (*cb.DescribeCodeCoveragesOutput, error) {
	cs, next, err := h.svc.CodeCoverages(ctx, in)
	if err != nil {
		return nil, err
	}
	return &cb.DescribeCodeCoveragesOutput{CodeCoverages: cs, NextToken: next}, nil
}

func (h *cbHandlers) getReportGroupTrend(ctx context.Context, c *Call, in *cb.GetReportGroupTrendInput) (*cb.GetReportGroupTrendOutput, error) {
	return h.svc.Trend(ctx, in)
}

// listCuratedEnvironmentImages lists the images this server offers, by
// platform and language.
func (h *cbHandlers) listCuratedEnvironmentImages(ctx context.Context, c *Call, in *cb.ListCuratedEnvironmentImagesInput) (*cb.ListCuratedEnvironmentImagesOutput, error) {
	out := &cb.ListCuratedEnvironmentImagesOutput{Platforms: []cb.EnvironmentPlatform{}}
	for _, img := range h.images {
		pi := -1
		for i, p := range out.Platforms {
			if p.Platform == img.Platform {
				pi = i
			}
		}
		if pi < 0 {
			out.Platforms = append(out.Platforms, cb.EnvironmentPlatform{Platform: img.Platform})
			pi = len(out.Platforms) - 1
		}
		p := &out.Platforms[pi]
		li := -1
		for i, l := range p.Languages {
			if l.Language == img.Language {
				li = i
			}
		}
		if li < 0 {
			p.Languages = append(p.Languages, cb.EnvironmentLanguage{Language: img.Language})
			li = len(p.Languages) - 1
		}
		l := &p.Languages[li]
		l.Images = append(l.Images, cb.EnvironmentImage{Name: img.Name, Description: img.Description, Versions: img.Versions})
	}
	return out, nil
}
