package cli

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/cache"
	"github.com/codeyard/codeyard/internal/executor/docker"
	"github.com/codeyard/codeyard/internal/executor/shell"
	"github.com/codeyard/codeyard/internal/source"
)

// Exit codes of `codeyard build`, by build status.
const (
	exitFailed   = 1
	exitFault    = 3
	exitTimedOut = 124
	exitStopped  = 130
)

type buildFlags struct {
	buildspec      string
	env            []string
	secretsFile    string
	parametersFile string
	timeout        time.Duration
	inPlace        bool
	json           bool
	project        string
	image          string
	region         string
	account        string
	keep           bool
	parallel       int
	noBatch        bool
	artifacts      string
	reports        string
	packaging      string
	namespace      string
	container      containerFlags
	inContainer    bool // --image was given: the build runs in that image
	source         string
	sourceVersion  string
	endpoint       string
}

func newBuildCmd(s streams) *cobra.Command {
	var f buildFlags
	cmd := &cobra.Command{
		Use:   "build [DIR]",
		Short: "Run a buildspec on this machine as CodeBuild would",
		Long: `Run the buildspec of DIR (default: the current directory) through
CodeBuild's phases on this machine, on a scratch copy of DIR unless
--in-place is given. The log streams to stdout (to stderr with --json) and
is kept with the build's record under $CODEYARD_HOME (default
~/.local/state/codeyard). A summary ends the run on stderr.

A buildspec with a batch section runs as a batch build, as
StartBuildBatch does: every task is a build of its own, in dependency
order, --parallel at a time, each log line prefixed with the task's
identifier. --no-batch runs it as one build, as StartBuild does.

Exit status: 0 SUCCEEDED, 1 FAILED, 3 FAULT, 124 TIMED_OUT, 130 STOPPED,
2 for a usage error.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				if f.source != "" {
					return errors.New("give a source directory or --source, not both")
				}
				dir = args[0]
			}
			f.inContainer = cmd.Flags().Changed("image")
			return runBuild(cmd.Context(), s, dir, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.buildspec, "buildspec", "b", "", "buildspec file (default buildspec.yml in DIR); a relative path is taken from DIR")
	fl.StringArrayVarP(&f.env, "env", "e", nil, "environment variable override `NAME=VALUE` (repeatable); wins over the buildspec's env")
	fl.StringVar(&f.secretsFile, "secrets-file", "", "JSON or dotenv `FILE` of secrets-manager values by secret id")
	fl.StringVar(&f.parametersFile, "parameters-file", "", "JSON or dotenv `FILE` of parameter-store values by parameter name")
	fl.DurationVar(&f.timeout, "timeout", 60*time.Minute, "build timeout; the build ends TIMED_OUT after it")
	fl.BoolVar(&f.inPlace, "in-place", false, "build in DIR itself instead of a scratch copy")
	fl.BoolVar(&f.json, "json", false, "print the finished build as the CodeBuild API's Build shape on stdout")
	fl.StringVar(&f.project, "project", "", "project name (default: DIR's name)")
	fl.StringVar(&f.image, "image", "aws/codebuild/standard:7.0", "run the build in a container of this image, through the container engine of --docker-host or $DOCKER_HOST (default: on this host, with the name reported as CODEBUILD_BUILD_IMAGE)")
	f.container.register(fl, true)
	fl.StringVar(&f.region, "region", "", "region for ARNs and AWS_REGION (default $AWS_REGION, $AWS_DEFAULT_REGION or us-east-1)")
	fl.StringVar(&f.account, "account", "000000000000", "account id for ARNs")
	fl.BoolVar(&f.keep, "keep", false, "keep the scratch copy after the build")
	fl.StringVar(&f.artifacts, "artifacts", "", "write the build's artifacts into `DIR`, laid out as CodeBuild lays them out in its bucket")
	fl.StringVar(&f.reports, "reports", "", "write each test and coverage report as JSON (the API's Report, with its test cases or coverage) into `DIR`")
	fl.StringVar(&f.packaging, "artifacts-packaging", "NONE", "artifacts packaging: NONE (a folder) or ZIP")
	fl.StringVar(&f.namespace, "artifacts-namespace", "NONE", "artifacts namespace type: NONE or BUILD_ID (a folder per build)")
	fl.IntVar(&f.parallel, "parallel", runtime.NumCPU(), "batch builds: how many of the batch's builds run at once")
	fl.BoolVar(&f.noBatch, "no-batch", false, "run a buildspec that has a batch section as one build, as StartBuild does")
	fl.StringVar(&f.source, "source", "", "build `s3://bucket/key.zip` (unpacked) or s3://bucket/folder/ from the codeyard server's S3 store (--endpoint-url and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) instead of DIR")
	fl.StringVar(&f.sourceVersion, "source-version", "", "with --source: the object's version id")
	fl.StringVar(&f.endpoint, "endpoint-url", os.Getenv("AWS_ENDPOINT_URL"), "the codeyard server, for --source (AWS_ENDPOINT_URL)")
	return cmd
}

// source is what a build fetches: the source directory, or the --source
// object fetched into it.
func (l *local) source() build.Source {
	d := source.Dir{Path: l.dir, InPlace: l.f.inPlace, Exclude: []string{l.f.artifacts, l.f.reports}}
	if l.s3 != nil {
		return s3Source{dir: d, info: *l.s3}
	}
	return d
}

// validProjectName reports whether name is a CodeBuild project name,
// [A-Za-z0-9][A-Za-z0-9\-_]{1,254}. (A regexp with that repeat count costs
// most of a millisecond to compile at start-up.)
func validProjectName(name string) bool {
	if len(name) < 2 || len(name) > 255 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '-' && c != '_') {
			return false
		}
	}
	return true
}

