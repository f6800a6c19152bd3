package source

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/codeyard/codeyard/internal/build"
)

var _ build.Source = Git{}

// Git is a git repository used as a build's source, as CodeBuild clones
// CODECOMMIT, GITHUB, GITHUB_ENTERPRISE, BITBUCKET, GITLAB and
// GITLAB_SELF_MANAGED sources. Fetch shells out to the git command, which
// must be on PATH.
//
// Version takes the forms CodeBuild's sourceVersion takes (see the "Source
// version sample" in the CodeBuild user guide):
//   - empty: the HEAD of the default branch;
//   - a branch or tag name, or refs/heads/<branch>, refs/tags/<tag> or
//     any other full ref name;
//   - a full commit id, or an abbreviated one (which, as in CodeBuild,
//     needs the whole repository to be fetched);
//   - pr/<n>: a GitHub, GitHub Enterprise or Bitbucket pull request
//     (refs/pull/<n>/head), or else a GitLab merge request
//     (refs/merge-requests/<n>/head);
//   - <ref>^{<full commit id>}: that commit, with the ref saying where to
//     look for it when the server does not serve commits by id.
//
// The work tree is checked out detached at the commit, and keeps its .git
// directory with origin set to Location.
//
// Git runs with no user or system configuration, never prompts (ssh runs
// in batch mode), and is killed, with every process it started, when the
// context ends. Env adds to its environment and wins over what Fetch sets,
// which is how credentials come in, e.g. GIT_CONFIG_COUNT with a
// credential.helper, or GIT_SSH_COMMAND with a key (keep -o BatchMode=yes).
type Git struct {
	// Location is anything git clones from: an https, ssh or file URL,
	// scp-like user@host:path, or a local path.
	Location string
	// Version is the requested source version; see the type's doc.
	Version string
	// Depth is CodeBuild's gitCloneDepth: the number of commits to fetch,
	// 0 for the full history.
	Depth int
	// Submodules is CodeBuild's gitSubmodulesConfig.fetchSubmodules: check
	// out the submodules, recursively, fetched at the same Depth.
	Submodules bool
	// Identifier is a secondary source's sourceIdentifier, empty for the
	// primary source. Error messages name the source with it.
	Identifier string
	// Env is added to git's environment, KEY=VALUE.
	Env []string
}

// Fetch clones the repository into dir (which exists and is empty) and
// checks out Version. The errors a user has to fix (no such repository or
// version, credentials missing or refused) are *build.ContextError with
// status CLIENT_ERROR and CodeBuild's wording, followed by what git said.
func (g Git) Fetch(ctx context.Context, dir string) (build.SourceInfo, error) {
	info := build.SourceInfo{Location: g.Location, Version: g.Version}
	r, err := g.runner()
	if err != nil {
		return info, err
	}
	if err := r.fetch(ctx, dir); err != nil {
		return info, err
	}
	if g.Submodules {
		if _, err := os.Stat(filepath.Join(dir, ".gitmodules")); err == nil {
			args := []string{"submodule", "update", "-q", "--init", "--recursive"}
			if g.Depth > 0 {
				args = append(args, "--depth="+strconv.Itoa(g.Depth))
			}
			if err := r.run(ctx, dir, args...); err != nil {
				return info, r.failure(err)
			}
		}
	}
	info.ResolvedVersion = gitHead(dir)
	return info, nil
}

// Resolve returns the commit Version names, asking the remote (git
// ls-remote) without cloning it. A full commit id, alone or after a ref, is
// returned as it is, unchecked; an abbreviated one cannot be resolved this
// way and fails as a reference not found.
func (g Git) Resolve(ctx context.Context) (string, error) {
	r, err := g.runner()
	if err != nil {
		return "", err
	}
	v := g.Version
	if isCommitID(v) {
		return v, nil
	}
	if _, id, ok := cutPinned(v); ok {
		return id, nil
	}
	var refs []string
	switch n, ok := pullRequest(v); {
	case v == "":
		refs = []string{"HEAD"}
	case ok:
		refs = []string{"refs/pull/" + n + "/head", "refs/merge-requests/" + n + "/head"}
	case strings.HasPrefix(v, "refs/"):
		refs = []string{v}
	default:
		refs = []string{"refs/heads/" + v, "refs/tags/" + v}
	}
	args := []string{"ls-remote", "--", r.url}
	for _, ref := range refs {
		args = append(args, ref, ref+"^{}")
	}
	out, err := r.output(ctx, "", args...)
	if err != nil {
		return "", r.failure(err)
	}
	got := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if id, name, ok := strings.Cut(sc.Text(), "\t"); ok {
			got[name] = id
		}
	}
	for _, ref := range refs {
		if id := cmp.Or(got[ref+"^{}"], got[ref]); id != "" {
			return id, nil
		}
	}
	return "", r.clientError(reasonReference, "no ref "+strings.Join(refs, " or ")+" on the remote")
}

