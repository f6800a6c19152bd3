package cache

import (
	"fmt"
	"time"
)

// Outcome says what a Restore or Save did.
type Outcome string

// Outcomes.
const (
	// Skipped: no cache paths, so nothing was looked up or saved.
	Skipped Outcome = "SKIPPED"
	// Hit: Restore found an entry and restored it.
	Hit Outcome = "HIT"
	// Miss: Restore found no entry; nothing was written.
	Miss Outcome = "MISS"
	// Saved: Save wrote a new entry, or replaced the project cache.
	Saved Outcome = "SAVED"
	// Exists: the key already has an entry, which is immutable; Save wrote
	// nothing.
	Exists Outcome = "EXISTS"
	// Empty: no file matched the cache paths; Save wrote nothing.
	Empty Outcome = "EMPTY"
)

// Match says how Restore found its entry.
type Match string

// Matches.
const (
	// Exact: the entry's key is the key asked for.
	Exact Match = "EXACT"
	// Fallback: the entry's key starts with one of the fallback keys.
	Fallback Match = "FALLBACK"
	// Project: the project's unkeyed cache.
	Project Match = "PROJECT"
)

// Result reports a Restore or Save.
type Result struct {
	Outcome Outcome
	// Match is how a Hit was found; empty otherwise.
	Match Match
	// Key is the key of the entry restored or saved; empty for a project
	// cache.
	Key string
	// FallbackKey is the fallback key that matched, for a Fallback hit.
	FallbackKey string
	// Files and Bytes count the regular files and symbolic links, and the
	// bytes of the regular files, that were restored or saved.
	Files int
	Bytes int64
	// ArchiveBytes is the size of the compressed entry.
	ArchiveBytes int64
	// Skipped counts archived entries Restore did not restore because the
	// current cache paths do not cover them or they are symbolic links
	// pointing outside their cache path.
	Skipped  int
	Duration time.Duration
	// Lines is what the build log should show, in order, without
	// CodeBuild's "[Container] <date> " prefix.
	Lines []string
}

func (r *Result) logf(format string, args ...any) {
	r.Lines = append(r.Lines, fmt.Sprintf(format, args...))
}

// since rounds a duration for a log line.
func since(start time.Time) time.Duration {
	d := time.Since(start)
	switch {
	case d > time.Second:
		return d.Round(time.Millisecond)
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d
}
