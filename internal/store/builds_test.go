package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/codeyard/codeyard/internal/codebuild"
	"github.com/codeyard/codeyard/internal/store"
)

// buildID is the id makeBuild gives build n of project.
func buildID(project string, n int64) string { return fmt.Sprintf("%s:%04d", project, n) }

// makeBuild is a CreateBuild callback making build n of project.
func makeBuild(project string) func(int64) (*codebuild.BuildRecord, error) {
	return func(n int64) (*codebuild.BuildRecord, error) {
		id := buildID(project, n)
		return &codebuild.BuildRecord{
			ID:      id,
			ARN:     arnPrefix + "build/" + id,
			Project: project,
			Number:  n,
			Status:  "IN_PROGRESS",
			Start:   t0.Add(time.Duration(n) * time.Second),
			Doc:     []byte(`{"id":"` + id + `"}`),
			Run:     []byte(`{"artifacts":{}}`),
		}, nil
	}
}

// createBuilds creates one build in each project named, in order, queued
// with q, and returns their ids.
func createBuilds(t testing.TB, s *store.Store, q *codebuild.Queue, projects ...string) []string {
	t.Helper()
	var ids []string
	for _, p := range projects {
		b, err := s.CreateBuild(t.Context(), p, q, makeBuild(p))
		if err != nil {
			t.Fatalf("CreateBuild(%s): %v", p, err)
		}
		ids = append(ids, b.ID)
	}
	return ids
}

func TestCreateBuildConcurrentNumbers(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t)
	createProjects(t, s, project("p", t0, t0), project("q", t0, t0))
	const n = 50
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		nums = map[string][]int64{}
		seqs = map[int64]string{}
	)
	for i := range 2 * n {
		p := []string{"p", "q"}[i%2]
		wg.Go(func() {
			b, err := s.CreateBuild(ctx, p, &codebuild.Queue{}, makeBuild(p))
			if err != nil {
				t.Errorf("CreateBuild(%s): %v", p, err)
				return
			}
			// Readers see a build as soon as it is created, while other
			// builds are being written.
			if got, err := s.Builds(ctx, []string{b.ID}); err != nil || len(got) != 1 {
				t.Errorf("Builds(%s) right after CreateBuild = %d builds, %v; want it", b.ID, len(got), err)
			}
			if _, _, err := s.ListBuilds(ctx, p, codebuild.Page{Limit: 5, Desc: true}); err != nil {
				t.Errorf("ListBuilds(%s) while creating: %v", p, err)
			}
			mu.Lock()
			defer mu.Unlock()
			nums[p] = append(nums[p], b.Number)
			if other, ok := seqs[b.Seq]; ok {
				t.Errorf("builds %s and %s have the same seq %d", other, b.ID, b.Seq)
			}
			seqs[b.Seq] = b.ID
		})
	}
	wg.Wait()
	want := make([]int64, n)
	for i := range want {
		want[i] = int64(i + 1)
	}
	for _, p := range []string{"p", "q"} {
		slices.Sort(nums[p])
		if diff := cmp.Diff(want, nums[p]); diff != "" {
			t.Errorf("build numbers of %s mismatch (-want +got):\n%s", p, diff)
		}
		ids, _, err := s.ListBuilds(ctx, p, codebuild.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != n {
			t.Errorf("ListBuilds(%s) listed %d builds, want %d", p, len(ids), n)
		}
	}
}

