package report

import (
	"encoding/xml"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// trxResult is a test result of a TRX file: a <UnitTestResult> or another
// element of <Results> with the same attributes. Data-driven tests hold
// one result per data row in <InnerResults>.
type trxResult struct {
	TestID       string   `xml:"testId,attr"`
	TestName     string   `xml:"testName,attr"`
	Outcome      string   `xml:"outcome,attr"`
	Duration     string   `xml:"duration,attr"`
	Message      string   `xml:"Output>ErrorInfo>Message"`
	StackTrace   string   `xml:"Output>ErrorInfo>StackTrace"`
	InnerResults trxInner `xml:"InnerResults"`
}

// trxInner holds the inner results of a result. It counts every result
// it decodes against a limit shared by the whole file, so that nested
// results cannot take more memory than MaxTestCases allow.
type trxInner struct {
	Results []trxResult
	count   *int // results decoded so far in the file
}

func (in *trxInner) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	for {
		t, err := d.Token()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			if *in.count >= MaxTestCases {
				return errTooManyTests
			}
			*in.count++
			r := trxResult{InnerResults: trxInner{count: in.count}}
			if err := d.DecodeElement(&r, &t); err != nil {
				return err
			}
			in.Results = append(in.Results, r)
		case xml.EndElement:
			return nil
		}
	}
}

// trxDefinition is a <UnitTest> of <TestDefinitions>.
type trxDefinition struct {
	ID         string `xml:"id,attr"`
	Storage    string `xml:"storage,attr"`
	TestMethod struct {
		ClassName string `xml:"className,attr"`
		CodeBase  string `xml:"codeBase,attr"`
	} `xml:"TestMethod"`
}

// trxStatus maps a TRX outcome (the TestOutcome enumeration of Visual
// Studio's test framework) to a test case status: a test that never ran
// (NotExecuted) is SKIPPED; one that could not run or was stopped (Error,
// Timeout, Aborted, NotRunnable) is an ERROR; Inconclusive, Warning and
// the outcomes of unfinished runs are UNKNOWN.
func trxStatus(outcome string) string {
	switch outcome {
	case "Passed", "PassedButRunAborted":
		return StatusSucceeded
	case "Failed":
		return StatusFailed
	case "Error", "Timeout", "Aborted", "NotRunnable":
		return StatusError
	case "NotExecuted":
		return StatusSkipped
	}
	return StatusUnknown
}

