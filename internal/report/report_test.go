package report_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codeyard/codeyard/internal/report"
	"github.com/google/go-cmp/cmp"
)

func TestKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		format string
		want   string
		ok     bool
	}{
		{format: "CUCUMBERJSON", want: report.TypeTest, ok: true},
		{format: "JUNITXML", want: report.TypeTest, ok: true},
		{format: "NUNITXML", want: report.TypeTest, ok: true},
		{format: "NUNIT3XML", want: report.TypeTest, ok: true},
		{format: "TESTNGXML", want: report.TypeTest, ok: true},
		{format: "VISUALSTUDIOTRX", want: report.TypeTest, ok: true},
		{format: "CLOVERXML", want: report.TypeCodeCoverage, ok: true},
		{format: "COBERTURAXML", want: report.TypeCodeCoverage, ok: true},
		{format: "JACOCOXML", want: report.TypeCodeCoverage, ok: true},
		{format: "SIMPLECOV", want: report.TypeCodeCoverage, ok: true},
		{format: "junitxml", want: report.TypeTest, ok: true},
		{format: "SimpleCov", want: report.TypeCodeCoverage, ok: true},
		{format: "LCOVINFO"},
		{format: ""},
	}
	for _, tt := range tests {
		got, ok := report.Kind(tt.format)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Kind(%q) = %q, %v, want %q, %v", tt.format, got, ok, tt.want, tt.ok)
		}
	}
	if got := len(report.Formats()); got != 10 {
		t.Errorf("len(Formats()) = %d, want 10", got)
	}
	for _, f := range report.Formats() {
		if _, ok := report.Kind(f); !ok {
			t.Errorf("Kind(%q) of a format Formats lists = false", f)
		}
	}
}