func TestCreateBuildFails(t *testing.T) {
	t.Parallel()
	errMake := errors.New("make failed")
	tests := []struct {
		name    string
		project string
		make    func(int64) (*codebuild.BuildRecord, error)
		wantErr error
	}{
		{
			name:    "missing project",
			project: "nope",
			make: func(int64) (*codebuild.BuildRecord, error) {
				return nil, errors.New("make called for a missing project")
			},
			wantErr: codebuild.ErrNotFound,
		},
		{
			name:    "make fails",
			project: "p",
			make:    func(int64) (*codebuild.BuildRecord, error) { return nil, errMake },
			wantErr: errMake,
		},
		{
			name:    "duplicate id",
			project: "p",
			make: func(n int64) (*codebuild.BuildRecord, error) {
				b, _ := makeBuild("p")(n)
				b.ID = buildID("p", 1) // taken by the build before
				return b, nil
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			s := open(t)
			createProjects(t, s, project("p", t0, t0))
			createBuilds(t, s, nil, "p")
			_, err := s.CreateBuild(ctx, tt.project, &codebuild.Queue{}, tt.make)
			if err == nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("CreateBuild(%s) = %v, want %v", tt.project, err, tt.wantErr)
			}
			// Nothing was stored: no build, no job, no number used up.
			ids, _, err := s.ListBuilds(ctx, "", codebuild.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{buildID("p", 1)}, ids); diff != "" {
				t.Errorf("ListBuilds after a failed CreateBuild mismatch (-want +got):\n%s", diff)
			}
			if j, err := s.ClaimJob(ctx, "w"); err != nil || j != nil {
				t.Errorf("ClaimJob after a failed CreateBuild = %+v, %v; want no job", j, err)
			}
			b, err := s.CreateBuild(ctx, "p", nil, makeBuild("p"))
			if err != nil {
				t.Fatal(err)
			}
			if b.Number != 2 {
				t.Errorf("CreateBuild after a failed one: number %d, want 2", b.Number)
			}
		})
	}
}

func TestCreateMakePanics(t *testing.T) {
	t.Parallel()
	// A panic in make, recovered by the caller (as net/http recovers a
	// handler's), must not leave the one write connection in a
	// transaction: every later write would wait for it.
	tests := []struct {
		name string
		// create creates in project p with a make that panics when
		// panics is set, and returns the number it made.
		create func(ctx context.Context, s *store.Store, panics bool) (int64, error)
	}{
		{
			name: "CreateBuild",
			create: func(ctx context.Context, s *store.Store, panics bool) (int64, error) {
				b, err := s.CreateBuild(ctx, "p", &codebuild.Queue{}, func(n int64) (*codebuild.BuildRecord, error) {
					if panics {
						panic("make")
					}
					return makeBuild("p")(n)
				})
				if err != nil {
					return 0, err
				}
				return b.Number, nil
			},
		},
		{
			name: "CreateBatch",
			create: func(ctx context.Context, s *store.Store, panics bool) (int64, error) {
				b, err := s.CreateBatch(ctx, "p", func(n int64) (*codebuild.BatchRecord, error) {
					if panics {
						panic("make")
					}
					return makeBatch("p")(n)
				})
				if err != nil {
					return 0, err
				}
				return b.Number, nil
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Not t.Context(): its end would roll the transaction back.
			ctx := context.WithoutCancel(t.Context())
			s := open(t)
			createProjects(t, s, project("p", t0, t0))
			func() {
				defer func() {
					if r := recover(); r == nil {
						t.Errorf("%s with a panicking make did not panic", tt.name)
					}
				}()
				tt.create(ctx, s, true)
			}()
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			n, err := tt.create(wctx, s, false)
			if err != nil {
				t.Fatalf("%s after a panicking make: %v", tt.name, err)
			}
			if n != 1 {
				t.Errorf("%s after a panicking make: number %d, want 1", tt.name, n)
			}
		})
	}
}

func TestBuilds(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t)
	createProjects(t, s, project("p", t0, t0), project("q", t0, t0))
	var all []*codebuild.BuildRecord
	for _, p := range []string{"p", "q", "p"} {
		b, err := s.CreateBuild(ctx, p, nil, makeBuild(p))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b)
	}
	p1, q1, p2 := all[0], all[1], all[2]
	if p1.Seq == 0 || !(p1.Seq < q1.Seq && q1.Seq < p2.Seq) {
		t.Errorf("CreateBuild seqs %d, %d, %d; want increasing", p1.Seq, q1.Seq, p2.Seq)
	}

	t.Run("update", func(t *testing.T) {
		up := &codebuild.BuildRecord{ID: q1.ID, Status: "SUCCEEDED", Doc: []byte(`{"done":true}`)}
		if err := s.UpdateBuild(ctx, up); err != nil {
			t.Fatalf("UpdateBuild(%s): %v", q1.ID, err)
		}
		// Only the status and the document change.
		c := *q1
		c.Status, c.Doc = up.Status, up.Doc
		q1 = &c
	})

	tests := []struct {
		name string
		ids  []string
		want []*codebuild.BuildRecord
	}{
		{name: "none", ids: nil, want: nil},
		{name: "one", ids: []string{p2.ID}, want: []*codebuild.BuildRecord{p2}},
		{name: "one updated", ids: []string{q1.ID}, want: []*codebuild.BuildRecord{q1}},
		{name: "one missing", ids: []string{"p:9999"}, want: nil},
		{name: "asked order", ids: []string{p2.ID, q1.ID, p1.ID}, want: []*codebuild.BuildRecord{p2, q1, p1}},
		{name: "skips missing", ids: []string{"x", p1.ID, "y", p2.ID}, want: []*codebuild.BuildRecord{p1, p2}},
		{name: "repeated once", ids: []string{p1.ID, p1.ID}, want: []*codebuild.BuildRecord{p1}},
	}
	for _, tt := range tests {
		t.Run("Builds/"+tt.name, func(t *testing.T) {
			got, err := s.Builds(ctx, tt.ids)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Builds(%q) mismatch (-want +got):\n%s", tt.ids, diff)
			}
		})
	}
}

