package report

import (
	"encoding/xml"
	"io"
	"strings"
)

// nunitSuite is an open <test-suite> of an NUnit report.
type nunitSuite struct {
	kind     string // the type attribute: Assembly, Namespace, TestFixture, ...
	name     string
	fullName string // NUnit 3 only
}

// nunitFixture returns the innermost fixture among the open suites, and
// its index, or -1.
func nunitFixture(suites []nunitSuite) int {
	for i := len(suites) - 1; i >= 0; i-- {
		switch suites[i].kind {
		case "TestFixture", "GenericFixture", "ParameterizedFixture", "SetUpFixture":
			return i
		}
	}
	return -1
}

// nunitSuiteName is the test suite name of a test case: the name of the
// innermost fixture, else of the innermost suite.
func nunitSuiteName(suites []nunitSuite) string {
	if i := nunitFixture(suites); i >= 0 {
		return suites[i].name
	}
	if len(suites) > 0 {
		return suites[len(suites)-1].name
	}
	return ""
}

// namePrefix returns the part of a qualified test name before the method:
// "NUnit.Tests.Fixture" for "NUnit.Tests.Fixture.Method(1.5)".
func namePrefix(name string) string {
	head := name
	if i := strings.IndexByte(head, '('); i >= 0 {
		head = head[:i]
	}
	if i := strings.LastIndexByte(head, '.'); i >= 0 {
		return head[:i]
	}
	return ""
}

// nunitMessage joins the parts of an NUnit failure or reason. Each part
// ends with a newline, as CodeBuild shows them: "No arguments were
// provided\n" for a not runnable test (aws-cli example of
// describe-test-cases).
func nunitMessage(parts ...string) string {
	m := message(parts...)
	if m == "" {
		return ""
	}
	return m + "\n"
}

// nunitCaseMessage is a test case's message: its failure's message and
// stack trace, or the reason it was not run.
func nunitCaseMessage(failure, reason *nunitFailure) string {
	var f nunitFailure
	if failure != nil {
		f = *failure
	}
	var r string
	if reason != nil {
		r = reason.Message
	}
	return nunitMessage(f.Message, f.StackTrace, r)
}

// nunitFailure is the <failure> or <reason> of an NUnit test case.
type nunitFailure struct {
	Message    string `xml:"message"`
	StackTrace string `xml:"stack-trace"`
}

// nunit2Case is a <test-case> of an NUnit 2 report.
type nunit2Case struct {
	Name     string        `xml:"name,attr"`
	Executed string        `xml:"executed,attr"`
	Result   string        `xml:"result,attr"`
	Success  string        `xml:"success,attr"`
	Time     string        `xml:"time,attr"`
	Failure  *nunitFailure `xml:"failure"`
	Reason   *nunitFailure `xml:"reason"`
}

// nunit2Status maps the result attribute of an NUnit 2.5+ test case. The
// grouping follows CodeBuild's counts for NUnit's own sample report
// (mock-assembly: 18 Success, 1 Failure, 1 Error, 3 NotRunnable, 1
// Inconclusive, 4 Ignored), which DescribeTestCases and BatchGetReports
// show as 18 SUCCEEDED, 1 FAILED, 5 ERROR and 4 SKIPPED (aws-cli examples
// describe-test-cases and batch-get-reports). Cancelled is an error too.
// Before 2.5 there was no result attribute, only executed and success.
func nunit2Status(c *nunit2Case) string {
	switch c.Result {
	case "Success":
		return StatusSucceeded
	case "Failure":
		return StatusFailed
	case "Error", "NotRunnable", "Inconclusive", "Cancelled":
		return StatusError
	case "Ignored", "Skipped":
		return StatusSkipped
	case "":
		switch {
		case strings.EqualFold(c.Executed, "False"):
			return StatusSkipped
		case strings.EqualFold(c.Success, "True"):
			return StatusSucceeded
		case strings.EqualFold(c.Success, "False"):
			return StatusFailed
		}
	}
	return StatusUnknown
}

// parseNUnit2 reads an NUnit 2 report: a <test-results> root, suites
// (<test-suite type="Assembly|Namespace|TestFixture|...">) holding their
// children in <results>, and <test-case> elements with fully qualified
// names.
//
// The name is the test case's name; the prefix is the fully qualified
// name of its fixture, built from the enclosing Namespace suites and the
// fixture ("NUnit.Tests.Assemblies.MockTestFixture" in the aws-cli
// example); the suite name is the fixture's name. The run time is the
// time of the outermost suites, which is what BatchGetReports shows for
// the sample report (94000000 ns for the assembly's time="0.094").
func parseNUnit2(r io.Reader, res *Result) error {
	d := newXMLDoc(r)
	if _, err := d.root("test-results"); err != nil {
		return err
	}
	var (
		suites []nunitSuite
		timer  suiteTimer
	)
	err := d.walk(func(se xml.StartElement, _ int) (bool, error) {
		switch se.Name.Local {
		case "test-suite":
			suites = append(suites, nunitSuite{kind: attr(se, "type"), name: attr(se, "name")})
			timer.push(seconds(attr(se, "time")))
			return false, nil
		case "results":
			return false, nil
		case "test-case":
			var c nunit2Case
			if err := d.DecodeElement(&c, &se); err != nil {
				return true, err
			}
			tc := TestCase{
				TestSuiteName: nunitSuiteName(suites),
				Prefix:        nunit2Prefix(suites, c.Name),
				Name:          c.Name,
				Status:        nunit2Status(&c),
			}
			tc.DurationInNanoSeconds, _ = seconds(c.Time)
			tc.Message = nunitCaseMessage(c.Failure, c.Reason)
			timer.add(tc.DurationInNanoSeconds)
			return true, addTest(res, tc)
		}
		return true, d.Skip()
	}, func(name string, _ int) error {
		if name == "test-suite" {
			suites = suites[:len(suites)-1]
			timer.pop()
		}
		return nil
	})
	if err != nil {
		return err
	}
	res.DurationInNanoSeconds = timer.total
	return nil
}

