package cache

// Lines CodeBuild prints about its cache, repeated word for word. Each names
// the public build log it was read from. CodeBuild prints them with its
// "[Container] <date> " prefix, which the caller adds.
const (
	// LineNotDefined is printed in DOWNLOAD_SOURCE when the buildspec has no
	// cache section. Restore cannot tell a missing section from one without
	// paths, so the engine prints this line itself and then calls Restore
	// with no paths, which adds LineNoPaths.
	// Source: public CodeBuild logs of 2025-04-21, 2025-12-02, 2026-01-28 and
	// 2026-07-14, each followed by LineNoPaths.
	LineNotDefined = "Cache is not defined in the buildspec"

	// LineNoPaths is printed when there is nothing to cache. Older agents
	// printed "Unable to initialize cache download: no paths specified to be
	// cached" instead (public log of 2025-03-08).
	LineNoPaths = "Skip cache due to: no paths specified to be cached"

	// lineExpanded is printed once per cache path, before the download.
	// Source: aws/aws-codebuild-docker-images#821 (log of 2026-05-19):
	// "Expanded cache path /home/my-user/.gradle_home/caches/**/*".
	lineExpanded = "Expanded cache path %s"

	// lineDownloading and lineUnarchiving follow the expanded paths when a
	// cache is found. Source: aws/aws-codebuild-docker-images#821.
	lineDownloading = "Downloading S3 cache..."
	lineUnarchiving = "Unarchiving cache..."

	// lineNotAllowed is printed for each archived entry that none of the
	// current cache paths covers; the entry is not restored.
	// Source: aws/aws-codebuild-docker-images#821.
	lineNotAllowed = "Skipping cache entry: path %q is not within allowed cache paths"

	// lineUploading starts the save at the end of the build.
	// Source: public CodeBuild log of 2020-05-23 (S3 cache of
	// /root/test_folder/**/*), right after "Entering phase POST_BUILD".
	lineUploading = "Uploading S3 cache..."
)

// Lines that are codeyard's own. CodeBuild says little about which key it
// used or what it restored ("CodeBuild is not reporting what it is doing at
// all", aws/aws-cdk#21727), so these say it.
const (
	lineHitExact     = "Cache hit: key %q (exact match)"
	lineHitFallback  = "Cache hit: key %q matched fallback key %q (prefix match, newest of %d, saved %s)"
	lineHitProject   = "Cache hit: project cache of %q (saved %s)"
	lineMissKeyed    = "Cache miss: no cache with key %q"
	lineMissFallback = "Cache miss: no cache with key %q or a key starting with %s"
	lineMissProject  = "Cache miss: no cache saved for project %q yet"
	lineRestored     = "Restored cache: %d files, %d bytes in %s"
	lineSymlinkOut   = "Skipping cache entry: symbolic link %q points outside its cache path (%s)"
	lineExists       = "Cache with key %q already exists and is immutable; not saving"
	lineNothing      = "No files matched the cache paths; nothing saved"
	lineSaved        = "Saved cache with key %q: %d files, %d bytes (%d compressed) in %s"
	lineSavedProject = "Saved project cache of %q: %d files, %d bytes (%d compressed) in %s"
)
