package codebuild

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/codeyard/codeyard/internal/awsapi/shape"
	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/buildspec"
)

// A build batch is coordinated by a goroutine of Run (runBatches). The
// coordinator ends SUBMITTED, reads the batch section of the buildspec in
// DOWNLOAD_BATCHSPEC (fetching the source as a build does), then hands the
// tasks build.ExpandBatch made to build.RunBatch: each task becomes a build
// of its own, queued like any StartBuild and run by the worker pool, with
// buildBatchArn set, and RunBatch starts a task once the tasks it depends
// on have succeeded. The batch's progress is its BuildBatch document in the
// store, rewritten at every step; what coordinating it needs beyond the
// shape (the build template, the tasks, the owner) rides in the same
// document under a key of its own.
//
// A coordinator lives only in this process. A batch left in progress by a
// server that is gone ends FAILED when the next one starts (Recover), with
// its queued builds; a server that shuts down stops its batches.

// Retry types of RetryBuildBatch.
const (
	retryAll    = "RETRY_ALL_BUILDS"
	retryFailed = "RETRY_FAILED_BUILDS"
)

var (
	errBatchStopped  = errors.New("build batch stopped by StopBuildBatch")
	errBatchTimedOut = errors.New("build batch timed out")
	// errUnchanged, returned by a changeBatch function, leaves the
	// document as it is without failing.
	errUnchanged = errors.New("unchanged")
	// errBatchEnded is a coordinator's change refused because the batch
	// ended (was stopped) or moved on to another run.
	errBatchEnded = errors.New("build batch ended")
)

// lostBatch is the context of a batch whose coordinator died with its
// server.
const lostBatch = "Build batch coordinator was lost: the codeyard server that ran it stopped (crashed or was killed) before the batch completed"

// batchDoc is a batch as the store keeps it: the BuildBatch shape, and
// under a key of its own what coordinating it needs. The API answers only
// the shape.
type batchDoc struct {
	cb.BuildBatch
	Run *batchRun `json:"codeyardRun,omitempty"`
}

// batchRun is what coordinating a batch needs that the BuildBatch shape
// does not say.
type batchRun struct {
	// Owner is the server that coordinates the batch (Config.Owner).
	Owner string `json:"owner"`
	// Attempt counts the batch's runs: 1, and one more per retry.
	Attempt int `json:"attempt"`
	// Template is the build every task's build starts from: the project
	// with StartBuildBatch's overrides.
	Template *cb.Build    `json:"template"`
	Settings *runSettings `json:"settings,omitempty"`
	// Expanded says DOWNLOAD_BATCHSPEC has set Tasks and FastFail.
	Expanded bool              `json:"expanded,omitempty"`
	Tasks    []build.BatchTask `json:"tasks,omitempty"`
	FastFail bool              `json:"fastFail,omitempty"`
	// Retry is the retry type of the current run; empty for the first.
	Retry string `json:"retry,omitempty"`
}

// batchRuntime is what the service knows of batches in memory. Its zero
// value is ready to use.
type batchRuntime struct {
	mu      sync.Mutex                         // guards pending, active, watch and wake
	pending []string                           // batches waiting for a coordinator
	active  map[string]context.CancelCauseFunc // running coordinators, by batch id
	watch   map[string]chan struct{}           // closed when the build of that id ends
	wake    chan struct{}

	docMu sync.Mutex // serializes the changes of batch documents
}

func (r *batchRuntime) wakeLocked() chan struct{} {
	if r.wake == nil {
		r.wake = make(chan struct{}, 1)
	}
	return r.wake
}

func (r *batchRuntime) wakeup() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.wakeLocked()
}

func (r *batchRuntime) poke() {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case r.wakeLocked() <- struct{}{}:
	default:
	}
}

// queue asks for a coordinator for a batch.
func (r *batchRuntime) queue(id string) {
	r.mu.Lock()
	r.pending = append(r.pending, id)
	r.mu.Unlock()
	r.poke()
}

// start takes the pending batches that have no coordinator running and
// registers one for each, with a context derived from ctx. A batch whose
// previous coordinator is still winding down (a stopped batch waiting for
// its builds to stop, then retried) stays pending until that one is done.
func (r *batchRuntime) start(ctx context.Context) map[string]context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.active == nil {
		r.active = map[string]context.CancelCauseFunc{}
	}
	out := map[string]context.Context{}
	var keep []string
	for _, id := range r.pending {
		if _, busy := r.active[id]; busy {
			keep = append(keep, id)
			continue
		}
		bctx, cancel := context.WithCancelCause(ctx)
		r.active[id] = cancel
		out[id] = bctx
	}
	r.pending = keep
	return out
}

// done unregisters a batch's coordinator.
func (r *batchRuntime) done(id string) {
	r.mu.Lock()
	if c := r.active[id]; c != nil {
		c(nil)
	}
	delete(r.active, id)
	r.mu.Unlock()
	r.poke()
}

// busy reports whether a batch has a coordinator here, or waits for one.
func (r *batchRuntime) busy(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.active[id]
	return ok || slices.Contains(r.pending, id)
}

// cancel cancels a batch's coordinator, if it runs here.
func (r *batchRuntime) cancel(id string, cause error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.active[id]; c != nil {
		c(cause)
	}
}

// drain empties the pending batches and returns them.
func (r *batchRuntime) drain() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	ids := r.pending
	r.pending = nil
	return ids
}

// watchBuild returns a channel closed when the build ends.
func (r *batchRuntime) watchBuild(id string) chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.watch == nil {
		r.watch = map[string]chan struct{}{}
	}
	ch := r.watch[id]
	if ch == nil {
		ch = make(chan struct{})
		r.watch[id] = ch
	}
	return ch
}

func (r *batchRuntime) unwatch(id string, ch chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.watch[id] == ch {
		delete(r.watch, id)
	}
}

// buildEnded tells the batch waiting for a build that it ended. The
// runner calls it once a build's end is stored.
func (s *Service) buildEnded(id string) {
	r := &s.batch
	r.mu.Lock()
	defer r.mu.Unlock()
	if ch := r.watch[id]; ch != nil {
		close(ch)
		delete(r.watch, id)
	}
}

