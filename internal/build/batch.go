package build

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/codeyard/codeyard/internal/buildspec"
)

// BatchPhaseType names a phase of a batch build as the CodeBuild API does.
type BatchPhaseType string

// The phases of a batch build. A batch ends in one of the last three.
const (
	BatchSubmitted         BatchPhaseType = "SUBMITTED"
	BatchDownloadBatchspec BatchPhaseType = "DOWNLOAD_BATCHSPEC"
	BatchInProgress        BatchPhaseType = "IN_PROGRESS"
	BatchCombineArtifacts  BatchPhaseType = "COMBINE_ARTIFACTS"
	BatchSucceeded         BatchPhaseType = "SUCCEEDED"
	BatchFailed            BatchPhaseType = "FAILED"
	BatchStopped           BatchPhaseType = "STOPPED"
)

// BatchTask is one build of a batch, expanded from the buildspec's batch
// section.
type BatchTask struct {
	Identifier string
	// Buildspec, when set, replaces the batch's buildspec for this build
	// (a path relative to the source).
	Buildspec     string
	Variables     []Variable
	Image         string
	ComputeType   string
	EnvType       string
	Privileged    bool
	DependOn      []string
	IgnoreFailure bool
}

// ExpandBatch turns a batch section into its builds: a build-list or
// build-graph as written; a build-matrix as one build per combination of
// its dynamic buildspecs, compute types, images and variable values, each
// with the static settings; a build-fanout as parallelism identical
// builds. The parser has already rejected cycles, unknown depend-on
// identifiers and duplicates. Matrix and fanout builds are named
// matrix_<n> and fanout_<n>, counting from 1; fanout builds get
// CODEYARD_SHARD_INDEX (from 0) and CODEYARD_SHARD_COUNT, which
// codebuild-tests-run shards by.
func ExpandBatch(b *buildspec.Batch) []BatchTask {
	switch b.Type {
	case buildspec.BuildList, buildspec.BuildGraph:
		tasks := make([]BatchTask, 0, len(b.Tasks))
		for _, t := range b.Tasks {
			bt := BatchTask{
				Identifier:    t.Identifier,
				Buildspec:     t.Buildspec,
				IgnoreFailure: t.IgnoreFailure,
				DependOn:      slices.Clone(t.DependOn),
			}
			applyTaskEnv(&bt, t.Env)
			tasks = append(tasks, bt)
		}
		return tasks
	case buildspec.BuildMatrix:
		return expandMatrix(b.Matrix)
	case buildspec.BuildFanout:
		n := b.Fanout.Parallelism
		tasks := make([]BatchTask, n)
		for i := range tasks {
			tasks[i] = BatchTask{Identifier: "fanout_" + strconv.Itoa(i+1), IgnoreFailure: b.Fanout.IgnoreFailure,
				Variables: []Variable{
					{Name: "CODEYARD_SHARD_INDEX", Value: strconv.Itoa(i), Type: VarPlaintext},
					{Name: "CODEYARD_SHARD_COUNT", Value: strconv.Itoa(n), Type: VarPlaintext},
				}}
		}
		return tasks
	}
	return nil
}

func applyTaskEnv(bt *BatchTask, env buildspec.TaskEnv) {
	bt.Image = env.Image
	bt.ComputeType = env.ComputeType
	bt.EnvType = env.Type
	bt.Privileged = env.PrivilegedMode
	for _, v := range env.Variables {
		bt.Variables = append(bt.Variables, Variable{Name: v.Name, Value: v.Value, Type: VarPlaintext})
	}
}

func expandMatrix(m *buildspec.Matrix) []BatchTask {
	base := BatchTask{IgnoreFailure: m.Static.IgnoreFailure}
	applyTaskEnv(&base, m.Static.Env)
	combos := []BatchTask{base}
	// Each dimension multiplies the combinations so far.
	each := func(values []string, set func(*BatchTask, string)) {
		if len(values) == 0 {
			return
		}
		next := make([]BatchTask, 0, len(combos)*len(values))
		for _, c := range combos {
			for _, v := range values {
				n := c
				n.Variables = slices.Clone(c.Variables)
				set(&n, v)
				next = append(next, n)
			}
		}
		combos = next
	}
	d := m.Dynamic
	each(d.Buildspec, func(t *BatchTask, v string) { t.Buildspec = v })
	each(d.ComputeType, func(t *BatchTask, v string) { t.ComputeType = v })
	each(d.Image, func(t *BatchTask, v string) { t.Image = v })
	for _, mv := range d.Variables {
		each(mv.Values, func(t *BatchTask, v string) {
			t.Variables = append(t.Variables, Variable{Name: mv.Name, Value: v, Type: VarPlaintext})
		})
	}
	for i := range combos {
		combos[i].Identifier = "matrix_" + strconv.Itoa(i+1)
	}
	return combos
}

// BatchPhase is one phase of a batch build.
type BatchPhase struct {
	Type     BatchPhaseType
	Status   Status
	Start    time.Time
	End      time.Time
	Contexts []Context
}

// BuildGroup is one task of a batch and the build that ran it; Build is
// nil for a task that never started (a dependency failed, or the batch
// stopped first).
type BuildGroup struct {
	Task  BatchTask
	Build *Build
}

// BuildBatch is a batch build's record.
type BuildBatch struct {
	Status       Status
	CurrentPhase BatchPhaseType
	Complete     bool
	Start, End   time.Time
	Phases       []BatchPhase
	Groups       []BuildGroup
}

