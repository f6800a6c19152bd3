package build

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/codeyard/codeyard/internal/buildspec"
)

// Variable types of project and StartBuild environment variables.
const (
	VarPlaintext      = "PLAINTEXT"
	VarParameterStore = "PARAMETER_STORE"
	VarSecretsManager = "SECRETS_MANAGER"
)

// Variable is a project or StartBuild environment variable. For the
// PARAMETER_STORE and SECRETS_MANAGER types, Value names the parameter or
// the secret reference.
type Variable struct {
	Name  string
	Value string
	Type  string // empty means PLAINTEXT
}

// Source fetches a build's primary source into its workspace.
type Source interface {
	// Fetch places the source in dir, which exists and is empty unless the
	// source is used in place.
	Fetch(ctx context.Context, dir string) (SourceInfo, error)
}

// SourceInfo describes a fetched source.
type SourceInfo struct {
	// Location is the repository URL or object location
	// (CODEBUILD_SOURCE_REPO_URL).
	Location string
	// Version is the requested version (CODEBUILD_SOURCE_VERSION).
	Version string
	// ResolvedVersion is the commit the source is at
	// (CODEBUILD_RESOLVED_SOURCE_VERSION), empty when there is none.
	ResolvedVersion string
}

// ContextError is an error that names the phase context a failure should
// carry. Sources and executors return one for failures that are the user's
// to fix (the phase then ends FAILED); any other error faults the phase.
type ContextError struct {
	StatusCode string
	Message    string
}

func (e *ContextError) Error() string { return e.StatusCode + ": " + e.Message }

// Request is everything the Engine needs to run one build.
type Request struct {
	// UUID is the build's own id; the build id is Project:UUID.
	UUID      string
	Project   string
	Number    int64
	Region    string
	Account   string
	Initiator string
	Image     string

	Source Source
	// Workspace is the host directory that becomes CODEBUILD_SRC_DIR.
	Workspace string
	// SrcDir is CODEBUILD_SRC_DIR as the commands see it; empty means
	// Workspace.
	SrcDir string
	// Buildspec is the buildspec to use: empty for buildspec.yml in the
	// source, a path relative to the source (or absolute), or an inline
	// buildspec (any value with a line break).
	Buildspec string
	// BaseEnv is the environment the build image provides, KEY=VALUE.
	BaseEnv []string
	// ToolsDir, when set, goes first on the build's PATH: where the
	// helper commands CodeBuild provides (codebuild-hash-files, ...) are.
	ToolsDir string
	// Variables are the project's environment variables followed by the
	// StartBuild overrides; when a name repeats, the last one wins.
	Variables []Variable
	// Timeout ends the build TIMED_OUT; zero means no timeout.
	Timeout time.Duration
	// Cache, when set, holds the build's cache: restored before INSTALL,
	// saved at the end (UPLOAD_ARTIFACTS).
	Cache Cache
	// CacheNamespace shares a keyed cache between projects (the project's
	// cache.cacheNamespace); empty: the project's own.
	CacheNamespace string
	// CacheRoot is where absolute cache paths live on the host: "/" (or
	// empty) for the host executor, a container's root otherwise.
	CacheRoot string
	// Artifacts, when set, receives the buildspec's artifacts in
	// UPLOAD_ARTIFACTS; nil means the project has none (NO_ARTIFACTS).
	Artifacts *ArtifactSettings
	// BatchIdentifier is the task identifier of a build that runs as part
	// of a batch (CODEBUILD_BATCH_BUILD_IDENTIFIER).
	BatchIdentifier string
	// Secondary are the build's secondary sources, fetched after the
	// primary one in DOWNLOAD_SOURCE.
	Secondary []SecondarySource
	// SecondaryArtifacts are the settings of the buildspec's secondary
	// artifacts, by identifier; one not here goes below Artifacts.
	SecondaryArtifacts map[string]*ArtifactSettings
	// Submitted, when set, is when the build was requested: the build
	// starts then, and its QUEUED phase lasts until Run is called.
	Submitted time.Time
	// Progress, when set, is called with a copy of the build each time a
	// phase starts, from the goroutine that called Run.
	Progress func(Build)
}

