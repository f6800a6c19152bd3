package report_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/codeyard/codeyard/internal/report"
)

// bigJUnit returns a Surefire-like JUnit report of n test cases in suites
// of 100, one in 50 failing with a stack trace and one in 100 skipped.
func bigJUnit(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<testsuites>\n")
	for i := 0; i < n; i++ {
		if i%100 == 0 {
			if i > 0 {
				b.WriteString("  </testsuite>\n")
			}
			fmt.Fprintf(&b, "  <testsuite name=\"com.example.Suite%d\" time=\"1.5\">\n", i/100)
		}
		fmt.Fprintf(&b, `    <testcase name="[%d] input=%d, expected=%d" classname="com.example.Suite%d" time="0.00%d"`, i%100, i, i*2, i/100, i%10)
		switch {
		case i%50 == 7:
			b.WriteString(">\n      <failure message=\"expected: &lt;2&gt; but was: &lt;3&gt;\" type=\"org.opentest4j.AssertionFailedError\">org.opentest4j.AssertionFailedError: expected: &lt;2&gt; but was: &lt;3&gt;\n\tat com.example.SuiteTest.check(SuiteTest.java:42)\n</failure>\n      <system-out>some output</system-out>\n    </testcase>\n")
		case i%100 == 3:
			b.WriteString(">\n      <skipped message=\"disabled\"/>\n    </testcase>\n")
		default:
			b.WriteString("/>\n")
		}
	}
	b.WriteString("  </testsuite>\n</testsuites>\n")
	return b.Bytes()
}

// BenchmarkParseJUnit parses a JUnit report of 50,000 test cases.
func BenchmarkParseJUnit(b *testing.B) {
	data := bigJUnit(50_000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := report.Parse(report.FormatJUnitXML, bytes.NewReader(data), "big.xml")
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Tests) != 50_000 {
			b.Fatalf("Parse = %d test cases, want 50000", len(res.Tests))
		}
	}
}

// BenchmarkParseCobertura parses a Cobertura report of 2,000 files of 200
// lines each.
func BenchmarkParseCobertura(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0" ?><coverage><packages><package name="p"><classes>`)
	for f := range 2000 {
		fmt.Fprintf(&sb, `<class name="c%d" filename="pkg/file%d.py"><lines>`, f, f)
		for l := 1; l <= 200; l++ {
			if l%10 == 0 {
				fmt.Fprintf(&sb, `<line number="%d" hits="%d" branch="true" condition-coverage="50%% (1/2)"/>`, l, l%3)
			} else {
				fmt.Fprintf(&sb, `<line number="%d" hits="%d"/>`, l, l%3)
			}
		}
		sb.WriteString(`</lines></class>`)
	}
	sb.WriteString(`</classes></package></packages></coverage>`)
	data := []byte(sb.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := report.Parse(report.FormatCoberturaXML, bytes.NewReader(data), "coverage.xml")
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Coverage) != 2000 {
			b.Fatalf("Parse = %d files, want 2000", len(res.Coverage))
		}
	}
}
