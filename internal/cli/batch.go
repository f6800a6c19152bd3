package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/buildspec"
)

// batchLine finds a top-level batch key in a buildspec that may not parse.
var batchLine = regexp.MustCompile(`(?m)^batch\s*:`)

// batchSpec returns the buildspec when it has a batch section; nil when
// it has none. A buildspec with a batch section that does not parse gives
// its error: the batch fails in DOWNLOAD_BATCHSPEC, as StartBuildBatch's
// would. Any other problem is left to the single build to report.
func (l *local) batchSpec() (*buildspec.Spec, error) {
	path := cmpOr(l.f.buildspec, "buildspec.yml")
	if !filepath.IsAbs(path) {
		path = filepath.Join(l.dir, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil
	}
	spec, _, err := buildspec.Parse(data)
	if err != nil {
		if batchLine.Match(data) {
			return nil, err
		}
		return nil, nil
	}
	if spec.Batch == nil {
		return nil, nil
	}
	return spec, nil
}

// failBatchspec ends a batch whose buildspec does not parse: nothing runs.
func (l *local) failBatchspec(err error) error {
	now := time.Now()
	msg := err.Error()
	var pe *buildspec.Error
	if errors.As(err, &pe) {
		msg = pe.Message()
	}
	bb := &build.BuildBatch{Status: build.StatusFailed, CurrentPhase: build.BatchFailed, Complete: true, Start: now, End: now,
		Phases: []build.BatchPhase{
			{Type: build.BatchSubmitted, Status: build.StatusSucceeded, Start: now, End: now},
			{Type: build.BatchDownloadBatchspec, Status: build.StatusFailed, Start: now, End: now,
				Contexts: []build.Context{{StatusCode: build.CodeYAMLFileError, Message: msg}}},
			{Type: build.BatchFailed, Start: now},
		}}
	id := l.project + ":" + newUUID()
	if l.f.json {
		if j, err := json.MarshalIndent(apiBatch(bb, id, 0, l), "", "  "); err == nil {
			l.s.out.Write(append(j, '\n'))
		}
	}
	fmt.Fprintf(l.s.errOut, "Batch %s FAILED in DOWNLOAD_BATCHSPEC: YAML_FILE_ERROR Message: %s\n", id, msg)
	return exitError{exitFailed}
}

// runBatch runs a batch buildspec as StartBuildBatch would: every task a
// build of its own, in dependency order, up to --parallel at once, each
// log line prefixed with the task's identifier.
func (l *local) runBatch(ctx context.Context, spec *buildspec.Spec) error {
	tasks := build.ExpandBatch(spec.Batch)
	number, err := nextNumber(filepath.Join(l.home, "batches", l.project))
	if err != nil {
		return err
	}
	uuid := newUUID()
	batchID := l.project + ":" + uuid
	var logOut io.Writer = &terminal{w: l.s.out}
	if l.f.json {
		logOut = &terminal{w: l.s.errOut}
	}
	var outMu sync.Mutex
	width := 0
	for _, t := range tasks {
		width = max(width, len(t.Identifier))
	}
	logs := map[string]string{}
	var logsMu sync.Mutex
	fmt.Fprintf(l.s.errOut, "Batch %s (#%d): %d builds (%s), up to %d at once\n", batchID, number, len(tasks), spec.Batch.Type, l.f.parallel)

	bb := build.RunBatch(ctx, build.BatchRun{
		Tasks:            tasks,
		FastFail:         spec.Batch.FastFail,
		Parallel:         l.f.parallel,
		CombineArtifacts: l.f.artifacts != "",
		Build: func(ctx context.Context, t build.BatchTask) *build.Build {
			pw := &prefixWriter{mu: &outMu, w: logOut, prefix: fmt.Sprintf("[%-*s] ", width, t.Identifier)}
			b, _, logPath, err := l.build(ctx, &t, pw)
			pw.Flush()
			if err != nil {
				fmt.Fprintf(l.s.errOut, "[%s] %v\n", t.Identifier, err)
				now := time.Now()
				return &build.Build{ID: l.project + ":" + t.Identifier, Status: build.StatusFault, Start: now, End: now}
			}
			logsMu.Lock()
			logs[t.Identifier] = logPath
			logsMu.Unlock()
			return b
		},
	})

	record := filepath.Join(l.home, "batches", l.project, strconv.FormatInt(number, 10))
	shape := apiBatch(bb, batchID, number, l)
	if j, err := json.MarshalIndent(shape, "", "  "); err == nil {
		os.WriteFile(filepath.Join(record, "batch.json"), append(j, '\n'), 0o600)
		if l.f.json {
			l.s.out.Write(append(j, '\n'))
		}
	}
	printBatchSummary(l.s.errOut, bb, batchID, number, logs)
	return exitError{exitCode(bb.Status)}
}

// prefixWriter writes each line with a prefix, whole lines at a time, so
// parallel builds' logs interleave by line, never within one. A line
// longer than 64 KiB is written in pieces, each prefixed.
type prefixWriter struct {
	mu     *sync.Mutex // shared by all the batch's writers
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	var out []byte
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			if len(p.buf) < 64<<10 {
				break
			}
			i = len(p.buf) - 1
		}
		out = append(out, p.prefix...)
		out = append(out, p.buf[:i+1]...)
		if p.buf[i] != '\n' {
			out = append(out, '\n')
		}
		p.buf = p.buf[i+1:]
	}
	if len(out) > 0 {
		p.mu.Lock()
		_, err := p.w.Write(out)
		p.mu.Unlock()
		if err != nil {
			return 0, err
		}
	}
	if len(p.buf) == 0 {
		p.buf = nil
	}
	return len(b), nil
}