// billionLaughs declares entities that expand to 10^9 "lol"s.
const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<testsuite name="lolz"><testcase name="&lol9;"/></testsuite>`

// TestParseErrors checks the exact error of every kind of bad input.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	junitCase := `<testcase name="x"/>`
	tests := []struct {
		name   string
		format string
		input  string
		want   string
	}{
		{
			name: "unknown format", format: "LCOV", input: "TN:\n",
			want: `parse LCOV report f: unknown report file format "LCOV"; want one of CUCUMBERJSON, JUNITXML, NUNITXML, NUNIT3XML, TESTNGXML, VISUALSTUDIOTRX, CLOVERXML, COBERTURAXML, JACOCOXML, SIMPLECOV`,
		},
		// XML, the same for every XML format.
		{
			name: "empty", format: "JUNITXML", input: "",
			want: "parse JUNITXML report f: no root element; want <testsuites> or <testsuite>",
		},
		{
			name: "only white space and a declaration", format: "NUNITXML", input: "\n  <?xml version=\"1.0\"?>\n\n",
			want: "parse NUNITXML report f: no root element; want <test-results>",
		},
		{
			name: "JSON given as XML", format: "JUNITXML", input: `{"testsuites": []}`,
			want: "parse JUNITXML report f: XML syntax error on line 1: text before the root element; not an XML document",
		},
		{
			name: "truncated", format: "JUNITXML", input: "<testsuite name=\"a\">\n<testcase name=\"x\">",
			want: "parse JUNITXML report f: XML syntax error on line 2: unexpected end of file inside <testcase>",
		},
		{
			name: "truncated inside a tag", format: "JUNITXML", input: `<testsuite name="a"><testcase na`,
			want: "parse JUNITXML report f: XML syntax error on line 1: unexpected EOF",
		},
		{
			name: "wrong root", format: "JUNITXML", input: `<test-results><test-suite/></test-results>`,
			want: "parse JUNITXML report f: root element is <test-results>, want <testsuites> or <testsuite>",
		},
		{
			name: "JUnit given as NUnit 3", format: "NUNIT3XML", input: `<testsuites/>`,
			want: "parse NUNIT3XML report f: root element is <testsuites>, want <test-run>",
		},
		{
			name: "JUnit given as TestNG", format: "TESTNGXML", input: `<testsuite/>`,
			want: "parse TESTNGXML report f: root element is <testsuite>, want <testng-results>",
		},
		{
			name: "JUnit given as TRX", format: "VISUALSTUDIOTRX", input: `<testsuite/>`,
			want: "parse VISUALSTUDIOTRX report f: root element is <testsuite>, want <TestRun>",
		},
		{
			name: "JaCoCo given as Cobertura", format: "COBERTURAXML", input: `<report name="x"/>`,
			want: "parse COBERTURAXML report f: root element is <report>, want <coverage>",
		},
		{
			name: "Cobertura given as JaCoCo", format: "JACOCOXML", input: `<coverage/>`,
			want: "parse JACOCOXML report f: root element is <coverage>, want <report>",
		},
		{
			name: "mismatched end tag", format: "JUNITXML", input: "<testsuite>\n</testsuites>",
			want: "parse JUNITXML report f: XML syntax error on line 2: element <testsuite> closed by </testsuites>",
		},
		{
			name: "end tag first", format: "JUNITXML", input: "</testsuite>",
			want: "parse JUNITXML report f: XML syntax error on line 1: unexpected end element </testsuite>",
		},
		{
			name: "second root element", format: "JUNITXML", input: "<testsuite/>\n<testsuite/>",
			want: "parse JUNITXML report f: XML syntax error on line 2: element <testsuite> after the root element",
		},
		{
			name: "text after the root element", format: "CLOVERXML", input: "<coverage/>\ntrailing",
			want: "parse CLOVERXML report f: XML syntax error on line 2: text after the root element",
		},
		{
			name: "billion laughs", format: "JUNITXML", input: billionLaughs,
			want: "parse JUNITXML report f: XML syntax error on line 14: invalid character entity &lol9;",
		},
		{
			name: "external entity", format: "JUNITXML",
			input: `<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><testsuite name="&xxe;"/>`,
			want:  "parse JUNITXML report f: XML syntax error on line 1: invalid character entity &xxe;",
		},
		{
			name: "deep nesting", format: "JUNITXML", input: strings.Repeat("<testsuite>", report.MaxDepth+1),
			want: "parse JUNITXML report f: XML syntax error on line 1: elements nested more than 1000 deep",
		},
		{
			name: "deep nesting inside a test case", format: "JUNITXML",
			input: "<testsuite><testcase>" + strings.Repeat("<failure>", report.MaxDepth),
			want:  "parse JUNITXML report f: XML syntax error on line 1: elements nested more than 1000 deep",
		},
		{
			name: "invalid UTF-8", format: "JUNITXML", input: "<testsuite name=\"\xff\"/>",
			want: "parse JUNITXML report f: XML syntax error on line 1: invalid UTF-8",
		},
		{
			name: "UTF-16", format: "JUNITXML", input: `<?xml version="1.0" encoding="UTF-16"?><testsuite/>`,
			want: `parse JUNITXML report f: xml: opening charset "UTF-16": unsupported character encoding "UTF-16"; write the report in UTF-8`,
		},
		{
			name: "too many test cases", format: "JUNITXML",
			input: "<testsuite>" + strings.Repeat(junitCase, report.MaxTestCases+1) + "</testsuite>",
			want:  "parse JUNITXML report f: more than 1000000 test cases",
		},
		// Coverage XML values.
		{
			name: "Cobertura line number", format: "COBERTURAXML",
			input: `<coverage><packages><package><classes><class filename="a.py"><lines><line number="x" hits="1"/></lines></class></classes></package></packages></coverage>`,
			want:  `parse COBERTURAXML report f: a.py: line number="x" is not a line number`,
		},
		{
			name: "Cobertura negative hits", format: "COBERTURAXML",
			input: `<coverage><packages><package><classes><class filename="a.py"><lines><line number="3" hits="-1"/></lines></class></classes></package></packages></coverage>`,
			want:  `parse COBERTURAXML report f: a.py: line 3: hits="-1" is not a count`,
		},
		{
			name: "JaCoCo negative counter", format: "JACOCOXML",
			input: `<report><package name="a"><sourcefile name="B.java"><counter type="LINE" missed="-1" covered="2"/></sourcefile></package></report>`,
			want:  `parse JACOCOXML report f: a/B.java: counter: missed="-1" is not a count`,
		},
		{
			name: "JaCoCo huge counter", format: "JACOCOXML",
			input: `<report><package name="a"><sourcefile name="B.java"><counter type="LINE" missed="1" covered="99999999999999999999"/></sourcefile></package></report>`,
			want:  `parse JACOCOXML report f: a/B.java: counter: covered="99999999999999999999" is not a count`,
		},
		{
			name: "Clover covered more than total", format: "CLOVERXML",
			input: `<coverage><project><file name="a.php"><metrics statements="3" coveredstatements="5"/></file></project></coverage>`,
			want:  `parse CLOVERXML report f: a.php: metrics: coveredstatements=5 is more than statements=3`,
		},
		{
			name: "Clover line count", format: "CLOVERXML",
			input: `<coverage><project><file name="a.php"><line num="3" type="stmt" count="x"/></file></project></coverage>`,
			want:  `parse CLOVERXML report f: a.php: line 3: count="x" is not a count`,
		},
		// JSON, Cucumber.
		{
			name: "Cucumber empty", format: "CUCUMBERJSON", input: " \n",
			want: "parse CUCUMBERJSON report f: empty file",
		},
		{
			name: "Cucumber object", format: "CUCUMBERJSON", input: `{"features": []}`,
			want: "parse CUCUMBERJSON report f: top-level value is an object, want an array of features",
		},
		{
			name: "Cucumber truncated", format: "CUCUMBERJSON", input: `[{"name":`,
			want: "parse CUCUMBERJSON report f: not a JSON document: unexpected end of JSON input",
		},
		{
			name: "XML given as Cucumber", format: "CUCUMBERJSON", input: `<testsuite/>`,
			want: "parse CUCUMBERJSON report f: not a JSON document: invalid character '<' looking for beginning of value",
		},
		{
			name: "Cucumber deep nesting", format: "CUCUMBERJSON", input: strings.Repeat("[", report.MaxDepth+1) + strings.Repeat("]", report.MaxDepth+1),
			want: "parse CUCUMBERJSON report f: JSON nested more than 1000 deep",
		},
		{
			name: "Cucumber feature not an object", format: "CUCUMBERJSON", input: `[{"name": "a"}, 1]`,
			want: "parse CUCUMBERJSON report f: feature 2: want an object, not a number",
		},
		{
			name: "Cucumber elements not an array", format: "CUCUMBERJSON", input: `[{"elements": {}}]`,
			want: "parse CUCUMBERJSON report f: feature 1: elements: want an array, not an object",
		},
		{
			name: "Cucumber step not an object", format: "CUCUMBERJSON", input: `[{"elements": [{"steps": [{}, "x"]}]}]`,
			want: "parse CUCUMBERJSON report f: feature 1: element 1: steps: step 2: want an object, not a string",
		},
		{
			name: "Cucumber result not an object", format: "CUCUMBERJSON", input: `[{"elements": [{"after": [{"result": []}]}]}]`,
			want: "parse CUCUMBERJSON report f: feature 1: element 1: after: hook 1: result: want an object, not an array",
		},
		// JSON, SimpleCov.
		{
			name: "SimpleCov array", format: "SIMPLECOV", input: `[]`,
			want: "parse SIMPLECOV report f: top-level value is an array, want an object",
		},
		{
			name: "SimpleCov empty object", format: "SIMPLECOV", input: `{}`,
			want: `parse SIMPLECOV report f: no test suite results; want {"<suite>": {"coverage": {...}}}`,
		},
		{
			name: "simplecov-json", format: "SIMPLECOV",
			input: `{"timestamp": 1, "command_name": "RSpec", "files": [{"filename": "/a.rb", "covered_percent": 50, "coverage": [1, 0]}], "metrics": {}}`,
			want:  `parse SIMPLECOV report f: this is simplecov-json output ("files"), which CodeBuild does not read; use SimpleCov's coverage/.resultset.json or coverage/coverage.json`,
		},
		{
			name: "SimpleCov suite not a result", format: "SIMPLECOV", input: `{"RSpec": {"timestamp": 1}}`,
			want: `parse SIMPLECOV report f: "RSpec" is not a SimpleCov result (want an object with "coverage")`,
		},
		{
			name: "SimpleCov coverage not an object", format: "SIMPLECOV", input: `{"RSpec": {"coverage": []}}`,
			want: "parse SIMPLECOV report f: RSpec: coverage: want an object, not an array",
		},
		{
			name: "SimpleCov file not lines", format: "SIMPLECOV", input: `{"coverage": {"/a.rb": 7}}`,
			want: `parse SIMPLECOV report f: coverage: /a.rb: want an object with "lines" or a lines array`,
		},
		{
			name: "SimpleCov line hits a boolean", format: "SIMPLECOV", input: `{"RSpec": {"coverage": {"/a.rb": {"lines": [1, true]}}}}`,
			want: "parse SIMPLECOV report f: RSpec: coverage: /a.rb: lines: line 2: hits true is not a count",
		},
		{
			name: "SimpleCov negative hits", format: "SIMPLECOV", input: `{"RSpec": {"coverage": {"/a.rb": [1, -1]}}}`,
			want: "parse SIMPLECOV report f: RSpec: coverage: /a.rb: lines: line 2: hits -1 is not a count",
		},
		{
			name: "SimpleCov branch hits", format: "SIMPLECOV",
			input: `{"RSpec": {"coverage": {"/a.rb": {"lines": [1], "branches": {"[:if, 0, 1, 0, 1, 9]": {"[:then, 1, 1, 0, 1, 4]": {}}}}}}}`,
			want:  "parse SIMPLECOV report f: RSpec: coverage: /a.rb: branches: [:if, 0, 1, 0, 1, 9]: [:then, 1, 1, 0, 1, 4]: hits {} is not a count",
		},
		{
			name: "SimpleCov deep nesting", format: "SIMPLECOV", input: strings.Repeat(`{"a":`, report.MaxDepth+1) + "1" + strings.Repeat("}", report.MaxDepth+1),
			want: "parse SIMPLECOV report f: JSON nested more than 1000 deep",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.name == "too many test cases" && testing.Short() {
				t.Skip("builds a million test cases; skipped with -short")
			}
			res, err := report.Parse(tt.format, strings.NewReader(tt.input), "f")
			if err == nil {
				t.Fatalf("Parse(%s, %s) = %+v, want error %q", tt.format, tt.name, res, tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Parse(%s, %s) error:\n got %s\nwant %s", tt.format, tt.name, got, tt.want)
			}
			var e *report.Error
			if !errors.As(err, &e) {
				t.Errorf("Parse(%s, %s) error is %T, want *report.Error", tt.format, tt.name, err)
			}
			if res != nil {
				t.Errorf("Parse(%s, %s) returned a result with its error", tt.format, tt.name)
			}
		})
	}
}