// Reasons are CodeBuild's words for a source it cannot download: its phase
// context reads "<reason> for primary source and source version <v>".
const (
	reasonRepository = "repository not found"
	reasonReference  = "reference not found"
	reasonAuth       = "authentication required"
	reasonForbidden  = "authorization failed"
)

// failures map what git says (in the C locale, lowercased) to a reason,
// checked in order.
var failures = []struct {
	reason   string
	patterns []string
}{
	{reasonAuth, []string{
		"could not read username", "could not read password", "terminal prompts disabled",
		"permission denied (publickey", "host key verification failed", "returned error: 401",
	}},
	{reasonForbidden, []string{"authentication failed for", "returned error: 403", "access denied"}},
	{reasonReference, []string{
		"couldn't find remote ref", "not found in upstream", "not our ref", "unadvertised object",
		"invalid reference", "reference is not a tree", "unknown revision", "did not match any",
		"is ambiguous", "needed a single revision", "bad revision",
	}},
	{reasonRepository, []string{
		"repository not found", "does not appear to be a git repository", "' not found", "' does not exist",
		"returned error: 404", "could not resolve host", "failed to connect", "connection refused",
		"connection timed out", "no route to host", "network is unreachable", "name or service not known",
		"ssl certificate problem",
	}},
}

// classify returns the reason for a git failure, empty if it is none of
// the user's, and the line of git's standard error that says the most.
func classify(stderr string) (reason, line string) {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for _, f := range failures {
		for _, l := range lines {
			low := strings.ToLower(l)
			for _, p := range f.patterns {
				if strings.Contains(low, p) {
					return f.reason, strings.TrimSpace(l)
				}
			}
		}
	}
	for _, l := range lines {
		if strings.HasPrefix(l, "fatal:") || strings.HasPrefix(l, "error:") {
			return "", strings.TrimSpace(l)
		}
	}
	return "", strings.TrimSpace(lines[len(lines)-1])
}

// gitError is a git command that failed.
type gitError struct {
	args   []string
	stderr string
	err    error
}

func (e *gitError) Error() string {
	_, line := classify(e.stderr)
	if line == "" {
		return fmt.Sprintf("git %s: %v", e.args[0], e.err)
	}
	return fmt.Sprintf("git %s: %v: %s", e.args[0], e.err, line)
}

func (e *gitError) Unwrap() error { return e.err }

func (e *gitError) reason() string {
	r, _ := classify(e.stderr)
	return r
}

// reasonOf returns the reason for err, empty when it is not a git failure
// of the user's.
func reasonOf(err error) string {
	var ge *gitError
	if errors.As(err, &ge) {
		return ge.reason()
	}
	return ""
}

// gitConfig is the configuration every git command runs with, on top of
// none from the user or the system. Submodules are allowed to come from
// file:// URLs, which git 2.38.1 stopped by default; nothing runs in the
// background after a fetch.
var gitConfig = []string{
	"-c", "protocol.file.allow=always",
	"-c", "maintenance.auto=false",
	"-c", "gc.auto=0",
	"-c", "advice.detachedHead=false",
	"-c", "init.defaultBranch=main",
}

// runner runs the git commands of one Fetch or Resolve.
type runner struct {
	g   Git
	url string // Location as git is given it
	env []string
}

func (g Git) runner() (*runner, error) {
	r := &runner{g: g, url: g.Location}
	if g.Location == "" {
		return nil, r.clientError(reasonRepository, "no location")
	}
	if strings.ContainsAny(g.Location, "\x00\r\n") {
		return nil, r.clientError(reasonRepository, "the location has a line break")
	}
	if isLocalPath(r.url) && !filepath.IsAbs(r.url) {
		abs, err := filepath.Abs(r.url)
		if err != nil {
			return nil, err
		}
		r.url = abs
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "GIT_") || k == "LC_ALL" || k == "LANGUAGE" || k == "SSH_ASKPASS" {
			continue
		}
		r.env = append(r.env, kv)
	}
	r.env = append(r.env,
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_ASKPASS=", // set and empty: no askpass program, not even SSH_ASKPASS
		"SSH_ASKPASS=",
		"GIT_SSH_COMMAND=ssh -o BatchMode=yes",
		"LC_ALL=C", // messages in English, to classify them
	)
	r.env = append(r.env, g.Env...)
	return r, nil
}