// Flush writes an unfinished last line.
func (p *prefixWriter) Flush() {
	if len(p.buf) > 0 {
		p.Write([]byte{'\n'})
	}
}

func printBatchSummary(w io.Writer, bb *build.BuildBatch, id string, number int64, logs map[string]string) {
	fmt.Fprintf(w, "\nBatch %s (#%d) %s in %s\n", id, number, bb.Status, roundDuration(bb.End.Sub(bb.Start)))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  BUILD\tSTATUS\tDURATION\tNUMBER\tFAILED COMMAND\tLOG")
	for _, g := range bb.Groups {
		if g.Build == nil {
			fmt.Fprintf(tw, "  %s\tNOT STARTED\t\t\t\t\n", g.Task.Identifier)
			continue
		}
		b := g.Build
		status := string(b.Status)
		if g.Task.IgnoreFailure && b.Status != build.StatusSucceeded {
			status += " (ignored)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\t%s\n", g.Task.Identifier, status, roundDuration(b.End.Sub(b.Start)), b.Number, b.FailedCommand, logs[g.Task.Identifier])
	}
	tw.Flush()
}

// The BuildBatch shape of the CodeBuild API, as the aws CLI prints it.
type (
	apiBatchShape struct {
		ID               string          `json:"id"`
		ARN              string          `json:"arn"`
		StartTime        string          `json:"startTime"`
		EndTime          string          `json:"endTime,omitempty"`
		CurrentPhase     string          `json:"currentPhase"`
		BuildBatchStatus string          `json:"buildBatchStatus"`
		ProjectName      string          `json:"projectName"`
		Phases           []apiPhase      `json:"phases"`
		BuildBatchNumber int64           `json:"buildBatchNumber"`
		Complete         bool            `json:"complete"`
		Initiator        string          `json:"initiator"`
		BuildGroups      []apiBuildGroup `json:"buildGroups"`
	}
	apiBuildGroup struct {
		Identifier          string           `json:"identifier"`
		DependsOn           []string         `json:"dependsOn"`
		IgnoreFailure       bool             `json:"ignoreFailure"`
		CurrentBuildSummary *apiBuildSummary `json:"currentBuildSummary,omitempty"`
	}
	apiBuildSummary struct {
		ARN         string `json:"arn"`
		RequestedOn string `json:"requestedOn"`
		BuildStatus string `json:"buildStatus"`
	}
)

func apiBatch(bb *build.BuildBatch, id string, number int64, l *local) apiBatchShape {
	out := apiBatchShape{
		ID:               id,
		ARN:              fmt.Sprintf("arn:aws:codebuild:%s:%s:build-batch/%s", l.region, l.f.account, id),
		StartTime:        bb.Start.Format(apiTime),
		CurrentPhase:     string(bb.CurrentPhase),
		BuildBatchStatus: string(bb.Status),
		ProjectName:      l.project,
		BuildBatchNumber: number,
		Complete:         bb.Complete,
		Initiator:        initiator(),
	}
	if !bb.End.IsZero() {
		out.EndTime = bb.End.Format(apiTime)
	}
	for _, p := range bb.Phases {
		out.Phases = append(out.Phases, newAPIPhase(string(p.Type), string(p.Status), p.Start, p.End, p.Contexts))
	}
	for _, g := range bb.Groups {
		ag := apiBuildGroup{Identifier: g.Task.Identifier, DependsOn: append([]string{}, g.Task.DependOn...), IgnoreFailure: g.Task.IgnoreFailure}
		if g.Build != nil {
			ag.CurrentBuildSummary = &apiBuildSummary{ARN: g.Build.ARN, RequestedOn: g.Build.Start.Format(apiTime), BuildStatus: string(g.Build.Status)}
		}
		out.BuildGroups = append(out.BuildGroups, ag)
	}
	return out
}