// local is what every build of one `codeyard build` run shares.
type local struct {
	s       streams
	f       buildFlags
	dir     string // absolute source directory
	project string
	vars    []build.Variable
	secrets *fileSecrets
	region  string
	home    string
	tools   string            // directory of the helper commands' links
	s3      *build.SourceInfo // the --source object the directory was fetched from
	cache   *cache.Store
	engine  *build.Engine
}

func runBuild(ctx context.Context, s streams, dir string, f buildFlags) error {
	var s3info *build.SourceInfo
	if f.source != "" {
		if !strings.HasPrefix(f.source, "s3://") {
			return fmt.Errorf("--source %q: want s3://bucket/key", f.source)
		}
		region := cmpOr(f.region, os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"), "us-east-1")
		tmp, info, err := fetchS3Source(ctx, f, region)
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir, s3info, f.inPlace = tmp, &info, false
		if f.project == "" {
			f.project = sanitizeProject(strings.TrimSuffix(path.Base(strings.TrimSuffix(f.source, "/")), ".zip"))
		}
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		return fmt.Errorf("source directory %s: not a directory", dir)
	}
	project := f.project
	if project == "" {
		project = sanitizeProject(filepath.Base(abs))
	}
	if !validProjectName(project) {
		return fmt.Errorf("--project %q: a project name is 2 to 255 letters, digits, hyphens and underscores, starting with a letter or digit", project)
	}
	vars, err := parseEnvFlags(f.env)
	if err != nil {
		return err
	}
	if f.timeout <= 0 {
		return errors.New("--timeout must be positive")
	}
	if f.parallel < 1 {
		return errors.New("--parallel must be at least 1")
	}
	f.packaging, f.namespace = strings.ToUpper(f.packaging), strings.ToUpper(f.namespace)
	if f.packaging != "NONE" && f.packaging != "ZIP" {
		return fmt.Errorf("--artifacts-packaging %q: want NONE or ZIP", f.packaging)
	}
	if f.namespace != "NONE" && f.namespace != "BUILD_ID" {
		return fmt.Errorf("--artifacts-namespace %q: want NONE or BUILD_ID", f.namespace)
	}
	if f.artifacts != "" {
		if f.artifacts, err = filepath.Abs(f.artifacts); err != nil {
			return err
		}
	}
	if f.reports != "" {
		if f.reports, err = filepath.Abs(f.reports); err != nil {
			return err
		}
	}
	secrets := &fileSecrets{params: map[string]string{}, secrets: map[string]string{}}
	if f.parametersFile != "" {
		if secrets.params, err = readValuesFile(f.parametersFile); err != nil {
			return fmt.Errorf("--parameters-file: %w", err)
		}
	}
	if f.secretsFile != "" {
		if secrets.secrets, err = readValuesFile(f.secretsFile); err != nil {
			return fmt.Errorf("--secrets-file: %w", err)
		}
	}
	home, err := stateDir()
	if err != nil {
		return err
	}
	tools, err := toolsDir(home)
	if err != nil {
		return fmt.Errorf("helper commands: %w", err)
	}
	store, err := cache.Open(filepath.Join(home, "cache"))
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	l := &local{
		tools: tools,
		s3:    s3info,
		cache: store,
		s:     s, f: f, dir: abs, project: project, vars: vars, secrets: secrets, home: home,
		region: cmpOr(f.region, os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"), "us-east-1"),
	}
	var x build.Executor = shell.New(shell.Options{})
	if f.inContainer {
		dx, err := f.container.executor(ctx)
		if err != nil {
			return err
		}
		defer dx.Close()
		x = dx.With(docker.Environment{Privileged: f.container.privileged, ComputeType: f.container.computeType})
	}
	l.engine = build.NewEngine(x, secrets)
	if !f.noBatch {
		spec, err := l.batchSpec()
		if err != nil {
			return l.failBatchspec(err)
		}
		if spec != nil {
			return l.runBatch(ctx, spec)
		}
	}

	var logOut io.Writer = &terminal{w: s.out}
	if f.json {
		logOut = &terminal{w: s.errOut}
	}
	b, req, logPath, err := l.build(ctx, nil, logOut)
	if err != nil {
		return err
	}
	if f.json {
		if j, err := json.MarshalIndent(apiBuild(b, req), "", "  "); err == nil {
			s.out.Write(append(j, '\n'))
		}
	}
	printSummary(s.errOut, b, logPath)
	return exitError{exitCode(b.Status)}
}

// build runs one build, of the whole buildspec or of one batch task,
// writing its log to out and to build.log in its record directory.
func (l *local) build(ctx context.Context, task *build.BatchTask, out io.Writer) (*build.Build, *build.Request, string, error) {
	number, err := nextNumber(filepath.Join(l.home, "builds", l.project))
	if err != nil {
		return nil, nil, "", err
	}
	record := filepath.Join(l.home, "builds", l.project, strconv.FormatInt(number, 10))
	logFile, err := os.OpenFile(filepath.Join(record, "build.log"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, nil, "", err
	}
	defer logFile.Close()

	uuid := newUUID()
	workspace, scratch := l.dir, ""
	if !l.f.inPlace {
		// A fresh private directory per build: no path another user could
		// create first.
		if scratch, err = os.MkdirTemp("", "codeyard-"); err != nil {
			return nil, nil, "", err
		}
		os.Chmod(scratch, 0o755) // a run-as user must reach the source
		workspace = filepath.Join(scratch, "output", "src"+randomDigits(9), "src")
		if err := os.MkdirAll(workspace, 0o755); err != nil {
			os.RemoveAll(scratch)
			return nil, nil, "", err
		}
		if !l.f.keep {
			defer os.RemoveAll(scratch)
		}
	}
	req := &build.Request{
		UUID:      uuid,
		Project:   l.project,
		Number:    number,
		Region:    l.region,
		Account:   l.f.account,
		Initiator: initiator(),
		Image:     l.f.image,
		Source:    l.source(),
		Workspace: workspace,
		Buildspec: l.f.buildspec,
		BaseEnv:   os.Environ(),
		ToolsDir:  l.tools,
		Cache:     l.cache,
		CacheRoot: "/",
		Variables: l.vars,
		Timeout:   l.f.timeout,
	}
	if l.f.inContainer {
		// The image provides the environment; the source is where
		// CodeBuild mounts it.
		req.SrcDir = "/codebuild/output/src" + randomDigits(9) + "/src"
		req.BaseEnv, req.ToolsDir = nil, ""
		// Absolute cache paths pass through a directory of the build's
		// own on their way in and out of the container.
		root, err := os.MkdirTemp("", "codeyard-root-")
		if err != nil {
			return nil, nil, "", err
		}
		defer os.RemoveAll(root)
		req.CacheRoot = root
	}
	if l.f.artifacts != "" {
		req.Artifacts = &build.ArtifactSettings{
			Dir:                  l.f.artifacts,
			NamespaceType:        l.f.namespace,
			Name:                 l.project,
			Packaging:            l.f.packaging,
			OverrideArtifactName: true,
		}
	}
	if task != nil {
		if req.Artifacts != nil {
			// Combined artifacts: each build of the batch under its
			// identifier, as buildBatchConfig.combineArtifacts lays them out.
			req.Artifacts.Dir = filepath.Join(req.Artifacts.Dir, task.Identifier)
		}
		req.BatchIdentifier = task.Identifier
		req.Variables = append(slices.Clone(l.vars), task.Variables...)
		req.Buildspec = cmpOr(task.Buildspec, req.Buildspec)
		req.Image = cmpOr(task.Image, req.Image)
	}
	b := l.engine.Run(ctx, req, io.MultiWriter(logFile, out))
	if l.f.reports != "" && len(b.Reports) > 0 {
		dir := l.f.reports
		if task != nil {
			dir = filepath.Join(dir, task.Identifier) // one report per build of a batch
		}
		if err := writeReports(dir, b); err != nil {
			fmt.Fprintf(l.s.errOut, "codeyard: --reports: %v\n", err)
		}
	}
	if j, err := json.MarshalIndent(apiBuild(b, req), "", "  "); err == nil {
		os.WriteFile(filepath.Join(record, "build.json"), append(j, '\n'), 0o600)
	}
	if l.f.keep && scratch != "" {
		fmt.Fprintf(l.s.errOut, "Scratch copy kept: %s\n", workspace)
	}
	return b, req, logFile.Name(), nil
}

func exitCode(st build.Status) int {
	switch st {
	case build.StatusSucceeded:
		return 0
	case build.StatusFailed:
		return exitFailed
	case build.StatusTimedOut:
		return exitTimedOut
	case build.StatusStopped:
		return exitStopped
	}
	return exitFault
}

func cmpOr(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func parseEnvFlags(env []string) ([]build.Variable, error) {
	var vars []build.Variable
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--env %q: want NAME=VALUE", kv)
		}
		if strings.HasPrefix(k, "CODEBUILD_") {
			return nil, fmt.Errorf("--env %q: names starting with CODEBUILD_ are reserved", kv)
		}
		vars = append(vars, build.Variable{Name: k, Value: v, Type: build.VarPlaintext})
	}
	return vars, nil
}

func sanitizeProject(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	s := strings.TrimLeft(string(b), "-_")
	if len(s) < 2 {
		s = "local-" + s
	}
	return s
}

// stateDir is where local builds keep their records: $CODEYARD_HOME, or
// $XDG_STATE_HOME/codeyard, or ~/.local/state/codeyard.
func stateDir() (string, error) {
	if d := os.Getenv("CODEYARD_HOME"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "codeyard"), nil
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no place for build records: set CODEYARD_HOME (%w)", err)
	}
	return filepath.Join(h, ".local", "state", "codeyard"), nil
}

// nextNumber counts the records in dir: 1 for the first, never reused. It
// creates the record's directory, dir/<n>; concurrent builds take distinct
// numbers because each claims its directory with Mkdir.
func nextNumber(dir string) (int64, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, err
	}
	counter := filepath.Join(dir, "last-number")
	n := int64(0)
	if b, err := os.ReadFile(counter); err == nil {
		n, _ = strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	}
	for {
		n++
		err := os.Mkdir(filepath.Join(dir, strconv.FormatInt(n, 10)), 0o700)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		tmp := counter + "." + randomDigits(6)
		if err := os.WriteFile(tmp, []byte(strconv.FormatInt(n, 10)+"\n"), 0o600); err == nil {
			os.Rename(tmp, counter)
		}
		return n, nil
	}
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func randomDigits(n int) string {
	var sb strings.Builder
	for range n {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		sb.WriteByte(byte('0' + d.Int64()))
	}
	return sb.String()
}

func initiator() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "local"
}