// batchID takes a batch id or ARN.
func batchID(idOrARN string) string {
	if strings.HasPrefix(idOrARN, "arn:") {
		if _, id, ok := strings.Cut(idOrARN, ":build-batch/"); ok {
			return id
		}
	}
	return idOrARN
}

// StartBuildBatch starts a batch of a project with the request's
// overrides; the project (or the request) must have a batch
// configuration. The batch is stored SUBMITTED and coordinated by Run.
func (s *Service) StartBuildBatch(ctx context.Context, c Caller, in *cb.StartBuildBatchInput) (*cb.BuildBatch, error) {
	const op = "StartBuildBatch"
	if in.IdempotencyToken != "" {
		s.tokenMu.Lock()
		defer s.tokenMu.Unlock()
		if b, ok, err := s.batchIdempotent(ctx, op, in.IdempotencyToken, in); ok || err != nil {
			return b, err
		}
	}
	p, err := s.project(ctx, c, in.ProjectName)
	if err != nil {
		return nil, err
	}
	cfg := mergeBatchConfig(p.BuildBatchConfig, in.BuildBatchConfigOverride)
	if cfg == nil {
		return nil, invalid("Batch build is not enabled for project %s: set the project's buildBatchConfig, or buildBatchConfigOverride", p.Name)
	}
	if r := cfg.Restrictions; r != nil && r.MaximumBuildsAllowed != nil && *r.MaximumBuildsAllowed < 1 {
		return nil, invalid("Invalid maximumBuildsAllowed: %d", *r.MaximumBuildsAllowed)
	}
	tmpl, rs, err := buildFromProject(p, startInput(in))
	if err != nil {
		return nil, err
	}
	now := s.now()
	id := p.Name + ":" + newUUID()
	var out *batchDoc
	_, err = s.store.CreateBatch(ctx, p.Name, func(n int64) (*BatchRecord, error) {
		d := &batchDoc{BuildBatch: cb.BuildBatch{
			Id:                      id,
			Arn:                     c.arn("build-batch/" + id),
			StartTime:               ts(now),
			CurrentPhase:            string(build.BatchSubmitted),
			BuildBatchStatus:        string(build.StatusInProgress),
			SourceVersion:           tmpl.SourceVersion,
			ProjectName:             p.Name,
			Phases:                  []cb.BuildBatchPhase{{PhaseType: string(build.BatchSubmitted), StartTime: ts(now)}},
			Source:                  tmpl.Source,
			SecondarySources:        nonNil(tmpl.SecondarySources),
			SecondarySourceVersions: nonNil(tmpl.SecondarySourceVersions),
			Artifacts:               cmp.Or(tmpl.Artifacts, &cb.BuildArtifacts{}),
			SecondaryArtifacts:      []cb.BuildArtifacts{},
			Cache:                   tmpl.Cache,
			Environment:             tmpl.Environment,
			ServiceRole:             tmpl.ServiceRole,
			LogConfig:               logConfig(tmpl.Logs),
			BuildTimeoutInMinutes:   tmpl.TimeoutInMinutes,
			QueuedTimeoutInMinutes:  tmpl.QueuedTimeoutInMinutes,
			Complete:                ptr(false),
			Initiator:               c.Initiator,
			VpcConfig:               tmpl.VpcConfig,
			EncryptionKey:           tmpl.EncryptionKey,
			BuildBatchNumber:        ptr(n),
			FileSystemLocations:     tmpl.FileSystemLocations,
			BuildBatchConfig:        cfg,
			DebugSessionEnabled:     in.DebugSessionEnabled,
		}, Run: &batchRun{Owner: s.cfg.Owner, Attempt: 1, Template: tmpl, Settings: rs}}
		out = d
		return &BatchRecord{ID: id, ARN: d.Arn, Project: p.Name, Number: n, Status: d.BuildBatchStatus, Start: now, Doc: mustJSON(d)}, nil
	})
	if err != nil {
		return nil, storeErr(err, "Project "+p.Name)
	}
	s.batch.queue(id)
	if in.IdempotencyToken != "" {
		s.remember(op, in.IdempotencyToken, in, id)
	}
	return &out.BuildBatch, nil
}

// startInput is StartBuild's input with StartBuildBatch's overrides, so a
// batch's builds are made as StartBuild makes a build.
func startInput(in *cb.StartBuildBatchInput) *cb.StartBuildInput {
	return &cb.StartBuildInput{
		ProjectName:                      in.ProjectName,
		SecondarySourcesOverride:         in.SecondarySourcesOverride,
		SecondarySourcesVersionOverride:  in.SecondarySourcesVersionOverride,
		SourceVersion:                    in.SourceVersion,
		ArtifactsOverride:                in.ArtifactsOverride,
		SecondaryArtifactsOverride:       in.SecondaryArtifactsOverride,
		EnvironmentVariablesOverride:     in.EnvironmentVariablesOverride,
		SourceTypeOverride:               in.SourceTypeOverride,
		SourceLocationOverride:           in.SourceLocationOverride,
		SourceAuthOverride:               in.SourceAuthOverride,
		GitCloneDepthOverride:            in.GitCloneDepthOverride,
		GitSubmodulesConfigOverride:      in.GitSubmodulesConfigOverride,
		BuildspecOverride:                in.BuildspecOverride,
		InsecureSslOverride:              in.InsecureSslOverride,
		ReportBuildStatusOverride:        in.ReportBuildBatchStatusOverride,
		EnvironmentTypeOverride:          in.EnvironmentTypeOverride,
		ImageOverride:                    in.ImageOverride,
		ComputeTypeOverride:              in.ComputeTypeOverride,
		CertificateOverride:              in.CertificateOverride,
		CacheOverride:                    in.CacheOverride,
		ServiceRoleOverride:              in.ServiceRoleOverride,
		PrivilegedModeOverride:           in.PrivilegedModeOverride,
		TimeoutInMinutesOverride:         in.BuildTimeoutInMinutesOverride,
		QueuedTimeoutInMinutesOverride:   in.QueuedTimeoutInMinutesOverride,
		EncryptionKeyOverride:            in.EncryptionKeyOverride,
		LogsConfigOverride:               in.LogsConfigOverride,
		RegistryCredentialOverride:       in.RegistryCredentialOverride,
		ImagePullCredentialsTypeOverride: in.ImagePullCredentialsTypeOverride,
		DebugSessionEnabled:              in.DebugSessionEnabled,
	}
}

