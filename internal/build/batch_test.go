package build_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/buildspec"
)

func parseBatch(t *testing.T, yaml string) *buildspec.Batch {
	t.Helper()
	spec, _, err := buildspec.Parse([]byte("version: 0.2\n" + yaml + "phases:\n  build:\n    commands: [echo]\n"))
	if err != nil {
		t.Fatal(err)
	}
	return spec.Batch
}

func TestExpandBatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		yaml string
		want []string // identifier buildspec image compute vars deps ignore
	}{
		{"build-graph", `batch:
  build-graph:
    - identifier: lint
    - identifier: test
      buildspec: test.yml
      depend-on: [lint]
      ignore-failure: true
      env:
        compute-type: BUILD_GENERAL1_LARGE
        image: aws/codebuild/standard:7.0
        variables: {SUITE: unit}
`, []string{
			"lint    [] [] false",
			"test test.yml aws/codebuild/standard:7.0 BUILD_GENERAL1_LARGE [SUITE=unit] [lint] true",
		}},
		{"build-matrix", `batch:
  build-matrix:
    static:
      ignore-failure: true
      env:
        compute-type: BUILD_GENERAL1_SMALL
    dynamic:
      buildspec: [a.yml, b.yml]
      env:
        image: [img1, img2]
        variables:
          NODE: ["18", "20"]
`, []string{
			"matrix_1 a.yml img1 BUILD_GENERAL1_SMALL [NODE=18] [] true",
			"matrix_2 a.yml img1 BUILD_GENERAL1_SMALL [NODE=20] [] true",
			"matrix_3 a.yml img2 BUILD_GENERAL1_SMALL [NODE=18] [] true",
			"matrix_4 a.yml img2 BUILD_GENERAL1_SMALL [NODE=20] [] true",
			"matrix_5 b.yml img1 BUILD_GENERAL1_SMALL [NODE=18] [] true",
			"matrix_6 b.yml img1 BUILD_GENERAL1_SMALL [NODE=20] [] true",
			"matrix_7 b.yml img2 BUILD_GENERAL1_SMALL [NODE=18] [] true",
			"matrix_8 b.yml img2 BUILD_GENERAL1_SMALL [NODE=20] [] true",
		}},
		{"build-fanout", "batch:\n  build-fanout:\n    parallelism: 3\n", []string{
			"fanout_1    [CODEYARD_SHARD_INDEX=0 CODEYARD_SHARD_COUNT=3] [] false",
			"fanout_2    [CODEYARD_SHARD_INDEX=1 CODEYARD_SHARD_COUNT=3] [] false",
			"fanout_3    [CODEYARD_SHARD_INDEX=2 CODEYARD_SHARD_COUNT=3] [] false",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, bt := range build.ExpandBatch(parseBatch(t, tt.yaml)) {
				var vars []string
				for _, v := range bt.Variables {
					vars = append(vars, v.Name+"="+v.Value)
				}
				got = append(got, fmt.Sprintf("%s %s %s %s %v %v %v", bt.Identifier, bt.Buildspec, bt.Image, bt.ComputeType, vars, bt.DependOn, bt.IgnoreFailure))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ExpandBatch mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// fakeBuilds stands in for real builds in scheduler tests: each task
// sleeps, then ends with the status its result map names.
type fakeBuilds struct {
	mu      sync.Mutex
	events  []string
	running int
	peak    int
	result  map[string]build.Status
}

func (f *fakeBuilds) build(ctx context.Context, t build.BatchTask) *build.Build {
	f.mu.Lock()
	f.events = append(f.events, "start "+t.Identifier)
	f.running++
	f.peak = max(f.peak, f.running)
	f.mu.Unlock()
	st := f.result[t.Identifier]
	if st == "" {
		st = build.StatusSucceeded
	}
	d := 20 * time.Millisecond
	if st == "slow" {
		d, st = 5*time.Second, build.StatusSucceeded
	}
	select {
	case <-time.After(d):
	case <-ctx.Done():
		st = build.StatusStopped
	}
	f.mu.Lock()
	f.events = append(f.events, "end "+t.Identifier)
	f.running--
	f.mu.Unlock()
	return &build.Build{ID: "p:" + t.Identifier, Status: st}
}

func TestRunBatch(t *testing.T) {
	t.Parallel()
	graph := []build.BatchTask{
		{Identifier: "a"},
		{Identifier: "b", DependOn: []string{"a"}},
		{Identifier: "c", DependOn: []string{"a"}},
		{Identifier: "d", DependOn: []string{"b", "c"}},
	}
	tests := []struct {
		name       string
		tasks      []build.BatchTask
		fastFail   bool
		parallel   int
		result     map[string]build.Status
		wantStatus build.Status
		wantRan    []string // identifiers that got a build, sorted
		check      func(t *testing.T, f *fakeBuilds)
	}{
		{name: "graph runs in dependency order", tasks: graph, parallel: 4, wantStatus: build.StatusSucceeded, wantRan: []string{"a", "b", "c", "d"},
			check: func(t *testing.T, f *fakeBuilds) {
				pos := func(e string) int { return slices.Index(f.events, e) }
				if !(pos("end a") < pos("start b") && pos("end a") < pos("start c") && pos("end b") < pos("start d") && pos("end c") < pos("start d")) {
					t.Errorf("order %v breaks depend-on", f.events)
				}
				if f.peak != 2 {
					t.Errorf("peak concurrency %d, want 2 (b and c together)", f.peak)
				}
			}},
		{name: "a failed dependency blocks its dependents", tasks: graph, parallel: 4, result: map[string]build.Status{"b": build.StatusFailed},
			wantStatus: build.StatusFailed, wantRan: []string{"a", "b", "c"}},
		{name: "ignore-failure lets dependents run and the batch succeed",
			tasks: []build.BatchTask{{Identifier: "a", IgnoreFailure: true}, {Identifier: "b", DependOn: []string{"a"}}}, parallel: 2,
			result: map[string]build.Status{"a": build.StatusFailed}, wantStatus: build.StatusSucceeded, wantRan: []string{"a", "b"}},
		{name: "parallel caps concurrency", tasks: []build.BatchTask{{Identifier: "1"}, {Identifier: "2"}, {Identifier: "3"}, {Identifier: "4"}, {Identifier: "5"}},
			parallel: 2, wantStatus: build.StatusSucceeded, wantRan: []string{"1", "2", "3", "4", "5"},
			check: func(t *testing.T, f *fakeBuilds) {
				if f.peak != 2 {
					t.Errorf("peak concurrency %d, want 2", f.peak)
				}
			}},
		{name: "fast-fail stops the others", tasks: []build.BatchTask{{Identifier: "fails"}, {Identifier: "slow"}, {Identifier: "later"}},
			fastFail: true, parallel: 2, result: map[string]build.Status{"fails": build.StatusFailed, "slow": "slow"},
			wantStatus: build.StatusFailed, wantRan: []string{"fails", "slow"},
			check: func(t *testing.T, f *fakeBuilds) {
				if !slices.Contains(f.events, "end slow") {
					t.Errorf("slow build not stopped: %v", f.events)
				}
			}},
		{name: "without fast-fail the others finish", tasks: []build.BatchTask{{Identifier: "fails"}, {Identifier: "ok1"}, {Identifier: "ok2"}},
			parallel: 1, result: map[string]build.Status{"fails": build.StatusFailed}, wantStatus: build.StatusFailed, wantRan: []string{"fails", "ok1", "ok2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeBuilds{result: tt.result}
			start := time.Now()
			bb := build.RunBatch(t.Context(), build.BatchRun{Tasks: tt.tasks, FastFail: tt.fastFail, Parallel: tt.parallel, Build: f.build})
			if time.Since(start) > 3*time.Second {
				t.Errorf("batch took %v: a stop did not reach a build", time.Since(start))
			}
			if bb.Status != tt.wantStatus || !bb.Complete {
				t.Errorf("status %s complete %v, want %s", bb.Status, bb.Complete, tt.wantStatus)
			}
			var ran []string
			for _, g := range bb.Groups {
				if g.Build != nil {
					ran = append(ran, g.Task.Identifier)
				}
			}
			slices.Sort(ran)
			if diff := cmp.Diff(tt.wantRan, ran); diff != "" {
				t.Errorf("builds that ran mismatch (-want +got):\n%s", diff)
			}
			var phases []string
			for _, p := range bb.Phases {
				phases = append(phases, string(p.Type)+"="+string(p.Status))
			}
			final := map[build.Status]string{build.StatusSucceeded: "SUCCEEDED=", build.StatusFailed: "FAILED=", build.StatusStopped: "STOPPED="}[tt.wantStatus]
			want := "SUBMITTED=SUCCEEDED DOWNLOAD_BATCHSPEC=SUCCEEDED IN_PROGRESS=" + string(tt.wantStatus) + " " + final
			if got := strings.Join(phases, " "); got != want {
				t.Errorf("phases %q, want %q", got, want)
			}
			if tt.check != nil {
				tt.check(t, f)
			}
		})
	}
}

func TestRunBatchCombineArtifacts(t *testing.T) {
	t.Parallel()
	f := &fakeBuilds{}
	bb := build.RunBatch(t.Context(), build.BatchRun{Tasks: []build.BatchTask{{Identifier: "a"}}, Parallel: 1, CombineArtifacts: true, Build: f.build})
	var got []string
	for _, p := range bb.Phases {
		got = append(got, string(p.Type))
	}
	if want := "SUBMITTED DOWNLOAD_BATCHSPEC IN_PROGRESS COMBINE_ARTIFACTS SUCCEEDED"; strings.Join(got, " ") != want {
		t.Errorf("phases %v, want %s", got, want)
	}
}

func TestRunBatchStop(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	f := &fakeBuilds{result: map[string]build.Status{"a": "slow", "b": "slow"}}
	bb := build.RunBatch(ctx, build.BatchRun{Tasks: []build.BatchTask{{Identifier: "a"}, {Identifier: "b"}, {Identifier: "c", DependOn: []string{"a"}}}, Parallel: 2, Build: f.build})
	if bb.Status != build.StatusStopped || bb.CurrentPhase != build.BatchStopped {
		t.Errorf("status %s phase %s, want STOPPED", bb.Status, bb.CurrentPhase)
	}
	if bb.Groups[2].Build != nil {
		t.Errorf("c started after the stop")
	}
}