// endless is a reader of XML comments that never ends.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) {
	const chunk = "<!-- padding padding padding -->\n"
	n := 0
	for n < len(p) {
		c := copy(p[n:], chunk[e.n%int64(len(chunk)):])
		n += c
		e.n += int64(c)
	}
	return n, nil
}

// TestParseTooLarge checks that Parse stops reading at MaxFileSize.
func TestParseTooLarge(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("reads 100 MiB; skipped with -short")
	}
	for _, format := range []string{report.FormatJUnitXML, report.FormatSimpleCov} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			r := io.MultiReader(strings.NewReader("<testsuite>"), &endless{})
			_, err := report.Parse(format, r, "big")
			want := "parse " + format + " report big: file is larger than 100 MiB"
			if err == nil || err.Error() != want {
				t.Fatalf("Parse(%s, endless file) error = %v, want %s", format, err, want)
			}
			if !errors.Is(err, report.ErrTooLarge) {
				t.Errorf("Parse(%s, endless file) error does not wrap ErrTooLarge", format)
			}
		})
	}
	// A file of exactly MaxFileSize bytes is read.
	head, tail := "<testsuite>", "</testsuite>"
	pad := bytes.Repeat([]byte(" "), report.MaxFileSize-len(head)-len(tail))
	in := io.MultiReader(strings.NewReader(head), bytes.NewReader(pad), strings.NewReader(tail))
	if _, err := report.Parse(report.FormatJUnitXML, in, "max"); err != nil {
		t.Errorf("Parse(file of MaxFileSize bytes) error = %v, want nil", err)
	}
}