// mergeBatchConfig is the project's batch configuration with the fields
// the override sets replaced; nil when neither has one.
func mergeBatchConfig(project, override *cb.ProjectBuildBatchConfig) *cb.ProjectBuildBatchConfig {
	if project == nil && override == nil {
		return nil
	}
	var m cb.ProjectBuildBatchConfig
	for _, c := range []*cb.ProjectBuildBatchConfig{project, override} {
		if c != nil {
			json.Unmarshal(mustJSON(c), &m)
		}
	}
	return &m
}

func logConfig(l *cb.LogsLocation) *cb.LogsConfig {
	c := &cb.LogsConfig{}
	if l != nil {
		c.CloudWatchLogs, c.S3Logs = l.CloudWatchLogs, l.S3Logs
	}
	if c.CloudWatchLogs == nil {
		c.CloudWatchLogs = &cb.CloudWatchLogsConfig{Status: "ENABLED"}
	}
	if c.S3Logs == nil {
		c.S3Logs = &cb.S3LogsConfig{Status: "DISABLED", EncryptionDisabled: ptr(false)}
	}
	return c
}

// runBatches coordinates the batches queued for a coordinator until ctx
// ends; it then stops the batches still waiting and waits for the
// coordinators, which stop theirs.
func (s *Service) runBatches(ctx context.Context) {
	var wg sync.WaitGroup
	wake := s.batch.wakeup()
	for ctx.Err() == nil {
		for id, bctx := range s.batch.start(ctx) {
			wg.Go(func() {
				defer s.batch.done(id)
				s.coordinate(ctx, bctx, id)
			})
		}
		select {
		case <-ctx.Done():
		case <-wake:
		}
	}
	bg := context.WithoutCancel(ctx)
	for _, id := range s.batch.drain() {
		if _, err := s.stopBatch(bg, id, shutdownContext()); err != nil {
			s.log.ErrorContext(bg, "stop batch at shutdown", "batch_id", id, "err", err)
		}
	}
	wg.Wait()
}

func shutdownContext() *cb.PhaseContext {
	return &cb.PhaseContext{StatusCode: build.CodeStopped, Message: "The codeyard server shut down before the batch completed"}
}

// coordinator runs one batch on behalf of the service.
type coordinator struct {
	s       *Service
	log     *slog.Logger
	id, arn string
	attempt int
	caller  Caller
	project *cb.Project
	tmpl    *cb.Build
	rs      *runSettings
}

// coordinate runs a batch from its open phase to its end. srv is the
// service's context, which ends when the server shuts down; ctx, the
// batch's, is derived from it and is also cancelled, with
// errBatchStopped, when the batch is stopped. The coordinator's methods
// take both.
func (s *Service) coordinate(srv, ctx context.Context, id string) {
	log := s.log.With("batch_id", id)
	d, err := s.loadBatch(srv, id)
	if err != nil {
		log.ErrorContext(srv, "load batch", "err", err)
		return
	}
	if val(d.Complete) || d.Run == nil {
		return // stopped before it started
	}
	region, account := arnRegionAccount(d.Arn)
	co := &coordinator{s: s, log: log, id: id, arn: d.Arn, attempt: d.Run.Attempt,
		caller: Caller{Region: region, Account: account, Initiator: d.Initiator},
		tmpl:   d.Run.Template, rs: cmp.Or(d.Run.Settings, &runSettings{})}
	if c := d.BuildBatchConfig; c != nil && val(c.TimeoutInMins) > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, time.Duration(*c.TimeoutInMins)*time.Minute, errBatchTimedOut)
		defer cancel()
	}
	co.run(srv, ctx, d)
}

func (co *coordinator) run(srv, ctx context.Context, d *batchDoc) {
	s := co.s
	p, err := s.project(ctx, co.caller, d.ProjectName)
	if err != nil {
		if ctx.Err() != nil {
			co.interrupted(srv, ctx)
			return
		}
		co.fail(srv, build.CodeClientError, err.Error())
		return
	}
	co.project = p
	d, err = co.change(srv, func(d *batchDoc) {
		next := build.BatchInProgress
		if !d.Run.Expanded {
			next = build.BatchDownloadBatchspec
		}
		now := s.now()
		closePhase(d, now, string(build.StatusSucceeded), nil)
		openPhase(d, now, string(next))
	})
	if err != nil {
		return
	}
	if !d.Run.Expanded {
		tasks, fastFail, resolved, pc := s.downloadBatchspec(ctx, d)
		if ctx.Err() != nil {
			co.interrupted(srv, ctx)
			return
		}
		if pc != nil {
			co.fail(srv, pc.StatusCode, pc.Message)
			return
		}
		d, err = co.change(srv, func(d *batchDoc) {
			d.Run.Expanded, d.Run.Tasks, d.Run.FastFail = true, tasks, fastFail
			if resolved != "" {
				d.ResolvedSourceVersion = resolved
			}
			d.BuildGroups = groupsOf(tasks)
			now := s.now()
			closePhase(d, now, string(build.StatusSucceeded), nil)
			openPhase(d, now, string(build.BatchInProgress))
		})
		if err != nil {
			return
		}
	}
	tasks := tasksToRun(d)
	combine := d.BuildBatchConfig != nil && val(d.BuildBatchConfig.CombineArtifacts)
	// Every build is queued at once: the worker pool and the project's
	// concurrent build limit decide how many run.
	bb := build.RunBatch(ctx, build.BatchRun{
		Tasks:            tasks,
		FastFail:         d.Run.FastFail,
		Parallel:         len(tasks),
		CombineArtifacts: combine,
		Build: func(ctx context.Context, t build.BatchTask) *build.Build {
			return co.build(srv, ctx, t)
		},
	})
	if srv.Err() != nil {
		co.interrupted(srv, ctx)
		return
	}
	timedOut := errors.Is(context.Cause(ctx), errBatchTimedOut) && bb.Status != build.StatusSucceeded
	co.change(srv, func(d *batchDoc) {
		now := s.now()
		if timedOut {
			co.timeOut(d, now)
			return
		}
		for _, ph := range bb.Phases {
			if ph.Type == build.BatchInProgress {
				closePhase(d, now, string(ph.Status), phaseContexts(ph.Contexts))
			}
		}
		for _, ph := range bb.Phases {
			if ph.Type == build.BatchCombineArtifacts {
				d.Phases = append(d.Phases, cb.BuildBatchPhase{PhaseType: string(ph.Type), PhaseStatus: string(ph.Status),
					StartTime: ts(now), EndTime: ts(now), DurationInSeconds: ptr[int64](0)})
			}
		}
		finishBatch(d, now, string(bb.Status), string(bb.CurrentPhase))
	})
}

