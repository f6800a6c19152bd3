package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/codeyard/codeyard/internal/codebuild"
	"github.com/codeyard/codeyard/internal/store"
)

func group(name string, created time.Time) *codebuild.ReportGroupRecord {
	return &codebuild.ReportGroupRecord{
		ARN:      arnPrefix + "report-group/" + name,
		Name:     name,
		Type:     "TEST",
		Created:  created,
		Modified: created,
		Doc:      []byte(`{"name":"` + name + `"}`),
	}
}

// report is a report of group g, without cases or coverages.
func report(g *codebuild.ReportGroupRecord, id, status string, created time.Time) *codebuild.ReportRecord {
	return &codebuild.ReportRecord{
		ARN:      arnPrefix + "report/" + g.Name + ":" + id,
		GroupARN: g.ARN,
		Type:     "TEST",
		Status:   status,
		Created:  created,
		Doc:      []byte(`{"id":"` + id + `"}`),
	}
}

func testCase(prefix, name, status string) codebuild.CaseRecord {
	return codebuild.CaseRecord{
		Name:     name,
		Prefix:   prefix,
		Status:   status,
		Duration: int64(len(name)) * int64(time.Millisecond),
		Doc:      []byte(prefix + "/" + name),
	}
}

func coverage(path string, line float64) codebuild.CoverageRecord {
	return codebuild.CoverageRecord{Path: path, LineCover: line, Doc: []byte(path)}
}

func putReports(t testing.TB, s *store.Store, g *codebuild.ReportGroupRecord, rs ...*codebuild.ReportRecord) {
	t.Helper()
	for _, r := range rs {
		if err := s.PutReport(t.Context(), r, g); err != nil {
			t.Fatalf("PutReport(%s): %v", r.ARN, err)
		}
	}
}

// docs returns the documents as strings, which diff better.
func docs(ds [][]byte) []string {
	var out []string
	for _, d := range ds {
		out = append(out, string(d))
	}
	return out
}

// pageDocs adapts a docs list to checkPaging.
func pageDocs(list func(codebuild.Page) ([][]byte, string, error)) func(codebuild.Page) ([]string, string, error) {
	return func(p codebuild.Page) ([]string, string, error) {
		ds, next, err := list(p)
		return docs(ds), next, err
	}
}

func TestReportGroups(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t)
	a, b, c := group("a", t0.Add(2*time.Second)), group("b", t0), group("c", t0)
	for _, g := range []*codebuild.ReportGroupRecord{b, a, c} {
		if err := s.CreateReportGroup(ctx, g); err != nil {
			t.Fatalf("CreateReportGroup(%s): %v", g.Name, err)
		}
	}

	t.Run("duplicate", func(t *testing.T) {
		if err := s.CreateReportGroup(ctx, group("a", t0)); !errors.Is(err, codebuild.ErrExists) {
			t.Errorf("CreateReportGroup(a) again = %v, want ErrExists", err)
		}
	})
	t.Run("update", func(t *testing.T) {
		up := &codebuild.ReportGroupRecord{ARN: c.ARN, Modified: t0.Add(time.Hour), Doc: []byte(`{"v":2}`)}
		if err := s.UpdateReportGroup(ctx, up); err != nil {
			t.Fatalf("UpdateReportGroup(c): %v", err)
		}
		n := *c
		n.Modified, n.Doc = up.Modified, up.Doc
		c = &n
		if err := s.UpdateReportGroup(ctx, group("nope", t0)); !errors.Is(err, codebuild.ErrNotFound) {
			t.Errorf("UpdateReportGroup(nope) = %v, want ErrNotFound", err)
		}
	})
	t.Run("ReportGroups", func(t *testing.T) {
		got, err := s.ReportGroups(ctx, []string{c.ARN, "x", a.ARN, c.ARN})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*codebuild.ReportGroupRecord{c, a}, got); diff != "" {
			t.Errorf("ReportGroups mismatch (-want +got):\n%s", diff)
		}
	})

	lists := []struct {
		sortBy string
		want   []string // ascending; creation order breaks ties
	}{
		{sortBy: "NAME", want: []string{a.ARN, b.ARN, c.ARN}},
		{sortBy: "CREATED_TIME", want: []string{b.ARN, c.ARN, a.ARN}},
		{sortBy: "LAST_MODIFIED_TIME", want: []string{b.ARN, a.ARN, c.ARN}},
	}
	for _, tt := range lists {
		for _, desc := range []bool{false, true} {
			t.Run(fmt.Sprintf("ListReportGroups/%s/desc=%v", tt.sortBy, desc), func(t *testing.T) {
				want := tt.want
				if desc {
					want = reversed(want)
				}
				checkPaging(t, want, desc, func(p codebuild.Page) ([]string, string, error) {
					return s.ListReportGroups(ctx, tt.sortBy, p)
				})
			})
		}
	}
	for _, tt := range badTokens {
		t.Run("ListReportGroups/bad token/"+tt.name, func(t *testing.T) {
			if _, _, err := s.ListReportGroups(ctx, "NAME", codebuild.Page{Token: tt.token}); !errors.Is(err, codebuild.ErrBadToken) {
				t.Errorf("ListReportGroups(token %q) = %v, want ErrBadToken", tt.token, err)
			}
		})
	}
}

