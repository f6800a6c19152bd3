package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// The report file formats of the buildspec's reports.<group>.file-format
// key (buildspec reference; test-reporting and code-coverage-report pages
// of the CodeBuild User Guide).
const (
	FormatCucumberJSON    = "CUCUMBERJSON"
	FormatJUnitXML        = "JUNITXML"
	FormatNUnitXML        = "NUNITXML"
	FormatNUnit3XML       = "NUNIT3XML"
	FormatTestNGXML       = "TESTNGXML"
	FormatVisualStudioTRX = "VISUALSTUDIOTRX"
	FormatCloverXML       = "CLOVERXML"
	FormatCoberturaXML    = "COBERTURAXML"
	FormatJaCoCoXML       = "JACOCOXML"
	FormatSimpleCov       = "SIMPLECOV"
)

// The values of the ReportType enum.
const (
	TypeTest         = "TEST"
	TypeCodeCoverage = "CODE_COVERAGE"
)

// The statuses of a test case (TestCase.status in the API model).
const (
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusError     = "ERROR"
	StatusSkipped   = "SKIPPED"
	StatusUnknown   = "UNKNOWN"
)

// The values of the ReportStatusType enum: the status of a whole report.
// A report built from files is SUCCEEDED or FAILED; the others describe a
// report still being generated, one whose files could not be read, and one
// being deleted.
const (
	ReportStatusGenerating = "GENERATING"
	ReportStatusSucceeded  = "SUCCEEDED"
	ReportStatusFailed     = "FAILED"
	ReportStatusIncomplete = "INCOMPLETE"
	ReportStatusDeleting   = "DELETING"
)

// The values of the ReportPackagingType enum, used when a report group
// exports raw files to S3.
const (
	PackagingZip  = "ZIP"
	PackagingNone = "NONE"
)

// MaxFileSize is the largest report file Parse reads, in bytes. CodeBuild
// does not document a limit; real reports stay well below it.
const MaxFileSize = 100 << 20

// MaxDepth is the deepest element or JSON value nesting Parse accepts.
// Real reports nest a few dozen levels at most (NUnit namespaces, JUnit
// suites inside suites).
const MaxDepth = 1000

// MaxTestCases is the largest number of test cases Parse reads from one
// file. It bounds the memory a file of empty test cases can take.
const MaxTestCases = 1_000_000

// MaxCoverageFiles is the largest number of source files Parse reads from
// one coverage file.
const MaxCoverageFiles = 500_000

// MaxReportTestCases is the number of test cases a report keeps. "A test
// report can have a maximum of 500 test case results. If more than 500
// test cases are run, CodeBuild prioritizes tests with the status FAILED
// and truncates the test case results." (CodeBuild User Guide,
// test-report).
const MaxReportTestCases = 500

// Errors a caller may want to tell apart. Every error Parse returns is an
// *Error.
var (
	ErrUnknownFormat = errors.New("unknown report file format")
	ErrTooLarge      = fmt.Errorf("file is larger than %d MiB", MaxFileSize>>20)
)