// interrupted ends a batch whose context ended before its result: at
// shutdown it is stopped, on timeout it times out; a batch stopped by
// StopBuildBatch has already been recorded so.
func (co *coordinator) interrupted(srv, ctx context.Context) {
	switch {
	case srv.Err() != nil:
		if _, err := co.s.stopBatch(context.WithoutCancel(srv), co.id, shutdownContext()); err != nil {
			co.log.ErrorContext(srv, "stop batch at shutdown", "err", err)
		}
	case errors.Is(context.Cause(ctx), errBatchTimedOut):
		co.change(srv, func(d *batchDoc) { co.timeOut(d, co.s.now()) })
	}
}

// timeOut ends a batch whose buildBatchConfig.timeoutInMins passed; the
// builds it ran were stopped by then.
func (co *coordinator) timeOut(d *batchDoc, now time.Time) {
	closePhase(d, now, string(build.StatusTimedOut), []cb.PhaseContext{{StatusCode: build.CodeTimedOut,
		Message: fmt.Sprintf("Build batch has timed out after %d minutes. ", val(d.BuildBatchConfig.TimeoutInMins))}})
	finishBatch(d, now, string(build.StatusTimedOut), string(build.BatchFailed))
}

// fail ends the batch FAILED in its open phase.
func (co *coordinator) fail(srv context.Context, code, msg string) {
	co.change(srv, func(d *batchDoc) {
		now := co.s.now()
		closePhase(d, now, string(build.StatusFailed), []cb.PhaseContext{{StatusCode: code, Message: msg}})
		finishBatch(d, now, string(build.StatusFailed), string(build.BatchFailed))
	})
}

// change changes the batch's document, unless the batch has ended (it
// was stopped) or moved on to another run: then it changes nothing and
// returns errBatchEnded.
func (co *coordinator) change(srv context.Context, f func(d *batchDoc)) (*batchDoc, error) {
	d, err := co.s.changeBatch(context.WithoutCancel(srv), co.id, func(d *batchDoc) error {
		if val(d.Complete) || d.Run == nil || d.Run.Attempt != co.attempt {
			return errBatchEnded
		}
		f(d)
		return nil
	})
	var nf *NotFoundError
	if err != nil && !errors.Is(err, errBatchEnded) && !errors.As(err, &nf) {
		co.log.ErrorContext(srv, "record batch progress", "err", err)
	}
	return d, err
}

// build is RunBatch's Build: it queues the task's build, records it in
// the task's build group and waits for it to end. When ctx ends first
// (the batch stopped, fast-failed or timed out) it stops the build and
// still waits for its end; at shutdown it returns at once.
func (co *coordinator) build(srv, ctx context.Context, t build.BatchTask) *build.Build {
	s := co.s
	if ctx.Err() != nil {
		now := s.now()
		return &build.Build{Status: build.StatusStopped, Start: now, End: now}
	}
	tmpl, rs := taskBuild(co.tmpl, co.rs, t)
	b, err := s.createBuild(context.WithoutCancel(srv), co.caller, co.project, tmpl, rs, co.arn)
	if err != nil {
		co.log.ErrorContext(ctx, "start batch build", "identifier", t.Identifier, "err", err)
		now := s.now()
		return &build.Build{Status: build.StatusFault, Start: now, End: now}
	}
	co.record(srv, t.Identifier, b, true)
	b = co.await(srv, ctx, b)
	if srv.Err() == nil {
		co.record(srv, t.Identifier, b, false)
	}
	return &build.Build{ID: b.Id, ARN: b.Arn, Project: b.ProjectName, Number: val(b.BuildNumber),
		Status: build.Status(b.BuildStatus), Start: timeOf(b.StartTime), End: timeOf(b.EndTime)}
}

// await waits for a build to end and returns it.
func (co *coordinator) await(srv, ctx context.Context, b *cb.Build) *cb.Build {
	s := co.s
	id := b.Id
	bg := context.WithoutCancel(srv)
	tick := time.NewTicker(time.Second) // in case the build ends elsewhere
	defer tick.Stop()
	stop := ctx.Done()
	for {
		ch := s.batch.watchBuild(id)
		bs, _, err := s.Builds(bg, []string{id})
		switch {
		case err != nil:
			co.log.ErrorContext(bg, "load batch build", "build_id", id, "err", err)
		case len(bs) == 0: // deleted
			s.batch.unwatch(id, ch)
			gone := *b
			gone.BuildStatus, gone.BuildComplete = string(build.StatusFault), ptr(true)
			return &gone
		case val(bs[0].BuildComplete):
			s.batch.unwatch(id, ch)
			return &bs[0]
		default:
			b = &bs[0]
		}
		select {
		case <-ch:
		case <-tick.C:
		case <-stop:
			stop = nil
			if srv.Err() == nil {
				if _, err := s.StopBuild(bg, co.caller, id); err != nil {
					co.log.ErrorContext(bg, "stop batch build", "build_id", id, "err", err)
				}
			}
		case <-srv.Done():
			// Shutting down: the worker stops the build.
			s.batch.unwatch(id, ch)
			left := *b
			left.BuildStatus = string(build.StatusStopped)
			return &left
		}
	}
}