// TestParseTests checks test case mappings that the golden files do not
// show one by one.
func TestParseTests(t *testing.T) {
	t.Parallel()
	tc := func(suite, prefix, name, status string, ns int64, msg string) report.TestCase {
		return report.TestCase{TestRawDataPath: "f", TestSuiteName: suite, Prefix: prefix, Name: name, Status: status, DurationInNanoSeconds: ns, Message: msg}
	}
	tests := []struct {
		name     string
		format   string
		input    string
		want     []report.TestCase
		duration int64
	}{
		{
			name: "JUnit: an error outranks a failure, a failure a skip", format: "JUNITXML",
			input: `<testsuite name="s">
				<testcase name="a" classname="C"><failure message="f1"/><error message="e1"/><failure message="f2"/></testcase>
				<testcase name="b" classname="C"><skipped message="s1"/><failure message="f1"/></testcase>
				<testcase name="c" class="K"><skipped/></testcase>
				<testcase classname="C"/>
			</testsuite>`,
			want: []report.TestCase{
				tc("s", "C", "a", "ERROR", 0, "e1"),
				tc("s", "C", "b", "FAILED", 0, "f1"),
				tc("s", "K", "c", "SKIPPED", 0, ""),
				tc("s", "C", "", "SUCCEEDED", 0, ""),
			},
		},
		{
			name: "JUnit: the message attribute, then the text unless it repeats it", format: "JUNITXML",
			input: `<testsuite name="s">
				<testcase name="a"><failure message="boom">  at x()  </failure></testcase>
				<testcase name="b"><failure message="boom">Error: boom
  at x()</failure></testcase>
				<testcase name="c"><failure>   </failure></testcase>
			</testsuite>`,
			want: []report.TestCase{
				tc("s", "", "a", "FAILED", 0, "boom\nat x()"),
				tc("s", "", "b", "FAILED", 0, "Error: boom\n  at x()"),
				tc("s", "", "c", "FAILED", 0, ""),
			},
		},
		{
			name: "JUnit: time attributes", format: "JUNITXML",
			input: `<testsuites><testsuite name="s">
				<testcase name="decimal" time="0.094"/>
				<testcase name="integer" time="2"/>
				<testcase name="exponent" time="1.5E-4"/>
				<testcase name="grouping comma" time="1,234.5"/>
				<testcase name="decimal comma" time="0,25"/>
				<testcase name="spaces" time=" 1 "/>
				<testcase name="negative" time="-1"/>
				<testcase name="nan" time="NaN"/>
				<testcase name="words" time="fast"/>
				<testcase name="too long" time="1e300"/>
				<testcase name="missing"/>
			</testsuite></testsuites>`,
			want: []report.TestCase{
				tc("s", "", "decimal", "SUCCEEDED", 94000000, ""),
				tc("s", "", "integer", "SUCCEEDED", 2000000000, ""),
				tc("s", "", "exponent", "SUCCEEDED", 150000, ""),
				tc("s", "", "grouping comma", "SUCCEEDED", 1234500000000, ""),
				tc("s", "", "decimal comma", "SUCCEEDED", 250000000, ""),
				tc("s", "", "spaces", "SUCCEEDED", 1000000000, ""),
				tc("s", "", "negative", "SUCCEEDED", 0, ""),
				tc("s", "", "nan", "SUCCEEDED", 0, ""),
				tc("s", "", "words", "SUCCEEDED", 0, ""),
				tc("s", "", "too long", "SUCCEEDED", 0, ""),
				tc("s", "", "missing", "SUCCEEDED", 0, ""),
			},
			duration: 1237844150000,
		},
		{
			// A suite lasts its own time, else the sum of its children.
			name: "JUnit: file duration from nested suites", format: "JUNITXML",
			input: `<testsuites>
				<testsuite name="timed" time="5"><testcase name="a" time="1"/></testsuite>
				<testsuite name="untimed">
					<testsuite name="inner" time="2"><testcase name="b" time="1"/></testsuite>
					<testcase name="c" time="0.5"/>
				</testsuite>
			</testsuites>`,
			want: []report.TestCase{
				tc("timed", "", "a", "SUCCEEDED", 1e9, ""),
				tc("inner", "", "b", "SUCCEEDED", 1e9, ""),
				tc("untimed", "", "c", "SUCCEEDED", 5e8, ""),
			},
			duration: 7.5e9,
		},
		{
			name: "JUnit: namespaces, a byte order mark and Latin-1", format: "JUNITXML",
			input: "\ufeff<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<j:testsuite xmlns:j=\"urn:x\" name=\"caf\xe9\"><j:testcase name=\"\xfcber\" time=\"1\"/></j:testsuite>",
			want: []report.TestCase{
				tc("café", "", "über", "SUCCEEDED", 1e9, ""),
			},
			duration: 1e9,
		},
		{
			name: "JUnit: windows-1252", format: "JUNITXML",
			input: "<?xml version=\"1.0\" encoding=\"windows-1252\"?><testsuite name=\"\x93quoted\x94 \x80\"/>",
			want:  []report.TestCase{},
		},
		{
			name: "JUnit: exactly MaxDepth elements deep", format: "JUNITXML",
			input: strings.Repeat("<testsuite>", report.MaxDepth-1) + `<testcase name="deep"/>` + strings.Repeat("</testsuite>", report.MaxDepth-1),
			want:  []report.TestCase{tc("", "", "deep", "SUCCEEDED", 0, "")},
		},
		{
			name: "NUnit 2: prefix from the name without a fixture", format: "NUNITXML",
			input: `<test-results><test-suite type="Assembly" name="a.dll" time="0.5"><results>
				<test-case name="Ns.Fixture.Method(1.5,&quot;a.b&quot;)" executed="True" result="Success" time="0.25"/>
				<test-case name="TopLevel" executed="True" result="Cancelled"/>
				<test-case name="Ns.Odd" executed="True" result="Exploded"/>
			</results></test-suite></test-results>`,
			want: []report.TestCase{
				tc("a.dll", "Ns.Fixture", `Ns.Fixture.Method(1.5,"a.b")`, "SUCCEEDED", 25e7, ""),
				tc("a.dll", "", "TopLevel", "ERROR", 0, ""),
				tc("a.dll", "Ns", "Ns.Odd", "UNKNOWN", 0, ""),
			},
			duration: 5e8,
		},
		{
			name: "NUnit 2: a parameterized fixture", format: "NUNITXML",
			input: `<test-results><test-suite type="Namespace" name="Ns"><results>
				<test-suite type="ParameterizedFixture" name="Fix"><results>
					<test-suite type="TestFixture" name="Fix(42)" time="0.1"><results>
						<test-case name="Ns.Fix(42).Works" executed="True" result="Success" time="0.1"/>
					</results></test-suite>
				</results></test-suite>
			</results></test-suite></test-results>`,
			want:     []report.TestCase{tc("Fix(42)", "Ns.Fix(42)", "Ns.Fix(42).Works", "SUCCEEDED", 1e8, "")},
			duration: 1e8,
		},
		{
			name: "NUnit 3: labels and a missing classname", format: "NUNIT3XML",
			input: `<test-run>
				<test-suite type="TestFixture" name="Fix" fullname="Ns.Fix">
					<test-case name="A" fullname="Ns.Fix.A" result="Failed" label="Cancelled"/>
					<test-case name="B" fullname="Ns.Fix.B" result="Failed" label="Something"/>
					<test-case name="C" result="Skipped" label="Explicit" duration="0.5"/>
				</test-suite>
				<test-case name="Loose" fullname="Ns.Other.Loose" result="Passed"/>
			</test-run>`,
			want: []report.TestCase{
				tc("Fix", "Ns.Fix", "Ns.Fix.A", "ERROR", 0, ""),
				tc("Fix", "Ns.Fix", "Ns.Fix.B", "FAILED", 0, ""),
				tc("Fix", "Ns.Fix", "C", "SKIPPED", 5e8, ""),
				tc("", "Ns.Other", "Ns.Other.Loose", "SUCCEEDED", 0, ""),
			},
			duration: 5e8,
		},
		{
			name: "TestNG: statuses, config methods and many parameters", format: "TESTNGXML",
			input: `<testng-results><suite name="S"><test name="T"><class name="C">
				<test-method name="cfg" is-config="true" status="FAIL" duration-ms="5"/>
				<test-method name="p" status="SUCCESS_PERCENTAGE_FAILURE" duration-ms="1.5"/>
				<test-method name="q" status="FAIL"><exception class="java.lang.AssertionError"/></test-method>
				<test-method name="r" status="PASS"><params>` + strings.Repeat(`<param><value>1</value></param>`, 70) + `</params></test-method>
			</class></test></suite></testng-results>`,
			want: []report.TestCase{
				tc("S", "C", "p", "UNKNOWN", 1500000, ""),
				tc("S", "C", "q", "FAILED", 0, "java.lang.AssertionError"),
				tc("S", "C", "r("+strings.Repeat("1, ", 63)+"1)", "SUCCEEDED", 0, ""),
			},
			duration: 1500000,
		},
		{
			name: "TRX: outcomes, durations and a missing definition", format: "VISUALSTUDIOTRX",
			input: `<TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
				<Times start="not a time" finish="2024-01-01T00:00:00Z"/>
				<Results>
					<UnitTestResult testId="1" testName="a" outcome="Aborted" duration="1.02:03:04.5"/>
					<UnitTestResult testId="1" testName="b" outcome="PassedButRunAborted" duration="00:00:01"/>
					<UnitTestResult testId="2" testName="c" outcome="Pending" duration="-00:00:01"/>
					<UnitTestResult testId="1" testName="d" outcome="NotRunnable" duration="12:00"/>
					<UnitTestResult testName="e" outcome="Disconnected" duration="25:00:00"/>
				</Results>
				<TestDefinitions>
					<UnitTest id="1" storage="C:\build\My.Tests.dll"><TestMethod className="My.Tests.A, My.Tests"/></UnitTest>
				</TestDefinitions>
			</TestRun>`,
			want: []report.TestCase{
				tc("My.Tests.dll", "My.Tests.A", "a", "ERROR", 93784500000000, ""),
				tc("My.Tests.dll", "My.Tests.A", "b", "SUCCEEDED", 1e9, ""),
				tc("", "", "c", "UNKNOWN", 0, ""),
				tc("My.Tests.dll", "My.Tests.A", "d", "ERROR", 0, ""),
				tc("", "", "e", "UNKNOWN", 90000e9, ""),
			},
			duration: 93784500000000 + 1e9 + 90000e9,
		},
		{
			name: "TRX: nested inner results take the parent's definition", format: "VISUALSTUDIOTRX",
			input: `<TestRun><Results>
				<TestResultAggregation testId="1" testName="ordered" outcome="Failed"><InnerResults>
					<UnitTestResult testId="9" testName="first" outcome="Passed"/>
					<UnitTestResult testId="9" testName="group" outcome="Failed"><InnerResults>
						<UnitTestResult testName="row 1" outcome="Failed"><Output><ErrorInfo><Message>m</Message></ErrorInfo></Output></UnitTestResult>
					</InnerResults></UnitTestResult>
				</InnerResults></TestResultAggregation>
			</Results><TestDefinitions><OrderedTest id="1" storage="o.orderedtest"><TestMethod className="Ordered"/></OrderedTest></TestDefinitions></TestRun>`,
			want: []report.TestCase{
				tc("o.orderedtest", "Ordered", "first", "SUCCEEDED", 0, ""),
				tc("o.orderedtest", "Ordered", "row 1", "FAILED", 0, "m"),
			},
		},
		{
			name: "Cucumber: empty scenarios, missing results, hooks", format: "CUCUMBERJSON",
			input: `[
				{"uri": "f.feature", "elements": null},
				{"name": "F", "elements": [
					{"name": "no steps", "type": "scenario"},
					{"name": "no result", "steps": [{"keyword": "Given ", "name": "x"}]},
					{"name": "skipped hook", "before": [{"result": {"status": "skipped"}}], "steps": [{"result": {"status": "PASSED", "duration": 1e3}}]},
					{"name": "ambiguous", "steps": [{"keyword": "Then ", "name": "y", "result": {"status": "ambiguous", "error_message": "two step definitions match"}}]},
					{"name": "skipped", "steps": [{"result": {"status": "skipped", "duration": -5}}]},
					{"name": "bad duration", "steps": [{"result": {"status": "passed", "duration": "12"}}]}
				]},
				{"name": "", "uri": "", "elements": []}
			]`,
			want: []report.TestCase{
				tc("F", "F", "no steps", "SUCCEEDED", 0, ""),
				tc("F", "F", "no result", "UNKNOWN", 0, "no status for step: Given x"),
				tc("F", "F", "skipped hook", "SUCCEEDED", 1000, ""),
				tc("F", "F", "ambiguous", "ERROR", 0, "two step definitions match"),
				tc("F", "F", "skipped", "SKIPPED", 0, ""),
				tc("F", "F", "bad duration", "SUCCEEDED", 0, ""),
			},
			duration: 1000,
		},
		{
			name: "Cucumber: a trailing background belongs to no scenario", format: "CUCUMBERJSON",
			input: `[{"name": "F", "elements": [{"type": "background", "steps": [{"result": {"status": "failed", "error_message": "bg"}}]}]}]`,
			want:  []report.TestCase{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := report.Parse(tt.format, strings.NewReader(tt.input), "f")
			if err != nil {
				t.Fatalf("Parse(%s, %s) error: %v", tt.format, tt.name, err)
			}
			if diff := cmp.Diff(tt.want, res.Tests); diff != "" {
				t.Errorf("Parse(%s, %s) test cases mismatch (-want +got):\n%s", tt.format, tt.name, diff)
			}
			if res.DurationInNanoSeconds != tt.duration {
				t.Errorf("Parse(%s, %s) duration = %d, want %d", tt.format, tt.name, res.DurationInNanoSeconds, tt.duration)
			}
		})
	}
}

