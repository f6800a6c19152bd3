package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/report"
)

// apiReport is a report as the CodeBuild API shows it (BatchGetReports),
// with its test cases (DescribeTestCases) or coverage
// (DescribeCodeCoverages) beside it.
type apiReport struct {
	Report struct {
		ARN                 string                            `json:"arn"`
		Type                string                            `json:"type"`
		Name                string                            `json:"name"`
		ReportGroupARN      string                            `json:"reportGroupArn"`
		ExecutionID         string                            `json:"executionId"`
		Status              string                            `json:"status"`
		Created             string                            `json:"created"`
		Truncated           bool                              `json:"truncated"`
		TestSummary         *report.TestReportSummary         `json:"testSummary,omitempty"`
		CodeCoverageSummary *report.CodeCoverageReportSummary `json:"codeCoverageSummary,omitempty"`
	} `json:"report"`
	TestCases     []report.TestCase     `json:"testCases,omitempty"`
	CodeCoverages []report.CodeCoverage `json:"codeCoverages,omitempty"`
	Errors        []string              `json:"errors,omitempty"`
}

// writeReports writes each report of b as dir/<group>.json.
func writeReports(dir string, b *build.Build) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var errs []error
	for _, r := range b.Reports {
		var a apiReport
		a.Report.ARN, a.Report.Type, a.Report.Name = r.ARN, r.Type, r.Group
		a.Report.ReportGroupARN, a.Report.ExecutionID, a.Report.Status = r.GroupARN, b.ARN, r.Status
		a.Report.Created, a.Report.Truncated = b.End.Format(apiTime), r.Truncated
		if r.Summary != nil {
			a.Report.TestSummary, a.Report.CodeCoverageSummary = r.Summary.TestSummary, r.Summary.CodeCoverageSummary
		}
		a.TestCases, a.CodeCoverages, a.Errors = r.Tests, r.Coverage, r.Errors
		data, err := json.MarshalIndent(a, "", "  ")
		if err == nil {
			// The engine has checked the name; Base keeps it in dir anyway.
			err = os.WriteFile(filepath.Join(dir, filepath.Base(r.Group)+".json"), append(data, '\n'), 0o644)
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// printReports ends a build's summary with a table of its reports, and the
// failed test cases with their messages.
func printReports(w io.Writer, reports []build.Report) {
	fmt.Fprintln(w, "Reports:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  GROUP\tTYPE\tSTATUS\tRESULT")
	for _, r := range reports {
		result := ""
		switch s := r.Summary; {
		case s != nil && s.TestSummary != nil:
			t := s.TestSummary
			result = fmt.Sprintf("%d tests: %d passed, %d failed, %d errors, %d skipped in %s", t.Total,
				t.StatusCounts[report.StatusSucceeded], t.StatusCounts[report.StatusFailed], t.StatusCounts[report.StatusError],
				t.StatusCounts[report.StatusSkipped], roundDuration(time.Duration(t.DurationInNanoSeconds)))
		case s != nil && s.CodeCoverageSummary != nil:
			c := s.CodeCoverageSummary
			result = fmt.Sprintf("lines %.2f%% (%d/%d), branches %.2f%% (%d/%d)", c.LineCoveragePercentage, c.LinesCovered,
				c.LinesCovered+c.LinesMissed, c.BranchCoveragePercentage, c.BranchesCovered, c.BranchesCovered+c.BranchesMissed)
		}
		if len(r.Errors) > 0 {
			result += fmt.Sprintf(" (%d file(s) unreadable: %s)", len(r.Errors), r.Errors[0])
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.Group, r.Type, r.Status, result)
	}
	tw.Flush()
	var failed []report.TestCase
	for _, r := range reports {
		for _, c := range r.Tests {
			if c.Status == report.StatusFailed || c.Status == report.StatusError {
				failed = append(failed, c)
			}
		}
	}
	sort.SliceStable(failed, func(i, j int) bool { return failed[i].Status > failed[j].Status })
	for i, c := range failed {
		if i == 20 {
			fmt.Fprintf(w, "  ... and %d more\n", len(failed)-20)
			break
		}
		name := c.Name
		if c.Prefix != "" {
			name = c.Prefix + "." + c.Name
		}
		msg := c.Message
		if len(msg) > 200 {
			msg = msg[:200] + "..."
		}
		fmt.Fprintf(w, "  %s %s: %s\n", c.Status, name, firstLine(msg))
	}
}

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}