// fetch places the work tree at Version in dir. A name, refs/heads/<name>
// and the default branch are cloned in one git process, as fast as a plain
// git clone; the other forms initialise a repository, fetch what they
// name and check it out.
func (r *runner) fetch(ctx context.Context, dir string) error {
	v := r.g.Version
	if strings.HasPrefix(v, "-") || strings.ContainsAny(v, " \t\r\n\x00") {
		return r.clientError(reasonReference, "not a valid source version")
	}
	if isCommitID(v) {
		return r.fetchCommit(ctx, dir, "", v)
	}
	if ref, id, ok := cutPinned(v); ok {
		if n, ok := pullRequest(ref); ok {
			ref = "refs/pull/" + n + "/head"
		}
		return r.fetchCommit(ctx, dir, ref, id)
	}
	if n, ok := pullRequest(v); ok {
		return r.fetchRef(ctx, dir, "refs/pull/"+n+"/head", "refs/merge-requests/"+n+"/head")
	}
	if strings.HasPrefix(v, "refs/") && !strings.HasPrefix(v, "refs/heads/") {
		return r.fetchRef(ctx, dir, v)
	}
	err := r.clone(ctx, dir, strings.TrimPrefix(v, "refs/heads/"))
	if len(v) >= 4 && isHex(v) && reasonOf(err) == reasonReference {
		// Not a branch or tag: an abbreviated commit id, which only the
		// whole repository can resolve.
		if err := r.init(ctx, dir); err != nil {
			return err
		}
		if err := r.fetchAll(ctx, dir); err != nil {
			return err
		}
		return r.checkout(ctx, dir, v+"^{commit}")
	}
	return r.failure(err)
}

// clone clones the default branch, or the branch or tag name, and detaches
// HEAD. A git failure comes back as it is, for fetch to look at.
func (r *runner) clone(ctx context.Context, dir, name string) error {
	args := []string{"clone", "-q"}
	if r.g.Depth > 0 {
		// --no-local: a local path is otherwise copied whole, depth or not.
		args = append(args, "--depth="+strconv.Itoa(r.g.Depth), "--no-local")
	}
	if name != "" {
		args = append(args, "--branch="+name)
	}
	args = append(args, "--", r.url, dir)
	if err := r.run(ctx, "", args...); err != nil {
		return err
	}
	head := filepath.Join(dir, ".git", "HEAD")
	b, err := os.ReadFile(head)
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(b, []byte("ref: ")) {
		return nil // a tag: detached already
	}
	id := gitHead(dir)
	if id == "" {
		return r.clientError(reasonReference, "the repository has no commits")
	}
	// Detach in place: the index and work tree are at this commit already.
	return os.WriteFile(head, []byte(id+"\n"), 0o644)
}

// fetchCommit fetches the commit id, at Depth, and checks it out. Servers
// that do not serve commits by id (protocol v0 without
// uploadpack.allowAnySHA1InWant) get a full fetch of ref instead, or of
// every branch and tag.
func (r *runner) fetchCommit(ctx context.Context, dir, ref, id string) error {
	if err := r.init(ctx, dir); err != nil {
		return err
	}
	err := r.run(ctx, dir, r.fetchArgs(id)...)
	switch reasonOf(err) {
	case reasonRepository, reasonAuth, reasonForbidden:
		return r.failure(err)
	}
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		if ref != "" {
			err = r.run(ctx, dir, "fetch", "-q", "--", "origin", ref)
		} else {
			err = r.fetchAll(ctx, dir)
		}
		if err != nil {
			return r.failure(err)
		}
	}
	return r.checkout(ctx, dir, id+"^{commit}")
}

// fetchRef fetches the first of refs the remote has, at Depth, and checks
// it out.
func (r *runner) fetchRef(ctx context.Context, dir string, refs ...string) error {
	if err := r.init(ctx, dir); err != nil {
		return err
	}
	var first error
	for _, ref := range refs {
		err := r.run(ctx, dir, r.fetchArgs(ref)...)
		if err == nil {
			return r.checkout(ctx, dir, "FETCH_HEAD")
		}
		if first == nil {
			first = err
		}
		if reasonOf(err) != reasonReference {
			return r.failure(err)
		}
	}
	return r.failure(first)
}

func (r *runner) fetchArgs(what string) []string {
	args := []string{"fetch", "-q", "--no-tags"}
	if r.g.Depth > 0 {
		args = append(args, "--depth="+strconv.Itoa(r.g.Depth))
	}
	return append(args, "--", "origin", what)
}

func (r *runner) fetchAll(ctx context.Context, dir string) error {
	err := r.run(ctx, dir, "fetch", "-q", "--", "origin",
		"+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*")
	if err != nil {
		return r.failure(err)
	}
	return nil
}

