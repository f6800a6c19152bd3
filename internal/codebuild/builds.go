package codebuild

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
)

// buildID takes a build id or ARN.
func buildID(idOrARN string) string {
	if strings.HasPrefix(idOrARN, "arn:") {
		if _, id, ok := strings.Cut(idOrARN, ":build/"); ok {
			return id
		}
	}
	return idOrARN
}

// StartBuild queues a build of a project with the request's overrides.
func (s *Service) StartBuild(ctx context.Context, c Caller, in *cb.StartBuildInput) (*cb.Build, error) {
	if in.IdempotencyToken != "" {
		// One at a time, so two calls with one token start one build.
		s.tokenMu.Lock()
		defer s.tokenMu.Unlock()
		if b, ok, err := s.earlierBuild(ctx, "StartBuild", in.IdempotencyToken, in); ok || err != nil {
			return b, err
		}
	}
	p, err := s.project(ctx, c, in.ProjectName)
	if err != nil {
		return nil, err
	}
	tmpl, rs, err := buildFromProject(p, in)
	if err != nil {
		return nil, err
	}
	b, err := s.createBuild(ctx, c, p, tmpl, rs, "")
	if err != nil {
		return nil, err
	}
	if in.IdempotencyToken != "" {
		s.remember("StartBuild", in.IdempotencyToken, in, b.Id)
	}
	return b, nil
}

// tokenUse returns the id of what an earlier call of op with the same
// idempotency token made, within CodeBuild's five minutes; a token reused
// with other parameters is refused. Callers hold tokenMu.
func (s *Service) tokenUse(op, token string, in any) (string, bool, error) {
	key := op + "\x00" + token
	s.mu.Lock()
	t, ok := s.tokens[key]
	if ok && s.now().Sub(t.at) > 5*time.Minute {
		delete(s.tokens, key)
		ok = false
	}
	s.mu.Unlock()
	if !ok {
		return "", false, nil
	}
	if t.hash != hashAny(in) {
		return "", false, invalid("Idempotency token %s was already used with different parameters", token)
	}
	return t.buildID, true, nil
}

// remember records what a call of op with an idempotency token made.
func (s *Service) remember(op, token string, in any, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, t := range s.tokens {
		if now.Sub(t.at) > 5*time.Minute {
			delete(s.tokens, k)
		}
	}
	s.tokens[op+"\x00"+token] = idempotent{hash: hashAny(in), buildID: id, at: now}
}

func hashAny(in any) string {
	sum := sha256.Sum256(mustJSON(in))
	return hex.EncodeToString(sum[:])
}

// earlierBuild returns the build an earlier call of op with in's token
// started.
func (s *Service) earlierBuild(ctx context.Context, op, token string, in any) (*cb.Build, bool, error) {
	id, ok, err := s.tokenUse(op, token, in)
	if !ok || err != nil {
		return nil, false, err
	}
	bs, _, err := s.Builds(ctx, []string{id})
	if err != nil || len(bs) == 0 {
		return nil, false, err
	}
	return &bs[0], true, nil
}

