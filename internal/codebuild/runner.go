package codebuild

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/source"
)

// Run recovers the builds a previous server left running, then runs
// queued builds on the configured number of workers, and coordinates build
// batches, until ctx ends. Builds still running then are stopped.
func (s *Service) Run(ctx context.Context) error {
	if err := s.Recover(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	for range s.cfg.Workers {
		wg.Go(func() { s.worker(ctx) })
	}
	wg.Go(func() { s.runBatches(ctx) })
	wg.Go(func() { s.sweepQueue(ctx) })
	wg.Wait()
	return nil
}

// Recover ends the builds whose jobs were running on a worker that is
// gone: their process died with that worker, so they end FAILED, keeping
// the log they wrote. Batches whose coordinator is gone end FAILED too.
func (s *Service) Recover(ctx context.Context) error {
	jobs, err := s.store.OrphanJobs(ctx, s.cfg.Owner)
	if err != nil {
		return fmt.Errorf("recover builds: %w", err)
	}
	for _, j := range jobs {
		// End the build first, then drop its job: a recovery that stops
		// half-way finds the rest at the next start.
		if _, err := s.endUnrun(ctx, j.BuildID, "FAILED", build.CodeInternalError,
			"Build process was lost: the codeyard server that ran it stopped (crashed or was killed) before the build completed"); err != nil {
			s.log.ErrorContext(ctx, "recover a lost build", "build_id", j.BuildID, "err", err)
			continue
		}
		if err := s.store.FinishJob(ctx, j.ID); err != nil {
			s.log.ErrorContext(ctx, "recover a lost build", "build_id", j.BuildID, "err", err)
			continue
		}
		killed := 0
		if r, ok := s.cfg.Exec.(Reaper); ok {
			killed = r.Reap(j.BuildID)
		}
		s.log.WarnContext(ctx, "build lost by a previous server ended FAILED", "build_id", j.BuildID, "processes_killed", killed)
	}
	if s.cfg.WorkDir != "" {
		// Workspaces of builds that ran before a crash.
		old, _ := filepath.Glob(filepath.Join(s.cfg.WorkDir, "codeyard-build-*"))
		for _, dir := range old {
			os.RemoveAll(dir)
		}
	}
	return s.recoverBatches(ctx)
}

// sweepQueue ends the builds that waited in the queue longer than their
// queuedTimeoutInMinutes (behind a concurrent build limit, or a busy
// pool) TIMED_OUT, as CodeBuild does, every 10 seconds.
func (s *Service) sweepQueue(ctx context.Context) {
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		s.timeOutQueued(ctx)
	}
}

func (s *Service) timeOutQueued(ctx context.Context) {
	jobs, err := s.store.QueuedJobs(ctx)
	if err != nil {
		return
	}
	for _, j := range jobs {
		bs, _, err := s.Builds(ctx, []string{j.BuildID})
		if err != nil || len(bs) == 0 {
			continue
		}
		b := &bs[0]
		q := val(b.QueuedTimeoutInMinutes)
		if q <= 0 || b.StartTime == nil || s.now().Sub(b.StartTime.Time) <= time.Duration(q)*time.Minute {
			continue
		}
		if removed, err := s.store.CancelJob(context.WithoutCancel(ctx), j.BuildID); err == nil && removed {
			s.endUnrun(context.WithoutCancel(ctx), j.BuildID, "TIMED_OUT", build.CodeTimedOut, fmt.Sprintf("Build has timed out in the queue after %d minutes. ", q))
		}
	}
}

func (s *Service) worker(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for ctx.Err() == nil {
		j, err := s.store.ClaimJob(ctx, s.cfg.Owner)
		if err != nil {
			if ctx.Err() == nil {
				s.log.ErrorContext(ctx, "claim job", "err", err)
			}
		}
		if j == nil {
			select {
			case <-ctx.Done():
				return
			case <-s.wake:
			case <-tick.C:
			}
			continue
		}
		if !s.runJob(ctx, j) {
			// The build's end is not recorded: the job stays running, so
			// the next start's recovery ends the build.
			continue
		}
		if err := s.store.FinishJob(context.WithoutCancel(ctx), j.ID); err != nil {
			s.log.ErrorContext(ctx, "finish job", "build_id", j.BuildID, "err", err)
		}
		// A finished build can free its project's slot for another.
		s.poke()
	}
}