// printSummary ends a local build: phases, exported variables, the failing
// command and where the log is.
func printSummary(w io.Writer, b *build.Build, logPath string) {
	fmt.Fprintf(w, "\nBuild %s (#%d) %s in %s\n", b.ID, b.Number, b.Status, roundDuration(b.End.Sub(b.Start)))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  PHASE\tSTATUS\tDURATION\tCONTEXT")
	for _, p := range b.Phases {
		if p.Type == build.PhaseCompleted {
			continue
		}
		ctx := ""
		if len(p.Contexts) > 0 && p.Contexts[0].StatusCode != "" {
			msg, _, _ := strings.Cut(p.Contexts[0].Message, "\n")
			ctx = p.Contexts[0].StatusCode + ": " + msg
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", p.Type, p.Status, roundDuration(p.Duration()), ctx)
	}
	tw.Flush()
	if len(b.Exported) > 0 {
		fmt.Fprintln(w, "Exported variables:")
		for _, v := range b.Exported {
			fmt.Fprintf(w, "  %s=%s\n", v.Name, v.Value)
		}
	}
	if len(b.Reports) > 0 {
		printReports(w, b.Reports)
	}
	if len(b.Artifacts) > 0 {
		fmt.Fprintln(w, "Artifacts:")
		for _, a := range b.Artifacts {
			id := a.Identifier
			if id == "" {
				id = "primary"
			}
			fmt.Fprintf(w, "  %s: %s (%d files)\n", id, b.Masked(a.Location), a.Files)
		}
	}
	if b.FailedCommand != "" {
		fmt.Fprintf(w, "Failed command: %s\n", b.FailedCommand)
	}
	fmt.Fprintf(w, "Log: %s\n", logPath)
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Microsecond)
}
