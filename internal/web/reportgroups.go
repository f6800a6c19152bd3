package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
	"github.com/codeyard/codeyard/internal/codebuild"
)

// trendReports is how many of a group's newest reports its charts show.
const trendReports = 30

type reportGroupRow struct {
	Group  cb.ReportGroup
	Latest *cb.Report
}

type reportGroupsData struct {
	Groups []reportGroupRow
	Next   string
}

func (s *Server) reportGroups(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	max := int64(50)
	arns, next, err := s.cfg.CodeBuild.ListReportGroups(ctx, &cb.ListReportGroupsInput{SortBy: "NAME", SortOrder: "ASCENDING", NextToken: r.URL.Query().Get("next"), MaxResults: &max})
	if err != nil {
		var ie *codebuild.InputError
		if errors.As(err, &ie) {
			return notFound("That page of report groups does not exist.")
		}
		return err
	}
	gs, _, err := s.cfg.CodeBuild.ReportGroups(ctx, arns)
	if err != nil {
		return err
	}
	d := &reportGroupsData{Next: next}
	var latest []string
	for _, g := range gs {
		ids, _, err := s.cfg.CodeBuild.ListReports(ctx, g.Arn, "DESCENDING", "", 1, nil)
		if err != nil {
			return err
		}
		latest = append(latest, ids...)
	}
	reps, _, err := s.cfg.CodeBuild.Reports(ctx, latest)
	if err != nil {
		return err
	}
	byGroup := map[string]*cb.Report{}
	for i := range reps {
		byGroup[reps[i].ReportGroupArn] = &reps[i]
	}
	for _, g := range gs {
		d.Groups = append(d.Groups, reportGroupRow{Group: g, Latest: byGroup[g.Arn]})
	}
	s.render(w, r, http.StatusOK, "report_groups", &page{Title: "Report groups", Nav: "reports", Session: sessionOf(r), Data: d})
	return nil
}

type reportGroupData struct {
	Group   cb.ReportGroup
	Charts  []*chart
	Reports []cb.Report // newest first
}

// trendField is one trend a report group's page charts.
type trendField struct {
	field, title string
	max          float64
	format       func(float64) string
	scale        float64 // what the trend's values are divided by
}

func (s *Server) reportGroup(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	arn := r.PathValue("arn")
	gs, _, err := s.cfg.CodeBuild.ReportGroups(ctx, []string{arn})
	if err != nil {
		return err
	}
	if len(gs) == 0 {
		return notFound("There is no report group %s.", arn)
	}
	d := &reportGroupData{Group: gs[0]}
	ids, _, err := s.cfg.CodeBuild.ListReports(ctx, arn, "DESCENDING", "", trendReports, nil)
	if err != nil {
		return err
	}
	if d.Reports, _, err = s.cfg.CodeBuild.Reports(ctx, ids); err != nil {
		return err
	}
	slices.SortStableFunc(d.Reports, func(a, b cb.Report) int { return slices.Index(ids, a.Arn) - slices.Index(ids, b.Arn) })
	byARN := map[string]*cb.Report{}
	for i := range d.Reports {
		byARN[d.Reports[i].Arn] = &d.Reports[i]
	}
	fields := []trendField{
		{"PASS_RATE", "Pass rate", 100, percent, 1},
		{"DURATION", "Duration", 0, seconds, 1e9},
	}
	if d.Group.Type == "CODE_COVERAGE" {
		fields = []trendField{
			{"LINE_COVERAGE", "Line coverage", 100, percent, 1},
			{"BRANCH_COVERAGE", "Branch coverage", 100, percent, 1},
		}
	}
	n := int64(trendReports)
	for _, f := range fields {
		out, err := s.cfg.CodeBuild.Trend(ctx, &cb.GetReportGroupTrendInput{ReportGroupArn: arn, NumOfReports: &n, TrendField: f.field})
		if err != nil {
			return err
		}
		c := &chart{ID: "trend-" + strings.ToLower(f.field), Title: f.title + " of the last " + strconv.Itoa(len(out.RawData)) + " reports", Max: f.max, Format: f.format}
		// The trend's data is newest first; the chart's is oldest first.
		for _, raw := range slices.Backward(out.RawData) {
			v, err := strconv.ParseFloat(raw.Data, 64)
			if err != nil {
				continue
			}
			p := chartPoint{Value: v / f.scale, Href: reportURL(raw.ReportArn), Class: "ok"}
			if rep := byARN[raw.ReportArn]; rep != nil {
				p.Label = reportLabel(rep)
				p.Class = statusClass(rep.Status)
			}
			c.Points = append(c.Points, p)
		}
		d.Charts = append(d.Charts, c)
	}
	s.render(w, r, http.StatusOK, "report_group", &page{Title: d.Group.Name, Nav: "reports", Session: sessionOf(r), Data: d})
	return nil
}

// reportLabel names a report in a chart: the date it was made.
func reportLabel(r *cb.Report) string {
	if r.Created == nil {
		return r.Name
	}
	return r.Created.UTC().Format("2006-01-02 15:04 UTC")
}

func reportURL(arn string) string { return Prefix + "reports/" + arn }

func reportGroupURL(arn string) string { return Prefix + "report-groups/" + arn }

// buildOf is the id of the build that made a report.
func buildOf(r *cb.Report) string {
	if i := strings.Index(r.ExecutionId, ":build/"); i >= 0 {
		return r.ExecutionId[i+len(":build/"):]
	}
	return ""
}

// passRate is a test report's pass rate.
func passRate(t *cb.TestReportSummary) string {
	if t == nil || deref(t.Total) == 0 {
		return ""
	}
	return percent(float64(t.StatusCounts["SUCCEEDED"]) * 100 / float64(deref(t.Total)))
}