func TestDeleteReportGroup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		reports       int
		deleteReports bool
		wantErr       error
	}{
		{name: "empty", reports: 0},
		{name: "empty, deleteReports", reports: 0, deleteReports: true},
		{name: "with reports", reports: 2, wantErr: codebuild.ErrExists},
		{name: "with reports, deleteReports", reports: 2, deleteReports: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			s := open(t)
			g, other := group("g", t0), group("other", t0)
			if err := s.CreateReportGroup(ctx, g); err != nil {
				t.Fatal(err)
			}
			var arns []string
			for i := range tt.reports {
				r := report(g, fmt.Sprint(i), "SUCCEEDED", t0)
				r.Cases = []codebuild.CaseRecord{testCase("pkg", "TestA", "SUCCEEDED")}
				r.Coverages = []codebuild.CoverageRecord{coverage("a.go", 50)}
				putReports(t, s, nil, r)
				arns = append(arns, r.ARN)
			}
			// A report of another group is not touched.
			kept := report(other, "kept", "SUCCEEDED", t0)
			kept.Cases = []codebuild.CaseRecord{testCase("pkg", "TestKept", "SUCCEEDED")}
			kept.Coverages = []codebuild.CoverageRecord{coverage("kept.go", 50)}
			putReports(t, s, other, kept)

			err := s.DeleteReportGroup(ctx, g.ARN, tt.deleteReports)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("DeleteReportGroup(deleteReports=%v) = %v, want %v", tt.deleteReports, err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("DeleteReportGroup(deleteReports=%v): %v", tt.deleteReports, err)
			}
			deleted := tt.wantErr == nil

			gs, err := s.ReportGroups(ctx, []string{g.ARN})
			if err != nil {
				t.Fatal(err)
			}
			if got := len(gs) == 0; got != deleted {
				t.Errorf("group deleted: %v, want %v", got, deleted)
			}
			rs, err := s.Reports(ctx, arns)
			if err != nil {
				t.Fatal(err)
			}
			wantReports := len(arns)
			if deleted {
				wantReports = 0
			}
			if len(rs) != wantReports {
				t.Errorf("Reports after DeleteReportGroup: %d, want %d", len(rs), wantReports)
			}
			for _, arn := range arns {
				cases, _, err := s.TestCases(ctx, arn, "", "", codebuild.Page{})
				if err != nil {
					t.Fatal(err)
				}
				covs, _, err := s.Coverages(ctx, arn, 0, 100, "", codebuild.Page{})
				if err != nil {
					t.Fatal(err)
				}
				want := 1
				if deleted {
					want = 0
				}
				if len(cases) != want || len(covs) != want {
					t.Errorf("report %s after DeleteReportGroup: %d cases, %d coverages; want %d each", arn, len(cases), len(covs), want)
				}
			}
			cases, _, err := s.TestCases(ctx, kept.ARN, "", "", codebuild.Page{})
			if err != nil || len(cases) != 1 {
				t.Errorf("cases of another group's report after DeleteReportGroup: %d, %v; want 1", len(cases), err)
			}
			covs, _, err := s.Coverages(ctx, kept.ARN, 0, 100, "", codebuild.Page{})
			if err != nil || len(covs) != 1 {
				t.Errorf("coverages of another group's report after DeleteReportGroup: %d, %v; want 1", len(covs), err)
			}
		})
	}
}