// TestParseCoverage checks coverage mappings that the golden files do not
// show one by one.
func TestParseCoverage(t *testing.T) {
	t.Parallel()
	cov := func(path string, lc, lm, bc, bm int, lp, bp float64) report.CodeCoverage {
		return report.CodeCoverage{FilePath: path, LinesCovered: lc, LinesMissed: lm, BranchesCovered: bc, BranchesMissed: bm,
			LineCoveragePercentage: lp, BranchCoveragePercentage: bp}
	}
	tests := []struct {
		name   string
		format string
		input  string
		want   []report.CodeCoverage
	}{
		{
			name: "Cobertura: odd condition coverage and float hits", format: "COBERTURAXML",
			input: `<coverage><packages><package name="p"><classes>
				<class name="A" filename="a.go"><lines>
					<line number="1" hits="3.0" branch="true" condition-coverage="100%"/>
					<line number="2" hits="0" branch="true" condition-coverage="33% (1/3)"/>
					<line number="3" hits="1" branch="true" condition-coverage="(5/2)"/>
					<line number="4" hits="1" branch="false" condition-coverage="50% (1/2)"/>
				</lines></class>
				<class name="NoFile"><lines><line number="1" hits="1"/></lines></class>
			</classes></package></packages></coverage>`,
			want: []report.CodeCoverage{
				cov("a.go", 3, 1, 1, 2, 75, 33.33),
				cov("NoFile", 1, 0, 0, 0, 100, 0),
			},
		},
		{
			name: "Cobertura: lines outside a class", format: "COBERTURAXML",
			input: `<coverage><lines><line number="1" hits="1"/></lines></coverage>`,
			want:  []report.CodeCoverage{},
		},
		{
			name: "JaCoCo: a source file without counters, nested source files", format: "JACOCOXML",
			input: `<report><package name="a/b/"><sourcefile name="Empty.java"/>
				<sourcefile name="Outer.java"><sourcefile name="Inner.java"/><counter type="LINE" missed="1" covered="1"/></sourcefile>
			</package><sourcefile name="Loose.java"><counter type="BRANCH" missed="0" covered="2"/></sourcefile></report>`,
			want: []report.CodeCoverage{
				cov("a/b/Empty.java", 0, 0, 0, 0, 0, 0),
				cov("a/b/Outer.java", 1, 1, 0, 0, 50, 0),
				cov("Loose.java", 0, 0, 2, 0, 0, 100),
			},
		},
		{
			name: "Clover: metrics win over lines", format: "CLOVERXML",
			input: `<coverage><project><package name="p">
				<file name="a.js"><line num="1" type="stmt" count="0"/><metrics statements="4" coveredstatements="4"/></file>
				<file name="b.js" path="/src/b.js"><line num="1" type="cond" truecount="0" falsecount="0"/></file>
			</package></project></coverage>`,
			want: []report.CodeCoverage{
				cov("a.js", 4, 0, 0, 0, 100, 0),
				cov("/src/b.js", 0, 0, 0, 2, 0, 0),
			},
		},
		{
			name: "SimpleCov: one suite covers what the other misses", format: "SIMPLECOV",
			input: `{
				"A": {"coverage": {"/x.rb": {"lines": [0, null, 0], "branches": {"c": {"t": 0, "e": 0}}}}},
				"B": {"coverage": {"/x.rb": {"lines": [null, null, 2, 1], "branches": {"c": {"t": 1}, "d": {"t": 0}}}}, "timestamp": 2}
			}`,
			want: []report.CodeCoverage{cov("/x.rb", 2, 1, 1, 2, 66.67, 33.33)},
		},
		{
			name: "SimpleCov: escaped paths, null lines, float hits", format: "SIMPLECOV",
			input: `{"coverage": {"/a\u00e9\\b.rb": {"lines": null}, "/c.rb": {"lines": [1.0, 0.0, 2e0]}}}`,
			want: []report.CodeCoverage{
				cov(`/aé\b.rb`, 0, 0, 0, 0, 0, 0),
				cov("/c.rb", 2, 1, 0, 0, 66.67, 0),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := report.Parse(tt.format, strings.NewReader(tt.input), "f")
			if err != nil {
				t.Fatalf("Parse(%s, %s) error: %v", tt.format, tt.name, err)
			}
			if diff := cmp.Diff(tt.want, res.Coverage); diff != "" {
				t.Errorf("Parse(%s, %s) coverage mismatch (-want +got):\n%s", tt.format, tt.name, diff)
			}
		})
	}
}

