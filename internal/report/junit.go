package report

import (
	"encoding/xml"
	"io"
	"strings"
)

// junitProblem is a <failure>, <error> or <skipped> element.
type junitProblem struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// text returns the message of a problem: its message attribute, then its
// text (usually the stack trace), leaving out the attribute when the text
// repeats it.
func (p junitProblem) text() string {
	msg := strings.TrimSpace(p.Message)
	body := strings.TrimSpace(p.Text)
	if msg != "" && strings.Contains(body, msg) {
		return body
	}
	return message(msg, body)
}

// parseJUnit reads a JUnit XML report: a <testsuites> root holding
// <testsuite> elements, or a single <testsuite> root. Suites may nest.
//
// A test case with an <error> is ERROR, with a <failure> FAILED, with
// <skipped> SKIPPED, and SUCCEEDED otherwise; Surefire's <flakyFailure>
// and <rerunFailure> marks do not change that, so a test that passed on a
// rerun SUCCEEDED. The prefix is the classname attribute, the suite name
// that of the innermost enclosing <testsuite>. <system-out> and
// <system-err> are ignored.
func parseJUnit(r io.Reader, res *Result) error {
	d := newXMLDoc(r)
	root, err := d.root("testsuites", "testsuite")
	if err != nil {
		return err
	}
	var (
		suites []string
		timer  suiteTimer
		tc     *TestCase // the open <testcase>
		seen   int       // kinds of problems the open test case has
	)
	if root.Name.Local == "testsuite" {
		suites = append(suites, attr(root, "name"))
		timer.push(seconds(attr(root, "time")))
	} else {
		// Test cases directly under <testsuites> take its name.
		suites = append(suites, attr(root, "name"))
	}
	// rank orders the problems of a test case: an error outranks a
	// failure, which outranks a skip.
	rank := map[string]int{"skipped": 1, "failure": 2, "error": 3}
	status := map[string]string{"skipped": StatusSkipped, "failure": StatusFailed, "error": StatusError}
	err = d.walk(func(se xml.StartElement, _ int) (bool, error) {
		name := se.Name.Local
		if tc != nil {
			// Inside a <testcase>: keep the first problem of the
			// highest rank, skip everything else.
			if r := rank[name]; r > seen && d.tokParent() == "testcase" {
				var p junitProblem
				if err := d.DecodeElement(&p, &se); err != nil {
					return true, err
				}
				seen = r
				tc.Status, tc.Message = status[name], p.text()
				return true, nil
			}
			return true, d.Skip()
		}
		switch name {
		case "testsuite":
			suites = append(suites, attr(se, "name"))
			timer.push(seconds(attr(se, "time")))
			return false, nil
		case "testcase":
			tc = &TestCase{
				TestSuiteName: suites[len(suites)-1],
				Prefix:        attr(se, "classname"),
				Name:          attr(se, "name"),
				Status:        StatusSucceeded,
			}
			if tc.Prefix == "" {
				tc.Prefix = attr(se, "class")
			}
			tc.DurationInNanoSeconds, _ = seconds(attr(se, "time"))
			seen = 0
			return false, nil
		}
		// <properties>, <system-out> and the like.
		return true, d.Skip()
	}, func(name string, depth int) error {
		switch name {
		case "testsuite":
			suites = suites[:len(suites)-1]
			timer.pop()
		case "testcase":
			timer.add(tc.DurationInNanoSeconds)
			err := addTest(res, *tc)
			tc = nil
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	res.DurationInNanoSeconds = timer.total
	if root.Name.Local == "testsuites" {
		if d, ok := seconds(attr(root, "time")); ok {
			res.DurationInNanoSeconds = d
		}
	}
	return nil
}