// Error is a report file that cannot be read.
type Error struct {
	Format string // the file format as given to Parse
	File   string // the file name as given to Parse
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("parse %s report %s: %v", e.Format, e.File, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// TestCase is one test case of a test report, as DescribeTestCases returns
// it. The reportArn and expired fields belong to a stored report and are
// left out.
type TestCase struct {
	TestRawDataPath       string `json:"testRawDataPath"`
	TestSuiteName         string `json:"testSuiteName,omitempty"`
	Prefix                string `json:"prefix,omitempty"`
	Name                  string `json:"name"`
	Status                string `json:"status"`
	DurationInNanoSeconds int64  `json:"durationInNanoSeconds"`
	Message               string `json:"message,omitempty"`
}

// CodeCoverage is the coverage of one source file, as
// DescribeCodeCoverages returns it. The id, reportARN and expired fields
// belong to a stored report and are left out.
type CodeCoverage struct {
	FilePath                 string  `json:"filePath"`
	LineCoveragePercentage   float64 `json:"lineCoveragePercentage"`
	LinesCovered             int     `json:"linesCovered"`
	LinesMissed              int     `json:"linesMissed"`
	BranchCoveragePercentage float64 `json:"branchCoveragePercentage"`
	BranchesCovered          int     `json:"branchesCovered"`
	BranchesMissed           int     `json:"branchesMissed"`
}

// Result is what one report file holds: test cases for a test format,
// per-file coverage for a coverage format.
type Result struct {
	Type       string `json:"type"`       // TypeTest or TypeCodeCoverage
	FileFormat string `json:"fileFormat"` // one of the Format constants
	File       string `json:"file"`       // the file name given to Parse

	// DurationInNanoSeconds is how long the tests of the file ran: the
	// run time the file records for its outermost suite or run when it
	// has one, otherwise the sum of its test cases' durations.
	DurationInNanoSeconds int64 `json:"durationInNanoSeconds,omitempty"`

	Tests    []TestCase     `json:"testCases,omitempty"`
	Coverage []CodeCoverage `json:"codeCoverages,omitempty"`
}

// MarshalJSON writes a test result with its duration and test cases and a
// coverage result with its files, even when there are none.
func (r Result) MarshalJSON() ([]byte, error) {
	if r.Type == TypeCodeCoverage {
		cov := r.Coverage
		if cov == nil {
			cov = []CodeCoverage{}
		}
		return json.Marshal(struct {
			Type       string         `json:"type"`
			FileFormat string         `json:"fileFormat"`
			File       string         `json:"file"`
			Coverage   []CodeCoverage `json:"codeCoverages"`
		}{r.Type, r.FileFormat, r.File, cov})
	}
	tests := r.Tests
	if tests == nil {
		tests = []TestCase{}
	}
	return json.Marshal(struct {
		Type                  string     `json:"type"`
		FileFormat            string     `json:"fileFormat"`
		File                  string     `json:"file"`
		DurationInNanoSeconds int64      `json:"durationInNanoSeconds"`
		Tests                 []TestCase `json:"testCases"`
	}{r.Type, r.FileFormat, r.File, r.DurationInNanoSeconds, tests})
}

// TestReportSummary summarizes the test cases of a report.
type TestReportSummary struct {
	Total                 int            `json:"total"`
	StatusCounts          map[string]int `json:"statusCounts"`
	DurationInNanoSeconds int64          `json:"durationInNanoSeconds"`
}

// CodeCoverageReportSummary summarizes the coverage of a report.
type CodeCoverageReportSummary struct {
	LineCoveragePercentage   float64 `json:"lineCoveragePercentage"`
	LinesCovered             int     `json:"linesCovered"`
	LinesMissed              int     `json:"linesMissed"`
	BranchCoveragePercentage float64 `json:"branchCoveragePercentage"`
	BranchesCovered          int     `json:"branchesCovered"`
	BranchesMissed           int     `json:"branchesMissed"`
}

// Summary holds the fields of a Report that its files determine. Exactly
// one of TestSummary and CodeCoverageSummary is set, after Type.
type Summary struct {
	Type                string                     `json:"type"`
	Status              string                     `json:"status"`
	TestSummary         *TestReportSummary         `json:"testSummary,omitempty"`
	CodeCoverageSummary *CodeCoverageReportSummary `json:"codeCoverageSummary,omitempty"`
}

// formats maps each file format to its report type and parser.
var formats = map[string]struct {
	kind  string
	parse func(r io.Reader, res *Result) error
}{
	FormatCucumberJSON:    {TypeTest, parseCucumber},
	FormatJUnitXML:        {TypeTest, parseJUnit},
	FormatNUnitXML:        {TypeTest, parseNUnit2},
	FormatNUnit3XML:       {TypeTest, parseNUnit3},
	FormatTestNGXML:       {TypeTest, parseTestNG},
	FormatVisualStudioTRX: {TypeTest, parseTRX},
	FormatCloverXML:       {TypeCodeCoverage, parseClover},
	FormatCoberturaXML:    {TypeCodeCoverage, parseCobertura},
	FormatJaCoCoXML:       {TypeCodeCoverage, parseJaCoCo},
	FormatSimpleCov:       {TypeCodeCoverage, parseSimpleCov},
}

// Formats returns the file formats Parse reads, test formats first, in the
// order of the buildspec reference.
func Formats() []string {
	return []string{
		FormatCucumberJSON, FormatJUnitXML, FormatNUnitXML, FormatNUnit3XML,
		FormatTestNGXML, FormatVisualStudioTRX,
		FormatCloverXML, FormatCoberturaXML, FormatJaCoCoXML, FormatSimpleCov,
	}
}

// Kind returns the report type of a file format, TypeTest or
// TypeCodeCoverage, and false for a format it does not know. Case does not
// matter, as in the buildspec.
func Kind(format string) (string, bool) {
	f, ok := formats[strings.ToUpper(format)]
	return f.kind, ok
}

// Parse reads one report file. The format is one of the Format constants,
// in any case; fileName is the file's path as the report shows it
// (testRawDataPath). Parse reads at most MaxFileSize bytes and never
// panics; every failure is an *Error naming the format and the file.
func Parse(format string, data io.Reader, fileName string) (*Result, error) {
	upper := strings.ToUpper(format)
	f, ok := formats[upper]
	if !ok {
		return nil, &Error{Format: format, File: fileName,
			Err: fmt.Errorf("%w %q; want one of %s", ErrUnknownFormat, format, strings.Join(Formats(), ", "))}
	}
	res := &Result{Type: f.kind, FileFormat: upper, File: fileName}
	if err := f.parse(&limitReader{r: data, n: MaxFileSize}, res); err != nil {
		return nil, &Error{Format: upper, File: fileName, Err: err}
	}
	if res.Type == TypeTest {
		if res.Tests == nil {
			res.Tests = []TestCase{}
		}
		for i := range res.Tests {
			res.Tests[i].TestRawDataPath = fileName
		}
	} else if res.Coverage == nil {
		res.Coverage = []CodeCoverage{}
	}
	return res, nil
}

// limitReader reads at most n bytes from r and fails with ErrTooLarge when
// r holds more.
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n < 0 {
		return 0, ErrTooLarge
	}
	if int64(len(p)) > l.n+1 {
		p = p[:l.n+1]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return 0, ErrTooLarge
	}
	return n, err
}

// Summarize sums the results of the files of one report, which must all
// be of one type. A test report is FAILED when a test case FAILED or had
// an ERROR, and SUCCEEDED otherwise; a coverage report is SUCCEEDED.
// StatusCounts always holds the five test case statuses, as CodeBuild
// returns them. Without results, Summarize returns an empty Summary.
func Summarize(results ...*Result) (*Summary, error) {
	s := &Summary{}
	for _, r := range results {
		if r == nil {
			return nil, errors.New("summarize reports: nil result")
		}
		if r.Type != TypeTest && r.Type != TypeCodeCoverage {
			return nil, fmt.Errorf("summarize reports: %s has unknown report type %q", r.File, r.Type)
		}
		if s.Type == "" {
			s.Type = r.Type
		} else if s.Type != r.Type {
			return nil, fmt.Errorf("summarize reports: %s is a %s report, the others are %s", r.File, r.Type, s.Type)
		}
	}
	switch s.Type {
	case TypeTest:
		t := &TestReportSummary{StatusCounts: map[string]int{
			StatusSucceeded: 0, StatusFailed: 0, StatusError: 0, StatusSkipped: 0, StatusUnknown: 0,
		}}
		for _, r := range results {
			t.Total += len(r.Tests)
			for _, c := range r.Tests {
				t.StatusCounts[c.Status]++
			}
			t.DurationInNanoSeconds = addDuration(t.DurationInNanoSeconds, r.DurationInNanoSeconds)
		}
		s.Status = ReportStatusSucceeded
		if t.StatusCounts[StatusFailed]+t.StatusCounts[StatusError] > 0 {
			s.Status = ReportStatusFailed
		}
		s.TestSummary = t
	case TypeCodeCoverage:
		var c CodeCoverageReportSummary
		for _, r := range results {
			for _, f := range r.Coverage {
				c.LinesCovered = addCount(c.LinesCovered, f.LinesCovered)
				c.LinesMissed = addCount(c.LinesMissed, f.LinesMissed)
				c.BranchesCovered = addCount(c.BranchesCovered, f.BranchesCovered)
				c.BranchesMissed = addCount(c.BranchesMissed, f.BranchesMissed)
			}
		}
		c.LineCoveragePercentage = percentage(c.LinesCovered, c.LinesMissed)
		c.BranchCoveragePercentage = percentage(c.BranchesCovered, c.BranchesMissed)
		s.Status = ReportStatusSucceeded
		s.CodeCoverageSummary = &c
	}
	return s, nil
}

// Truncate returns the test cases a report keeps: all of them when there
// are at most MaxReportTestCases, otherwise MaxReportTestCases of them,
// FAILED ones first, then ERROR, UNKNOWN, SKIPPED and SUCCEEDED, each in
// file order. The kept cases stay in their original order. The bool
// reports whether cases were dropped (Report.truncated).
func Truncate(cases []TestCase) ([]TestCase, bool) {
	if len(cases) <= MaxReportTestCases {
		return cases, false
	}
	keep := make([]bool, len(cases))
	left := MaxReportTestCases
	for _, status := range []string{StatusFailed, StatusError, StatusUnknown, StatusSkipped, StatusSucceeded, ""} {
		for i, c := range cases {
			if left == 0 {
				break
			}
			if keep[i] || status != "" && c.Status != status {
				continue
			}
			keep[i] = true
			left--
		}
	}
	kept := make([]TestCase, 0, MaxReportTestCases)
	for i, c := range cases {
		if keep[i] {
			kept = append(kept, c)
		}
	}
	return kept, true
}

// percentage returns covered/(covered+missed) as a percentage rounded to
// two decimals, and 0 when there is nothing to cover.
func percentage(covered, missed int) float64 {
	total := covered + missed
	if total <= 0 || covered <= 0 {
		return 0
	}
	return math.Round(float64(covered)*10000/float64(total)) / 100
}

// newCoverage returns the coverage of a file from its counts.
func newCoverage(path string, linesCovered, linesMissed, branchesCovered, branchesMissed int) CodeCoverage {
	return CodeCoverage{
		FilePath:                 path,
		LineCoveragePercentage:   percentage(linesCovered, linesMissed),
		LinesCovered:             linesCovered,
		LinesMissed:              linesMissed,
		BranchCoveragePercentage: percentage(branchesCovered, branchesMissed),
		BranchesCovered:          branchesCovered,
		BranchesMissed:           branchesMissed,
	}
}

// addDuration adds two non-negative durations, saturating at the largest
// int64.
func addDuration(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// errTooManyFiles is the error for a coverage file with more than
// MaxCoverageFiles source files.
var errTooManyFiles = fmt.Errorf("more than %d source files", MaxCoverageFiles)

// addCoverage appends the coverage of a source file, failing once a file
// holds more than MaxCoverageFiles.
func addCoverage(res *Result, c CodeCoverage) error {
	if len(res.Coverage) >= MaxCoverageFiles {
		return errTooManyFiles
	}
	res.Coverage = append(res.Coverage, c)
	return nil
}

// errTooManyTests is the error for a file with more than MaxTestCases.
var errTooManyTests = fmt.Errorf("more than %d test cases", MaxTestCases)

// addCount adds two non-negative counts, saturating at the largest int.
func addCount(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// addTest appends a test case, failing once a file holds more than
// MaxTestCases.
func addTest(res *Result, c TestCase) error {
	if len(res.Tests) >= MaxTestCases {
		return errTooManyTests
	}
	res.Tests = append(res.Tests, c)
	return nil
}
