package awsapi

import (
	"context"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
)

// batchOps are the build batch operations (StartBuildBatch, ...).
func (h *cbHandlers) batchOps() map[string]Handler {
	return map[string]Handler{
		"StartBuildBatch":            Op(h.startBuildBatch),
		"StopBuildBatch":             Op(h.stopBuildBatch),
		"RetryBuildBatch":            Op(h.retryBuildBatch),
		"BatchGetBuildBatches":       Op(h.batchGetBuildBatches),
		"ListBuildBatches":           Op(h.listBuildBatches),
		"ListBuildBatchesForProject": Op(h.listBuildBatchesForProject),
		"DeleteBuildBatch":           Op(h.deleteBuildBatch),
	}
}

func (h *cbHandlers) startBuildBatch(ctx context.Context, c *Call, in *cb.StartBuildBatchInput) (*cb.StartBuildBatchOutput, error) {
	b, err := h.svc.StartBuildBatch(ctx, caller(c), in)
	if err != nil {
		return nil, err
	}
	return &cb.StartBuildBatchOutput{BuildBatch: b}, nil
}

func (h *cbHandlers) stopBuildBatch(ctx context.Context, c *Call, in *cb.StopBuildBatchInput) (*cb.StopBuildBatchOutput, error) {
	b, err := h.svc.StopBuildBatch(ctx, caller(c), in.Id)
	if err != nil {
		return nil, err
	}
	return &cb.StopBuildBatchOutput{BuildBatch: b}, nil
}

func (h *cbHandlers) retryBuildBatch(ctx context.Context, c *Call, in *cb.RetryBuildBatchInput) (*cb.RetryBuildBatchOutput, error) {
	b, err := h.svc.RetryBuildBatch(ctx, caller(c), in)
	if err != nil {
		return nil, err
	}
	return &cb.RetryBuildBatchOutput{BuildBatch: b}, nil
}

func (h *cbHandlers) batchGetBuildBatches(ctx context.Context, c *Call, in *cb.BatchGetBuildBatchesInput) (*cb.BatchGetBuildBatchesOutput, error) {
	bs, nf, err := h.svc.BuildBatches(ctx, in.Ids)
	if err != nil {
		return nil, err
	}
	return &cb.BatchGetBuildBatchesOutput{BuildBatches: bs, BuildBatchesNotFound: nf}, nil
}

func (h *cbHandlers) listBuildBatches(ctx context.Context, c *Call, in *cb.ListBuildBatchesInput) (*cb.ListBuildBatchesOutput, error) {
	ids, next, err := h.svc.ListBuildBatches(ctx, caller(c), "", batchStatus(in.Filter), in.SortOrder, in.NextToken, derefInt(in.MaxResults))
	if err != nil {
		return nil, err
	}
	return &cb.ListBuildBatchesOutput{Ids: ids, NextToken: next}, nil
}

func (h *cbHandlers) listBuildBatchesForProject(ctx context.Context, c *Call, in *cb.ListBuildBatchesForProjectInput) (*cb.ListBuildBatchesForProjectOutput, error) {
	ids, next, err := h.svc.ListBuildBatches(ctx, caller(c), in.ProjectName, batchStatus(in.Filter), in.SortOrder, in.NextToken, derefInt(in.MaxResults))
	if err != nil {
		return nil, err
	}
	return &cb.ListBuildBatchesForProjectOutput{Ids: ids, NextToken: next}, nil
}

func batchStatus(f *cb.BuildBatchFilter) string {
	if f == nil {
		return ""
	}
	return f.Status
}

func (h *cbHandlers) deleteBuildBatch(ctx context.Context, c *Call, in *cb.DeleteBuildBatchInput) (*cb.DeleteBuildBatchOutput, error) {
	return h.svc.DeleteBuildBatch(ctx, in.Id)
}