// parseGolden parses the report file of a golden file.
func parseGolden(t *testing.T, format, name string) *report.Result {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "golden", format, name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	input, _, _ := bytes.Cut(data, []byte(separator))
	res, err := report.Parse(format, bytes.NewReader(input), name)
	if err != nil {
		t.Fatalf("Parse(%s, %s): %v", format, name, err)
	}
	return res
}

// TestNUnitMatchesCodeBuild checks the NUnit 2 sample, which has the
// results of NUnit's own mock-assembly sample (28 test cases: 18 Success,
// 1 Failure, 1 Error, 3 NotRunnable, 1 Inconclusive, 4 Ignored, the
// assembly suite taking 0.094 s), against the summary CodeBuild returned
// for that report in the aws-cli example of batch-get-reports.
func TestNUnitMatchesCodeBuild(t *testing.T) {
	t.Parallel()
	sum, err := report.Summarize(parseGolden(t, "NUNITXML", "TestResult.xml"))
	if err != nil {
		t.Fatal(err)
	}
	want := &report.TestReportSummary{
		Total:                 28,
		StatusCounts:          map[string]int{"ERROR": 5, "FAILED": 1, "SKIPPED": 4, "SUCCEEDED": 18, "UNKNOWN": 0},
		DurationInNanoSeconds: 94000000,
	}
	if diff := cmp.Diff(want, sum.TestSummary); diff != "" {
		t.Errorf("Summarize(NUnit sample) mismatch (-want +got):\n%s", diff)
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	jacoco := parseGolden(t, "JACOCOXML", "jacoco.xml")
	aggregate := parseGolden(t, "JACOCOXML", "jacoco-aggregate.xml")
	cobertura := parseGolden(t, "COBERTURAXML", "coverage.py.xml")
	surefire := parseGolden(t, "JUNITXML", "TEST-com.example.CalculatorTest.xml")
	goTests := parseGolden(t, "JUNITXML", "go-junit-report.xml")
	empty := parseGolden(t, "JUNITXML", "empty-suite.xml")
	passing := &report.Result{Type: report.TypeTest, FileFormat: "JUNITXML", File: "ok.xml", DurationInNanoSeconds: 5,
		Tests: []report.TestCase{{Status: "SUCCEEDED"}, {Status: "SKIPPED"}, {Status: "UNKNOWN"}}}
	tests := []struct {
		name    string
		results []*report.Result
		want    *report.Summary
		wantErr string
	}{
		{
			name:    "coverage of several files",
			results: []*report.Result{jacoco, aggregate, cobertura},
			// Lines 5+21+10 covered, 6+4+4 missed; branches 2+8+3
			// covered, 2+4+3 missed.
			want: &report.Summary{Type: "CODE_COVERAGE", Status: "SUCCEEDED", CodeCoverageSummary: &report.CodeCoverageReportSummary{
				LineCoveragePercentage: 72, LinesCovered: 36, LinesMissed: 14,
				BranchCoveragePercentage: 59.09, BranchesCovered: 13, BranchesMissed: 9,
			}},
		},
		{
			name:    "tests of several files",
			results: []*report.Result{surefire, goTests, empty},
			want: &report.Summary{Type: "TEST", Status: "FAILED", TestSummary: &report.TestReportSummary{
				Total:                 13,
				StatusCounts:          map[string]int{"ERROR": 1, "FAILED": 3, "SKIPPED": 3, "SUCCEEDED": 6, "UNKNOWN": 0},
				DurationInNanoSeconds: 412000000 + 14000000,
			}},
		},
		{
			name:    "skipped and unknown tests do not fail a report",
			results: []*report.Result{passing},
			want: &report.Summary{Type: "TEST", Status: "SUCCEEDED", TestSummary: &report.TestReportSummary{
				Total:                 3,
				StatusCounts:          map[string]int{"ERROR": 0, "FAILED": 0, "SKIPPED": 1, "SUCCEEDED": 1, "UNKNOWN": 1},
				DurationInNanoSeconds: 5,
			}},
		},
		{
			name: "no results",
			want: &report.Summary{},
		},
		{
			name:    "test and coverage results",
			results: []*report.Result{surefire, jacoco},
			wantErr: "summarize reports: jacoco.xml is a CODE_COVERAGE report, the others are TEST",
		},
		{
			name:    "a nil result",
			results: []*report.Result{surefire, nil},
			wantErr: "summarize reports: nil result",
		},
		{
			name:    "a result without a type",
			results: []*report.Result{{File: "x"}},
			wantErr: `summarize reports: x has unknown report type ""`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := report.Summarize(tt.results...)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Summarize(%s) error = %v, want %s", tt.name, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Summarize(%s) error: %v", tt.name, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Summarize(%s) mismatch (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	var cases []report.TestCase
	for i := range 700 {
		status := report.StatusSucceeded
		switch {
		case i%100 == 99:
			status = report.StatusFailed
		case i%100 == 50:
			status = report.StatusError
		}
		cases = append(cases, report.TestCase{Name: fmt.Sprint(i), Status: status})
	}
	kept, truncated := report.Truncate(cases)
	if !truncated || len(kept) != report.MaxReportTestCases {
		t.Fatalf("Truncate(700 cases) = %d cases, %v; want %d, true", len(kept), truncated, report.MaxReportTestCases)
	}
	// The 7 failed and 7 errored cases, and the first 486 others.
	var want []string
	others := 0
	for i, c := range cases {
		if c.Status != report.StatusSucceeded || others < 486 {
			want = append(want, fmt.Sprint(i))
		}
		if c.Status == report.StatusSucceeded {
			others++
		}
	}
	var got []string
	for _, c := range kept {
		got = append(got, c.Name)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Truncate(700 cases) kept mismatch (-want +got):\n%s", diff)
	}

	few := cases[:report.MaxReportTestCases]
	kept, truncated = report.Truncate(few)
	if truncated || len(kept) != len(few) {
		t.Errorf("Truncate(%d cases) = %d cases, %v; want all, false", len(few), len(kept), truncated)
	}
}
