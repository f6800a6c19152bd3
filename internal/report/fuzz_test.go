package report_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/codeyard/codeyard/internal/report"
	"github.com/google/go-cmp/cmp"
)

// The fuzz targets run every input through all the formats of a family,
// so that a document of one format also exercises the others' handling
// of unexpected elements. They are seeded with the golden report files
// and the bad inputs of TestParseErrors; testdata/fuzz holds any input
// the fuzzer finds failing.

func FuzzParseTestXML(f *testing.F) {
	fuzzFamily(f, report.FormatJUnitXML, report.FormatNUnitXML, report.FormatNUnit3XML, report.FormatTestNGXML, report.FormatVisualStudioTRX)
}

func FuzzParseCoverageXML(f *testing.F) {
	fuzzFamily(f, report.FormatCloverXML, report.FormatCoberturaXML, report.FormatJaCoCoXML)
}

func FuzzParseJSON(f *testing.F) {
	fuzzFamily(f, report.FormatCucumberJSON, report.FormatSimpleCov)
}

// fuzzFamily checks that Parse never panics on any input in any of the
// formats, and that whatever it returns is consistent.
func fuzzFamily(f *testing.F, formats ...string) {
	for _, g := range goldenFiles(f) {
		for _, format := range formats {
			if g.format == format {
				f.Add(g.input)
			}
		}
	}
	for _, s := range []string{
		"", "<", "{", "[", "null", "<testsuite/>", billionLaughs,
		`<?xml version="1.0" encoding="ISO-8859-1"?><coverage/>`,
		`[{"elements":[{"type":"background","steps":[{"result":{"status":"failed"}}]},{"steps":[]}]}]`,
		`{"A":{"coverage":{"/x.rb":{"lines":[1,null,0],"branches":{"c":{"t":1,"e":0}}}}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range formats {
			checkParse(t, format, data)
		}
	})
}

func checkParse(t *testing.T, format string, data []byte) {
	res, err := report.Parse(format, bytes.NewReader(data), "f")
	if err != nil {
		var e *report.Error
		if !errors.As(err, &e) {
			t.Fatalf("Parse(%s) error is %T, want *report.Error: %v", format, err, err)
		}
		if !strings.HasPrefix(err.Error(), "parse "+format+" report f: ") || len(err.Error()) == len("parse "+format+" report f: ") {
			t.Fatalf("Parse(%s) error %q does not name the format and file, or says nothing else", format, err)
		}
		if res != nil {
			t.Fatalf("Parse(%s) returned a result with its error", format)
		}
		return
	}
	kind, _ := report.Kind(format)
	if res.Type != kind || res.FileFormat != format || res.File != "f" {
		t.Fatalf("Parse(%s) = type %q, format %q, file %q", format, res.Type, res.FileFormat, res.File)
	}
	again, err := report.Parse(format, bytes.NewReader(data), "f")
	if err != nil {
		t.Fatalf("second Parse(%s) failed: %v", format, err)
	}
	if diff := cmp.Diff(res, again); diff != "" {
		t.Fatalf("second Parse(%s) differs (-first +second):\n%s", format, diff)
	}
	sum, err := report.Summarize(res)
	if err != nil {
		t.Fatalf("Summarize(Parse(%s)): %v", format, err)
	}
	if sum.Type != kind {
		t.Fatalf("Summarize(Parse(%s)).Type = %q, want %q", format, sum.Type, kind)
	}
	if kind == report.TypeTest {
		checkTests(t, format, res, sum)
	} else {
		checkCoverage(t, format, res, sum)
	}
	// The JSON of a result reads back as the same result.
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatalf("json.Marshal(Parse(%s)): %v", format, err)
	}
	var back report.Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("json.Unmarshal(json.Marshal(Parse(%s))): %v", format, err)
	}
	if diff := cmp.Diff(res, &back); diff != "" {
		t.Fatalf("Parse(%s) result changes through JSON (-before +after):\n%s", format, diff)
	}
}

func checkTests(t *testing.T, format string, res *report.Result, sum *report.Summary) {
	if res.Coverage != nil || res.Tests == nil || sum.TestSummary == nil || sum.CodeCoverageSummary != nil {
		t.Fatalf("Parse(%s) test result holds the wrong lists", format)
	}
	if len(res.Tests) > report.MaxTestCases || res.DurationInNanoSeconds < 0 {
		t.Fatalf("Parse(%s) = %d test cases, duration %d", format, len(res.Tests), res.DurationInNanoSeconds)
	}
	counts := map[string]int{}
	for _, c := range res.Tests {
		switch c.Status {
		case report.StatusSucceeded, report.StatusFailed, report.StatusError, report.StatusSkipped, report.StatusUnknown:
		default:
			t.Fatalf("Parse(%s) test case %q has status %q", format, c.Name, c.Status)
		}
		if c.DurationInNanoSeconds < 0 || c.TestRawDataPath != "f" {
			t.Fatalf("Parse(%s) test case %q: duration %d, raw data path %q", format, c.Name, c.DurationInNanoSeconds, c.TestRawDataPath)
		}
		counts[c.Status]++
	}
	ts := sum.TestSummary
	total := 0
	for status, n := range ts.StatusCounts {
		if n != counts[status] {
			t.Fatalf("Summarize(Parse(%s)) counts %d %s, the result has %d", format, n, status, counts[status])
		}
		total += n
	}
	if len(ts.StatusCounts) != 5 || ts.Total != len(res.Tests) || total != ts.Total {
		t.Fatalf("Summarize(Parse(%s)) = %+v for %d test cases", format, ts, len(res.Tests))
	}
	if ts.DurationInNanoSeconds != res.DurationInNanoSeconds {
		t.Fatalf("Summarize(Parse(%s)) duration %d, the result's is %d", format, ts.DurationInNanoSeconds, res.DurationInNanoSeconds)
	}
	failed := counts[report.StatusFailed]+counts[report.StatusError] > 0
	if failed != (sum.Status == report.ReportStatusFailed) {
		t.Fatalf("Summarize(Parse(%s)) status %s with counts %v", format, sum.Status, ts.StatusCounts)
	}
}

func checkCoverage(t *testing.T, format string, res *report.Result, sum *report.Summary) {
	if res.Tests != nil || res.Coverage == nil || sum.CodeCoverageSummary == nil || sum.TestSummary != nil {
		t.Fatalf("Parse(%s) coverage result holds the wrong lists", format)
	}
	if len(res.Coverage) > report.MaxCoverageFiles || res.DurationInNanoSeconds != 0 {
		t.Fatalf("Parse(%s) = %d files, duration %d", format, len(res.Coverage), res.DurationInNanoSeconds)
	}
	var lc, lm, bc, bm int
	for _, c := range res.Coverage {
		checkPercentage(t, format, c.FilePath+" lines", c.LineCoveragePercentage, c.LinesCovered, c.LinesMissed)
		checkPercentage(t, format, c.FilePath+" branches", c.BranchCoveragePercentage, c.BranchesCovered, c.BranchesMissed)
		lc += c.LinesCovered
		lm += c.LinesMissed
		bc += c.BranchesCovered
		bm += c.BranchesMissed
	}
	s := sum.CodeCoverageSummary
	if s.LinesCovered != lc || s.LinesMissed != lm || s.BranchesCovered != bc || s.BranchesMissed != bm {
		t.Fatalf("Summarize(Parse(%s)) = %+v, the files add up to lines %d/%d, branches %d/%d", format, s, lc, lm, bc, bm)
	}
	checkPercentage(t, format, "summary lines", s.LineCoveragePercentage, lc, lm)
	checkPercentage(t, format, "summary branches", s.BranchCoveragePercentage, bc, bm)
}

// checkPercentage checks that a percentage lies in [0, 100] and is what its
// counts give.
func checkPercentage(t *testing.T, format, what string, pct float64, covered, missed int) {
	if covered < 0 || missed < 0 || !(pct >= 0 && pct <= 100) {
		t.Fatalf("Parse(%s) %s: %v%% of %d covered, %d missed", format, what, pct, covered, missed)
	}
	want := 0.0
	if covered+missed > 0 {
		want = float64(covered) * 100 / float64(covered+missed)
	}
	if math.Abs(pct-want) > 0.005+1e-9 {
		t.Fatalf("Parse(%s) %s: %v%%, want %v%% for %d covered, %d missed", format, what, pct, want, covered, missed)
	}
}