func TestListBuilds(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t)
	createProjects(t, s, project("p", t0, t0), project("q", t0, t0), project("empty", t0, t0))
	ids := createBuilds(t, s, nil, "p", "q", "p", "p", "q", "p", "q")
	byProject := map[string][]string{}
	for _, id := range ids {
		p := id[:1]
		byProject[p] = append(byProject[p], id)
	}
	tests := []struct {
		project string
		want    []string // oldest first
	}{
		{project: "", want: ids},
		{project: "p", want: byProject["p"]},
		{project: "q", want: byProject["q"]},
		{project: "empty", want: nil},
		{project: "missing", want: nil},
	}
	for _, tt := range tests {
		for _, desc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%q/desc=%v", tt.project, desc), func(t *testing.T) {
				t.Parallel()
				want := tt.want
				if desc {
					want = reversed(want)
				}
				checkPaging(t, want, desc, func(p codebuild.Page) ([]string, string, error) {
					return s.ListBuilds(ctx, tt.project, p)
				})
			})
		}
	}
	for _, tt := range badTokens {
		t.Run("bad token/"+tt.name, func(t *testing.T) {
			_, _, err := s.ListBuilds(ctx, "p", codebuild.Page{Token: tt.token})
			if !errors.Is(err, codebuild.ErrBadToken) {
				t.Errorf("ListBuilds(p, token %q) = %v, want ErrBadToken", tt.token, err)
			}
		})
	}
}

func TestDeleteBuilds(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t)
	createProjects(t, s, project("p", t0, t0))
	ids := createBuilds(t, s, &codebuild.Queue{}, "p", "p", "p", "p")
	// The first build's job is running, the others are queued.
	if j, err := s.ClaimJob(ctx, "w"); err != nil || j == nil || j.BuildID != ids[0] {
		t.Fatalf("ClaimJob = %+v, %v; want the job of %s", j, err, ids[0])
	}

	got, err := s.DeleteBuilds(ctx, []string{ids[0], "p:9999", ids[2], ids[2]})
	if err != nil {
		t.Fatalf("DeleteBuilds: %v", err)
	}
	if diff := cmp.Diff([]string{ids[0], ids[2]}, got); diff != "" {
		t.Errorf("DeleteBuilds returned ids mismatch (-want +got):\n%s", diff)
	}
	left, err := s.Builds(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	var leftIDs []string
	for _, b := range left {
		leftIDs = append(leftIDs, b.ID)
	}
	if diff := cmp.Diff([]string{ids[1], ids[3]}, leftIDs); diff != "" {
		t.Errorf("Builds after DeleteBuilds mismatch (-want +got):\n%s", diff)
	}
	// The deleted builds' jobs, running and queued, are gone: the
	// running one is no orphan, and only the others' jobs are claimed.
	if orphans, err := orphanIDs(ctx, s, "other", false); err != nil || len(orphans) != 0 {
		t.Errorf("OrphanJobs after DeleteBuilds = %q, %v; want none", orphans, err)
	}
	if ok, err := s.CancelJob(ctx, ids[2]); err != nil || ok {
		t.Errorf("CancelJob(%s) after DeleteBuilds = %v, %v; want false", ids[2], ok, err)
	}
	var claimed []string
	for {
		j, err := s.ClaimJob(ctx, "w")
		if err != nil {
			t.Fatal(err)
		}
		if j == nil {
			break
		}
		claimed = append(claimed, j.BuildID)
	}
	if diff := cmp.Diff([]string{ids[1], ids[3]}, claimed); diff != "" {
		t.Errorf("jobs claimed after DeleteBuilds mismatch (-want +got):\n%s", diff)
	}

	if got, err := s.DeleteBuilds(ctx, []string{"p:9999"}); err != nil || len(got) != 0 {
		t.Errorf("DeleteBuilds(missing) = %q, %v; want none", got, err)
	}
}

