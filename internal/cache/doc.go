// Package cache keeps CodeBuild's build cache (the buildspec's cache section)
// in a local directory, with the semantics of CodeBuild's Amazon S3 cache,
// which LOCAL_CUSTOM_CACHE projects get here too.
//
// The build engine calls Restore before the INSTALL phase and Save at the
// end of the build, skipping the one the buildspec's cache action excludes
// ("restore" only restores, "save" only saves). The behaviour follows the
// CodeBuild User Guide (caching-s3, build-spec-ref "cache"):
//
//   - With cache/key, Restore takes the entry with exactly that key; failing
//     that, each of cache/fallback-keys in order as a prefix, newest entry
//     first. A saved key is immutable: Save does not overwrite it.
//   - Without a key, fallback keys are ignored, and the project has one
//     unkeyed cache that each Save overwrites.
//   - An entry is scoped to a project, or to the project's cache namespace
//     when it has one (caching-s3, "Cache sharing between projects"), and to
//     its cache version, a hash of its cache paths: the same key with other
//     paths is another cache (caching-s3, "Cache version").
//   - Cache paths are globs; "**" crosses directories, so "dir/**/*" is
//     everything below dir. A path starting with "/" is absolute
//     ("/root/.m2/**/*"); any other is relative to the source directory.
//   - Both log what CodeBuild's agent logs (see messages.go for each line
//     and its source), plus codeyard's own lines saying which key matched
//     and how much was restored or saved.
//
// HashFiles and HashFilesMain implement the codebuild-hash-files helper
// that dynamic keys use: key: npm-$(codebuild-hash-files package-lock.json).
//
// # Store layout
//
// A Store directory holds entries/ and tmp/. Each entry is one file in
// entries/, named after a hash of its scope, key and cache version (or of
// its scope alone for an unkeyed cache), and made of
//
//	codeyard-cache/1\n
//	a zstd-compressed tar stream
//	the JSON header (key, project, version, paths, created, files, bytes)
//	the header's length as 8 big-endian bytes
//
// Archive entries are named src/<path> for paths relative to the source
// directory and abs/<path> for absolute ones. An entry is written to tmp/
// and then linked (keyed, so an existing one wins) or renamed (unkeyed)
// into entries/, so it is never seen half-written. An entry file's
// modification time is when it was last restored.
package cache