// buildFromProject is the build a StartBuild of p with in's overrides
// runs: the project's settings, each replaced by its override.
func buildFromProject(p *cb.Project, in *cb.StartBuildInput) (*cb.Build, *runSettings, error) {
	var b cb.Build
	// Copy the project so the build shares nothing with it.
	var cp cb.Project
	json.Unmarshal(mustJSON(p), &cp)
	b.ProjectName = cp.Name
	b.Source = cp.Source
	if b.Source == nil {
		b.Source = &cb.ProjectSource{Type: "NO_SOURCE"}
	}
	b.SecondarySources = cp.SecondarySources
	b.SecondarySourceVersions = cp.SecondarySourceVersions
	b.SourceVersion = cp.SourceVersion
	b.Environment = cp.Environment
	b.ServiceRole = cp.ServiceRole
	b.TimeoutInMinutes = cp.TimeoutInMinutes
	b.QueuedTimeoutInMinutes = cp.QueuedTimeoutInMinutes
	b.EncryptionKey = cp.EncryptionKey
	b.Cache = cp.Cache
	b.VpcConfig = cp.VpcConfig
	b.FileSystemLocations = cp.FileSystemLocations
	artifacts := cp.Artifacts
	secondaryArtifacts := cp.SecondaryArtifacts
	logsConfig := cp.LogsConfig

	if in != nil {
		src := b.Source
		if in.SourceTypeOverride != "" {
			src.Type = in.SourceTypeOverride
			if in.SourceTypeOverride == "NO_SOURCE" {
				src.Location = ""
			}
		}
		if in.SourceLocationOverride != "" {
			src.Location = in.SourceLocationOverride
		}
		if in.SourceAuthOverride != nil {
			src.Auth = in.SourceAuthOverride
		}
		if in.GitCloneDepthOverride != nil {
			src.GitCloneDepth = in.GitCloneDepthOverride
		}
		if in.GitSubmodulesConfigOverride != nil {
			src.GitSubmodulesConfig = in.GitSubmodulesConfigOverride
		}
		if in.BuildspecOverride != "" {
			src.Buildspec = in.BuildspecOverride
		}
		if in.InsecureSslOverride != nil {
			src.InsecureSsl = in.InsecureSslOverride
		}
		if in.ReportBuildStatusOverride != nil {
			src.ReportBuildStatus = in.ReportBuildStatusOverride
		}
		if in.BuildStatusConfigOverride != nil {
			src.BuildStatusConfig = in.BuildStatusConfigOverride
		}
		if err := checkSource(src, "source"); err != nil {
			return nil, nil, err
		}
		if in.SecondarySourcesOverride != nil {
			b.SecondarySources = in.SecondarySourcesOverride
		}
		for _, v := range in.SecondarySourcesVersionOverride {
			i := slices.IndexFunc(b.SecondarySourceVersions, func(x cb.ProjectSourceVersion) bool { return x.SourceIdentifier == v.SourceIdentifier })
			if i < 0 {
				b.SecondarySourceVersions = append(b.SecondarySourceVersions, v)
			} else {
				b.SecondarySourceVersions[i] = v
			}
		}
		if in.SourceVersion != "" {
			b.SourceVersion = in.SourceVersion
		}
		if in.ArtifactsOverride != nil {
			artifacts = in.ArtifactsOverride
			if err := checkArtifacts(artifacts, false); err != nil {
				return nil, nil, err
			}
		}
		if in.SecondaryArtifactsOverride != nil {
			secondaryArtifacts = in.SecondaryArtifactsOverride
			for i := range secondaryArtifacts {
				if err := checkArtifacts(&secondaryArtifacts[i], true); err != nil {
					return nil, nil, err
				}
			}
		}
		env := b.Environment
		if env == nil {
			env = &cb.ProjectEnvironment{}
			b.Environment = env
		}
		if in.EnvironmentTypeOverride != "" {
			env.Type = in.EnvironmentTypeOverride
		}
		if in.ImageOverride != "" {
			env.Image = in.ImageOverride
		}
		if in.ComputeTypeOverride != "" {
			env.ComputeType = in.ComputeTypeOverride
		}
		if in.CertificateOverride != "" {
			env.Certificate = in.CertificateOverride
		}
		if in.PrivilegedModeOverride != nil {
			env.PrivilegedMode = in.PrivilegedModeOverride
		}
		if in.RegistryCredentialOverride != nil {
			env.RegistryCredential = in.RegistryCredentialOverride
		}
		if in.ImagePullCredentialsTypeOverride != "" {
			env.ImagePullCredentialsType = in.ImagePullCredentialsTypeOverride
		}
		if in.FleetOverride != nil {
			env.Fleet = in.FleetOverride
		}
		for _, v := range in.EnvironmentVariablesOverride {
			if v.Type == "" {
				v.Type = "PLAINTEXT"
			}
			i := slices.IndexFunc(env.EnvironmentVariables, func(x cb.EnvironmentVariable) bool { return x.Name == v.Name })
			if i < 0 {
				env.EnvironmentVariables = append(env.EnvironmentVariables, v)
			} else {
				env.EnvironmentVariables[i] = v
			}
		}
		if in.CacheOverride != nil {
			b.Cache = in.CacheOverride
		}
		if in.ServiceRoleOverride != "" {
			b.ServiceRole = in.ServiceRoleOverride
		}
		if in.TimeoutInMinutesOverride != nil {
			b.TimeoutInMinutes = in.TimeoutInMinutesOverride
		}
		if in.QueuedTimeoutInMinutesOverride != nil {
			b.QueuedTimeoutInMinutes = in.QueuedTimeoutInMinutesOverride
		}
		if in.EncryptionKeyOverride != "" {
			b.EncryptionKey = in.EncryptionKeyOverride
		}
		if in.LogsConfigOverride != nil {
			logsConfig = in.LogsConfigOverride
		}
		if val(in.DebugSessionEnabled) {
			b.DebugSession = &cb.DebugSession{SessionEnabled: ptr(true)}
		}
	}
	if b.Source.Type == "NO_SOURCE" && strings.TrimSpace(b.Source.Buildspec) == "" {
		return nil, nil, invalid("Project source buildspec cannot be empty if source type is NO_SOURCE")
	}
	if artifacts != nil && artifacts.Type != "NO_ARTIFACTS" {
		a := *artifacts
		b.Artifacts = &cb.BuildArtifacts{Location: a.Location, OverrideArtifactName: a.OverrideArtifactName, EncryptionDisabled: a.EncryptionDisabled, BucketOwnerAccess: a.BucketOwnerAccess}
	}
	b.Logs = &cb.LogsLocation{}
	if logsConfig != nil && logsConfig.CloudWatchLogs != nil {
		b.Logs.CloudWatchLogs = logsConfig.CloudWatchLogs
	}
	if logsConfig != nil && logsConfig.S3Logs != nil {
		b.Logs.S3Logs = logsConfig.S3Logs
	}
	return &b, &runSettings{Artifacts: artifacts, SecondaryArtifacts: secondaryArtifacts}, nil
}