// BatchRun describes how to run a batch's builds.
type BatchRun struct {
	Tasks    []BatchTask
	FastFail bool
	// Parallel caps the builds that run at once; at least 1.
	Parallel int
	// CombineArtifacts records the COMBINE_ARTIFACTS phase: the builds
	// wrote their artifacts side by side, each under its identifier.
	CombineArtifacts bool
	// Build runs one task's build to the end. It must honour ctx: the
	// batch cancels it, with cause ErrStopped, to fast-fail or stop.
	Build func(ctx context.Context, t BatchTask) *Build
}

// RunBatch runs a batch's builds in dependency order, at most Parallel at
// a time. A build starts once every build it depends on has succeeded (or
// failed with ignore-failure set). With fast-fail, the first failure that
// is not ignored stops the builds still running and starts no more. The
// batch SUCCEEDS when every build whose failure is not ignored succeeded,
// ends STOPPED when ctx was cancelled, and FAILED otherwise. The returned
// batch's Phases start with SUBMITTED and DOWNLOAD_BATCHSPEC as already
// done; the caller adds any it ran itself.
func RunBatch(ctx context.Context, r BatchRun) *BuildBatch {
	now := time.Now()
	bb := &BuildBatch{Status: StatusInProgress, Start: now}
	bb.Phases = []BatchPhase{
		{Type: BatchSubmitted, Status: StatusSucceeded, Start: now, End: now},
		{Type: BatchDownloadBatchspec, Status: StatusSucceeded, Start: now, End: now},
		{Type: BatchInProgress, Status: StatusInProgress, Start: now},
	}
	bb.CurrentPhase = BatchInProgress
	for _, t := range r.Tasks {
		bb.Groups = append(bb.Groups, BuildGroup{Task: t})
	}
	parallel := max(r.Parallel, 1)

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	type done struct {
		i int
		b *Build
	}
	finished := make(chan done)
	state := make([]Status, len(r.Tasks)) // "" pending, IN_PROGRESS, or the build's end status
	index := map[string]int{}
	for i, t := range r.Tasks {
		index[t.Identifier] = i
	}
	running := 0
	failed, stopping := false, false
	var wg sync.WaitGroup

	// ok: task i ended in a way its dependents may build on.
	ok := func(i int) bool {
		ended := state[i] != "" && state[i] != StatusInProgress
		return state[i] == StatusSucceeded || ended && r.Tasks[i].IgnoreFailure
	}
	blocked := func(i int) bool { // a dependency ended in a failure that counts
		for _, d := range r.Tasks[i].DependOn {
			j := index[d]
			if s := state[j]; s != "" && s != StatusInProgress && !ok(j) {
				return true
			}
		}
		return false
	}
	ready := func(i int) bool {
		for _, d := range r.Tasks[i].DependOn {
			if !ok(index[d]) {
				return false
			}
		}
		return true
	}
	for {
		if !stopping {
			for i := range r.Tasks {
				if running >= parallel {
					break
				}
				if state[i] != "" || !ready(i) {
					continue
				}
				state[i] = StatusInProgress
				running++
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					finished <- done{i, r.Build(ctx, r.Tasks[i])}
				}(i)
			}
		}
		if running == 0 {
			break
		}
		d := <-finished
		running--
		bb.Groups[d.i].Build = d.b
		state[d.i] = d.b.Status
		stoppedByUs := d.b.Status == StatusStopped && ctx.Err() != nil
		if d.b.Status != StatusSucceeded && !r.Tasks[d.i].IgnoreFailure && !stoppedByUs {
			failed = true
			if r.FastFail && !stopping {
				stopping = true
				cancel(ErrStopped)
			}
		}
		if ctx.Err() != nil {
			stopping = true
		}
		// Tasks that can never start count as done.
		for changed := true; changed; {
			changed = false
			for i := range r.Tasks {
				if state[i] == "" && blocked(i) {
					state[i] = StatusFailed
					changed = true
				}
			}
		}
	}
	wg.Wait()

	end := time.Now()
	ip := &bb.Phases[2]
	ip.End = end
	switch {
	case context.Cause(ctx) != nil && !failed:
		ip.Status, bb.Status = StatusStopped, StatusStopped
	case failed:
		ip.Status, bb.Status = StatusFailed, StatusFailed
		ip.Contexts = []Context{{StatusCode: CodeClientError, Message: failedMessage(bb)}}
	default:
		ip.Status, bb.Status = StatusSucceeded, StatusSucceeded
	}
	if r.CombineArtifacts && bb.Status != StatusStopped {
		bb.Phases = append(bb.Phases, BatchPhase{Type: BatchCombineArtifacts, Status: StatusSucceeded, Start: end, End: time.Now()})
	}
	final := map[Status]BatchPhaseType{StatusSucceeded: BatchSucceeded, StatusFailed: BatchFailed, StatusStopped: BatchStopped}[bb.Status]
	bb.Phases = append(bb.Phases, BatchPhase{Type: final, Start: end})
	bb.CurrentPhase = final
	bb.Complete = true
	bb.End = end
	return bb
}

func failedMessage(bb *BuildBatch) string {
	var ids []string
	for _, g := range bb.Groups {
		if g.Build != nil && g.Build.Status != StatusSucceeded && !g.Task.IgnoreFailure {
			ids = append(ids, g.Task.Identifier)
		}
	}
	return fmt.Sprintf("builds failed: %v", ids)
}