// SecondarySource is one of a build's secondary sources.
type SecondarySource struct {
	// Identifier names it: CODEBUILD_SRC_DIR_<Identifier>.
	Identifier string
	Source     Source
	// Workspace is the host directory it is fetched into; SrcDir is that
	// directory as the commands see it (empty: Workspace).
	Workspace string
	SrcDir    string
}

// Engine runs builds on an Executor.
type Engine struct {
	exec    Executor
	secrets Secrets
	now     func() time.Time
}

// NewEngine returns an Engine that runs builds on x and resolves
// parameter-store and secrets-manager values from s (nil: none exist).
func NewEngine(x Executor, s Secrets) *Engine {
	if s == nil {
		s = noSecrets{}
	}
	return &Engine{exec: x, secrets: s, now: time.Now}
}

// run is the state of one build while the Engine runs it.
type run struct {
	e          *Engine
	req        *Request
	b          *Build
	log        *logWriter
	red        *Redactor
	plan       *Plan
	spec       *buildspec.Spec
	ctx        context.Context
	masks      []string
	cache      *cacheState
	failed     bool   // a phase has failed
	lastFailed string // the command the last failed phase context names
	lastRunAs  string // the run-as user of the last step that ran
	ran        bool   // a step has run
}

// Run runs the build req describes, writing its log to out, and returns the
// finished build. Cancelling ctx stops the build (STOPPED); a cause of
// ErrTimedOut ends it TIMED_OUT instead.
func (e *Engine) Run(ctx context.Context, req *Request, out io.Writer) *Build {
	now := e.now()
	if !req.Submitted.IsZero() && req.Submitted.Before(now) {
		now = req.Submitted
	}
	b := &Build{
		ID:        req.Project + ":" + req.UUID,
		Project:   req.Project,
		Number:    req.Number,
		Initiator: req.Initiator,
		Image:     req.Image,
		Status:    StatusInProgress,
		Start:     now,
		SrcDir:    cmpOr(req.SrcDir, req.Workspace),
		LogStream: req.UUID,
		Timeout:   req.Timeout,
	}
	b.ARN = fmt.Sprintf("arn:aws:codebuild:%s:%s:build/%s", req.Region, req.Account, b.ID)
	if req.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, req.Timeout, ErrTimedOut)
		defer cancel()
	}
	buf := bufio.NewWriterSize(out, 32<<10)
	red := NewRedactor(buf, nil)
	r := &run{e: e, req: req, b: b, red: red, ctx: ctx}
	r.log = &logWriter{r: red, buf: buf, now: e.now}
	r.plan = &Plan{BuildID: b.ID, Image: req.Image, Workspace: req.Workspace, SrcDir: b.SrcDir}
	r.plan.Mounts = mounts(req)

	r.instant(PhaseSubmitted)
	if !req.Submitted.IsZero() {
		r.b.Phases[0].End = b.Start
		r.instant(PhaseQueued)
	}
	if r.provision() {
		defer r.destroy()
		if r.downloadSource() {
			upload := r.userPhases()
			r.captureExported()
			var names map[string]string
			var nameErr error
			if upload {
				names, nameErr = r.artifactNames()
			}
			r.drain()
			if upload {
				r.uploadArtifacts(names, nameErr)
			} else {
				r.processReports()
			}
		}
	}
	r.finish()
	return b
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// begin starts phase t and returns its index in b.Phases.
func (r *run) begin(t PhaseType) int {
	start := r.e.now()
	switch n := len(r.b.Phases); {
	case n == 0:
		start = r.b.Start
	case t == PhaseQueued:
		// QUEUED lasts from the end of SUBMITTED until the build runs.
		start = r.b.Phases[n-1].End
	}
	r.b.Phases = append(r.b.Phases, Phase{Type: t, Status: StatusInProgress, Start: start})
	r.b.CurrentPhase = t
	if r.req.Progress != nil && t != PhaseSubmitted && t != PhaseQueued {
		r.req.Progress(r.b.snapshot())
	}
	return len(r.b.Phases) - 1
}

// end ends phase i and sets the build's status from it. logged phases
// write CodeBuild's two closing lines.
func (r *run) end(i int, st Status, c Context, logged bool) {
	r.record(i, st, c, logged)
	switch st {
	case StatusSucceeded:
	case StatusFailed:
		r.failed = true
		if r.b.FailedCommand == "" {
			r.b.FailedCommand = r.lastFailed
		}
		if r.b.Status == StatusInProgress {
			r.b.Status = StatusFailed
		}
	default:
		r.failed = true
		r.b.Status = st
	}
}