// record puts a build's summary in its build group: a build that started
// becomes the group's current one, its predecessor joining the prior ones;
// a build that ended replaces its own summary.
func (co *coordinator) record(srv context.Context, identifier string, b *cb.Build, started bool) {
	_, err := co.s.changeBatch(context.WithoutCancel(srv), co.id, func(d *batchDoc) error {
		i := slices.IndexFunc(d.BuildGroups, func(g cb.BuildGroup) bool { return g.Identifier == identifier })
		if i < 0 {
			return errUnchanged
		}
		g := &d.BuildGroups[i]
		sum := summaryOf(b, identifier)
		switch {
		case started:
			if g.CurrentBuildSummary != nil {
				g.PriorBuildSummaryList = append(g.PriorBuildSummaryList, *g.CurrentBuildSummary)
			}
			g.CurrentBuildSummary = &sum
		case g.CurrentBuildSummary != nil && g.CurrentBuildSummary.Arn == b.Arn:
			g.CurrentBuildSummary = &sum
		default:
			for j := range g.PriorBuildSummaryList {
				if g.PriorBuildSummaryList[j].Arn == b.Arn {
					g.PriorBuildSummaryList[j] = sum
				}
			}
		}
		return nil
	})
	var nf *NotFoundError
	if err != nil && !errors.As(err, &nf) {
		co.log.ErrorContext(srv, "record batch build", "identifier", identifier, "err", err)
	}
}

// downloadBatchspec is DOWNLOAD_BATCHSPEC: it fetches the source, reads
// the buildspec and expands its batch section into tasks. A problem is
// returned as the phase's context.
func (s *Service) downloadBatchspec(ctx context.Context, d *batchDoc) (tasks []build.BatchTask, fastFail bool, resolved string, pc *cb.PhaseContext) {
	tmpl := d.Run.Template
	ref := ""
	if tmpl.Source != nil {
		ref = tmpl.Source.Buildspec
	}
	var data []byte
	if strings.ContainsAny(ref, "\n\r") {
		data = []byte(ref)
	} else {
		src := s.source(tmpl.Source, tmpl.SourceVersion, "primary")
		if src == nil {
			return nil, false, "", &cb.PhaseContext{StatusCode: build.CodeYAMLFileError, Message: "YAML file does not exist"}
		}
		dir, err := os.MkdirTemp(s.cfg.WorkDir, "codeyard-batchspec-")
		if err != nil {
			return nil, false, "", &cb.PhaseContext{StatusCode: build.CodeInternalError, Message: "create the batch's workspace: " + err.Error()}
		}
		defer os.RemoveAll(dir)
		info, err := src.Fetch(ctx, dir)
		if err != nil {
			var ce *build.ContextError
			if errors.As(err, &ce) {
				return nil, false, "", &cb.PhaseContext{StatusCode: ce.StatusCode, Message: ce.Message}
			}
			return nil, false, "", &cb.PhaseContext{StatusCode: build.CodeInternalError, Message: err.Error()}
		}
		resolved = info.ResolvedVersion
		file := cmp.Or(ref, "buildspec.yml")
		if !filepath.IsAbs(file) {
			file = filepath.Join(dir, file)
		}
		data, err = os.ReadFile(file)
		switch {
		case errors.Is(err, os.ErrNotExist) && ref == "":
			return nil, false, resolved, &cb.PhaseContext{StatusCode: build.CodeYAMLFileError, Message: "YAML file does not exist"}
		case errors.Is(err, os.ErrNotExist):
			return nil, false, resolved, &cb.PhaseContext{StatusCode: build.CodeYAMLFileError, Message: "stat " + ref + ": no such file or directory"}
		case err != nil:
			return nil, false, resolved, &cb.PhaseContext{StatusCode: build.CodeYAMLFileError, Message: err.Error()}
		}
	}
	spec, _, err := buildspec.Parse(data)
	if err != nil {
		msg := err.Error()
		var pe *buildspec.Error
		if errors.As(err, &pe) {
			msg = pe.Message()
		}
		return nil, false, resolved, &cb.PhaseContext{StatusCode: build.CodeYAMLFileError, Message: msg}
	}
	if spec.Batch == nil {
		return nil, false, resolved, &cb.PhaseContext{StatusCode: build.CodeYAMLFileError,
			Message: "The buildspec has no batch section: a batch build needs batch/build-list, batch/build-graph, batch/build-matrix or batch/build-fanout"}
	}
	tasks = build.ExpandBatch(spec.Batch)
	if r := d.BuildBatchConfig.Restrictions; r != nil {
		if m := val(r.MaximumBuildsAllowed); m > 0 && int64(len(tasks)) > m {
			return nil, false, resolved, &cb.PhaseContext{StatusCode: build.CodeClientError,
				Message: fmt.Sprintf("Batch build has %d builds, more than the %d the batch restrictions allow (maximumBuildsAllowed)", len(tasks), m)}
		}
		if len(r.ComputeTypesAllowed) > 0 {
			for _, t := range tasks {
				ct := t.ComputeType
				if ct == "" && tmpl.Environment != nil {
					ct = tmpl.Environment.ComputeType
				}
				if !slices.Contains(r.ComputeTypesAllowed, ct) {
					return nil, false, resolved, &cb.PhaseContext{StatusCode: build.CodeClientError,
						Message: fmt.Sprintf("Compute type %s of build %s is not allowed by the batch restrictions (computeTypesAllowed: %s)", ct, t.Identifier, strings.Join(r.ComputeTypesAllowed, ", "))}
				}
			}
		}
	}
	return tasks, spec.Batch.FastFail, resolved, nil
}

func groupsOf(tasks []build.BatchTask) []cb.BuildGroup {
	groups := make([]cb.BuildGroup, 0, len(tasks))
	for _, t := range tasks {
		groups = append(groups, cb.BuildGroup{Identifier: t.Identifier, DependsOn: append([]string{}, t.DependOn...), IgnoreFailure: ptr(t.IgnoreFailure)})
	}
	return groups
}

// tasksToRun are the tasks a run of the batch builds: all of them, or
// for RETRY_FAILED_BUILDS those whose build did not succeed, depending
// only on each other (the others' builds stand).
func tasksToRun(d *batchDoc) []build.BatchTask {
	if d.Run.Retry != retryFailed {
		return d.Run.Tasks
	}
	succeeded := map[string]bool{}
	for _, g := range d.BuildGroups {
		if sum := g.CurrentBuildSummary; sum != nil && sum.BuildStatus == string(build.StatusSucceeded) {
			succeeded[g.Identifier] = true
		}
	}
	var out []build.BatchTask
	for _, t := range d.Run.Tasks {
		if succeeded[t.Identifier] {
			continue
		}
		t.DependOn = slices.DeleteFunc(slices.Clone(t.DependOn), func(dep string) bool { return succeeded[dep] })
		out = append(out, t)
	}
	return out
}

