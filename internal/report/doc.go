// Package report parses the test and code coverage report files a build
// names in its buildspec's reports section into the shapes of the
// CodeBuild API: TestCase and CodeCoverage per file, TestReportSummary and
// CodeCoverageReportSummary per report.
//
// Parse reads one file of one of the ten formats CodeBuild accepts. A
// report group's report covers every file one reports entry matched, so a
// caller parses each file and passes the results to Summarize. Report
// files come from the build, so Parse treats them as hostile: it reads at
// most MaxFileSize bytes, refuses nesting deeper than MaxDepth, keeps at
// most MaxTestCases test cases or MaxCoverageFiles source files per file,
// does not expand XML entities other than the predefined ones, and never
// panics. Every failure is an *Error whose message names the format and
// the file, "parse JUNITXML report build/test.xml: ...".
//
// CodeBuild's own parsers are not public. Where its mapping of a format is
// known, from the CodeBuild User Guide, the API model or AWS's published
// examples of API output, the code says where it comes from; elsewhere
// it follows the format's own definitions, and the doc comment of each
// parser says what it decided.
package report