// record ends phase i without touching the build's status: for a failed
// attempt that is retried.
func (r *run) record(i int, st Status, c Context, logged bool) {
	p := &r.b.Phases[i]
	p.Status = st
	p.End = r.e.now()
	p.Contexts = []Context{c}
	if logged {
		r.log.printf("Phase complete: %s State: %s", p.Type, st)
		r.log.printf("Phase context status code: %s Message: %s", c.StatusCode, c.Message)
	}
}

func (r *run) instant(t PhaseType) {
	i := r.begin(t)
	r.end(i, StatusSucceeded, Context{}, false)
}

// interruption reports whether the build's context is done, and how the
// current phase must end because of it.
func (r *run) interruption() (Status, Context, bool) {
	if r.ctx.Err() == nil {
		return "", Context{}, false
	}
	if errors.Is(context.Cause(r.ctx), ErrTimedOut) {
		return StatusTimedOut, Context{StatusCode: CodeTimedOut, Message: "Build has timed out. "}, true
	}
	return StatusStopped, Context{StatusCode: CodeStopped, Message: "Build was stopped. "}, true
}

// failure turns an error from a source or executor into how a phase ends.
func (r *run) failure(err error) (Status, Context) {
	if st, c, ok := r.interruption(); ok {
		return st, c
	}
	var ce *ContextError
	if errors.As(err, &ce) {
		return StatusFailed, Context{StatusCode: ce.StatusCode, Message: ce.Message}
	}
	return StatusFault, Context{StatusCode: CodeInternalError, Message: err.Error()}
}

func (r *run) provision() bool {
	i := r.begin(PhaseProvisioning)
	for _, m := range r.plan.Mounts {
		// A mount needs its host directory before the build's
		// environment exists; the source is fetched into it later.
		if err := os.MkdirAll(m.Source, 0o755); err != nil {
			st, c := r.failure(err)
			r.end(i, st, c, false)
			return false
		}
	}
	if err := r.e.exec.Setup(r.ctx, r.plan); err != nil {
		st, c := r.failure(err)
		r.end(i, st, c, false)
		r.log.printf("Phase complete: PROVISIONING State: %s", st)
		r.log.printf("Phase context status code: %s Message: %s", c.StatusCode, c.Message)
		// Destroy what a half-done Setup left.
		r.destroy()
		return false
	}
	r.end(i, StatusSucceeded, Context{}, false)
	return true
}

func (r *run) destroy() {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), 30*time.Second)
	defer cancel()
	r.e.exec.Destroy(ctx, r.plan)
}

func (r *run) downloadSource() bool {
	i := r.begin(PhaseDownloadSource)
	r.log.printf("Waiting for DOWNLOAD_SOURCE")
	r.log.printf("Phase is DOWNLOAD_SOURCE")
	info, err := r.fetchSource()
	if err != nil {
		st, c := r.failure(err)
		r.end(i, st, c, true)
		return false
	}
	r.b.SourceVersion = info.Version
	r.b.ResolvedSourceVersion = info.ResolvedVersion
	r.log.printf("CODEBUILD_SRC_DIR=%s", r.b.SrcDir)

	spec, c, ok := r.loadBuildspec()
	if !ok {
		r.end(i, StatusFailed, c, true)
		return false
	}
	r.spec = spec

	r.log.printf("Processing environment variables")
	env, c, ok := r.environment(info)
	if !ok {
		if st, ic, stopped := r.interruption(); stopped {
			r.end(i, st, ic, true)
		} else {
			r.end(i, StatusFailed, c, true)
		}
		return false
	}
	if err := r.checkReportGroups(); err != nil {
		r.end(i, StatusFailed, Context{StatusCode: CodeYAMLFileError, Message: err.Error()}, true)
		return false
	}
	if err := Compile(spec, r.plan, env); err != nil {
		r.end(i, StatusFailed, Context{StatusCode: CodeYAMLFileError, Message: err.Error()}, true)
		return false
	}
	if v, ok := r.e.exec.(Checker); ok {
		if err := v.Check(r.plan); err != nil {
			st, c := r.failure(err)
			r.end(i, st, c, true)
			return false
		}
	}
	r.logRuntimeVersions()
	r.log.printf("Moving to directory %s", r.b.SrcDir)
	r.restoreCache()
	n := 0
	for _, p := range spec.Phases {
		if len(p.Commands) > 0 || len(p.Finally) > 0 {
			n++
		}
	}
	r.log.printf("Phases found in YAML: %d", n)
	for _, p := range r.plan.Phases {
		if len(p.Commands) > 0 || len(p.Finally) > 0 {
			r.log.printf(" %s: %d commands", p.Type, len(p.Commands)+len(p.Finally))
		}
	}
	r.end(i, StatusSucceeded, Context{}, true)
	return true
}