// runSettings are what running a build needs that the Build shape does
// not carry; they are stored next to the build.
type runSettings struct {
	Artifacts          *cb.ProjectArtifacts  `json:"artifacts,omitempty"`
	SecondaryArtifacts []cb.ProjectArtifacts `json:"secondaryArtifacts,omitempty"`
	// BatchIdentifier is the task identifier of a build of a batch
	// (CODEBUILD_BATCH_BUILD_IDENTIFIER).
	BatchIdentifier string `json:"batchIdentifier,omitempty"`
	// Fetch is the version the primary source is fetched at when it is
	// not sourceVersion: a webhook build's commit, pinned to its ref.
	Fetch string `json:"fetch,omitempty"`
}

// createBuild stores a new build of p made from tmpl and queues it.
func (s *Service) createBuild(ctx context.Context, c Caller, p *cb.Project, tmpl *cb.Build, rs *runSettings, batchARN string) (*cb.Build, error) {
	now := s.now()
	uuid := newUUID()
	id := p.Name + ":" + uuid
	q := &Queue{MaxRunning: int(val(p.ConcurrentBuildLimit))}
	var out *cb.Build
	_, err := s.store.CreateBuild(ctx, p.Name, q, func(n int64) (*BuildRecord, error) {
		var b cb.Build
		json.Unmarshal(mustJSON(tmpl), &b)
		b.Id = id
		b.Arn = c.arn("build/" + id)
		b.BuildNumber = ptr(n)
		b.StartTime = ts(now)
		b.CurrentPhase = "QUEUED"
		b.BuildStatus = "IN_PROGRESS"
		b.BuildComplete = ptr(false)
		b.Initiator = c.Initiator
		b.BuildBatchArn = batchARN
		b.Phases = []cb.BuildPhase{
			{PhaseType: "SUBMITTED", PhaseStatus: "SUCCEEDED", StartTime: ts(now), EndTime: ts(now), DurationInSeconds: ptr[int64](0)},
			{PhaseType: "QUEUED", StartTime: ts(now)},
		}
		group, stream := logNames(&b, uuid)
		b.Logs.GroupName, b.Logs.StreamName = group, stream
		b.Logs.CloudWatchLogsArn = "arn:aws:logs:" + c.Region + ":" + c.Account + ":log-group:" + group + ":log-stream:" + stream
		if b.Logs.CloudWatchLogs == nil {
			b.Logs.CloudWatchLogs = &cb.CloudWatchLogsConfig{Status: "ENABLED"}
		}
		if b.Logs.S3Logs == nil {
			b.Logs.S3Logs = &cb.S3LogsConfig{Status: "DISABLED", EncryptionDisabled: ptr(false)}
		}
		out = &b
		return &BuildRecord{ID: id, ARN: b.Arn, Project: p.Name, Number: n, Status: b.BuildStatus, Start: now, BatchARN: batchARN, Doc: mustJSON(&b), Run: mustJSON(rs)}, nil
	})
	if err != nil {
		return nil, storeErr(err, "Project "+p.Name)
	}
	s.poke()
	return out, nil
}

