// Package artifact selects and packages a build's output artifacts the way
// CodeBuild does in its UPLOAD_ARTIFACTS phase. It is pure: it reads the
// build's source directory and writes only where it is told to.
//
// Collect turns an artifacts section of a buildspec (a Selection; see
// Primary and Secondary) into a list of entries and the log lines CodeBuild
// prints while it assembles the list ("Expanding base directory path: .",
// "Assembling file list", "Expanding **/*", "Found 12 file(s)" and so on,
// as public UPLOAD_ARTIFACTS logs show them; a secondary artifact's lines
// start with "Preparing to copy secondary artifacts <identifier>").
// WriteZip packages the entries for packaging ZIP and CopyTree for
// packaging NONE. Location computes the object key or folder a project's
// artifact settings name.
//
// # Selection rules
//
// The rules follow the buildspec reference
// (https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html,
// "artifacts") and what public CodeBuild logs show:
//
//   - files are globs relative to each base directory. "*" matches within
//     one path component and "**" across directories; "{a,b}" alternatives
//     and "[...]" classes work too (github.com/bmatcuk/doublestar/v4
//     syntax). "**/*" matches every file and directory, dot-files included.
//   - A directory that a pattern matches is packaged as an empty directory
//     entry, and its contents only if a pattern matches them too: the
//     reference distinguishes "my-subdirectory/*" (the files in it) from
//     "my-subdirectory/**/*" (everything below it), and a local CodeBuild
//     agent log shows "Expanding dist/*" counting a Vite dist directory's
//     assets/ subdirectory as one of its "Found 3 file(s)".
//   - base-directory is a path or a glob ("my-build*"); the contents of
//     every matching directory are packaged, not the directory itself.
//     Directories are taken in lexical order.
//   - exclude-paths are globs matched against paths relative to the base
//     directory; a matching file or directory entry is dropped.
//   - discard-paths keeps only the file name. Directory entries are dropped,
//     since a flattened artifact has no directories.
//   - When two entries end up at the same path (discard-paths, or several
//     base directories), the one found last wins, as it would when CodeBuild
//     copies files one after the other into the same folder. Collect logs a
//     line for each file that is replaced.
//   - A pattern, or a base directory, that matches nothing is logged as
//     "Skipping invalid file path <pattern>" and the others still count.
//     When nothing matches at all, Collect returns ErrNoMatch, whose text is
//     CodeBuild's "no matching artifact paths found".
//
// # Symbolic links
//
// With enable-symlinks, a symbolic link whose target resolves inside the
// source directory is packaged as a link (the reference: "all internal
// symbolic links in the source will be preserved in the artifacts ZIP
// file"); links are never followed. Without it, links are followed: a link
// to a file is packaged as a copy of that file and a link to a directory is
// walked like a directory (a link back to one of its own parents is
// packaged as an empty directory, not walked again). The reference defines enable-symlinks for ZIP output only;
// callers packaging NONE should clear it.
//
// # Paths outside the source directory
//
// The buildspec reference does not confine patterns to the source
// directory, and CodeBuild's build container is thrown away after the
// build. codeyard runs builds on shared hosts, so Collect never packages
// anything outside the source directory: absolute patterns and patterns or base directories with a ".."
// component are skipped as invalid file paths, and a symbolic link whose
// target resolves outside the source directory (or does not exist) is
// skipped with its own log line, whether or not enable-symlinks is set.
//
// # Log lines
//
// The lines CodeBuild prints are repeated word for word. Three situations
// have no known CodeBuild wording and get codeyard's own lines: a replaced
// duplicate ("Replacing <path> from <old> with <new>"), a skipped link
// ("Skipping symbolic link <path> -> <target>: ...") and an entry below a
// path that is a file in the artifact ("Skipping <path>: <parent> is not a
// directory in the artifact").
package artifact
