package blob

// SetCompleteHook makes CompleteUpload call f just before the object file
// of the completed upload goes into place, and fail there when f does.
func SetCompleteHook(d *Disk, f func() error) { d.completeHook = f }