func TestPutReport(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t)
	g := group("g", t0)

	t.Run("creates the group", func(t *testing.T) {
		r := report(g, "1", "SUCCEEDED", t0)
		putReports(t, s, g, r)
		gs, err := s.ReportGroups(ctx, []string{g.ARN})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*codebuild.ReportGroupRecord{g}, gs); diff != "" {
			t.Errorf("ReportGroups after PutReport mismatch (-want +got):\n%s", diff)
		}
		rs, err := s.Reports(ctx, []string{r.ARN})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*codebuild.ReportRecord{r}, rs); diff != "" {
			t.Errorf("Reports after PutReport mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("keeps the group", func(t *testing.T) {
		changed := *g
		changed.Doc, changed.Modified = []byte(`{"changed":true}`), t0.Add(time.Hour)
		putReports(t, s, &changed, report(g, "2", "SUCCEEDED", t0))
		gs, err := s.ReportGroups(ctx, []string{g.ARN})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*codebuild.ReportGroupRecord{g}, gs); diff != "" {
			t.Errorf("ReportGroups after PutReport with a changed group mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("all or nothing", func(t *testing.T) {
		// The report is there already: the new group and the cases are
		// not stored either.
		g2 := group("g2", t0)
		r := report(g, "1", "FAILED", t0)
		r.Cases = []codebuild.CaseRecord{testCase("pkg", "TestNew", "FAILED")}
		if err := s.PutReport(ctx, r, g2); err == nil {
			t.Fatalf("PutReport(%s) again succeeded", r.ARN)
		}
		if gs, err := s.ReportGroups(ctx, []string{g2.ARN}); err != nil || len(gs) != 0 {
			t.Errorf("ReportGroups after a failed PutReport = %d groups, %v; want none", len(gs), err)
		}
		cases, _, err := s.TestCases(ctx, r.ARN, "", "", codebuild.Page{})
		if err != nil || len(cases) != 0 {
			t.Errorf("TestCases after a failed PutReport = %q, %v; want none", docs(cases), err)
		}
		rs, err := s.Reports(ctx, []string{r.ARN})
		if err != nil || len(rs) != 1 || rs[0].Status != "SUCCEEDED" {
			t.Errorf("Reports after a failed PutReport = %v, %v; want the first report", rs, err)
		}
	})
	t.Run("DeleteReport", func(t *testing.T) {
		r := report(g, "del", "FAILED", t0)
		r.Cases = []codebuild.CaseRecord{testCase("pkg", "TestDel", "FAILED")}
		r.Coverages = []codebuild.CoverageRecord{coverage("del.go", 10)}
		putReports(t, s, nil, r)
		if err := s.DeleteReport(ctx, r.ARN); err != nil {
			t.Fatalf("DeleteReport: %v", err)
		}
		if rs, err := s.Reports(ctx, []string{r.ARN}); err != nil || len(rs) != 0 {
			t.Errorf("Reports after DeleteReport = %v, %v; want none", rs, err)
		}
		cases, _, err := s.TestCases(ctx, r.ARN, "", "", codebuild.Page{})
		if err != nil || len(cases) != 0 {
			t.Errorf("TestCases after DeleteReport = %q, %v; want none", docs(cases), err)
		}
		covs, _, err := s.Coverages(ctx, r.ARN, 0, 100, "", codebuild.Page{})
		if err != nil || len(covs) != 0 {
			t.Errorf("Coverages after DeleteReport = %q, %v; want none", docs(covs), err)
		}
		// Putting it again works: nothing of it was left behind.
		putReports(t, s, nil, r)
		cases, _, err = s.TestCases(ctx, r.ARN, "", "", codebuild.Page{})
		if err != nil || len(cases) != 1 {
			t.Errorf("TestCases after putting a deleted report again = %q, %v; want one", docs(cases), err)
		}
	})
}

