package build

import (
	"errors"
	"time"
)

// Status is the status of a build or of one of its phases.
type Status string

// Statuses, as the CodeBuild API names them.
const (
	StatusSucceeded  Status = "SUCCEEDED"
	StatusFailed     Status = "FAILED"
	StatusFault      Status = "FAULT"
	StatusTimedOut   Status = "TIMED_OUT"
	StatusInProgress Status = "IN_PROGRESS"
	StatusStopped    Status = "STOPPED"
)

// Phase context status codes.
const (
	CodeYAMLFileError    = "YAML_FILE_ERROR"
	CodeCommandExecution = "COMMAND_EXECUTION_ERROR"
	CodeClientError      = "CLIENT_ERROR"
	CodeDecryptedVars    = "Decrypted Variables Error"
	CodeSecretsManager   = "Secrets Manager Error"
	CodeTimedOut         = "BUILD_TIMED_OUT"
	CodeStopped          = "BUILD_STOPPED"
	CodeInternalError    = "INTERNAL_ERROR"
)

// Errors a build's context is cancelled with.
var (
	// ErrTimedOut is the cause of a build's cancellation when its timeout
	// passes: the build ends TIMED_OUT.
	ErrTimedOut = errors.New("build has timed out")
	// ErrStopped is the cause of a stop: the build ends STOPPED. Any other
	// cancellation of the build's context is taken as a stop too.
	ErrStopped = errors.New("build was stopped")
)

// Context is a phase context: why a phase ended as it did.
type Context struct {
	StatusCode string
	Message    string
}

// Phase is one phase of a build as it ran.
type Phase struct {
	Type     PhaseType
	Status   Status // empty for COMPLETED, which only starts
	Start    time.Time
	End      time.Time
	Contexts []Context
}

// Duration is how long the phase took, zero while it runs.
func (p Phase) Duration() time.Duration {
	if p.End.IsZero() {
		return 0
	}
	return p.End.Sub(p.Start)
}

// Var is an environment variable: a name and its value.
type Var struct {
	Name  string
	Value string
}

// Build is a build's record: what ran, how it ended, what it exported.
type Build struct {
	ID        string // project:uuid
	ARN       string
	Project   string
	Number    int64
	Initiator string
	Image     string

	Status       Status
	CurrentPhase PhaseType
	Complete     bool
	Start        time.Time
	End          time.Time
	Phases       []Phase

	SourceVersion         string
	ResolvedSourceVersion string
	SrcDir                string
	LogStream             string
	Timeout               time.Duration

	// Exported holds the buildspec's exported-variables, captured after
	// the last user phase that ran.
	Exported []Var
	// Env is the build's environment as the commands saw it, with the
	// values of secret variables masked.
	Env []Var
	// Warnings are problems that did not stop the build: unknown buildspec
	// keys, runtime versions this environment cannot select.
	Warnings []string
	// FailedCommand is the command that failed the build, if one did.
	FailedCommand string
	// Artifacts are the artifacts UPLOAD_ARTIFACTS stored, primary first.
	Artifacts []ArtifactResult
	// Reports are the reports of the buildspec's reports section.
	Reports []Report

	masks []string // the build's secret values
}

// snapshot returns a copy of b that shares nothing that b's run changes.
func (b *Build) snapshot() Build {
	c := *b
	c.Phases = append([]Phase(nil), b.Phases...)
	c.Env = append([]Var(nil), b.Env...)
	c.Warnings = append([]string(nil), b.Warnings...)
	return c
}

// Masked returns s with the build's secret values masked, for showing
// what the build made (an artifact's location) where its log would mask
// it.
func (b *Build) Masked(s string) string { return RedactString(s, b.masks) }

// Phase returns the build's record of phase t, and false when the phase did
// not run.
func (b *Build) Phase(t PhaseType) (Phase, bool) {
	for _, p := range b.Phases {
		if p.Type == t {
			return p, true
		}
	}
	return Phase{}, false
}
