package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"

	"github.com/codeyard/codeyard/internal/buildspec"
	"github.com/spf13/cobra"
)

func newBuildspecCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "buildspec",
		Short: "Work with CodeBuild buildspec files",
	}
	cmd.AddCommand(newBuildspecCheckCmd(s))
	return cmd
}

func newBuildspecCheckCmd(s streams) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check FILE...",
		Short: "Check buildspec files the way CodeBuild reads them",
		Long: `Check reads each buildspec (- reads standard input) and reports every
problem CodeBuild would reject it for, one per line on standard error as
FILE:LINE:COLUMN: message, and every key CodeBuild would ignore as
FILE:LINE:COLUMN: warning: message. It exits with status 1 if any file is
invalid.

With --json, it prints the normalized buildspec on standard output: the
exact commands, values and settings a build would use (nothing if the file
is invalid). For several files it prints a JSON array of {"file", "spec",
"warnings", "errors"} objects.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return checkBuildspecs(s, args, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the normalized buildspec as JSON on standard output")
	return cmd
}

// checkResult is one file's entry in the JSON output for several files.
type checkResult struct {
	File     string                 `json:"file"`
	Spec     *buildspec.Spec        `json:"spec"`
	Warnings []buildspec.Diagnostic `json:"warnings"`
	Errors   []buildspec.Diagnostic `json:"errors"`
}

// stdinName names standard input in messages.
const stdinName = "<stdin>"

func checkBuildspecs(s streams, args []string, asJSON bool) error {
	var (
		results []checkResult
		failed  bool
		stdin   []byte
		readIn  bool
	)
	for _, arg := range args {
		r := checkResult{File: arg, Warnings: []buildspec.Diagnostic{}, Errors: []buildspec.Diagnostic{}}
		var src []byte
		var err error
		if arg == "-" {
			r.File = stdinName
			if !readIn {
				stdin, err = readLimited(s.in)
				readIn = true
			}
			src = stdin
		} else {
			src, err = readBuildspecFile(arg)
		}
		if err != nil {
			r.Errors = append(r.Errors, buildspec.Diagnostic{Message: err.Error()})
		} else {
			spec, warns, err := buildspec.Parse(src)
			r.Spec = spec
			r.Warnings = append(r.Warnings, warns...)
			var e *buildspec.Error
			switch {
			case errors.As(err, &e):
				r.Errors = append(r.Errors, e.Diagnostics...)
			case err != nil:
				r.Errors = append(r.Errors, buildspec.Diagnostic{Message: err.Error()})
			}
		}
		if len(r.Errors) > 0 {
			failed = true
		}
		printDiagnostics(s.errOut, r)
		results = append(results, r)
	}

	if asJSON {
		enc := json.NewEncoder(s.out)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		var err error
		switch {
		case len(results) > 1:
			err = enc.Encode(results)
		case results[0].Spec != nil:
			err = enc.Encode(results[0].Spec)
		}
		if err != nil {
			return err
		}
	}
	if failed {
		return exitError{1}
	}
	return nil
}

// printDiagnostics writes a file's errors and warnings in position order,
// errors first where they share a position.
func printDiagnostics(w io.Writer, r checkResult) {
	type line struct {
		d       buildspec.Diagnostic
		warning bool
	}
	var lines []line
	for _, d := range r.Errors {
		lines = append(lines, line{d: d})
	}
	for _, d := range r.Warnings {
		lines = append(lines, line{d: d, warning: true})
	}
	slices.SortStableFunc(lines, func(a, b line) int {
		if a.d.Line != b.d.Line {
			return a.d.Line - b.d.Line
		}
		return a.d.Column - b.d.Column
	})
	for _, l := range lines {
		prefix := r.File + ": "
		if l.d.Line > 0 {
			prefix = fmt.Sprintf("%s:%d:%d: ", r.File, l.d.Line, l.d.Column)
		}
		if l.warning {
			prefix += "warning: "
		}
		fmt.Fprintf(w, "%s%s\n", prefix, l.d.Message)
	}
}

// readBuildspecFile reads a buildspec, refusing one larger than
// buildspec.MaxSize before reading it.
func readBuildspecFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fileError(err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > buildspec.MaxSize {
		return nil, fmt.Errorf("buildspec is too large: %d bytes, the limit is %d bytes", fi.Size(), buildspec.MaxSize)
	}
	src, err := readLimited(f)
	if err != nil {
		return nil, fileError(err)
	}
	return src, nil
}

// readLimited reads r, refusing more than buildspec.MaxSize bytes.
func readLimited(r io.Reader) ([]byte, error) {
	src, err := io.ReadAll(io.LimitReader(r, buildspec.MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(src) > buildspec.MaxSize {
		return nil, fmt.Errorf("buildspec is too large: more than %d bytes", buildspec.MaxSize)
	}
	return src, nil
}

// fileError words a read error the way CodeBuild reports a missing
// buildspec: "YAML_FILE_ERROR Message: YAML file does not exist".
func fileError(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return errors.New("YAML file does not exist")
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