// endUnrun ends a build that never ran, or whose run was lost, with
// status st and a context on the phase it was in.
func (s *Service) endUnrun(ctx context.Context, id, st, code, msg string) (*cb.Build, error) {
	recs, err := s.store.Builds(ctx, []string{id})
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	var b cb.Build
	if err := json.Unmarshal(recs[0].Doc, &b); err != nil {
		return nil, err
	}
	if val(b.BuildComplete) {
		return &b, nil
	}
	now := s.now()
	ctxs := []cb.PhaseContext{{StatusCode: code, Message: msg}}
	if n := len(b.Phases); n > 0 && b.Phases[n-1].EndTime == nil {
		p := &b.Phases[n-1]
		p.PhaseStatus, p.EndTime, p.Contexts = st, ts(now), ctxs
		p.DurationInSeconds = ptr(int64(now.Sub(p.StartTime.Time) / time.Second))
	}
	b.Phases = append(b.Phases,
		cb.BuildPhase{PhaseType: "FINALIZING", PhaseStatus: "SUCCEEDED", StartTime: ts(now), EndTime: ts(now), DurationInSeconds: ptr[int64](0)},
		cb.BuildPhase{PhaseType: "COMPLETED", StartTime: ts(now)})
	b.BuildStatus, b.CurrentPhase, b.BuildComplete, b.EndTime = st, "COMPLETED", ptr(true), ts(now)
	if err := s.store.UpdateBuild(ctx, &BuildRecord{ID: id, Status: st, Doc: mustJSON(&b)}); err != nil {
		return nil, err
	}
	s.buildEnded(id)
	return &b, nil
}

// runJob runs one claimed build to its end, and reports whether the end
// is recorded (or there was nothing to record).
func (s *Service) runJob(ctx context.Context, j *Job) (recorded bool) {
	log := s.log.With("build_id", j.BuildID)
	// The job is claimed: what follows must not be cut short by a
	// shutdown, which instead stops the build itself.
	sctx := context.WithoutCancel(ctx)
	defer func() {
		s.mu.Lock()
		delete(s.stopping, j.BuildID)
		s.mu.Unlock()
	}()
	recs, err := s.store.Builds(sctx, []string{j.BuildID})
	if err != nil {
		log.ErrorContext(ctx, "load claimed build", "err", err)
		return false
	}
	if len(recs) == 0 {
		return true // deleted meanwhile
	}
	rec := recs[0]
	var b cb.Build
	var rs runSettings
	if err := json.Unmarshal(rec.Doc, &b); err != nil {
		log.ErrorContext(ctx, "decode build", "err", err)
		return true // nothing can end it; keeping the job would not help
	}
	json.Unmarshal(rec.Run, &rs)
	if val(b.BuildComplete) {
		return true
	}
	if q := val(b.QueuedTimeoutInMinutes); q > 0 && s.now().Sub(b.StartTime.Time) > time.Duration(q)*time.Minute {
		_, err := s.endUnrun(sctx, b.Id, "TIMED_OUT", build.CodeTimedOut, fmt.Sprintf("Build has timed out in the queue after %d minutes. ", q))
		return err == nil
	}

	bctx, cancel := context.WithCancelCause(sctx)
	defer cancel(nil)
	s.mu.Lock()
	s.running[b.Id] = &running{cancel: cancel}
	if s.stopping[b.Id] {
		cancel(errStopRequested)
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.running, b.Id)
		s.mu.Unlock()
	}()
	// A server shutting down stops its builds.
	stop := context.AfterFunc(ctx, func() { cancel(errors.New("server shut down")) })
	defer stop()

	res := s.runSafely(bctx, log, &b, &rs)
	recorded = s.finish(sctx, log, &b, res)
	s.buildEnded(b.Id)
	return recorded
}

