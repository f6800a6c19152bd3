package codebuild

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
	"github.com/codeyard/codeyard/internal/build"
)

// storeReport stores a report a build produced, creating its group on
// first use as CodeBuild does for a buildspec's report group names.
func (s *Service) storeReport(ctx context.Context, b *cb.Build, r *build.Report) error {
	now := s.now()
	rep := cb.Report{
		Arn: r.ARN, Type: r.Type, Name: r.Group, ReportGroupArn: r.GroupARN, ExecutionId: b.Arn,
		Status: r.Status, Created: ts(now), ExportConfig: &cb.ReportExportConfig{ExportConfigType: "NO_EXPORT"},
		Truncated: ptr(r.Truncated),
	}
	if r.Summary != nil {
		var sum struct {
			TestSummary         *cb.TestReportSummary         `json:"testSummary"`
			CodeCoverageSummary *cb.CodeCoverageReportSummary `json:"codeCoverageSummary"`
		}
		json.Unmarshal(mustJSON(r.Summary), &sum)
		rep.TestSummary, rep.CodeCoverageSummary = sum.TestSummary, sum.CodeCoverageSummary
	}
	rec := &ReportRecord{ARN: rep.Arn, GroupARN: rep.ReportGroupArn, Type: rep.Type, Status: rep.Status, Created: now, Doc: mustJSON(&rep)}
	for _, t := range r.Tests {
		var tc cb.TestCase
		json.Unmarshal(mustJSON(t), &tc)
		tc.ReportArn = rep.Arn
		rec.Cases = append(rec.Cases, CaseRecord{Name: tc.Name, Prefix: tc.Prefix, Status: tc.Status, Duration: val(tc.DurationInNanoSeconds), Doc: mustJSON(&tc)})
	}
	for i, c := range r.Coverage {
		var cc cb.CodeCoverage
		json.Unmarshal(mustJSON(c), &cc)
		cc.ReportARN = rep.Arn
		cc.Id = rep.Arn + ":" + strconv.Itoa(i)
		rec.Coverages = append(rec.Coverages, CoverageRecord{Path: cc.FilePath, LineCover: val(cc.LineCoveragePercentage), Doc: mustJSON(&cc)})
	}
	g := cb.ReportGroup{Arn: r.GroupARN, Name: r.Group, Type: r.Type, ExportConfig: &cb.ReportExportConfig{ExportConfigType: "NO_EXPORT"},
		Created: ts(now), LastModified: ts(now), Status: "ACTIVE", Tags: []cb.Tag{}}
	return s.store.PutReport(ctx, rec, &ReportGroupRecord{ARN: g.Arn, Name: g.Name, Type: g.Type, Created: now, Modified: now, Doc: mustJSON(&g)})
}

func (c Caller) reportGroupARN(name string) string { return c.arn("report-group/" + name) }

// CreateReportGroup creates a report group.
func (s *Service) CreateReportGroup(ctx context.Context, c Caller, in *cb.CreateReportGroupInput) (*cb.ReportGroup, error) {
	if err := checkExport(in.ExportConfig); err != nil {
		return nil, err
	}
	now := s.now()
	g := cb.ReportGroup{Arn: c.reportGroupARN(in.Name), Name: in.Name, Type: in.Type, ExportConfig: in.ExportConfig,
		Created: ts(now), LastModified: ts(now), Tags: in.Tags, Status: "ACTIVE"}
	if g.Tags == nil {
		g.Tags = []cb.Tag{}
	}
	err := s.store.CreateReportGroup(ctx, &ReportGroupRecord{ARN: g.Arn, Name: g.Name, Type: g.Type, Created: now, Modified: now, Doc: mustJSON(&g)})
	if err != nil {
		if _, ok := storeErr(err, "").(*ExistsError); ok {
			return nil, &ExistsError{Message: "Report group already exists: " + g.Arn}
		}
		return nil, err
	}
	return &g, nil
}

func checkExport(e *cb.ReportExportConfig) error {
	if e == nil {
		return nil
	}
	if e.ExportConfigType == "S3" && (e.S3Destination == nil || e.S3Destination.Bucket == "") {
		return invalid("S3 destination bucket is required when exportConfigType is S3")
	}
	return nil
}