// claimAll claims jobs for owner until none is left, and returns their
// builds.
func claimAll(t *testing.T, s *store.Store, owner string) []string {
	t.Helper()
	var ids []string
	for {
		j, err := s.ClaimJob(t.Context(), owner)
		if err != nil {
			t.Fatalf("ClaimJob(%s): %v", owner, err)
		}
		if j == nil {
			return ids
		}
		ids = append(ids, j.BuildID)
	}
}

func TestClaimJobOrder(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t)
	createProjects(t, s, project("p", t0, t0), project("q", t0, t0))
	before := time.Now().Add(-time.Second)
	ids := createBuilds(t, s, &codebuild.Queue{}, "q", "p", "q", "p")
	createBuilds(t, s, nil, "p") // not queued
	var last int64
	for i, want := range ids {
		j, err := s.ClaimJob(ctx, "w")
		if err != nil {
			t.Fatal(err)
		}
		if j == nil || j.BuildID != want {
			t.Fatalf("ClaimJob #%d = %+v, want the job of %s", i, j, want)
		}
		if j.ID <= last {
			t.Errorf("ClaimJob #%d: job id %d not after %d", i, j.ID, last)
		}
		last = j.ID
		if j.Created.Before(before) || j.Created.After(time.Now().Add(time.Second)) {
			t.Errorf("ClaimJob #%d: created %v, want about now", i, j.Created)
		}
	}
	if j, err := s.ClaimJob(ctx, "w"); err != nil || j != nil {
		t.Errorf("ClaimJob with nothing queued = %+v, %v; want nil, nil", j, err)
	}
}