// taskBuild is the build a batch task runs: the batch's template with the
// task's buildspec, image, compute type, environment type, privileged
// mode and variables. Its S3 artifacts go to a folder named after the
// task, so the batch's builds do not overwrite each other's.
func taskBuild(tmpl *cb.Build, rs *runSettings, t build.BatchTask) (*cb.Build, *runSettings) {
	var b cb.Build
	json.Unmarshal(mustJSON(tmpl), &b)
	var r runSettings
	json.Unmarshal(mustJSON(rs), &r)
	if t.Buildspec != "" {
		if b.Source == nil {
			b.Source = &cb.ProjectSource{Type: "NO_SOURCE"}
		}
		b.Source.Buildspec = t.Buildspec
	}
	if b.Environment == nil {
		b.Environment = &cb.ProjectEnvironment{}
	}
	env := b.Environment
	if t.Image != "" {
		env.Image = t.Image
	}
	if t.ComputeType != "" {
		env.ComputeType = t.ComputeType
	}
	if t.EnvType != "" {
		env.Type = t.EnvType
	}
	if t.Privileged {
		env.PrivilegedMode = ptr(true)
	}
	for _, v := range t.Variables {
		ev := cb.EnvironmentVariable{Name: v.Name, Value: v.Value, Type: cmp.Or(v.Type, "PLAINTEXT")}
		if i := slices.IndexFunc(env.EnvironmentVariables, func(x cb.EnvironmentVariable) bool { return x.Name == v.Name }); i >= 0 {
			env.EnvironmentVariables[i] = ev
		} else {
			env.EnvironmentVariables = append(env.EnvironmentVariables, ev)
		}
	}
	r.BatchIdentifier = t.Identifier
	if a := r.Artifacts; a != nil && a.Type == "S3" {
		a.Path = path.Join(a.Path, t.Identifier)
	}
	for i := range r.SecondaryArtifacts {
		if a := &r.SecondaryArtifacts[i]; a.Type == "S3" {
			a.Path = path.Join(a.Path, t.Identifier)
		}
	}
	return &b, &r
}

// summaryOf is a build's summary in its build group. A build's status
// may change before it completes (a stopped build still finalizes); its
// group is IN_PROGRESS until it has.
func summaryOf(b *cb.Build, identifier string) cb.BuildSummary {
	sum := cb.BuildSummary{Arn: b.Arn, RequestedOn: b.StartTime, BuildStatus: string(build.StatusInProgress)}
	if val(b.BuildComplete) {
		sum.BuildStatus = b.BuildStatus
		pa := &cb.ResolvedArtifact{Type: "NO_ARTIFACTS", Identifier: identifier}
		if a := b.Artifacts; a != nil && a.Location != "" {
			pa.Type, pa.Location = "S3", a.Location
		}
		sum.PrimaryArtifact = pa
		sum.SecondaryArtifacts = []cb.ResolvedArtifact{}
		for _, a := range b.SecondaryArtifacts {
			sum.SecondaryArtifacts = append(sum.SecondaryArtifacts, cb.ResolvedArtifact{Type: "S3", Location: a.Location, Identifier: a.ArtifactIdentifier})
		}
	}
	return sum
}

func phaseContexts(cs []build.Context) []cb.PhaseContext {
	if len(cs) == 0 {
		return nil
	}
	out := make([]cb.PhaseContext, 0, len(cs))
	for _, c := range cs {
		out = append(out, cb.PhaseContext{StatusCode: c.StatusCode, Message: c.Message})
	}
	return out
}