// runSafely runs execute, turning a panic into a FAULT of the build so
// that one bad build cannot take the server down.
func (s *Service) runSafely(ctx context.Context, log *slog.Logger, b *cb.Build, rs *runSettings) (res *build.Build) {
	defer func() {
		if v := recover(); v != nil {
			log.ErrorContext(ctx, "build panicked", "panic", v, "stack", string(debug.Stack()))
			res = s.fail(b, "PROVISIONING", build.CodeInternalError, fmt.Sprintf("internal error running the build: %v", v))
			res.Status = build.StatusFault
		}
	}()
	return s.execute(ctx, log, b, rs)
}

// execute prepares the build's workspace, sources, log and executor and
// runs the engine.
func (s *Service) execute(ctx context.Context, log *slog.Logger, b *cb.Build, rs *runSettings) *build.Build {
	region, account := arnRegionAccount(b.Arn)
	_, uuid, _ := strings.Cut(b.Id, ":")
	group, stream := b.Logs.GroupName, b.Logs.StreamName
	var out io.Writer = io.Discard
	if w, err := s.cfg.Logs.Create(group, stream); err != nil {
		log.ErrorContext(ctx, "create log stream", "err", err)
	} else {
		defer w.Close()
		out = w
	}

	scratch, err := os.MkdirTemp(s.cfg.WorkDir, "codeyard-build-")
	if err != nil {
		return s.fail(b, "PROVISIONING", build.CodeInternalError, "create the build's workspace: "+err.Error())
	}
	defer os.RemoveAll(scratch)
	os.Chmod(scratch, 0o755) // a run-as user must reach the source
	workspace := filepath.Join(scratch, "output", "src"+digits(uuid, 9), "src")
	if err := os.MkdirAll(workspace, 0o755); err != nil {
		return s.fail(b, "PROVISIONING", build.CodeInternalError, "create the build's workspace: "+err.Error())
	}

	exec, err := s.cfg.Exec.Executor(b.ProjectName, b.Environment)
	if err != nil {
		return s.fail(b, "PROVISIONING", build.CodeClientError, err.Error())
	}
	req := &build.Request{
		UUID:      uuid,
		Project:   b.ProjectName,
		Number:    val(b.BuildNumber),
		Region:    region,
		Account:   account,
		Initiator: b.Initiator,
		Workspace: workspace,
		Buildspec: b.Source.Buildspec,
		BaseEnv:   s.cfg.BaseEnv,
		ToolsDir:  s.cfg.ToolsDir,
		Timeout:   time.Duration(val(b.TimeoutInMinutes)) * time.Minute,
		Submitted: b.StartTime.Time,
		CacheRoot: "/",

		BatchIdentifier: rs.BatchIdentifier,
	}
	if c, ok := exec.(containerExecutor); ok && c.InContainer() {
		req.SrcDir = "/codebuild/output/src" + digits(uuid, 9) + "/src"
		req.BaseEnv, req.ToolsDir = nil, ""
		req.CacheRoot = filepath.Join(scratch, "root") // absolute cache paths do not reach the container yet
	}
	if b.Environment != nil {
		req.Image = b.Environment.Image
		for _, v := range b.Environment.EnvironmentVariables {
			req.Variables = append(req.Variables, build.Variable{Name: v.Name, Value: v.Value, Type: v.Type})
		}
	}
	req.Source = s.source(b.Source, b.SourceVersion, "primary")
	if rs.Fetch != "" && req.Source != nil {
		req.Source = pinned{s.source(b.Source, rs.Fetch, "primary"), b.SourceVersion}
	}
	for i, ss := range b.SecondarySources {
		version := ""
		for _, v := range b.SecondarySourceVersions {
			if v.SourceIdentifier == ss.SourceIdentifier {
				version = v.SourceVersion
			}
		}
		dir := filepath.Join(scratch, "output", "src"+digits(uuid+ss.SourceIdentifier, 9)+fmt.Sprint(i), "src")
		req.Secondary = append(req.Secondary, build.SecondarySource{Identifier: ss.SourceIdentifier, Source: s.source(&b.SecondarySources[i], version, "secondary"), Workspace: dir})
	}
	if req.SrcDir != "" {
		// In a container the secondary sources are where CodeBuild puts
		// them, the host's layout below /codebuild.
		for i := range req.Secondary {
			req.Secondary[i].SrcDir = "/codebuild" + strings.TrimPrefix(req.Secondary[i].Workspace, scratch)
		}
	}
	switch c := b.Cache; {
	case c != nil && c.Type == "S3" && s.cfg.Objects != nil:
		sc, err := newS3Cache(s.cfg.Objects, c.Location, s.cfg.WorkDir)
		if err != nil {
			return s.fail(b, "PROVISIONING", build.CodeInternalError, "create the build's cache directory: "+err.Error())
		}
		defer sc.close()
		req.Cache, req.CacheNamespace = sc, c.CacheNamespace
	case c != nil && (c.Type == "LOCAL" || c.Type == "S3") && s.cfg.Cache != nil:
		req.Cache = s.cfg.Cache
		req.CacheNamespace = c.CacheNamespace
	}
	if a := rs.Artifacts; a != nil && a.Type == "S3" && s.cfg.Objects != nil {
		req.Artifacts = s.artifactSettings(a)
	}
	for i := range rs.SecondaryArtifacts {
		a := &rs.SecondaryArtifacts[i]
		if a.Type == "S3" && s.cfg.Objects != nil {
			if req.SecondaryArtifacts == nil {
				req.SecondaryArtifacts = map[string]*build.ArtifactSettings{}
			}
			req.SecondaryArtifacts[a.ArtifactIdentifier] = s.artifactSettings(a)
			if req.Artifacts == nil {
				// Secondary artifacts need primary settings to hang from;
				// the primary itself is not wanted.
				req.Artifacts = s.artifactSettings(a)
				req.Artifacts.NoPrimary = true
			}
		}
	}
	req.Progress = func(pb build.Build) {
		applyProgress(b, &pb)
		if err := s.store.UpdateBuild(context.WithoutCancel(ctx), &BuildRecord{ID: b.Id, Status: b.BuildStatus, Doc: mustJSON(b)}); err != nil {
			log.ErrorContext(ctx, "record build progress", "err", err)
		}
	}
	return build.NewEngine(exec, s.cfg.Secrets).Run(ctx, req, out)
}