func TestClaimJobConcurrent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t)
	projects := []string{"a", "b", "c", "d"}
	for _, p := range projects {
		createProjects(t, s, project(p, t0, t0))
	}
	const jobs, workers = 100, 10
	var want []string
	for i := range jobs {
		want = append(want, createBuilds(t, s, &codebuild.Queue{}, projects[i%len(projects)])...)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		claimed = map[string]string{} // build → owner
		perJob  [workers][]int64
	)
	for w := range workers {
		owner := fmt.Sprintf("w%d", w)
		wg.Go(func() {
			for {
				j, err := s.ClaimJob(ctx, owner)
				if err != nil {
					t.Errorf("ClaimJob(%s): %v", owner, err)
					return
				}
				if j == nil {
					return
				}
				perJob[w] = append(perJob[w], j.ID)
				mu.Lock()
				if o, ok := claimed[j.BuildID]; ok {
					t.Errorf("job of %s claimed by %s and %s", j.BuildID, o, owner)
				}
				claimed[j.BuildID] = owner
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	var got []string
	for id := range claimed {
		got = append(got, id)
	}
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("claimed jobs mismatch (-want +got):\n%s", diff)
	}
	// Each worker got its jobs oldest first.
	for w, ids := range perJob {
		if !slices.IsSorted(ids) {
			t.Errorf("worker %d claimed jobs out of order: %v", w, ids)
		}
	}
}

func TestClaimJobMaxRunning(t *testing.T) {
	t.Parallel()
	// A step claims a job (want is its build, "" for none), finishes the
	// job of a build, or cancels one.
	type step struct {
		claim  string // owner
		finish string
		cancel string
		want   string
	}
	tests := []struct {
		name   string
		limits map[string]int // project → MaxRunning
		queue  []string       // projects, one build each, in order
		steps  []step
	}{
		{
			name:   "at the limit skipped, others not",
			limits: map[string]int{"lim": 1, "free": 0},
			queue:  []string{"lim", "lim", "free", "lim", "free"},
			steps: []step{
				{claim: "w", want: "lim:0001"},
				{claim: "w", want: "free:0001"}, // lim:0002 waits
				{claim: "w", want: "free:0002"},
				{claim: "w", want: ""},
				{finish: "lim:0001"},
				{claim: "w", want: "lim:0002"},
				{claim: "w", want: ""},
				{finish: "free:0001"},
				{claim: "w", want: ""}, // free's slot does not help lim
				{finish: "lim:0002"},
				{claim: "w", want: "lim:0003"},
			},
		},
		{
			name:   "limit of two",
			limits: map[string]int{"lim": 2},
			queue:  []string{"lim", "lim", "lim", "lim"},
			steps: []step{
				{claim: "w", want: "lim:0001"},
				{claim: "w", want: "lim:0002"},
				{claim: "w", want: ""},
				{finish: "lim:0002"},
				{claim: "w", want: "lim:0003"},
				{claim: "w", want: ""},
			},
		},
		{
			name:   "running on any owner counts",
			limits: map[string]int{"lim": 1},
			queue:  []string{"lim", "lim"},
			steps: []step{
				{claim: "old", want: "lim:0001"},
				{claim: "new", want: ""},
				{finish: "lim:0001"},
				{claim: "new", want: "lim:0002"},
			},
		},
		{
			name:   "a cancelled job frees nothing and is not claimed",
			limits: map[string]int{"lim": 1},
			queue:  []string{"lim", "lim", "lim"},
			steps: []step{
				{claim: "w", want: "lim:0001"},
				{cancel: "lim:0002"},
				{claim: "w", want: ""},
				{finish: "lim:0001"},
				{claim: "w", want: "lim:0003"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			s := open(t)
			for p := range tt.limits {
				createProjects(t, s, project(p, t0, t0))
			}
			for _, p := range tt.queue {
				createBuilds(t, s, &codebuild.Queue{MaxRunning: tt.limits[p]}, p)
			}
			jobs := map[string]int64{}
			for i, st := range tt.steps {
				switch {
				case st.claim != "":
					j, err := s.ClaimJob(ctx, st.claim)
					if err != nil {
						t.Fatalf("step %d: ClaimJob(%s): %v", i, st.claim, err)
					}
					got := ""
					if j != nil {
						got, jobs[j.BuildID] = j.BuildID, j.ID
					}
					if got != st.want {
						t.Fatalf("step %d: ClaimJob(%s) claimed %q, want %q", i, st.claim, got, st.want)
					}
				case st.finish != "":
					if err := s.FinishJob(ctx, jobs[st.finish]); err != nil {
						t.Fatalf("step %d: FinishJob(%s): %v", i, st.finish, err)
					}
				case st.cancel != "":
					if ok, err := s.CancelJob(ctx, st.cancel); err != nil || !ok {
						t.Fatalf("step %d: CancelJob(%s) = %v, %v; want true", i, st.cancel, ok, err)
					}
				}
			}
		})
	}
}

func TestCancelJob(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t)
	createProjects(t, s, project("p", t0, t0))
	ids := createBuilds(t, s, &codebuild.Queue{}, "p", "p", "p")
	unqueued := createBuilds(t, s, nil, "p")[0]
	running, err := s.ClaimJob(ctx, "w")
	if err != nil || running == nil {
		t.Fatalf("ClaimJob = %+v, %v", running, err)
	}
	tests := []struct {
		name  string
		build string
		want  bool
	}{
		{name: "running", build: ids[0], want: false},
		{name: "queued", build: ids[1], want: true},
		{name: "queued again", build: ids[1], want: false},
		{name: "not queued", build: unqueued, want: false},
		{name: "missing", build: "p:9999", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.CancelJob(ctx, tt.build)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("CancelJob(%s) = %v, want %v", tt.build, got, tt.want)
			}
		})
	}
	// The running job is still there, and only ids[2] is left to claim.
	if orphans, err := orphanIDs(ctx, s, "other", false); err != nil || !slices.Equal(orphans, []string{ids[0]}) {
		t.Errorf("OrphanJobs(other) = %q, %v; want %q", orphans, err, ids[:1])
	}
	if diff := cmp.Diff([]string{ids[2]}, claimAll(t, s, "w")); diff != "" {
		t.Errorf("claimed after CancelJob mismatch (-want +got):\n%s", diff)
	}
}

