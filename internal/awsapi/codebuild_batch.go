package awsapi

// batchOps are the build batch operations (StartBuildBatch, ...).
func (h *cbHandlers) batchOps() map[string]Handler {
	return map[string]Handler{}
}