func (s *Service) artifactSettings(a *cb.ProjectArtifacts) *build.ArtifactSettings {
	name, _ := splitLocation(a.Location)
	return &build.ArtifactSettings{
		Bucket:               bucket{s.cfg.Objects, name},
		Location:             a.Location,
		Path:                 a.Path,
		NamespaceType:        a.NamespaceType,
		Name:                 a.Name,
		Packaging:            a.Packaging,
		OverrideArtifactName: val(a.OverrideArtifactName),
	}
}

// source returns what fetches a build's source.
func (s *Service) source(src *cb.ProjectSource, version, which string) build.Source {
	switch {
	case src == nil || src.Type == "NO_SOURCE":
		return nil
	case gitTypes[src.Type]:
		g := &source.Git{Location: src.Location, Version: version, Depth: int(val(src.GitCloneDepth))}
		if src.GitSubmodulesConfig != nil {
			g.Submodules = val(src.GitSubmodulesConfig.FetchSubmodules)
		}
		return g
	case src.Type == "S3" && s.cfg.Objects != nil:
		return source.S3{Objects: s.cfg.Objects, Location: src.Location, Version: version, Identifier: src.SourceIdentifier}
	}
	return unsupported{typ: src.Type, which: which}
}

// unsupported fails DOWNLOAD_SOURCE for a source type this server cannot
// fetch.
type unsupported struct{ typ, which string }

func (u unsupported) Fetch(context.Context, string) (build.SourceInfo, error) {
	return build.SourceInfo{}, &build.ContextError{StatusCode: build.CodeClientError,
		Message: fmt.Sprintf("source type %s of the %s source is not supported by this codeyard server", u.typ, u.which)}
}