// UpdateReportGroup changes a report group's export config and tags.
func (s *Service) UpdateReportGroup(ctx context.Context, c Caller, in *cb.UpdateReportGroupInput) (*cb.ReportGroup, error) {
	g, err := s.reportGroup(ctx, in.Arn)
	if err != nil {
		return nil, err
	}
	if in.ExportConfig != nil {
		if err := checkExport(in.ExportConfig); err != nil {
			return nil, err
		}
		g.ExportConfig = in.ExportConfig
	}
	if in.Tags != nil {
		g.Tags = in.Tags
	}
	now := s.now()
	g.LastModified = ts(now)
	if err := s.store.UpdateReportGroup(ctx, &ReportGroupRecord{ARN: g.Arn, Modified: now, Doc: mustJSON(g)}); err != nil {
		return nil, storeErr(err, "Report group "+g.Arn)
	}
	return g, nil
}

func (s *Service) reportGroup(ctx context.Context, arn string) (*cb.ReportGroup, error) {
	recs, err := s.store.ReportGroups(ctx, []string{arn})
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, &NotFoundError{Message: "Report group " + arn + " does not exist"}
	}
	var g cb.ReportGroup
	return &g, json.Unmarshal(recs[0].Doc, &g)
}

// DeleteReportGroup deletes a report group (and its reports when asked).
func (s *Service) DeleteReportGroup(ctx context.Context, in *cb.DeleteReportGroupInput) error {
	if _, err := s.reportGroup(ctx, in.Arn); err != nil {
		if _, ok := err.(*NotFoundError); ok {
			return nil // deleting what is not there succeeds, as on AWS
		}
		return err
	}
	err := s.store.DeleteReportGroup(ctx, in.Arn, val(in.DeleteReports))
	if _, ok := storeErr(err, "").(*ExistsError); ok {
		return invalid("Report group %s contains reports: delete them first, or set deleteReports", in.Arn)
	}
	return err
}

// ReportGroups returns the report groups of the given ARNs and those not
// found.
func (s *Service) ReportGroups(ctx context.Context, arns []string) ([]cb.ReportGroup, []string, error) {
	recs, err := s.store.ReportGroups(ctx, arns)
	if err != nil {
		return nil, nil, err
	}
	out, found := []cb.ReportGroup{}, map[string]bool{}
	for _, r := range recs {
		var g cb.ReportGroup
		if err := json.Unmarshal(r.Doc, &g); err != nil {
			return nil, nil, err
		}
		out, found[r.ARN] = append(out, g), true
	}
	notFound := []string{}
	for _, a := range arns {
		if !found[a] {
			notFound = append(notFound, a)
		}
	}
	return out, notFound, nil
}

// ListReportGroups lists report group ARNs.
func (s *Service) ListReportGroups(ctx context.Context, in *cb.ListReportGroupsInput) ([]string, string, error) {
	arns, next, err := s.store.ListReportGroups(ctx, in.SortBy, Page{Token: in.NextToken, Limit: int(val(in.MaxResults)), Desc: in.SortOrder == "DESCENDING"})
	if arns == nil {
		arns = []string{}
	}
	return arns, next, storeErr(err, "")
}

// ListReports lists report ARNs, of one group when groupARN is set,
// newest first unless ascending.
func (s *Service) ListReports(ctx context.Context, groupARN, order, token string, maxResults int64, filter *cb.ReportFilter) ([]string, string, error) {
	if groupARN != "" {
		if _, err := s.reportGroup(ctx, groupARN); err != nil {
			return nil, "", err
		}
	}
	status := ""
	if filter != nil {
		status = filter.Status
	}
	arns, next, err := s.store.ListReports(ctx, groupARN, status, Page{Token: token, Limit: int(maxResults), Desc: order != "ASCENDING"})
	if arns == nil {
		arns = []string{}
	}
	return arns, next, storeErr(err, "")
}

// Reports returns the reports of the given ARNs and those not found.
func (s *Service) Reports(ctx context.Context, arns []string) ([]cb.Report, []string, error) {
	recs, err := s.store.Reports(ctx, arns)
	if err != nil {
		return nil, nil, err
	}
	out, found := []cb.Report{}, map[string]bool{}
	for _, r := range recs {
		var rep cb.Report
		if err := json.Unmarshal(r.Doc, &rep); err != nil {
			return nil, nil, err
		}
		out, found[r.ARN] = append(out, rep), true
	}
	notFound := []string{}
	for _, a := range arns {
		if !found[a] {
			notFound = append(notFound, a)
		}
	}
	return out, notFound, nil
}

// DeleteReport deletes a report.
func (s *Service) DeleteReport(ctx context.Context, arn string) error {
	return s.store.DeleteReport(ctx, arn)
}