func TestListReports(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t)
	g, h := group("g", t0), group("h", t0)
	var all []*codebuild.ReportRecord
	for i, st := range []string{"SUCCEEDED", "FAILED", "SUCCEEDED", "INCOMPLETE", "FAILED", "SUCCEEDED"} {
		gr := []*codebuild.ReportGroupRecord{g, h}[i%2]
		r := report(gr, fmt.Sprint(i), st, t0.Add(time.Duration(i)*time.Second))
		putReports(t, s, gr, r)
		all = append(all, r)
	}
	arns := func(is ...int) []string {
		var out []string
		for _, i := range is {
			out = append(out, all[i].ARN)
		}
		return out
	}
	tests := []struct {
		name, group, status string
		want                []string // oldest first
	}{
		{name: "all", want: arns(0, 1, 2, 3, 4, 5)},
		{name: "group", group: g.ARN, want: arns(0, 2, 4)},
		{name: "other group", group: h.ARN, want: arns(1, 3, 5)},
		{name: "status", status: "SUCCEEDED", want: arns(0, 2, 5)},
		{name: "group and status", group: h.ARN, status: "FAILED", want: arns(1)},
		{name: "no match", group: g.ARN, status: "INCOMPLETE", want: nil},
		{name: "missing group", group: "nope", want: nil},
	}
	for _, tt := range tests {
		for _, desc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/desc=%v", tt.name, desc), func(t *testing.T) {
				t.Parallel()
				want := tt.want
				if desc {
					want = reversed(want)
				}
				checkPaging(t, want, desc, func(p codebuild.Page) ([]string, string, error) {
					return s.ListReports(ctx, tt.group, tt.status, p)
				})
			})
		}
	}
	for _, tt := range badTokens {
		t.Run("bad token/"+tt.name, func(t *testing.T) {
			if _, _, err := s.ListReports(ctx, "", "", codebuild.Page{Token: tt.token}); !errors.Is(err, codebuild.ErrBadToken) {
				t.Errorf("ListReports(token %q) = %v, want ErrBadToken", tt.token, err)
			}
		})
	}

	t.Run("RecentReports", func(t *testing.T) {
		recent := []struct {
			group string
			n     int
			want  []*codebuild.ReportRecord
		}{
			{group: g.ARN, n: 2, want: []*codebuild.ReportRecord{all[4], all[2]}},
			{group: g.ARN, n: 10, want: []*codebuild.ReportRecord{all[4], all[2], all[0]}},
			{group: h.ARN, n: 1, want: []*codebuild.ReportRecord{all[5]}},
			{group: h.ARN, n: 0, want: nil},
			{group: "nope", n: 5, want: nil},
		}
		for _, tt := range recent {
			got, err := s.RecentReports(ctx, tt.group, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("RecentReports(%s, %d) mismatch (-want +got):\n%s", tt.group, tt.n, diff)
			}
		}
	})
}