// parseTRX reads a Visual Studio TRX file: a <TestRun> whose <Results>
// hold the results and whose <TestDefinitions> give each test's class.
//
// The name is the result's testName; the prefix is the class of its
// definition, without the assembly qualification older files add
// ("Ns.Class, Ns, Version=1.0.0.0" becomes "Ns.Class"); the suite name is
// the file name of the test assembly. A data-driven test becomes one test
// case per data row. The run time is from <Times start> to <Times
// finish>, else the sum of the results' durations.
func parseTRX(r io.Reader, res *Result) error {
	d := newXMLDoc(r)
	if _, err := d.root("TestRun"); err != nil {
		return err
	}
	var (
		results       []trxResult
		defs          = map[string]trxDefinition{}
		start, finish string
		count         int // results decoded, inner ones included
	)
	err := d.walk(func(se xml.StartElement, depth int) (bool, error) {
		switch {
		case depth == 1 && (se.Name.Local == "Results" || se.Name.Local == "TestDefinitions"):
			return false, nil
		case depth == 1 && se.Name.Local == "Times":
			start, finish = attr(se, "start"), attr(se, "finish")
			return true, d.Skip()
		case depth == 2 && d.tokParent() == "Results":
			if count >= MaxTestCases {
				return true, errTooManyTests
			}
			count++
			tr := trxResult{InnerResults: trxInner{count: &count}}
			if err := d.DecodeElement(&tr, &se); err != nil {
				return true, err
			}
			results = append(results, tr)
			return true, nil
		case depth == 2 && d.tokParent() == "TestDefinitions":
			var def trxDefinition
			if err := d.DecodeElement(&def, &se); err != nil {
				return true, err
			}
			defs[def.ID] = def
			return true, nil
		}
		return true, d.Skip()
	}, nil)
	if err != nil {
		return err
	}
	var total int64
	var add func(tr *trxResult) error
	add = func(tr *trxResult) error {
		if len(tr.InnerResults.Results) > 0 {
			for i := range tr.InnerResults.Results {
				if err := add(&tr.InnerResults.Results[i]); err != nil {
					return err
				}
			}
			return nil
		}
		def := defs[tr.TestID]
		tc := TestCase{
			TestSuiteName: baseName(def.TestMethod.CodeBase),
			Prefix:        className(def.TestMethod.ClassName),
			Name:          tr.TestName,
			Status:        trxStatus(tr.Outcome),
			Message:       message(tr.Message, tr.StackTrace),
		}
		if tc.TestSuiteName == "" {
			tc.TestSuiteName = baseName(def.Storage)
		}
		tc.DurationInNanoSeconds, _ = timeSpan(tr.Duration)
		total = addDuration(total, tc.DurationInNanoSeconds)
		return addTest(res, tc)
	}
	for i := range results {
		// An inner result takes its class from its own definition, or
		// else from its parent's.
		for j := range results[i].InnerResults.Results {
			inheritTestID(&results[i].InnerResults.Results[j], results[i].TestID, defs)
		}
		if err := add(&results[i]); err != nil {
			return err
		}
	}
	res.DurationInNanoSeconds = total
	if s, err1 := time.Parse(time.RFC3339Nano, start); err1 == nil {
		if f, err2 := time.Parse(time.RFC3339Nano, finish); err2 == nil && !f.Before(s) {
			res.DurationInNanoSeconds = f.Sub(s).Nanoseconds()
		}
	}
	return nil
}

// inheritTestID gives an inner result without a definition of its own the
// test ID of its parent, recursively.
func inheritTestID(tr *trxResult, parent string, defs map[string]trxDefinition) {
	if _, ok := defs[tr.TestID]; !ok {
		tr.TestID = parent
	}
	for i := range tr.InnerResults.Results {
		inheritTestID(&tr.InnerResults.Results[i], tr.TestID, defs)
	}
}

// tokParent returns the local name of the element enclosing the next
// token's element: the parent of a start tag just read.
func (d *xmlDoc) tokParent() string {
	s := d.tok.stack
	if len(s) < 2 {
		return ""
	}
	return s[len(s)-2].Local
}

// className strips the assembly qualification from a .NET type name.
func className(s string) string {
	if i := strings.IndexByte(s, ','); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// baseName returns the last element of a Windows or Unix path.
func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// timeSpan parses a .NET TimeSpan as TRX files write durations,
// "[d.]hh:mm:ss[.fffffff]", into nanoseconds.
func timeSpan(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-") {
		return 0, false
	}
	var days int64
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0, false
	}
	hours := parts[0]
	if i := strings.IndexByte(hours, '.'); i >= 0 {
		d, err := strconv.ParseInt(hours[:i], 10, 64)
		if err != nil || d < 0 || d > 100000 {
			return 0, false
		}
		days, hours = d, hours[i+1:]
	}
	h, err1 := strconv.ParseInt(hours, 10, 64)
	m, err2 := strconv.ParseInt(parts[1], 10, 64)
	sec, err3 := strconv.ParseFloat(parts[2], 64)
	if err1 != nil || err2 != nil || err3 != nil || h < 0 || h > 1e6 || m < 0 || m > 59 || !(sec >= 0 && sec < 60) {
		return 0, false
	}
	whole := ((days*24+h)*60 + m) * 60
	if whole > maxSeconds-60 {
		return 0, false
	}
	return whole*1e9 + int64(math.Round(sec*1e9)), true
}