// orphanIDs returns the builds of OrphanJobs(owner), finishing the jobs
// when finish is set, as recovery does.
func orphanIDs(ctx context.Context, s *store.Store, owner string, finish bool) ([]string, error) {
	jobs, err := s.OrphanJobs(ctx, owner)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, j := range jobs {
		ids = append(ids, j.BuildID)
		if finish {
			if err := s.FinishJob(ctx, j.ID); err != nil {
				return nil, err
			}
		}
	}
	return ids, nil
}

func TestOrphanJobs(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t)
	createProjects(t, s, project("p", t0, t0))
	ids := createBuilds(t, s, &codebuild.Queue{}, "p", "p", "p", "p", "p")
	for _, owner := range []string{"old", "new", "old", "gone"} {
		if j, err := s.ClaimJob(ctx, owner); err != nil || j == nil {
			t.Fatalf("ClaimJob(%s) = %+v, %v", owner, j, err)
		}
	}
	// ids[0] and ids[2] run on old, ids[1] on new, ids[3] on gone; ids[4]
	// is queued.
	got, err := orphanIDs(ctx, s, "new", false)
	if err != nil {
		t.Fatalf("OrphanJobs(new): %v", err)
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string{ids[0], ids[2], ids[3]}, got); diff != "" {
		t.Errorf("OrphanJobs(new) leaves its jobs: a second call (-want +got):\n%s", diff)
	}
	// Recovery finishes each job once its build has ended.
	got, err = orphanIDs(ctx, s, "new", true)
	if err != nil {
		t.Fatalf("OrphanJobs(new): %v", err)
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string{ids[0], ids[2], ids[3]}, got); diff != "" {
		t.Errorf("OrphanJobs(new) mismatch (-want +got):\n%s", diff)
	}
	if got, err := orphanIDs(ctx, s, "new", false); err != nil || len(got) != 0 {
		t.Errorf("OrphanJobs(new) again = %q, %v; want none", got, err)
	}
	// The queued job was left, and new's job is still running.
	if diff := cmp.Diff([]string{ids[4]}, claimAll(t, s, "new")); diff != "" {
		t.Errorf("claimed after OrphanJobs mismatch (-want +got):\n%s", diff)
	}
	got, err = orphanIDs(ctx, s, "newer", true)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if diff := cmp.Diff([]string{ids[1], ids[4]}, got); diff != "" {
		t.Errorf("OrphanJobs(newer) mismatch (-want +got):\n%s", diff)
	}
	// The builds themselves stay.
	if bs, err := s.Builds(ctx, ids); err != nil || len(bs) != len(ids) {
		t.Errorf("Builds after OrphanJobs: %d builds, %v; want %d", len(bs), err, len(ids))
	}
}

// makeBatch is a CreateBatch callback making batch n of project.
func makeBatch(project string) func(int64) (*codebuild.BatchRecord, error) {
	return func(n int64) (*codebuild.BatchRecord, error) {
		id := fmt.Sprintf("%s:batch-%04d", project, n)
		return &codebuild.BatchRecord{
			ID:      id,
			ARN:     arnPrefix + "build-batch/" + id,
			Project: project,
			Number:  n,
			Status:  "IN_PROGRESS",
			Start:   t0.Add(time.Duration(n) * time.Minute),
			Doc:     []byte(`{"id":"` + id + `"}`),
		}, nil
	}
}