func (r *run) fetchSource() (SourceInfo, error) {
	var info SourceInfo
	if r.req.Source != nil {
		var err error
		if info, err = r.req.Source.Fetch(r.ctx, r.req.Workspace); err != nil {
			return info, err
		}
	}
	for _, s := range r.req.Secondary {
		if err := os.MkdirAll(s.Workspace, 0o755); err != nil {
			return info, err
		}
		if s.Source == nil {
			continue
		}
		si, err := s.Source.Fetch(r.ctx, s.Workspace)
		if err != nil {
			var ce *ContextError
			if errors.As(err, &ce) {
				return info, &ContextError{StatusCode: ce.StatusCode, Message: strings.Replace(ce.Message, "primary source", "secondary source "+s.Identifier, 1)}
			}
			return info, fmt.Errorf("secondary source %s: %w", s.Identifier, err)
		}
		r.log.printf("CODEBUILD_SRC_DIR_%s=%s", s.Identifier, cmpOr(s.SrcDir, s.Workspace))
		_ = si
	}
	return info, nil
}

// loadBuildspec reads and parses the buildspec, logging its warnings.
func (r *run) loadBuildspec() (*buildspec.Spec, Context, bool) {
	var src []byte
	ref := r.req.Buildspec
	if strings.ContainsAny(ref, "\n\r") {
		src = []byte(ref)
		r.log.printf("YAML location is the buildspec override")
	} else {
		if ref == "" {
			ref = "buildspec.yml"
		}
		hostPath := ref
		if !filepath.IsAbs(ref) {
			hostPath = filepath.Join(r.req.Workspace, ref)
		}
		shown := hostPath
		if !filepath.IsAbs(ref) {
			shown = filepath.Join(r.b.SrcDir, ref)
		}
		data, err := os.ReadFile(hostPath)
		switch {
		case errors.Is(err, os.ErrNotExist) && r.req.Buildspec == "":
			return nil, Context{StatusCode: CodeYAMLFileError, Message: "YAML file does not exist"}, false
		case errors.Is(err, os.ErrNotExist):
			return nil, Context{StatusCode: CodeYAMLFileError, Message: fmt.Sprintf("stat %s: no such file or directory", shown)}, false
		case err != nil:
			return nil, Context{StatusCode: CodeYAMLFileError, Message: err.Error()}, false
		}
		src = data
		r.log.printf("YAML location is %s", shown)
	}
	spec, warnings, err := buildspec.Parse(src)
	for _, w := range warnings {
		msg := w.Message
		if w.Line > 0 {
			msg = fmt.Sprintf("%s at line %d, column %d", w.Message, w.Line, w.Column)
		}
		r.b.Warnings = append(r.b.Warnings, msg)
		r.log.printf("Warning: %s", msg)
	}
	if err != nil {
		var pe *buildspec.Error
		if errors.As(err, &pe) {
			return nil, Context{StatusCode: pe.StatusCode(), Message: pe.Message()}, false
		}
		return nil, Context{StatusCode: CodeYAMLFileError, Message: err.Error()}, false
	}
	return spec, Context{}, true
}

func (r *run) logRuntimeVersions() {
	for _, p := range r.plan.Phases {
		if len(p.RuntimeVersions) == 0 {
			continue
		}
		// The host and custom images have no runtime selection: CodeBuild
		// says so and goes on.
		msg := "Skipping install of runtimes. Runtime version selection is not supported by this build image."
		r.b.Warnings = append(r.b.Warnings, msg)
		r.log.printf("%s", msg)
		return
	}
}