// logNames returns a build's log group and stream: /aws/codebuild/<project>
// and the build's UUID, or the names the logs config gives (the stream
// name then prefixes the UUID, as CodeBuild does).
func logNames(b *cb.Build, uuid string) (group, stream string) {
	group, stream = "/aws/codebuild/"+b.ProjectName, uuid
	if cw := b.Logs.CloudWatchLogs; cw != nil {
		if cw.GroupName != "" {
			group = cw.GroupName
		}
		if cw.StreamName != "" {
			stream = cw.StreamName + "/" + uuid
		}
	}
	return group, stream
}

// poke wakes a worker.
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Builds returns the builds of the given ids or ARNs and the ones not
// found.
func (s *Service) Builds(ctx context.Context, ids []string) ([]cb.Build, []string, error) {
	plain := make([]string, len(ids))
	for i, id := range ids {
		plain[i] = buildID(id)
	}
	recs, err := s.store.Builds(ctx, plain)
	if err != nil {
		return nil, nil, err
	}
	found := map[string]bool{}
	out := make([]cb.Build, 0, len(recs))
	for _, r := range recs {
		var b cb.Build
		if err := json.Unmarshal(r.Doc, &b); err != nil {
			return nil, nil, err
		}
		out = append(out, b)
		found[r.ID] = true
	}
	notFound := []string{}
	for i, id := range ids {
		if !found[plain[i]] {
			notFound = append(notFound, id)
		}
	}
	return out, notFound, nil
}

// BuildDocs returns the stored Build documents (JSON) of the given ids
// or ARNs and the ones not found: BatchGetBuilds answers them as they are,
// without decoding them.
func (s *Service) BuildDocs(ctx context.Context, ids []string) ([]json.RawMessage, []string, error) {
	plain := make([]string, len(ids))
	for i, id := range ids {
		plain[i] = buildID(id)
	}
	recs, err := s.store.Builds(ctx, plain)
	if err != nil {
		return nil, nil, err
	}
	found := map[string]bool{}
	out := make([]json.RawMessage, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.Doc)
		found[r.ID] = true
	}
	notFound := []string{}
	for i, id := range ids {
		if !found[plain[i]] {
			notFound = append(notFound, id)
		}
	}
	return out, notFound, nil
}