// init makes dir an empty repository with origin at the location; the
// remote is written to .git/config directly, which saves a git process.
func (r *runner) init(ctx context.Context, dir string) error {
	if err := r.run(ctx, dir, "init", "-q"); err != nil {
		return r.failure(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, ".git", "config"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	q := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(r.url)
	_, err = fmt.Fprintf(f, "[remote \"origin\"]\n\turl = \"%s\"\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n", q)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (r *runner) checkout(ctx context.Context, dir, rev string) error {
	if err := r.run(ctx, dir, "checkout", "-q", "--detach", rev, "--"); err != nil {
		return r.failure(err)
	}
	return nil
}

// run runs git with args in dir (empty: the current directory), its
// standard input empty and its output discarded.
func (r *runner) run(ctx context.Context, dir string, args ...string) error {
	_, err := r.command(ctx, dir, false, args)
	return err
}

// output runs git like run and returns its standard output.
func (r *runner) output(ctx context.Context, dir string, args ...string) ([]byte, error) {
	return r.command(ctx, dir, true, args)
}

func (r *runner) command(ctx context.Context, dir string, stdout bool, args []string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", append(gitConfig[:len(gitConfig):len(gitConfig)], args...)...)
	cmd.Dir = dir
	cmd.Env = r.env
	var out bytes.Buffer
	if stdout {
		cmd.Stdout = &out
	}
	stderr := &capped{max: 16 << 10}
	cmd.Stderr = stderr
	// Its own process group, so that cancelling kills what git started
	// too: ssh, git-remote-https, upload-pack, index-pack.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("git %s: %w", args[0], context.Cause(ctx))
		}
		return nil, &gitError{args: args, stderr: stderr.String(), err: err}
	}
	return out.Bytes(), nil
}

// failure turns a git failure into the error Fetch returns: a
// *build.ContextError when it is the user's to fix.
func (r *runner) failure(err error) error {
	var ge *gitError
	if !errors.As(err, &ge) {
		return err
	}
	reason, line := classify(ge.stderr)
	if reason == "" {
		return errors.New(r.redact(err.Error()))
	}
	return r.clientError(reason, line)
}

// clientError words a failure as CodeBuild does, adding detail (git's
// line), with any password in the location masked.
func (r *runner) clientError(reason, detail string) *build.ContextError {
	var b strings.Builder
	b.WriteString(reason)
	if r.g.Identifier == "" {
		b.WriteString(" for primary source")
	} else {
		b.WriteString(" for secondary source " + r.g.Identifier)
	}
	if r.g.Version != "" {
		b.WriteString(" and source version " + r.g.Version)
	}
	if detail != "" {
		b.WriteString(": " + detail)
	}
	return &build.ContextError{StatusCode: build.CodeClientError, Message: r.redact(b.String())}
}

func (r *runner) redact(s string) string {
	u, err := url.Parse(r.g.Location)
	if err != nil || u.User == nil {
		return s
	}
	secret, ok := u.User.Password()
	if !ok && (u.Scheme == "https" || u.Scheme == "http") {
		secret = u.User.Username() // a token alone
	}
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, "*****")
}

// capped keeps the first max bytes written to it.
type capped struct {
	buf bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (c *capped) String() string { return c.buf.String() }

// isLocalPath reports whether git takes loc as a local path: neither a URL
// nor scp-like host:path (a colon before any slash).
func isLocalPath(loc string) bool {
	if strings.Contains(loc, "://") {
		return false
	}
	colon := strings.IndexByte(loc, ':')
	slash := strings.IndexByte(loc, '/')
	return colon < 0 || (slash >= 0 && slash < colon)
}

// pullRequest returns n for pr/<n>.
func pullRequest(v string) (string, bool) {
	n, ok := strings.CutPrefix(v, "pr/")
	if !ok || n == "" || strings.Trim(n, "0123456789") != "" {
		return "", false
	}
	return n, true
}

// cutPinned splits <ref>^{<full commit id>}.
func cutPinned(v string) (ref, id string, ok bool) {
	body, ok := strings.CutSuffix(v, "}")
	if !ok {
		return "", "", false
	}
	i := strings.LastIndex(body, "^{")
	if i <= 0 || !isCommitID(body[i+2:]) {
		return "", "", false
	}
	return body[:i], body[i+2:], true
}

// isCommitID reports whether s is a full SHA-1 or SHA-256 commit id.
func isCommitID(s string) bool {
	return (len(s) == 40 || len(s) == 64) && isHex(s)
}

func isHex(s string) bool {
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return s != ""
}