// environment resolves the build's environment: the image's variables,
// then AWS_REGION, the buildspec's env, the project's variables and the
// overrides, and last the CODEBUILD_* variables, which nothing overrides.
func (r *run) environment(info SourceInfo) ([]string, Context, bool) {
	env := newEnvList(r.req.BaseEnv)
	if r.req.ToolsDir != "" {
		path := r.req.ToolsDir
		if i, ok := env.index["PATH"]; ok && env.vars[i].Value != "" {
			path += ":" + env.vars[i].Value
		}
		env.set("PATH", path)
	}
	env.set("AWS_REGION", r.req.Region)
	env.set("AWS_DEFAULT_REGION", r.req.Region)
	for _, v := range r.spec.Env.Variables {
		env.set(v.Name, v.Value)
	}
	for _, v := range r.spec.Env.ParameterStore {
		val, err := r.e.secrets.Parameter(r.ctx, v.Value)
		if err != nil {
			return nil, Context{StatusCode: CodeDecryptedVars, Message: err.Error()}, false
		}
		env.set(v.Name, val)
		r.masks = append(r.masks, val)
	}
	for _, v := range r.spec.Env.SecretsManager {
		val, err := resolveSecret(r.ctx, r.e.secrets, v.Value)
		if err != nil {
			return nil, Context{StatusCode: CodeSecretsManager, Message: err.Error()}, false
		}
		env.set(v.Name, val)
		r.masks = append(r.masks, val)
	}
	for _, v := range r.req.Variables {
		switch v.Type {
		case VarParameterStore:
			val, err := r.e.secrets.Parameter(r.ctx, v.Value)
			if err != nil {
				return nil, Context{StatusCode: CodeDecryptedVars, Message: err.Error()}, false
			}
			env.set(v.Name, val)
			r.masks = append(r.masks, val)
		case VarSecretsManager:
			val, err := resolveSecret(r.ctx, r.e.secrets, v.Value)
			if err != nil {
				return nil, Context{StatusCode: CodeSecretsManager, Message: err.Error()}, false
			}
			env.set(v.Name, val)
			r.masks = append(r.masks, val)
		default:
			env.set(v.Name, v.Value)
		}
	}
	r.b.masks = r.masks
	if len(r.masks) > 0 {
		// Mask from here on: every later byte of the log goes through it.
		r.log.flush()
		*r.red = *NewRedactor(r.red.w, r.masks)
	}
	for _, kv := range codebuildVars(r.req, r.b, info) {
		env.set(kv.Name, kv.Value)
	}
	for _, kv := range env.vars {
		val := kv.Value
		if slices.Contains(r.masks, val) {
			val = mask
		}
		r.b.Env = append(r.b.Env, Var{Name: kv.Name, Value: val})
	}
	return env.strings(), Context{}, true
}

// codebuildVars are the CODEBUILD_* variables of a build, in the shapes
// CodeBuild gives them.
func codebuildVars(req *Request, b *Build, info SourceInfo) []Var {
	vars := []Var{
		{"CODEBUILD_BUILD_ARN", b.ARN},
		{"CODEBUILD_BUILD_ID", b.ID},
		{"CODEBUILD_BUILD_IMAGE", req.Image},
		{"CODEBUILD_BUILD_NUMBER", strconv.FormatInt(req.Number, 10)},
		{"CODEBUILD_BUILD_SUCCEEDING", "1"},
		{"CODEBUILD_INITIATOR", req.Initiator},
		{"CODEBUILD_KMS_KEY_ID", fmt.Sprintf("arn:aws:kms:%s:%s:alias/aws/s3", req.Region, req.Account)},
		{"CODEBUILD_LOG_PATH", b.LogStream},
		{"CODEBUILD_PROJECT_ARN", fmt.Sprintf("arn:aws:codebuild:%s:%s:project/%s", req.Region, req.Account, req.Project)},
		{"CODEBUILD_SOURCE_REPO_URL", info.Location},
		{"CODEBUILD_SOURCE_VERSION", info.Version},
		{"CODEBUILD_SRC_DIR", b.SrcDir},
		{"CODEBUILD_START_TIME", strconv.FormatInt(b.Start.UnixMilli(), 10)},
	}
	if info.ResolvedVersion != "" {
		vars = append(vars, Var{"CODEBUILD_RESOLVED_SOURCE_VERSION", info.ResolvedVersion})
	}
	if req.BatchIdentifier != "" {
		vars = append(vars, Var{"CODEBUILD_BATCH_BUILD_IDENTIFIER", req.BatchIdentifier})
	}
	for _, s := range req.Secondary {
		vars = append(vars, Var{"CODEBUILD_SRC_DIR_" + s.Identifier, cmpOr(s.SrcDir, s.Workspace)})
	}
	return vars
}