// ListBuilds lists build ids, of one project when project is set; newest
// first unless ascending.
func (s *Service) ListBuilds(ctx context.Context, c Caller, project, order, token string) ([]string, string, error) {
	if project != "" {
		if _, err := s.project(ctx, c, project); err != nil {
			return nil, "", err
		}
	}
	ids, next, err := s.store.ListBuilds(ctx, projectName(project), Page{Token: token, Desc: order != "ASCENDING"})
	if err != nil {
		return nil, "", storeErr(err, "")
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, next, nil
}

// StopBuild stops a build: a queued one at once, a running one through
// its context (it ends STOPPED within the executor's grace period).
func (s *Service) StopBuild(ctx context.Context, c Caller, id string) (*cb.Build, error) {
	id = buildID(id)
	bs, _, err := s.Builds(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 {
		return nil, &NotFoundError{Message: "Build " + id + " does not exist"}
	}
	b := &bs[0]
	if val(b.BuildComplete) {
		return b, nil
	}
	s.mu.Lock()
	r := s.running[id]
	s.mu.Unlock()
	if r != nil {
		r.cancel(errStopRequested)
		return s.awaitEnd(ctx, b), nil
	}
	// Not cut short by the caller going away: a cancelled job must have
	// its build ended.
	ctx = context.WithoutCancel(ctx)
	removed, err := s.store.CancelJob(ctx, id)
	if err != nil {
		return nil, err
	}
	if removed {
		return s.endUnrun(ctx, id, "STOPPED", "BUILD_STOPPED", "Build was stopped. ")
	}
	// Claimed by a worker that has not registered it yet: the worker
	// stops it when it does.
	s.mu.Lock()
	if r := s.running[id]; r != nil {
		r.cancel(errStopRequested)
	} else {
		s.stopping[id] = true
	}
	s.mu.Unlock()
	return b, nil
}

// awaitEnd waits a little for a stopped build to end, as StopBuild
// answers with the build STOPPED; it answers the build as it is when the
// build takes longer (its processes get a grace period).
func (s *Service) awaitEnd(ctx context.Context, b *cb.Build) *cb.Build {
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
		bs, _, err := s.Builds(ctx, []string{b.Id})
		if err != nil || len(bs) == 0 {
			break
		}
		if b = &bs[0]; val(b.BuildComplete) {
			break
		}
	}
	return b
}

// RetryBuild starts a new build with the settings of an earlier one.
func (s *Service) RetryBuild(ctx context.Context, c Caller, in *cb.RetryBuildInput) (*cb.Build, error) {
	if in.Id == "" {
		return nil, invalid("Build ID is required")
	}
	if in.IdempotencyToken != "" {
		s.tokenMu.Lock()
		defer s.tokenMu.Unlock()
		if b, ok, err := s.earlierBuild(ctx, "RetryBuild", in.IdempotencyToken, in); ok || err != nil {
			return b, err
		}
	}
	bs, _, err := s.Builds(ctx, []string{in.Id})
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 {
		return nil, &NotFoundError{Message: "Build " + buildID(in.Id) + " does not exist"}
	}
	old := &bs[0]
	p, err := s.project(ctx, c, old.ProjectName)
	if err != nil {
		return nil, err
	}
	recs, err := s.store.Builds(ctx, []string{old.Id})
	if err != nil || len(recs) == 0 {
		return nil, storeErr(err, "Build "+old.Id)
	}
	var tmpl cb.Build
	var rs runSettings
	json.Unmarshal(recs[0].Doc, &tmpl)
	json.Unmarshal(recs[0].Run, &rs)
	for _, f := range []func(){
		func() { tmpl.Phases = nil },
		func() { tmpl.EndTime = nil },
		func() { tmpl.ExportedEnvironmentVariables = nil },
		func() { tmpl.ReportArns = nil },
		func() { tmpl.ResolvedSourceVersion = "" },
		func() { tmpl.SecondaryArtifacts = nil },
	} {
		f()
	}
	if a := rs.Artifacts; a != nil && a.Type != "NO_ARTIFACTS" {
		tmpl.Artifacts = &cb.BuildArtifacts{Location: a.Location, OverrideArtifactName: a.OverrideArtifactName, EncryptionDisabled: a.EncryptionDisabled, BucketOwnerAccess: a.BucketOwnerAccess}
	}
	tmpl.Logs = &cb.LogsLocation{CloudWatchLogs: tmpl.Logs.CloudWatchLogs, S3Logs: tmpl.Logs.S3Logs}
	if tmpl.Logs.CloudWatchLogs != nil {
		// The stream name CodeBuild made from the UUID is not the config's.
		tmpl.Logs.CloudWatchLogs = &cb.CloudWatchLogsConfig{Status: tmpl.Logs.CloudWatchLogs.Status, GroupName: tmpl.Logs.CloudWatchLogs.GroupName, StreamName: tmpl.Logs.CloudWatchLogs.StreamName}
	}
	b, err := s.createBuild(ctx, c, p, &tmpl, &rs, old.BuildBatchArn)
	if err == nil && in.IdempotencyToken != "" {
		s.remember("RetryBuild", in.IdempotencyToken, in, b.Id)
	}
	return b, err
}

// DeleteBuilds deletes completed builds; running ones are not deleted.
func (s *Service) DeleteBuilds(ctx context.Context, ids []string) (*cb.BatchDeleteBuildsOutput, error) {
	out := &cb.BatchDeleteBuildsOutput{BuildsDeleted: []string{}, BuildsNotDeleted: []cb.BuildNotDeleted{}}
	bs, notFound, err := s.Builds(ctx, ids)
	if err != nil {
		return nil, err
	}
	var del []string
	for _, b := range bs {
		if !val(b.BuildComplete) {
			out.BuildsNotDeleted = append(out.BuildsNotDeleted, cb.BuildNotDeleted{Id: b.Id, StatusCode: "BUILD_IN_PROGRESS"})
			continue
		}
		del = append(del, b.Id)
	}
	for _, id := range notFound {
		out.BuildsNotDeleted = append(out.BuildsNotDeleted, cb.BuildNotDeleted{Id: id, StatusCode: "BUILD_NOT_FOUND"})
	}
	deleted, err := s.store.DeleteBuilds(ctx, del)
	if err != nil {
		return nil, err
	}
	out.BuildsDeleted = append(out.BuildsDeleted, deleted...)
	return out, nil
}

var errStopRequested = fmt.Errorf("stopped by StopBuild")