// TestCases lists a report's test cases.
func (s *Service) TestCases(ctx context.Context, in *cb.DescribeTestCasesInput) ([]cb.TestCase, string, error) {
	if err := s.reportExists(ctx, in.ReportArn); err != nil {
		return nil, "", err
	}
	var status, keyword string
	if in.Filter != nil {
		status, keyword = in.Filter.Status, in.Filter.Keyword
	}
	docs, next, err := s.store.TestCases(ctx, in.ReportArn, status, keyword, Page{Token: in.NextToken, Limit: int(val(in.MaxResults))})
	if err != nil {
		return nil, "", storeErr(err, "")
	}
	out := make([]cb.TestCase, len(docs))
	for i, d := range docs {
		json.Unmarshal(d, &out[i])
	}
	return out, next, nil
}

func (s *Service) reportExists(ctx context.Context, arn string) error {
	_, nf, err := s.Reports(ctx, []string{arn})
	if err != nil {
		return err
	}
	if len(nf) > 0 {
		return &NotFoundError{Message: "Report " + arn + " does not exist"}
	}
	return nil
}

// CodeCoverages lists a report's code coverages.
func (s *Service) CodeCoverages(ctx context.Context, in *cb.DescribeCodeCoveragesInput) ([]cb.CodeCoverage, string, error) {
	if err := s.reportExists(ctx, in.ReportArn); err != nil {
		return nil, "", err
	}
	lo, hi := 0.0, 100.0
	if in.MinLineCoveragePercentage != nil {
		lo = *in.MinLineCoveragePercentage
	}
	if in.MaxLineCoveragePercentage != nil {
		hi = *in.MaxLineCoveragePercentage
	}
	docs, next, err := s.store.Coverages(ctx, in.ReportArn, lo, hi, in.SortBy, Page{Token: in.NextToken, Limit: int(val(in.MaxResults)), Desc: in.SortOrder == "DESCENDING"})
	if err != nil {
		return nil, "", storeErr(err, "")
	}
	out := make([]cb.CodeCoverage, len(docs))
	for i, d := range docs {
		json.Unmarshal(d, &out[i])
	}
	return out, next, nil
}

// Trend computes GetReportGroupTrend over the newest reports of a group.
func (s *Service) Trend(ctx context.Context, in *cb.GetReportGroupTrendInput) (*cb.GetReportGroupTrendOutput, error) {
	if _, err := s.reportGroup(ctx, in.ReportGroupArn); err != nil {
		return nil, err
	}
	n := int(val(in.NumOfReports))
	if n <= 0 {
		n = 100
	}
	recs, err := s.store.RecentReports(ctx, in.ReportGroupArn, n)
	if err != nil {
		return nil, err
	}
	out := &cb.GetReportGroupTrendOutput{RawData: []cb.ReportWithRawData{}, Stats: &cb.ReportGroupTrendStats{}}
	var vals []float64
	for _, r := range recs {
		var rep cb.Report
		if err := json.Unmarshal(r.Doc, &rep); err != nil {
			return nil, err
		}
		v, ok := trendValue(&rep, in.TrendField)
		if !ok {
			continue
		}
		vals = append(vals, v)
		out.RawData = append(out.RawData, cb.ReportWithRawData{ReportArn: rep.Arn, Data: formatTrend(v)})
	}
	if len(vals) > 0 {
		sum := 0.0
		for _, v := range vals {
			sum += v
		}
		out.Stats.Average = formatTrend(sum / float64(len(vals)))
		out.Stats.Max = formatTrend(slices.Max(vals))
		out.Stats.Min = formatTrend(slices.Min(vals))
	}
	return out, nil
}

func formatTrend(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

// trendValue is a report's value of a trend field; test fields apply to
// test reports, coverage fields to coverage reports.
func trendValue(r *cb.Report, field string) (float64, bool) {
	if t := r.TestSummary; t != nil {
		total := float64(val(t.Total))
		switch field {
		case "PASS_RATE":
			if total == 0 {
				return 0, true
			}
			return float64(t.StatusCounts["SUCCEEDED"]) * 100 / total, true
		case "DURATION":
			return float64(val(t.DurationInNanoSeconds)), true
		case "TOTAL":
			return total, true
		}
		return 0, false
	}
	if c := r.CodeCoverageSummary; c != nil {
		switch field {
		case "LINE_COVERAGE":
			return val(c.LineCoveragePercentage), true
		case "LINES_COVERED":
			return float64(val(c.LinesCovered)), true
		case "LINES_MISSED":
			return float64(val(c.LinesMissed)), true
		case "BRANCH_COVERAGE":
			return val(c.BranchCoveragePercentage), true
		case "BRANCHES_COVERED":
			return float64(val(c.BranchesCovered)), true
		case "BRANCHES_MISSED":
			return float64(val(c.BranchesMissed)), true
		}
	}
	return 0, false
}