// fail is the result of a build that could not start.
func (s *Service) fail(b *cb.Build, phase, code, msg string) *build.Build {
	now := s.now()
	start := b.StartTime.Time
	return &build.Build{
		Status: build.StatusFailed, Complete: true, Start: start, End: now, CurrentPhase: build.PhaseCompleted,
		Phases: []build.Phase{
			{Type: build.PhaseSubmitted, Status: build.StatusSucceeded, Start: start, End: start},
			{Type: build.PhaseQueued, Status: build.StatusSucceeded, Start: start, End: now},
			{Type: build.PhaseType(phase), Status: build.StatusFailed, Start: now, End: now, Contexts: []build.Context{{StatusCode: code, Message: msg}}},
			{Type: build.PhaseFinalizing, Status: build.StatusSucceeded, Start: now, End: now},
			{Type: build.PhaseCompleted, Start: now},
		},
	}
}

// applyProgress copies the engine's view of a build into its document.
func applyProgress(b *cb.Build, pb *build.Build) {
	b.Phases = b.Phases[:0]
	for _, p := range pb.Phases {
		bp := cb.BuildPhase{PhaseType: string(p.Type), StartTime: ts(p.Start)}
		if !p.End.IsZero() {
			bp.PhaseStatus = string(p.Status)
			bp.EndTime = ts(p.End)
			bp.DurationInSeconds = ptr(int64(p.End.Sub(p.Start) / time.Second))
			bp.Contexts = []cb.PhaseContext{}
			for _, c := range p.Contexts {
				bp.Contexts = append(bp.Contexts, cb.PhaseContext{StatusCode: c.StatusCode, Message: c.Message})
			}
		}
		b.Phases = append(b.Phases, bp)
	}
	b.CurrentPhase = string(pb.CurrentPhase)
	if pb.SourceVersion != "" && b.SourceVersion == "" {
		b.SourceVersion = pb.SourceVersion
	}
	if pb.ResolvedSourceVersion != "" {
		b.ResolvedSourceVersion = pb.ResolvedSourceVersion
	}
	b.BuildStatus = string(pb.Status)
	if pb.Complete {
		b.BuildComplete = ptr(true)
		b.EndTime = ts(pb.End)
	}
}

// finish records a build's end: its document, its reports.
func (s *Service) finish(ctx context.Context, log *slog.Logger, b *cb.Build, res *build.Build) bool {
	applyProgress(b, res)
	if len(res.Exported) > 0 {
		b.ExportedEnvironmentVariables = []cb.ExportedEnvironmentVariable{}
		for _, v := range res.Exported {
			b.ExportedEnvironmentVariables = append(b.ExportedEnvironmentVariables, cb.ExportedEnvironmentVariable{Name: v.Name, Value: v.Value})
		}
	}
	for _, a := range res.Artifacts {
		loc := res.Masked(a.Location)
		ba := cb.BuildArtifacts{Location: loc, Sha256sum: a.SHA256, Md5sum: a.MD5, ArtifactIdentifier: a.Identifier}
		if a.Identifier == "" {
			if b.Artifacts != nil {
				ba.OverrideArtifactName, ba.EncryptionDisabled, ba.BucketOwnerAccess = b.Artifacts.OverrideArtifactName, b.Artifacts.EncryptionDisabled, b.Artifacts.BucketOwnerAccess
			}
			b.Artifacts = &ba
		} else {
			b.SecondaryArtifacts = append(b.SecondaryArtifacts, ba)
		}
	}
	for _, r := range res.Reports {
		if err := s.storeReport(ctx, b, &r); err != nil {
			log.ErrorContext(ctx, "store report", "report_arn", r.ARN, "err", err)
			continue
		}
		b.ReportArns = append(b.ReportArns, r.ARN)
	}
	if err := s.store.UpdateBuild(ctx, &BuildRecord{ID: b.Id, Status: b.BuildStatus, Doc: mustJSON(b)}); err != nil {
		log.ErrorContext(ctx, "record finished build", "err", err)
		return false
	}
	return true
}

func arnRegionAccount(arn string) (region, account string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return "", ""
	}
	return parts[3], parts[4]
}

// digits derives n decimal digits from s, as CodeBuild's src<digits>
// directory names look.
func digits(s string, n int) string {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	out := make([]byte, n)
	for i := range out {
		out[i] = byte('0' + h%10)
		h /= 10
		if h == 0 {
			h = 7919
		}
	}
	return string(out)
}
