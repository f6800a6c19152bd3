package report

import (
	"encoding/xml"
	"io"
	"strings"
)

// testngMethod is a <test-method> of a TestNG report.
type testngMethod struct {
	Name       string       `xml:"name,attr"`
	Status     string       `xml:"status,attr"`
	DurationMs string       `xml:"duration-ms,attr"`
	IsConfig   string       `xml:"is-config,attr"`
	Params     testngParams `xml:"params"`
	Exception  *struct {
		Class          string `xml:"class,attr"`
		Message        string `xml:"message"`
		FullStacktrace string `xml:"full-stacktrace"`
	} `xml:"exception"`
}

// testngParams holds the first maxParams parameters of a test method.
type testngParams []testngParam

// maxParams bounds the parameters kept for a test method's name.
const maxParams = 64

func (p *testngParams) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	for {
		t, err := d.Token()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			if t.Name.Local != "param" || len(*p) >= maxParams {
				if err := d.Skip(); err != nil {
					return err
				}
				continue
			}
			var v testngParam
			if err := d.DecodeElement(&v, &t); err != nil {
				return err
			}
			*p = append(*p, v)
		case xml.EndElement:
			return nil
		}
	}
}

type testngParam struct {
	Value struct {
		IsNull string `xml:"is-null,attr"`
		Text   string `xml:",chardata"`
	} `xml:"value"`
}

// name returns the name of a test method, with the parameters of a data
// provider invocation appended, "add(1, 2, 3)", so the invocations can be
// told apart.
func (m *testngMethod) name() string {
	if len(m.Params) == 0 {
		return m.Name
	}
	vals := make([]string, len(m.Params))
	for i, p := range m.Params {
		vals[i] = strings.TrimSpace(p.Value.Text)
		if p.Value.IsNull == "true" {
			vals[i] = "null"
		}
	}
	return m.Name + "(" + strings.Join(vals, ", ") + ")"
}

// message returns the exception of a test method: its full stack trace,
// which starts with the class and message, or else the class and message.
func (m *testngMethod) message() string {
	e := m.Exception
	if e == nil {
		return ""
	}
	head := strings.TrimSpace(e.Class)
	if msg := strings.TrimSpace(e.Message); msg != "" {
		if head != "" {
			head += ": "
		}
		head += msg
	}
	stack := strings.TrimSpace(e.FullStacktrace)
	if stack != "" && (head == "" || strings.Contains(stack, strings.TrimSpace(e.Message))) {
		return stack
	}
	return message(head, stack)
}

// testngStatus maps the status of a test method. TestNG writes PASS, FAIL
// and SKIP; SUCCESS_PERCENTAGE_FAILURE, a failure within the method's
// allowed success percentage, is neither: UNKNOWN.
func testngStatus(s string) string {
	switch s {
	case "PASS":
		return StatusSucceeded
	case "FAIL":
		return StatusFailed
	case "SKIP":
		return StatusSkipped
	}
	return StatusUnknown
}

// parseTestNG reads a TestNG report (testng-results.xml):
// <testng-results><suite><test><class><test-method>. Configuration
// methods (is-config="true": @BeforeMethod and the like) are not test
// cases. The prefix is the class name, the suite name the <suite>'s.
// The run time is the sum of the suites' duration-ms.
func parseTestNG(r io.Reader, res *Result) error {
	d := newXMLDoc(r)
	if _, err := d.root("testng-results"); err != nil {
		return err
	}
	var (
		suite, class string
		timer        suiteTimer
	)
	err := d.walk(func(se xml.StartElement, _ int) (bool, error) {
		switch se.Name.Local {
		case "suite":
			suite = attr(se, "name")
			timer.push(milliseconds(attr(se, "duration-ms")))
			return false, nil
		case "test":
			return false, nil
		case "class":
			class = attr(se, "name")
			return false, nil
		case "test-method":
			var m testngMethod
			if err := d.DecodeElement(&m, &se); err != nil {
				return true, err
			}
			if m.IsConfig == "true" {
				return true, nil
			}
			tc := TestCase{
				TestSuiteName: suite,
				Prefix:        class,
				Name:          m.name(),
				Status:        testngStatus(m.Status),
				Message:       m.message(),
			}
			tc.DurationInNanoSeconds, _ = milliseconds(m.DurationMs)
			timer.add(tc.DurationInNanoSeconds)
			return true, addTest(res, tc)
		}
		return true, d.Skip()
	}, func(name string, _ int) error {
		switch name {
		case "suite":
			suite = ""
			timer.pop()
		case "class":
			class = ""
		}
		return nil
	})
	if err != nil {
		return err
	}
	res.DurationInNanoSeconds = timer.total
	return nil
}