func timeOf(t *shape.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.Time
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// closePhase ends the batch's open phase (the last, when it has no end).
func closePhase(d *batchDoc, now time.Time, status string, ctxs []cb.PhaseContext) {
	n := len(d.Phases)
	if n == 0 || d.Phases[n-1].EndTime != nil {
		return
	}
	p := &d.Phases[n-1]
	p.PhaseStatus, p.EndTime, p.Contexts = status, ts(now), ctxs
	if p.StartTime != nil {
		p.DurationInSeconds = ptr(int64(now.Sub(p.StartTime.Time) / time.Second))
	}
}

func openPhase(d *batchDoc, now time.Time, typ string) {
	d.Phases = append(d.Phases, cb.BuildBatchPhase{PhaseType: typ, StartTime: ts(now)})
	d.CurrentPhase = typ
}

// finishBatch ends a batch with status; its last phase, final, only
// starts, as a build's COMPLETED does.
func finishBatch(d *batchDoc, now time.Time, status, final string) {
	openPhase(d, now, final)
	d.BuildBatchStatus, d.Complete, d.EndTime = status, ptr(true), ts(now)
}

// loadBatch returns a stored batch.
func (s *Service) loadBatch(ctx context.Context, id string) (*batchDoc, error) {
	recs, err := s.store.Batches(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, &NotFoundError{Message: "Build batch " + id + " does not exist"}
	}
	var d batchDoc
	if err := json.Unmarshal(recs[0].Doc, &d); err != nil {
		return nil, fmt.Errorf("decode batch %s: %w", id, err)
	}
	return &d, nil
}

// changeBatch applies f to a batch's document and stores it. An error
// from f leaves the batch as it was; errUnchanged does so without
// failing.
func (s *Service) changeBatch(ctx context.Context, id string, f func(d *batchDoc) error) (*batchDoc, error) {
	s.batch.docMu.Lock()
	defer s.batch.docMu.Unlock()
	d, err := s.loadBatch(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := f(d); err != nil {
		if errors.Is(err, errUnchanged) {
			return d, nil
		}
		return d, err
	}
	if err := s.store.UpdateBatch(ctx, &BatchRecord{ID: id, Status: d.BuildBatchStatus, Doc: mustJSON(d)}); err != nil {
		return nil, err
	}
	return d, nil
}

// BuildBatches returns the batches of the given ids or ARNs and the ones
// not found.
func (s *Service) BuildBatches(ctx context.Context, ids []string) ([]cb.BuildBatch, []string, error) {
	plain := make([]string, len(ids))
	for i, id := range ids {
		plain[i] = batchID(id)
	}
	recs, err := s.store.Batches(ctx, plain)
	if err != nil {
		return nil, nil, err
	}
	docs := make([]*batchDoc, 0, len(recs))
	found := map[string]bool{}
	for _, r := range recs {
		var d batchDoc
		if err := json.Unmarshal(r.Doc, &d); err != nil {
			return nil, nil, fmt.Errorf("decode batch %s: %w", r.ID, err)
		}
		docs = append(docs, &d)
		found[r.ID] = true
	}
	if err := s.refresh(ctx, docs); err != nil {
		return nil, nil, err
	}
	out := make([]cb.BuildBatch, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.BuildBatch)
	}
	notFound := []string{}
	for i, id := range ids {
		if !found[plain[i]] {
			notFound = append(notFound, id)
		}
	}
	return out, notFound, nil
}

// refresh brings the summaries of builds in progress up to date: a
// coordinator records a build's end, but one that stopped (the batch was
// stopped, the server shut down) may not have.
func (s *Service) refresh(ctx context.Context, docs []*batchDoc) error {
	var ids []string
	for _, d := range docs {
		for _, g := range d.BuildGroups {
			if sum := g.CurrentBuildSummary; sum != nil && sum.BuildStatus == string(build.StatusInProgress) {
				ids = append(ids, buildID(sum.Arn))
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	bs, _, err := s.Builds(ctx, ids)
	if err != nil {
		return err
	}
	byARN := map[string]*cb.Build{}
	for i := range bs {
		byARN[bs[i].Arn] = &bs[i]
	}
	for _, d := range docs {
		for i := range d.BuildGroups {
			g := &d.BuildGroups[i]
			if sum := g.CurrentBuildSummary; sum != nil {
				if b := byARN[sum.Arn]; b != nil {
					*sum = summaryOf(b, g.Identifier)
				}
			}
		}
	}
	return nil
}

// StopBuildBatch stops a batch: it ends STOPPED at once, and its builds
// are stopped (they end within their executor's grace period). A batch
// that has ended is returned as it is.
func (s *Service) StopBuildBatch(ctx context.Context, c Caller, id string) (*cb.BuildBatch, error) {
	d, err := s.stopBatch(ctx, batchID(id), nil)
	if err != nil {
		return nil, err
	}
	if err := s.refresh(ctx, []*batchDoc{d}); err != nil {
		return nil, err
	}
	return &d.BuildBatch, nil
}

// stopBatch ends a batch STOPPED, its open phase with pc, cancels its
// coordinator and stops its builds in progress.
func (s *Service) stopBatch(ctx context.Context, id string, pc *cb.PhaseContext) (*batchDoc, error) {
	d, err := s.changeBatch(ctx, id, func(d *batchDoc) error {
		if val(d.Complete) {
			return errUnchanged
		}
		now := s.now()
		var ctxs []cb.PhaseContext
		if pc != nil {
			ctxs = []cb.PhaseContext{*pc}
		}
		closePhase(d, now, string(build.StatusStopped), ctxs)
		finishBatch(d, now, string(build.StatusStopped), string(build.BatchStopped))
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.batch.cancel(id, errBatchStopped)
	for _, g := range d.BuildGroups {
		if sum := g.CurrentBuildSummary; sum != nil && sum.BuildStatus == string(build.StatusInProgress) {
			if _, err := s.StopBuild(ctx, Caller{}, buildID(sum.Arn)); err != nil {
				s.log.WarnContext(ctx, "stop build of a stopped batch", "batch_id", id, "build_arn", sum.Arn, "err", err)
			}
		}
	}
	return d, nil
}

// RetryBuildBatch runs a batch that did not succeed again, as the same
// batch: all its builds, or those that did not succeed. The builds it
// replaces become its build groups' prior builds.
func (s *Service) RetryBuildBatch(ctx context.Context, c Caller, in *cb.RetryBuildBatchInput) (*cb.BuildBatch, error) {
	const op = "RetryBuildBatch"
	if in.Id == "" {
		return nil, invalid("Build batch ID is required")
	}
	if in.IdempotencyToken != "" {
		s.tokenMu.Lock()
		defer s.tokenMu.Unlock()
		if b, ok, err := s.batchIdempotent(ctx, op, in.IdempotencyToken, in); ok || err != nil {
			return b, err
		}
	}
	retry := cmp.Or(in.RetryType, retryAll)
	if retry != retryAll && retry != retryFailed {
		return nil, invalid("Invalid retry type: %s", in.RetryType)
	}
	id := batchID(in.Id)
	d, err := s.changeBatch(ctx, id, func(d *batchDoc) error {
		if !val(d.Complete) {
			return invalid("Build batch %s is in progress: only batch builds that have failed can be retried", id)
		}
		if d.BuildBatchStatus == string(build.StatusSucceeded) {
			return invalid("Build batch %s succeeded: only batch builds that have failed can be retried", id)
		}
		if d.Run == nil {
			return invalid("Build batch %s cannot be retried", id)
		}
		now := s.now()
		if n := len(d.Phases); n > 0 {
			p := &d.Phases[n-1]
			p.PhaseStatus, p.EndTime = "RETRY", ts(now)
			if p.StartTime != nil {
				p.DurationInSeconds = ptr(int64(now.Sub(p.StartTime.Time) / time.Second))
			}
		}
		openPhase(d, now, string(build.BatchSubmitted))
		d.BuildBatchStatus, d.Complete, d.EndTime = string(build.StatusInProgress), ptr(false), nil
		d.Run.Owner, d.Run.Retry = s.cfg.Owner, retry
		d.Run.Attempt++
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.batch.queue(id)
	if in.IdempotencyToken != "" {
		s.remember(op, in.IdempotencyToken, in, id)
	}
	return &d.BuildBatch, nil
}

// ListBuildBatches lists batch ids, of one project when project is set,
// with the status when status is set; newest first unless ascending.
func (s *Service) ListBuildBatches(ctx context.Context, c Caller, project, status, order, token string, max int64) ([]string, string, error) {
	if project != "" {
		if _, err := s.project(ctx, c, project); err != nil {
			return nil, "", err
		}
	}
	limit := int(max)
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	page := Page{Token: token, Desc: order != "ASCENDING"}
	out := []string{}
	for {
		// A page never holds more than the batches still wanted, so the
		// store's token is where the next call goes on from.
		page.Limit = limit - len(out)
		ids, next, err := s.store.ListBatches(ctx, projectName(project), page)
		if err != nil {
			return nil, "", storeErr(err, "")
		}
		if status == "" {
			out = append(out, ids...)
		} else {
			recs, err := s.store.Batches(ctx, ids)
			if err != nil {
				return nil, "", err
			}
			for _, r := range recs {
				if r.Status == status {
					out = append(out, r.ID)
				}
			}
		}
		if next == "" || len(out) >= limit {
			return out, next, nil
		}
		page.Token = next
	}
}

// DeleteBuildBatch deletes a batch that has ended and its builds; builds
// still in progress are not deleted.
func (s *Service) DeleteBuildBatch(ctx context.Context, id string) (*cb.DeleteBuildBatchOutput, error) {
	id = batchID(id)
	d, err := s.loadBatch(ctx, id)
	var nf *NotFoundError
	if errors.As(err, &nf) {
		return nil, invalid("%s", nf.Message)
	}
	if err != nil {
		return nil, err
	}
	if !val(d.Complete) {
		return nil, invalid("Build batch %s is in progress: stop it before deleting it", id)
	}
	arns := map[string]string{} // by build id
	var ids []string
	add := func(sum *cb.BuildSummary) {
		if sum == nil || sum.Arn == "" {
			return
		}
		bid := buildID(sum.Arn)
		if _, ok := arns[bid]; !ok {
			arns[bid] = sum.Arn
			ids = append(ids, bid)
		}
	}
	for i := range d.BuildGroups {
		g := &d.BuildGroups[i]
		add(g.CurrentBuildSummary)
		for j := range g.PriorBuildSummaryList {
			add(&g.PriorBuildSummaryList[j])
		}
	}
	res, err := s.DeleteBuilds(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := &cb.DeleteBuildBatchOutput{StatusCode: "BATCH_DELETED", BuildsDeleted: []string{}, BuildsNotDeleted: []cb.BuildNotDeleted{}}
	for _, bid := range res.BuildsDeleted {
		out.BuildsDeleted = append(out.BuildsDeleted, arns[bid])
	}
	for _, nd := range res.BuildsNotDeleted {
		if nd.StatusCode == "BUILD_NOT_FOUND" {
			continue // deleted before
		}
		out.BuildsNotDeleted = append(out.BuildsNotDeleted, cb.BuildNotDeleted{Id: cmp.Or(arns[nd.Id], nd.Id), StatusCode: nd.StatusCode})
	}
	if err := s.store.DeleteBatch(ctx, id); err != nil {
		return nil, err
	}
	return out, nil
}

// recoverBatches ends the batches left in progress by a server that is
// gone: their coordinator died with it, so they end FAILED, and their
// builds that still wait in the queue end with them.
func (s *Service) recoverBatches(ctx context.Context) error {
	token := ""
	for {
		ids, next, err := s.store.ListBatches(ctx, "", Page{Token: token})
		if err != nil {
			return fmt.Errorf("recover batches: %w", err)
		}
		recs, err := s.store.Batches(ctx, ids)
		if err != nil {
			return fmt.Errorf("recover batches: %w", err)
		}
		for _, r := range recs {
			if r.Status != string(build.StatusInProgress) {
				continue
			}
			var d batchDoc
			if err := json.Unmarshal(r.Doc, &d); err != nil {
				return fmt.Errorf("recover batch %s: %w", r.ID, err)
			}
			if val(d.Complete) || d.Run != nil && d.Run.Owner == s.cfg.Owner && s.batch.busy(r.ID) {
				continue
			}
			if err := s.loseBatch(ctx, &d); err != nil {
				return fmt.Errorf("recover batch %s: %w", r.ID, err)
			}
			s.log.WarnContext(ctx, "build batch lost by a previous server ended FAILED", "batch_id", r.ID)
		}
		if next == "" {
			return nil
		}
		token = next
	}
}

// loseBatch ends a batch whose coordinator is gone FAILED, with its
// queued builds.
func (s *Service) loseBatch(ctx context.Context, d *batchDoc) error {
	ctx = context.WithoutCancel(ctx) // a cancelled job must have its build ended
	recs, err := s.batchBuilds(ctx, d.ProjectName, d.Arn, timeOf(d.StartTime))
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r.Status != string(build.StatusInProgress) {
			continue
		}
		removed, err := s.store.CancelJob(ctx, r.ID)
		if err != nil {
			return err
		}
		if removed {
			if _, err := s.endUnrun(ctx, r.ID, string(build.StatusFailed), build.CodeInternalError, "Build was lost with its batch: "+lostBatch); err != nil {
				return err
			}
		}
	}
	_, err = s.changeBatch(ctx, d.Id, func(d *batchDoc) error {
		if val(d.Complete) {
			return errUnchanged
		}
		now := s.now()
		closePhase(d, now, string(build.StatusFailed), []cb.PhaseContext{{StatusCode: build.CodeInternalError, Message: lostBatch}})
		finishBatch(d, now, string(build.StatusFailed), string(build.BatchFailed))
		return s.refresh(ctx, []*batchDoc{d})
	})
	return err
}

// batchBuilds returns the builds of a batch, the project's builds made
// since the batch started that name it, whether or not its build groups
// recorded them.
func (s *Service) batchBuilds(ctx context.Context, project, arn string, since time.Time) ([]*BuildRecord, error) {
	var out []*BuildRecord
	token := ""
	for {
		ids, next, err := s.store.ListBuilds(ctx, project, Page{Token: token, Desc: true})
		if err != nil {
			return nil, err
		}
		recs, err := s.store.Builds(ctx, ids)
		if err != nil {
			return nil, err
		}
		older := false
		for _, r := range recs {
			if r.Start.Before(since) {
				older = true
				continue
			}
			if r.BatchARN == arn {
				out = append(out, r)
			}
		}
		if older || next == "" {
			return out, nil
		}
		token = next
	}
}

// batchIdempotent returns the batch an earlier call of op with the same
// token started.
func (s *Service) batchIdempotent(ctx context.Context, op, token string, in any) (*cb.BuildBatch, bool, error) {
	id, ok, err := s.tokenUse(op, token, in)
	if !ok || err != nil {
		return nil, false, err
	}
	bs, _, err := s.BuildBatches(ctx, []string{id})
	if err != nil || len(bs) == 0 {
		return nil, false, err
	}
	return &bs[0], true, nil
}
