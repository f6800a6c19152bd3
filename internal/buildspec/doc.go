// Package buildspec parses and validates CodeBuild buildspec files (versions 0.1 and 0.2).
//
// Parse reads a buildspec the way CodeBuild's agent does in its
// DOWNLOAD_SOURCE phase and returns a normalized Spec. Every scalar becomes
// the exact string CodeBuild would use: numbers and booleans keep the text
// they were written with ("1.10" stays "1.10"), block and multi-line scalars
// are folded as YAML folds them, and anchors, aliases and merge keys are
// resolved.
//
// Problems CodeBuild would reject are returned as an *Error, whose Message is
// the text CodeBuild puts in the phase context after
// "YAML_FILE_ERROR Message:". Where CodeBuild's own wording is known from
// public build logs, the message repeats it; the source of each such wording
// is noted next to the code that produces it. Keys CodeBuild does not know
// are reported as warnings, since CodeBuild ignores them.
//
// YAML is read with github.com/goccy/go-yaml's parser for structure and
// positions; scalar values are decoded from the source text by this package,
// so that tabs and folding follow the YAML specification.
package buildspec