func TestBatches(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t)
	createProjects(t, s, project("p", t0, t0), project("q", t0, t0))
	var all []*codebuild.BatchRecord
	for _, p := range []string{"p", "q", "p", "p"} {
		// Builds take their own numbers, not the batches'.
		createBuilds(t, s, nil, p)
		b, err := s.CreateBatch(ctx, p, makeBatch(p))
		if err != nil {
			t.Fatalf("CreateBatch(%s): %v", p, err)
		}
		all = append(all, b)
	}
	var nums []int64
	for _, b := range all {
		nums = append(nums, b.Number)
	}
	if diff := cmp.Diff([]int64{1, 1, 2, 3}, nums); diff != "" {
		t.Errorf("batch numbers mismatch (-want +got):\n%s", diff)
	}
	p1, q1, p2, p3 := all[0], all[1], all[2], all[3]

	t.Run("fails", func(t *testing.T) {
		errMake := errors.New("make failed")
		if _, err := s.CreateBatch(ctx, "nope", makeBatch("nope")); !errors.Is(err, codebuild.ErrNotFound) {
			t.Errorf("CreateBatch(nope) = %v, want ErrNotFound", err)
		}
		fail := func(int64) (*codebuild.BatchRecord, error) { return nil, errMake }
		if _, err := s.CreateBatch(ctx, "q", fail); !errors.Is(err, errMake) {
			t.Errorf("CreateBatch(q) with a failing make = %v, want %v", err, errMake)
		}
		dup := func(n int64) (*codebuild.BatchRecord, error) {
			b, _ := makeBatch("q")(n)
			b.ID = q1.ID
			return b, nil
		}
		if _, err := s.CreateBatch(ctx, "q", dup); err == nil {
			t.Errorf("CreateBatch(q) with a taken id succeeded")
		}
	})

	t.Run("update", func(t *testing.T) {
		up := &codebuild.BatchRecord{ID: p2.ID, Status: "FAILED", Doc: []byte(`{"failed":true}`)}
		if err := s.UpdateBatch(ctx, up); err != nil {
			t.Fatalf("UpdateBatch(%s): %v", p2.ID, err)
		}
		c := *p2
		c.Status, c.Doc = up.Status, up.Doc
		p2 = &c
	})

	t.Run("Batches", func(t *testing.T) {
		got, err := s.Batches(ctx, []string{p3.ID, "x", q1.ID, p2.ID, p1.ID, p3.ID})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*codebuild.BatchRecord{p3, q1, p2, p1}, got); diff != "" {
			t.Errorf("Batches mismatch (-want +got):\n%s", diff)
		}
		if got, err := s.Batches(ctx, nil); err != nil || len(got) != 0 {
			t.Errorf("Batches(nil) = %v, %v; want none", got, err)
		}
	})

	lists := []struct {
		project string
		want    []string
	}{
		{project: "", want: []string{p1.ID, q1.ID, p2.ID, p3.ID}},
		{project: "p", want: []string{p1.ID, p2.ID, p3.ID}},
		{project: "q", want: []string{q1.ID}},
		{project: "nope", want: nil},
	}
	for _, tt := range lists {
		for _, desc := range []bool{false, true} {
			t.Run(fmt.Sprintf("ListBatches/%q/desc=%v", tt.project, desc), func(t *testing.T) {
				want := tt.want
				if desc {
					want = reversed(want)
				}
				checkPaging(t, want, desc, func(p codebuild.Page) ([]string, string, error) {
					return s.ListBatches(ctx, tt.project, p)
				})
			})
		}
	}
	for _, tt := range badTokens {
		t.Run("ListBatches/bad token/"+tt.name, func(t *testing.T) {
			if _, _, err := s.ListBatches(ctx, "", codebuild.Page{Token: tt.token}); !errors.Is(err, codebuild.ErrBadToken) {
				t.Errorf("ListBatches(token %q) = %v, want ErrBadToken", tt.token, err)
			}
		})
	}

	t.Run("delete", func(t *testing.T) {
		if err := s.DeleteBatch(ctx, p2.ID); err != nil {
			t.Fatalf("DeleteBatch(%s): %v", p2.ID, err)
		}
		if err := s.DeleteBatch(ctx, p2.ID); err != nil {
			t.Errorf("DeleteBatch(%s) again: %v", p2.ID, err)
		}
		got, err := s.Batches(ctx, []string{p1.ID, p2.ID, p3.ID})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*codebuild.BatchRecord{p1, p3}, got); diff != "" {
			t.Errorf("Batches after DeleteBatch mismatch (-want +got):\n%s", diff)
		}
		ids, _, err := s.ListBatches(ctx, "p", codebuild.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{p1.ID, p3.ID}, ids); diff != "" {
			t.Errorf("ListBatches after DeleteBatch mismatch (-want +got):\n%s", diff)
		}
		// The next number is not reused.
		b, err := s.CreateBatch(ctx, "p", makeBatch("p"))
		if err != nil {
			t.Fatal(err)
		}
		if b.Number != 4 {
			t.Errorf("CreateBatch after DeleteBatch: number %d, want 4", b.Number)
		}
	})
}