// userPhases runs INSTALL to POST_BUILD with CodeBuild's transitions and
// reports whether UPLOAD_ARTIFACTS runs after them.
func (r *run) userPhases() (upload bool) {
	for _, pp := range r.plan.Phases {
		st := r.userPhase(pp)
		switch st {
		case StatusSucceeded:
			continue
		case StatusFailed:
		default: // stopped, timed out, faulted
			return false
		}
		action := ""
		if pp.OnFailure != nil && pp.OnFailure.Action != buildspec.Retry {
			action = pp.OnFailure.Action
		}
		switch {
		case action == buildspec.Abort:
			r.log.printf("Aborting the build: phase %s failed and its on-failure is ABORT", pp.Type)
			return false
		case action == buildspec.Continue:
			continue
		case pp.Type == PhaseInstall || pp.Type == PhasePreBuild:
			return false
		}
		// A failed BUILD still runs POST_BUILD; a failed POST_BUILD still
		// uploads artifacts.
	}
	return true
}

// userPhase runs one user phase, with its retries, and returns its status.
func (r *run) userPhase(pp PhasePlan) Status {
	retries, re := 0, (*regexp.Regexp)(nil)
	if of := pp.OnFailure; of != nil && of.Action == buildspec.Retry {
		retries = of.RetryCount
		if of.RetryRegex != "" {
			re, _ = regexp.Compile(of.RetryRegex) // the parser checked it
		}
	}
	for attempt := 0; ; attempt++ {
		i := r.begin(pp.Type)
		r.log.printf("Entering phase %s", pp.Type)
		st, c := r.runSteps(pp)
		if st == StatusFailed && attempt < retries && (re == nil || re.MatchString(c.Message)) {
			r.record(i, st, c, true)
			r.log.printf("Retrying phase %s (retry %d of %d)", pp.Type, attempt+1, retries)
			continue
		}
		r.end(i, st, c, true)
		return st
	}
}

// runSteps runs a phase's commands, stopping at the first that fails, then
// its finally commands, stopping likewise.
func (r *run) runSteps(pp PhasePlan) (Status, Context) {
	st, c, cmd := r.runList(pp.Commands)
	if st == StatusStopped || st == StatusTimedOut || st == StatusFault {
		return st, c
	}
	fst, fc, fcmd := r.runList(pp.Finally)
	if st == StatusSucceeded || fst == StatusStopped || fst == StatusTimedOut || fst == StatusFault {
		st, c, cmd = fst, fc, fcmd
	}
	r.lastFailed = cmd
	return st, c
}

// runList runs steps until one fails, and returns how the list ended and
// the command that failed it.
func (r *run) runList(steps []Step) (Status, Context, string) {
	if lr, ok := r.e.exec.(ListRunner); ok && r.plan.Version != "0.1" && len(steps) > 1 && sameUser(steps) {
		return r.runListAtOnce(lr, steps)
	}
	for _, s := range steps {
		if st, c, ok := r.interruption(); ok {
			return st, c, ""
		}
		s.Env = r.stepEnv()
		r.lastRunAs, r.ran = s.RunAs, true
		r.log.printf("Running command %s", s.Command)
		code, err := r.e.exec.Run(r.ctx, r.plan, s, r.log)
		r.endCommand()
		if err != nil {
			st, c := r.failure(err)
			return st, c, ""
		}
		if code != 0 {
			r.log.printf("Command did not exit successfully %s exit status %d", s.Command, code)
			return StatusFailed, Context{
				StatusCode: CodeCommandExecution,
				Message:    fmt.Sprintf("Error while executing command: %s. Reason: exit status %d", s.Command, code),
			}, s.Command
		}
	}
	return StatusSucceeded, Context{}, ""
}

