package build

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/codeyard/codeyard/internal/artifact"
	"github.com/codeyard/codeyard/internal/report"
)

// Report is one report a build produced: the files one entry of the
// buildspec's reports section matched, parsed and summed up.
type Report struct {
	// Group is the report group's name: <project>-<name> for a plain name
	// in the buildspec, the name an ARN ends in otherwise.
	Group    string
	GroupARN string
	ARN      string
	Type     string // TEST or CODE_COVERAGE
	Format   string
	// Status is SUCCEEDED, FAILED (a test failed, or a file did not
	// parse) or INCOMPLETE (no file matched).
	Status    string
	Summary   *report.Summary
	Tests     []report.TestCase
	Coverage  []report.CodeCoverage
	Truncated bool
	// Errors say why files could not be read; the other files still count.
	Errors []string
}

// reportGroup resolves a reports key to a group name and ARN, as CodeBuild
// does: an ARN names an existing group; a name makes <project>-<name>.
func (r *run) reportGroup(key string) (name, arn string) {
	if strings.HasPrefix(key, "arn:") {
		_, name, _ = strings.Cut(key, ":report-group/")
		return name, key
	}
	name = r.req.Project + "-" + key
	return name, fmt.Sprintf("arn:aws:codebuild:%s:%s:report-group/%s", r.req.Region, r.req.Account, name)
}

// checkReportGroups rejects report group names CodeBuild would not
// create: 2 to 128 letters, digits, hyphens and underscores, for a plain
// name once the project's prefix is on it, and for the name an ARN ends in.
func (r *run) checkReportGroups() error {
	if r.spec == nil {
		return nil
	}
	for _, rs := range r.spec.Reports {
		name, _ := r.reportGroup(rs.Group)
		ok := len(name) >= 2 && len(name) <= 128
		for i := 0; ok && i < len(name); i++ {
			c := name[i]
			ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		}
		if !ok {
			return fmt.Errorf("invalid report group name %q: a report group name is 2 to 128 letters, digits, hyphens and underscores", name)
		}
	}
	return nil
}

// processReports parses the report files of every entry of the reports
// section. A report whose files fail to parse fails alone; the build's
// status never depends on its reports.
func (r *run) processReports() {
	if r.spec == nil || len(r.spec.Reports) == 0 {
		return
	}
	for _, rs := range r.spec.Reports {
		name, arn := r.reportGroup(rs.Group)
		rep := Report{
			Group: name, GroupARN: arn, Type: rs.Kind, Format: rs.FileFormat,
			ARN: fmt.Sprintf("arn:aws:codebuild:%s:%s:report/%s:%s", r.req.Region, r.req.Account, name, r.req.UUID),
		}
		r.log.printf("Preparing to copy %s report %s", strings.ToLower(strings.ReplaceAll(rs.Kind, "_", " ")), name)
		col, err := artifact.Collect(r.req.Workspace, artifact.Selection{
			Files:         rs.Files,
			BaseDirectory: rs.BaseDirectory,
			DiscardPaths:  rs.DiscardPaths,
			Expand:        func(s string) string { return os.Expand(s, r.lookupEnv) },
		})
		if col != nil {
			for _, l := range col.Log {
				r.log.printf("%s", l)
			}
		}
		if err != nil {
			msg := err.Error()
			if errors.Is(err, artifact.ErrNoMatch) {
				msg = "no matching report paths found"
			}
			rep.Status = report.ReportStatusIncomplete
			rep.Errors = append(rep.Errors, msg)
			r.log.printf("Error in report %s: %s", name, msg)
			r.b.Reports = append(r.b.Reports, rep)
			continue
		}
		var results []*report.Result
		for _, e := range col.Entries {
			if !e.Mode.IsRegular() {
				continue
			}
			res, err := parseReportFile(rs.FileFormat, e)
			if err != nil {
				rep.Errors = append(rep.Errors, err.Error())
				r.log.printf("Error in report %s: %s", name, err)
				continue
			}
			results = append(results, res)
			rep.Tests = append(rep.Tests, res.Tests...)
			rep.Coverage = append(rep.Coverage, res.Coverage...)
		}
		sum, err := report.Summarize(results...)
		if err != nil {
			rep.Errors = append(rep.Errors, err.Error())
		} else if len(results) > 0 {
			rep.Summary = sum
			rep.Status = sum.Status
		}
		rep.Tests, rep.Truncated = report.Truncate(rep.Tests)
		if len(rep.Errors) > 0 {
			rep.Status = report.ReportStatusFailed
		}
		r.b.Reports = append(r.b.Reports, rep)
		r.log.printf("Report %s: %s", name, describeReport(rep))
	}
}

func parseReportFile(format string, e artifact.Entry) (*report.Result, error) {
	f, err := os.Open(e.Source)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return report.Parse(format, f, filepath.ToSlash(e.Path))
}

// describeReport is a one-line summary of a report for the log.
func describeReport(rep Report) string {
	s := rep.Summary
	switch {
	case s == nil:
		return rep.Status
	case s.TestSummary != nil:
		t := s.TestSummary
		return fmt.Sprintf("%s, %d tests: %d succeeded, %d failed, %d errors, %d skipped", rep.Status, t.Total,
			t.StatusCounts[report.StatusSucceeded], t.StatusCounts[report.StatusFailed], t.StatusCounts[report.StatusError], t.StatusCounts[report.StatusSkipped])
	case s.CodeCoverageSummary != nil:
		c := s.CodeCoverageSummary
		return fmt.Sprintf("%s, line coverage %.2f%% (%d of %d), branch coverage %.2f%%", rep.Status, c.LineCoveragePercentage,
			c.LinesCovered, c.LinesCovered+c.LinesMissed, c.BranchCoveragePercentage)
	}
	return rep.Status
}