func TestTestCases(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t)
	g := group("g", t0)
	r := report(g, "1", "FAILED", t0)
	r.Cases = []codebuild.CaseRecord{
		testCase("pkg/a", "TestAlpha", "SUCCEEDED"),
		testCase("pkg/a", "TestBeta", "FAILED"),
		testCase("pkg/b", "TestGamma", "SUCCEEDED"),
		testCase("pkg/b", "TestAlphabet", "SKIPPED"),
		testCase("other", "TestDelta", "FAILED"),
		testCase("other", "TestEpsilon", "SUCCEEDED"),
	}
	// Another report's cases are not listed.
	o := report(g, "2", "FAILED", t0)
	o.Cases = []codebuild.CaseRecord{testCase("pkg/a", "TestAlpha", "SUCCEEDED")}
	putReports(t, s, g, r, o)
	names := func(is ...int) []string {
		var out []string
		for _, i := range is {
			out = append(out, string(r.Cases[i].Doc))
		}
		return out
	}
	tests := []struct {
		name, report, status, keyword string
		want                          []string // in reported order
	}{
		{name: "all", report: r.ARN, want: names(0, 1, 2, 3, 4, 5)},
		{name: "status", report: r.ARN, status: "SUCCEEDED", want: names(0, 2, 5)},
		{name: "keyword in name", report: r.ARN, keyword: "Alpha", want: names(0, 3)},
		{name: "keyword inside name", report: r.ARN, keyword: "psil", want: names(5)},
		{name: "keyword in prefix", report: r.ARN, keyword: "pkg/b", want: names(2, 3)},
		{name: "keyword in name or prefix", report: r.ARN, keyword: "a", want: names(0, 1, 2, 3, 4)},
		{name: "status and keyword", report: r.ARN, status: "FAILED", keyword: "pkg", want: names(1)},
		{name: "no match", report: r.ARN, keyword: "Zeta", want: nil},
		{name: "missing report", report: "nope", want: nil},
	}
	for _, tt := range tests {
		for _, desc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/desc=%v", tt.name, desc), func(t *testing.T) {
				t.Parallel()
				want := tt.want
				if desc {
					want = reversed(want)
				}
				checkPaging(t, want, desc, pageDocs(func(p codebuild.Page) ([][]byte, string, error) {
					return s.TestCases(ctx, tt.report, tt.status, tt.keyword, p)
				}))
			})
		}
	}
	for _, tt := range append(badTokens, struct{ name, token string }{name: "negative", token: foreignToken("-2")}) {
		t.Run("bad token/"+tt.name, func(t *testing.T) {
			if _, _, err := s.TestCases(ctx, r.ARN, "", "", codebuild.Page{Token: tt.token}); !errors.Is(err, codebuild.ErrBadToken) {
				t.Errorf("TestCases(token %q) = %v, want ErrBadToken", tt.token, err)
			}
		})
	}
}

func TestCoverages(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t)
	g := group("g", t0)
	r := report(g, "1", "SUCCEEDED", t0)
	r.Type = "CODE_COVERAGE"
	r.Coverages = []codebuild.CoverageRecord{
		coverage("src/d.go", 75),
		coverage("src/a.go", 100),
		coverage("src/c.go", 0),
		coverage("src/b.go", 75), // ties with d.go: reported order breaks it
		coverage("src/e.go", 33.3),
	}
	o := report(g, "2", "SUCCEEDED", t0)
	o.Coverages = []codebuild.CoverageRecord{coverage("src/a.go", 50)}
	putReports(t, s, g, r, o)
	tests := []struct {
		name     string
		min, max float64
		sortBy   string
		want     []string // ascending
	}{
		{name: "by path", min: 0, max: 100, sortBy: "FILE_PATH", want: []string{"src/a.go", "src/b.go", "src/c.go", "src/d.go", "src/e.go"}},
		{name: "by line coverage", min: 0, max: 100, sortBy: "LINE_COVERAGE_PERCENTAGE", want: []string{"src/c.go", "src/e.go", "src/d.go", "src/b.go", "src/a.go"}},
		{name: "bounds included", min: 33.3, max: 75, sortBy: "FILE_PATH", want: []string{"src/b.go", "src/d.go", "src/e.go"}},
		{name: "between", min: 34, max: 99.9, sortBy: "LINE_COVERAGE_PERCENTAGE", want: []string{"src/d.go", "src/b.go"}},
		{name: "one value", min: 100, max: 100, sortBy: "FILE_PATH", want: []string{"src/a.go"}},
		{name: "none", min: 80, max: 99, sortBy: "FILE_PATH", want: nil},
		{name: "empty range", min: 100, max: 0, sortBy: "FILE_PATH", want: nil},
	}
	for _, tt := range tests {
		for _, desc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/desc=%v", tt.name, desc), func(t *testing.T) {
				t.Parallel()
				want := tt.want
				if desc {
					want = reversed(want)
				}
				checkPaging(t, want, desc, pageDocs(func(p codebuild.Page) ([][]byte, string, error) {
					return s.Coverages(ctx, r.ARN, tt.min, tt.max, tt.sortBy, p)
				}))
			})
		}
	}
	for _, tt := range badTokens {
		t.Run("bad token/"+tt.name, func(t *testing.T) {
			if _, _, err := s.Coverages(ctx, r.ARN, 0, 100, "FILE_PATH", codebuild.Page{Token: tt.token}); !errors.Is(err, codebuild.ErrBadToken) {
				t.Errorf("Coverages(token %q) = %v, want ErrBadToken", tt.token, err)
			}
		})
	}
}