// nunit2Prefix is the fully qualified name of the fixture of a test case:
// the names of the Namespace suites above the innermost fixture and the
// fixture's own, joined with dots. Without a fixture it is the test name
// up to its method.
func nunit2Prefix(suites []nunitSuite, name string) string {
	i := nunitFixture(suites)
	if i < 0 {
		return namePrefix(name)
	}
	var parts []string
	for _, s := range suites[:i] {
		if s.kind == "Namespace" {
			parts = append(parts, s.name)
		}
	}
	return strings.Join(append(parts, suites[i].name), ".")
}

// nunit3Case is a <test-case> of an NUnit 3 report.
type nunit3Case struct {
	Name      string        `xml:"name,attr"`
	FullName  string        `xml:"fullname,attr"`
	ClassName string        `xml:"classname,attr"`
	Result    string        `xml:"result,attr"`
	Label     string        `xml:"label,attr"`
	Duration  string        `xml:"duration,attr"`
	Failure   *nunitFailure `xml:"failure"`
	Reason    *nunitFailure `xml:"reason"`
}

// nunit3Status maps the result and label of an NUnit 3 test case, the way
// nunit2Status maps NUnit 2 results: NUnit 3 writes an NUnit 2 Error,
// NotRunnable or Cancelled result as Failed with the label Error, Invalid
// or Cancelled, and an Ignored one as Skipped with the label Ignored.
// Warning (NUnit 3.7+) is neither a pass nor a failure: UNKNOWN.
func nunit3Status(c *nunit3Case) string {
	switch c.Result {
	case "Passed":
		return StatusSucceeded
	case "Failed":
		switch c.Label {
		case "Error", "Invalid", "Cancelled":
			return StatusError
		}
		return StatusFailed
	case "Skipped":
		return StatusSkipped
	case "Inconclusive":
		return StatusError
	}
	return StatusUnknown
}

// parseNUnit3 reads an NUnit 3 report: a <test-run> root, nested
// <test-suite> elements and <test-case> elements with name, fullname and
// classname attributes.
//
// The name is the fullname; the prefix is the classname (else the
// fixture's fullname); the suite name is the fixture's name. The run time
// is the duration of the <test-run>, else of its outermost suites.
func parseNUnit3(r io.Reader, res *Result) error {
	d := newXMLDoc(r)
	root, err := d.root("test-run")
	if err != nil {
		return err
	}
	var (
		suites []nunitSuite
		timer  suiteTimer
	)
	err = d.walk(func(se xml.StartElement, _ int) (bool, error) {
		switch se.Name.Local {
		case "test-suite":
			suites = append(suites, nunitSuite{kind: attr(se, "type"), name: attr(se, "name"), fullName: attr(se, "fullname")})
			timer.push(seconds(attr(se, "duration")))
			return false, nil
		case "test-case":
			var c nunit3Case
			if err := d.DecodeElement(&c, &se); err != nil {
				return true, err
			}
			tc := TestCase{
				TestSuiteName: nunitSuiteName(suites),
				Prefix:        c.ClassName,
				Name:          c.FullName,
				Status:        nunit3Status(&c),
			}
			if tc.Name == "" {
				tc.Name = c.Name
			}
			if tc.Prefix == "" {
				if i := nunitFixture(suites); i >= 0 && suites[i].fullName != "" {
					tc.Prefix = suites[i].fullName
				} else {
					tc.Prefix = namePrefix(tc.Name)
				}
			}
			tc.DurationInNanoSeconds, _ = seconds(c.Duration)
			tc.Message = nunitCaseMessage(c.Failure, c.Reason)
			timer.add(tc.DurationInNanoSeconds)
			return true, addTest(res, tc)
		}
		return true, d.Skip()
	}, func(name string, _ int) error {
		if name == "test-suite" {
			suites = suites[:len(suites)-1]
			timer.pop()
		}
		return nil
	})
	if err != nil {
		return err
	}
	res.DurationInNanoSeconds = timer.total
	if dur, ok := seconds(attr(root, "duration")); ok {
		res.DurationInNanoSeconds = dur
	}
	return nil
}
