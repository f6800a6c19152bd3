package report

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// The coverage formats are read as streams: their files hold one element
// per source line, so none is decoded whole.

// coberturaLine is what a Cobertura report says about one source line.
type coberturaLine struct {
	num             int32
	covered         bool
	branchesCovered int32
	branches        int32
}

// coberturaFile is the coverage of one source file, from all the classes
// that name it: its lines in the order the report lists them, sorted and
// merged at the end.
type coberturaFile struct {
	lines []coberturaLine
}

// parseCobertura reads a Cobertura XML report: <coverage><packages>
// <package><classes><class filename="..."><lines><line number hits
// branch condition-coverage>. A line is covered when its hits are above
// zero; a branch line's condition-coverage "50% (1/2)" gives its covered
// and total branches. Classes of one file (inner classes) are merged into
// one entry, and a line listed twice, under its class and under its
// method, counts once. The file path is the filename attribute as
// written, relative to the report's <sources>. Files come out in the
// order the report first names them.
func parseCobertura(r io.Reader, res *Result) error {
	d := newXMLDoc(r)
	if _, err := d.root("coverage"); err != nil {
		return err
	}
	var (
		files   = map[string]*coberturaFile{}
		order   []string
		cur     *coberturaFile
		curPath string
	)
	err := d.walk(func(se xml.StartElement, _ int) (bool, error) {
		switch se.Name.Local {
		case "packages", "package", "classes", "methods", "method", "lines":
			return false, nil
		case "class":
			path := attr(se, "filename")
			if path == "" {
				path = attr(se, "name")
			}
			cur, curPath = files[path], path
			if cur == nil {
				if len(files) >= MaxCoverageFiles {
					return true, errTooManyFiles
				}
				cur = &coberturaFile{}
				files[path] = cur
				order = append(order, path)
			}
			return false, nil
		case "line":
			if cur == nil {
				return true, d.Skip()
			}
			if err := coberturaAddLine(cur, se); err != nil {
				return true, fmt.Errorf("%s: %w", curPath, err)
			}
		}
		return true, d.Skip()
	}, func(name string, _ int) error {
		if name == "class" {
			cur = nil
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, path := range order {
		var lc, lm, bc, bm int
		lines := files[path].lines
		slices.SortStableFunc(lines, func(a, b coberturaLine) int { return cmp.Compare(a.num, b.num) })
		for i := 0; i < len(lines); {
			// A line listed more than once keeps the best of its
			// listings.
			l := lines[i]
			for i++; i < len(lines) && lines[i].num == l.num; i++ {
				m := lines[i]
				l.covered = l.covered || m.covered
				if m.branches > l.branches || m.branches == l.branches && m.branchesCovered > l.branchesCovered {
					l.branches, l.branchesCovered = m.branches, m.branchesCovered
				}
			}
			if l.covered {
				lc++
			} else {
				lm++
			}
			bc += int(l.branchesCovered)
			bm += int(l.branches - l.branchesCovered)
		}
		res.Coverage = append(res.Coverage, newCoverage(path, lc, lm, bc, bm))
	}
	return nil
}

// coberturaAddLine adds a <line> to a file.
func coberturaAddLine(f *coberturaFile, se xml.StartElement) error {
	num, err := strconv.ParseInt(strings.TrimSpace(attr(se, "number")), 10, 32)
	if err != nil || num < 0 {
		return fmt.Errorf("line number=%q is not a line number", attr(se, "number"))
	}
	hits, err := hitCount(attr(se, "hits"))
	if err != nil {
		return fmt.Errorf("line %d: hits=%q is not a count", num, attr(se, "hits"))
	}
	l := coberturaLine{num: int32(num), covered: hits > 0}
	if strings.EqualFold(attr(se, "branch"), "true") {
		l.branchesCovered, l.branches = conditionCoverage(attr(se, "condition-coverage"))
	}
	f.lines = append(f.lines, l)
	return nil
}

// hitCount parses a hit count. Some writers print it as a float ("3.0").
func hitCount(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f >= 0 && f < 1<<62) {
		return 0, fmt.Errorf("not a count")
	}
	return int64(f), nil
}

// conditionCoverage reads Cobertura's condition-coverage, "50% (1/2)".
// Anything else (some writers print only the percentage) gives no
// branches.
func conditionCoverage(s string) (covered, total int32) {
	open := strings.IndexByte(s, '(')
	slash := strings.IndexByte(s, '/')
	end := strings.IndexByte(s, ')')
	if open < 0 || slash < open || end < slash {
		return 0, 0
	}
	c, err1 := strconv.ParseInt(strings.TrimSpace(s[open+1:slash]), 10, 32)
	t, err2 := strconv.ParseInt(strings.TrimSpace(s[slash+1:end]), 10, 32)
	if err1 != nil || err2 != nil || c < 0 || t < c {
		return 0, 0
	}
	return int32(c), int32(t)
}

// parseJaCoCo reads a JaCoCo XML report: <report>, optional <group>s
// (multi-module reports), <package name="org/example">, and for each
// source file <sourcefile name="Foo.java"> with <counter type="LINE"
// missed covered> and <counter type="BRANCH" ...> among its children. The
// file path is the package name and the file name joined with a slash,
// "org/example/Foo.java", or the file name alone in the default package.
func parseJaCoCo(r io.Reader, res *Result) error {
	d := newXMLDoc(r)
	if _, err := d.root("report"); err != nil {
		return err
	}
	var (
		pkg string
		cur *CodeCoverage // the open <sourcefile>
	)
	err := d.walk(func(se xml.StartElement, _ int) (bool, error) {
		switch se.Name.Local {
		case "group":
			return false, nil
		case "package":
			pkg = attr(se, "name")
			return false, nil
		case "sourcefile":
			if cur != nil {
				break
			}
			path := attr(se, "name")
			if pkg != "" {
				path = strings.TrimSuffix(pkg, "/") + "/" + path
			}
			cur = &CodeCoverage{FilePath: path}
			return false, nil
		case "counter":
			if cur == nil || d.tokParent() != "sourcefile" {
				break
			}
			missed, err := count("missed", attr(se, "missed"))
			if err != nil {
				return true, fmt.Errorf("%s: counter: %w", cur.FilePath, err)
			}
			covered, err := count("covered", attr(se, "covered"))
			if err != nil {
				return true, fmt.Errorf("%s: counter: %w", cur.FilePath, err)
			}
			switch attr(se, "type") {
			case "LINE":
				cur.LinesCovered, cur.LinesMissed = covered, missed
			case "BRANCH":
				cur.BranchesCovered, cur.BranchesMissed = covered, missed
			}
		}
		return true, d.Skip()
	}, func(name string, _ int) error {
		switch name {
		case "package":
			pkg = ""
		case "sourcefile":
			c := cur
			cur = nil
			if c != nil {
				return addCoverage(res, newCoverage(c.FilePath, c.LinesCovered, c.LinesMissed, c.BranchesCovered, c.BranchesMissed))
			}
		}
		return nil
	})
	return err
}

// cloverFile is the coverage of an open <file> of a Clover report.
type cloverFile struct {
	path string
	// From <metrics>.
	hasMetrics                                                     bool
	statements, coveredStatements, conditionals, coveredConditions int
	// From <line> elements, for a file without <metrics>.
	stmtCovered, stmtMissed, condCovered, condMissed int
}

// parseClover reads a Clover XML report (OpenClover, PHPUnit, Istanbul):
// <coverage><project>, optional <package>s, and <file name path> with a
// <metrics> element and <line num type count truecount falsecount>
// elements. Line coverage is statement coverage, as CodeBuild defines it
// ("how many statements your tests cover"): statements and
// coveredstatements of the file's metrics; branch coverage is
// conditionals and coveredconditionals. A file without metrics is counted
// from its lines: a stmt line is covered when its count is above zero, a
// cond line has two branches, covered when truecount and falsecount are
// above zero. The file path is the path attribute, else the name. The
// <testproject> of OpenClover, the coverage of the test code itself, is
// left out.
func parseClover(r io.Reader, res *Result) error {
	d := newXMLDoc(r)
	if _, err := d.root("coverage"); err != nil {
		return err
	}
	var cur *cloverFile
	err := d.walk(func(se xml.StartElement, _ int) (bool, error) {
		name := se.Name.Local
		if cur == nil {
			switch name {
			case "project", "package":
				return false, nil
			case "file":
				cur = &cloverFile{path: attr(se, "path")}
				if cur.path == "" {
					cur.path = attr(se, "name")
				}
				return false, nil
			}
			return true, d.Skip()
		}
		if d.tokParent() != "file" {
			return true, d.Skip()
		}
		switch name {
		case "metrics":
			if err := cloverMetrics(cur, se); err != nil {
				return true, fmt.Errorf("%s: metrics: %w", cur.path, err)
			}
		case "line":
			if err := cloverLine(cur, se); err != nil {
				return true, fmt.Errorf("%s: line %s: %w", cur.path, attr(se, "num"), err)
			}
		}
		return true, d.Skip()
	}, func(name string, _ int) error {
		if name != "file" || cur == nil {
			return nil
		}
		f := cur
		cur = nil
		if f.hasMetrics {
			return addCoverage(res, newCoverage(f.path,
				f.coveredStatements, f.statements-f.coveredStatements,
				f.coveredConditions, f.conditionals-f.coveredConditions))
		}
		return addCoverage(res, newCoverage(f.path, f.stmtCovered, f.stmtMissed, f.condCovered, f.condMissed))
	})
	return err
}

func cloverMetrics(f *cloverFile, se xml.StartElement) error {
	var err error
	get := func(name string) int {
		if err != nil {
			return 0
		}
		var n int
		n, err = count(name, attr(se, name))
		return n
	}
	f.statements, f.coveredStatements = get("statements"), get("coveredstatements")
	f.conditionals, f.coveredConditions = get("conditionals"), get("coveredconditionals")
	if err != nil {
		return err
	}
	if f.coveredStatements > f.statements {
		return fmt.Errorf("coveredstatements=%d is more than statements=%d", f.coveredStatements, f.statements)
	}
	if f.coveredConditions > f.conditionals {
		return fmt.Errorf("coveredconditionals=%d is more than conditionals=%d", f.coveredConditions, f.conditionals)
	}
	f.hasMetrics = true
	return nil
}

func cloverLine(f *cloverFile, se xml.StartElement) error {
	switch attr(se, "type") {
	case "stmt":
		n, err := hitCount(attr(se, "count"))
		if err != nil {
			return fmt.Errorf("count=%q is not a count", attr(se, "count"))
		}
		if n > 0 {
			f.stmtCovered++
		} else {
			f.stmtMissed++
		}
	case "cond":
		for _, name := range []string{"truecount", "falsecount"} {
			n, err := hitCount(attr(se, name))
			if err != nil {
				return fmt.Errorf("%s=%q is not a count", name, attr(se, name))
			}
			if n > 0 {
				f.condCovered++
			} else {
				f.condMissed++
			}
		}
	}
	return nil
}