// runListAtOnce runs a list through a ListRunner: the same log lines and
// results as one Run per step.
func (r *run) runListAtOnce(lr ListRunner, steps []Step) (Status, Context, string) {
	if st, c, ok := r.interruption(); ok {
		return st, c, ""
	}
	env := r.stepEnv()
	for i := range steps {
		steps[i].Env = env
	}
	r.lastRunAs, r.ran = steps[0].RunAs, true
	i, code, err := lr.RunList(r.ctx, r.plan, steps, r.log, ListHooks{
		Start: func(i int) { r.log.printf("Running command %s", steps[i].Command) },
		End: func(i, code int) {
			r.endCommand()
			if code != 0 {
				r.log.printf("Command did not exit successfully %s exit status %d", steps[i].Command, code)
			}
		},
	})
	if err != nil {
		st, c := r.failure(err)
		return st, c, ""
	}
	if code != 0 {
		return StatusFailed, Context{
			StatusCode: CodeCommandExecution,
			Message:    fmt.Sprintf("Error while executing command: %s. Reason: exit status %d", steps[i].Command, code),
		}, steps[i].Command
	}
	return StatusSucceeded, Context{}, ""
}

func sameUser(steps []Step) bool {
	for _, s := range steps[1:] {
		if s.RunAs != steps[0].RunAs {
			return false
		}
	}
	return true
}

// endCommand ends a command's output as CodeBuild does: its last line
// closed, then an empty line.
func (r *run) endCommand() {
	r.log.mu.Lock()
	defer r.log.mu.Unlock()
	if r.log.midLine {
		r.red.Write([]byte("\n\n"))
		r.log.midLine = false
	} else {
		r.red.Write([]byte("\n"))
	}
	r.red.Flush()
	r.log.armLocked()
}

// stepEnv gives every step CODEBUILD_BUILD_SUCCEEDING as it stands; the
// executor applies only what changed for the shell the step runs in, so
// every shell (another run-as user's, one started after an exit) agrees.
func (r *run) stepEnv() []string {
	if r.failed {
		return []string{"CODEBUILD_BUILD_SUCCEEDING=0"}
	}
	return []string{"CODEBUILD_BUILD_SUCCEEDING=1"}
}

// captureExported reads the exported variables out of the build's shell
// after the last user phase, from the shell of the user whose command ran
// last. Secret values are masked wherever they appear in a value.
func (r *run) captureExported() {
	names := r.plan.Exported
	if len(names) == 0 {
		return
	}
	values := map[string]string{}
	for _, kv := range r.plan.Env {
		k, v, _ := strings.Cut(kv, "=")
		values[k] = v
	}
	if vr, ok := r.e.exec.(VarReader); ok && r.ctx.Err() == nil && r.ran {
		if got, err := vr.ReadVars(r.ctx, r.plan, r.lastRunAs, names); err == nil {
			for _, n := range names {
				values[n] = got[n] // unset in the shell: empty
			}
		}
	}
	for _, n := range names {
		r.b.Exported = append(r.b.Exported, Var{Name: n, Value: RedactString(values[n], r.masks)})
	}
}

// drain collects what the build's processes wrote after the last step,
// and ends them.
func (r *run) drain() {
	if d, ok := r.e.exec.(Drainer); ok {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), 10*time.Second)
		defer cancel()
		d.Drain(ctx, r.plan, r.log)
		r.log.flush()
	}
}

func (r *run) uploadArtifacts(names map[string]string, nameErr error) {
	i := r.begin(PhaseUploadArtifacts)
	if st, c, ok := r.interruption(); ok {
		r.end(i, st, c, true)
		return
	}
	st, c := r.packageArtifacts(names, nameErr)
	r.processReports()
	r.saveCache()
	r.end(i, st, c, true)
}

func (r *run) finish() {
	i := r.begin(PhaseFinalizing)
	st, c := StatusSucceeded, Context{}
	if ist, ic, ok := r.interruption(); ok && r.b.Status == StatusInProgress {
		// Interrupted between phases: the build ends so all the same.
		st, c = ist, ic
	}
	r.end(i, st, c, false)
	r.log.flush()
	r.b.Phases = append(r.b.Phases, Phase{Type: PhaseCompleted, Start: r.e.now()})
	r.b.CurrentPhase = PhaseCompleted
	if r.b.Status == StatusInProgress {
		r.b.Status = StatusSucceeded
	}
	r.b.Complete = true
	r.b.End = r.e.now()
}
