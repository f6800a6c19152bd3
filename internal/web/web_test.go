package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codeyard/codeyard/internal/awsapi/shape"
	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
	"github.com/codeyard/codeyard/internal/blob"
	"github.com/codeyard/codeyard/internal/buildlog"
	"github.com/codeyard/codeyard/internal/codebuild"
	"github.com/codeyard/codeyard/internal/store"
	"github.com/codeyard/codeyard/internal/web"
)

// accounts is an in-memory web.Accounts.
type accounts struct {
	st *store.Store

	mu       sync.Mutex
	users    map[string]web.User
	hashes   map[string]string
	sessions map[string]session
}

type session struct {
	user, csrf string
	expires    time.Time
}

func (a *accounts) add(t testing.TB, name, password string, readOnly bool) {
	h, err := web.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.users[name] = web.User{Name: name, ReadOnly: readOnly}
	a.hashes[name] = h
}

func (a *accounts) Password(_ context.Context, name string) (web.User, string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u, ok := a.users[name]
	if !ok {
		return web.User{}, "", web.ErrNoUser
	}
	return u, a.hashes[name], nil
}

func (a *accounts) CreateSession(_ context.Context, id []byte, user, csrf string, _, expires time.Time) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sessions[string(id)] = session{user, csrf, expires}
	return nil
}

func (a *accounts) Session(_ context.Context, id []byte, now time.Time) (web.User, string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.sessions[string(id)]
	if !ok || !now.Before(s.expires) {
		return web.User{}, "", web.ErrNoUser
	}
	return a.users[s.user], s.csrf, nil
}

func (a *accounts) DeleteSession(_ context.Context, id []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.sessions, string(id))
	return nil
}

func (a *accounts) ActiveBuilds(ctx context.Context) ([]string, error) { return a.st.ActiveBuilds(ctx) }

type fixture struct {
	srv  *httptest.Server
	st   *store.Store
	svc  *codebuild.Service
	acc  *accounts
	now  time.Time
	logs *buildlog.Store

	objects *blob.Disk
}

func newFixture(t testing.TB) *fixture {
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logs, err := buildlog.Open(filepath.Join(dir, "logs"))
	if err != nil {
		t.Fatal(err)
	}
	objects, err := blob.OpenDisk(filepath.Join(dir, "blob"))
	if err != nil {
		t.Fatal(err)
	}
	svc := codebuild.New(codebuild.Config{Store: st, Objects: objects})
	acc := &accounts{st: st, users: map[string]web.User{}, hashes: map[string]string{}, sessions: map[string]session{}}
	acc.add(t, "admin", "admin-password", false)
	acc.add(t, "viewer", "viewer-password", true)
	ui, err := web.New(web.Config{CodeBuild: svc, Logs: logs, Accounts: acc, Objects: objects, Region: "us-east-1", Account: "000000000000"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ui)
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, st: st, svc: svc, acc: acc, logs: logs, objects: objects}
}

// client is a browser: cookies, no redirects followed.
func (f *fixture) client(t testing.TB) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func get(t testing.TB, c *http.Client, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func post(t testing.TB, c *http.Client, u string, form url.Values) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// login signs in and returns the session's CSRF token.
func (f *fixture) login(t testing.TB, c *http.Client, user, password string) string {
	t.Helper()
	_, body, _ := get(t, c, f.srv.URL+web.Prefix+"login")
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("login page has no csrf field:\n%s", body)
	}
	code, body, h := post(t, c, f.srv.URL+web.Prefix+"login", url.Values{"name": {user}, "password": {password}, "csrf": {m[1]}, "next": {web.Prefix}})
	if code != http.StatusSeeOther {
		t.Fatalf("POST login as %s = %d, want 303:\n%s", user, code, body)
	}
	if loc := h.Get("Location"); loc != web.Prefix {
		t.Errorf("login redirects to %q, want %q", loc, web.Prefix)
	}
	_, body, _ = get(t, c, f.srv.URL+web.Prefix)
	m = csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("dashboard has no csrf field:\n%s", body)
	}
	return m[1]
}

func (f *fixture) project(t testing.TB, name string) {
	t.Helper()
	_, err := f.svc.CreateProject(context.Background(), codebuild.Caller{Region: "us-east-1", Account: "000000000000"}, &cb.CreateProjectInput{
		Name: name, Source: &cb.ProjectSource{Type: "NO_SOURCE", Buildspec: "version: 0.2"}, Artifacts: &cb.ProjectArtifacts{Type: "NO_ARTIFACTS"},
		Environment: &cb.ProjectEnvironment{Type: "LINUX_CONTAINER", Image: "aws/codebuild/standard:7.0", ComputeType: "BUILD_GENERAL1_SMALL"},
		ServiceRole: "arn:aws:iam::000000000000:role/r",
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.project(t, "demo")
	c := f.client(t)

	if code, _, h := get(t, c, f.srv.URL+web.Prefix+"projects/demo"); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), web.Prefix+"login?next=") {
		t.Errorf("signed-out GET project = %d %s, want a redirect to login", code, h.Get("Location"))
	}
	// A login POST without the login form's token is refused.
	if code, _, _ := post(t, c, f.srv.URL+web.Prefix+"login", url.Values{"name": {"admin"}, "password": {"admin-password"}}); code != http.StatusForbidden {
		t.Errorf("login without csrf = %d, want 403", code)
	}
	csrf := f.login(t, c, "admin", "admin-password")

	// State changes need the session's CSRF token.
	if code, _, _ := post(t, c, f.srv.URL+web.Prefix+"projects/demo/builds", url.Values{}); code != http.StatusForbidden {
		t.Errorf("start build without csrf = %d, want 403", code)
	}
	if code, _, _ := post(t, c, f.srv.URL+web.Prefix+"projects/demo/builds", url.Values{"csrf": {"x" + csrf}}); code != http.StatusForbidden {
		t.Errorf("start build with a wrong csrf = %d, want 403", code)
	}
	code, body, h := post(t, c, f.srv.URL+web.Prefix+"projects/demo/builds", url.Values{"csrf": {csrf}, "env": {"bad line"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "want NAME=value") {
		t.Errorf("start build with a bad env = %d, want 422 with a message next to the field", code)
	}
	code, _, h = post(t, c, f.srv.URL+web.Prefix+"projects/demo/builds", url.Values{"csrf": {csrf}, "sourceVersion": {"main"}, "env": {"A=1\nB=two=2"}})
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), web.Prefix+"builds/demo") {
		t.Fatalf("start build = %d %s, want a redirect to the build", code, h.Get("Location"))
	}
	id, _ := url.PathUnescape(strings.TrimPrefix(h.Get("Location"), web.Prefix+"builds/"))
	bs, _, _ := f.svc.Builds(context.Background(), []string{id})
	if len(bs) != 1 || bs[0].Initiator != "admin" || bs[0].SourceVersion != "main" {
		t.Errorf("started build = %+v, want initiator admin, source version main", bs)
	}

	// A read-only user reads but cannot start or stop.
	rc := f.client(t)
	rcsrf := f.login(t, rc, "viewer", "viewer-password")
	if code, body, _ := get(t, rc, f.srv.URL+web.Prefix+"projects/demo"); code != 200 || strings.Contains(body, "Start build") {
		t.Errorf("read-only project page = %d, shows the start form: %v", code, strings.Contains(body, "Start build"))
	}
	for _, p := range []string{"projects/demo/builds", "builds/" + url.PathEscape(id) + "/stop", "projects/demo/delete"} {
		if code, _, _ := post(t, rc, f.srv.URL+web.Prefix+p, url.Values{"csrf": {rcsrf}, "confirm": {"demo"}}); code != http.StatusForbidden {
			t.Errorf("read-only POST %s = %d, want 403", p, code)
		}
	}

	// Logout ends the session.
	post(t, c, f.srv.URL+web.Prefix+"logout", url.Values{"csrf": {csrf}})
	if code, _, _ := get(t, c, f.srv.URL+web.Prefix); code != http.StatusSeeOther {
		t.Errorf("GET after logout = %d, want a redirect to login", code)
	}
	// A login's next is kept on the UI.
	_, body, _ = get(t, c, f.srv.URL+web.Prefix+"login?next=//evil.example/")
	if !strings.Contains(body, `name="next" value="/_codeyard/"`) {
		t.Errorf("login page kept an off-site next")
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client(t)
	f.login(t, c, "admin", "admin-password")
	for _, p := range []string{"builds/nope:123", "projects/nope", "reports/arn:aws:codebuild:us-east-1:000000000000:report/x:y", "nothing/here",
		"report-groups/arn:aws:codebuild:us-east-1:000000000000:report-group/x", "projects/nope/edit",
		"batches/nope:1", "builds/nope:1/artifact"} {
		code, body, _ := get(t, c, f.srv.URL+web.Prefix+p)
		if code != http.StatusNotFound || !strings.Contains(body, "<h1>Not Found</h1>") {
			t.Errorf("GET %s = %d, want the 404 page", p, code)
		}
	}
}

// TestLogIsText checks that a log line's markup and escape sequences are
// shown as text, with colours as classes, in the page and the live
// stream.
func TestLogIsText(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.project(t, "demo")
	b, err := f.svc.StartBuild(context.Background(), codebuild.Caller{Region: "us-east-1", Account: "000000000000", Initiator: "x"}, &cb.StartBuildInput{ProjectName: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := f.logs.Create(b.Logs.GroupName, b.Logs.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, "\x1b[1;31mred</span><script>alert(1)</script>\x1b[0m plain\n")
	fmt.Fprint(w, "\x1b]0;title\x07osc gone \x1b[2Kcleared & \"quoted\" \x00nul\n")
	fmt.Fprint(w, "progress 10%\rprogress 100%\n")
	w.Close()

	c := f.client(t)
	f.login(t, c, "admin", "admin-password")
	_, body, _ := get(t, c, f.srv.URL+web.Prefix+"builds/"+url.PathEscape(b.Id))
	for _, want := range []string{
		`<span class="t"><span class="f1 bo">red&lt;/span&gt;&lt;script&gt;alert(1)&lt;/script&gt;</span> plain</span>`,
		`<span class="t">osc gone cleared &amp; &#34;quoted&#34; ␀nul</span>`,
		`<span class="t">progress 100%</span>`,
		`id="L3"><a class="n" href="#L3"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("build page lacks %s", want)
		}
	}
	if strings.Contains(body, "<script>alert") {
		t.Errorf("build page has the log's script tag as markup")
	}
	_, raw, h := get(t, c, f.srv.URL+web.Prefix+"builds/"+url.PathEscape(b.Id)+"/log")
	if !strings.HasPrefix(h.Get("Content-Type"), "text/plain") || !strings.Contains(raw, "<script>alert(1)</script>") {
		t.Errorf("raw log: %s %q", h.Get("Content-Type"), raw)
	}
	// The live stream starts after the lines the page has: here, from
	// the second line on.
	m := regexp.MustCompile(`/events\?shown=3&amp;token=([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("build page of a running build has no live log")
	}
	tok := strings.Replace(m[1], "3/s", "1/s", 1)
	req, _ := http.NewRequest("GET", f.srv.URL+web.Prefix+"builds/"+url.PathEscape(b.Id)+"/events?shown=1&token="+url.QueryEscape(tok), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	resp, err := c.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(data, []byte(`id="L2"`)) || bytes.Contains(data, []byte(`id="L1"`)) || !bytes.Contains(data, []byte("\nid: 3 ")) {
		t.Errorf("live stream from line 2:\n%s", data)
	}
}

// seed stores n builds of one project, and 50 of others, as finished
// builds with phases, as the worker leaves them.
func seed(t testing.TB, f *fixture, n int) {
	ctx := context.Background()
	f.project(t, "big")
	f.project(t, "other")
	start := time.Now().Add(-time.Duration(n) * time.Minute)
	for i := range n + 50 {
		project := "big"
		if i%(n/50+1) == 0 {
			project = "other"
		}
		_, err := f.st.CreateBuild(ctx, project, nil, func(num int64) (*codebuild.BuildRecord, error) {
			id := fmt.Sprintf("%s:%08d-0000-4000-8000-000000000000", project, i)
			st := shape.NewTime(start.Add(time.Duration(i) * time.Minute))
			end := shape.NewTime(st.Add(90 * time.Second))
			status := "SUCCEEDED"
			if i%7 == 0 {
				status = "FAILED"
			}
			var phases []cb.BuildPhase
			for _, p := range []string{"SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL", "PRE_BUILD", "BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED"} {
				phases = append(phases, cb.BuildPhase{PhaseType: p, PhaseStatus: "SUCCEEDED", StartTime: st, EndTime: end, DurationInSeconds: new(int64(9))})
			}
			done := true
			doc, _ := json.Marshal(&cb.Build{Id: id, Arn: "arn:aws:codebuild:us-east-1:000000000000:build/" + id, BuildNumber: &num, ProjectName: project,
				BuildStatus: status, StartTime: st, EndTime: end, BuildComplete: &done, Phases: phases, SourceVersion: "main",
				ResolvedSourceVersion: "0123456789abcdef0123456789abcdef01234567", Initiator: "admin",
				Environment: &cb.ProjectEnvironment{Type: "LINUX_CONTAINER", Image: "aws/codebuild/standard:7.0", EnvironmentVariables: []cb.EnvironmentVariable{{Name: "A", Value: "1", Type: "PLAINTEXT"}}},
				Logs:        &cb.LogsLocation{GroupName: "/aws/codebuild/" + project, StreamName: id[len(project)+1:]}})
			return &codebuild.BuildRecord{ID: id, ARN: "arn:aws:codebuild:us-east-1:000000000000:build/" + id, Project: project, Number: num, Status: status, Start: st.Time, Doc: doc}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkPages renders the pages that list builds with 10,000 builds
// in the database; each must stay under 50 ms.
func BenchmarkPages(b *testing.B) {
	f := newFixture(b)
	seed(b, f, 10000)
	group, _ := f.reports(b, "big", 200)
	batch, _ := f.batch(b, "big")
	// The last build has a log of 10,000 coloured lines.
	w, err := f.logs.Create("/aws/codebuild/big", "00009999-0000-4000-8000-000000000000")
	if err != nil {
		b.Fatal(err)
	}
	for i := range 10000 {
		fmt.Fprintf(w, "\x1b[32m[Container]\x1b[0m 2026/01/02 03:04:05.%06d line %d of the build's output, phase INSTALL\n", i, i)
	}
	w.Close()
	c := f.client(b)
	f.login(b, c, "admin", "admin-password")
	for _, p := range []string{"", "projects", "projects/big", "projects/big/edit", "builds/big:00009999-0000-4000-8000-000000000000",
		"report-groups", "report-groups/" + group, "batches/" + batch, "builds/big:00009999-0000-4000-8000-000000000000?q=INSTALL"} {
		b.Run("/"+p, func(b *testing.B) {
			var worst time.Duration
			for b.Loop() {
				start := time.Now()
				code, body, _ := get(b, c, f.srv.URL+web.Prefix+p)
				if d := time.Since(start); d > worst {
					worst = d
				}
				if code != 200 {
					b.Fatalf("GET %s = %d:\n%s", p, code, body)
				}
			}
			b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
		})
	}
}

func TestEditProject(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.project(t, "demo")
	c := f.client(t)
	csrf := f.login(t, c, "admin", "admin-password")
	u := f.srv.URL + web.Prefix + "projects/demo/edit"

	code, body, _ := get(t, c, u)
	if code != 200 || !strings.Contains(body, `id="image" name="image" value="aws/codebuild/standard:7.0"`) || !strings.Contains(body, `>version: 0.2</textarea>`) {
		t.Fatalf("GET edit = %d, want the form filled with the project:\n%s", code, body)
	}
	form := url.Values{"csrf": {csrf}, "description": {"edited"}, "sourceType": {"NO_SOURCE"}, "buildspec": {"version: 0.2\nphases: {build: {commands: [true]}}\n"},
		"image": {"img:2"}, "computeType": {"BUILD_GENERAL1_MEDIUM"}, "timeout": {"30"}, "sourceVersion": {"main"},
		"artifactsType": {"S3"}, "artifactsLocation": {"out-bucket"}, "artifactsName": {"dist.zip"}, "artifactsPackaging": {"ZIP"}}

	tests := []struct {
		name  string
		set   map[string]string
		field string // the field whose message the answer shows
	}{
		{"timeout", map[string]string{"timeout": "4"}, "timeout"},
		{"bucket", map[string]string{"artifactsLocation": "Not_A_Bucket"}, "artifactsLocation"},
		{"zip without a name", map[string]string{"artifactsName": ""}, "artifactsName"},
		{"location without a source", map[string]string{"location": "https://example.com/x.git"}, "location"},
		{"compute type", map[string]string{"computeType": "HUGE"}, "computeType"},
	}
	for _, tt := range tests {
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		for k, v := range tt.set {
			bad.Set(k, v)
		}
		code, body, _ := post(t, c, u, bad)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="`+tt.field+`-err"`) || !strings.Contains(body, `aria-describedby="`+tt.field+`-err"`) {
			t.Errorf("POST edit with a bad %s = %d, want 422 with a message next to %s", tt.name, code, tt.field)
		}
	}
	if ps, _, _ := f.svc.Projects(context.Background(), []string{"demo"}); ps[0].Environment.Image != "aws/codebuild/standard:7.0" {
		t.Errorf("a refused edit changed the project: image %s", ps[0].Environment.Image)
	}

	code, body, h := post(t, c, u, form)
	if code != http.StatusSeeOther || h.Get("Location") != web.Prefix+"projects/demo" {
		t.Fatalf("POST edit = %d %s, want a redirect to the project:\n%s", code, h.Get("Location"), body)
	}
	ps, _, _ := f.svc.Projects(context.Background(), []string{"demo"})
	p := ps[0]
	if p.Description != "edited" || p.Environment.Image != "img:2" || p.Environment.ComputeType != "BUILD_GENERAL1_MEDIUM" || deref(p.TimeoutInMinutes) != 30 ||
		p.SourceVersion != "main" || p.Artifacts.Type != "S3" || p.Artifacts.Location != "out-bucket" || p.Artifacts.Packaging != "ZIP" || p.Environment.Type != "LINUX_CONTAINER" {
		t.Errorf("edited project = %+v %+v %+v", p, p.Environment, p.Artifacts)
	}
	// Emptied fields empty the project's.
	form.Set("description", "")
	form.Set("sourceVersion", "")
	form.Set("artifactsType", "NO_ARTIFACTS")
	if code, body, _ := post(t, c, u, form); code != http.StatusSeeOther {
		t.Fatalf("POST edit emptying fields = %d:\n%s", code, body)
	}
	ps, _, _ = f.svc.Projects(context.Background(), []string{"demo"})
	if p := ps[0]; p.Description != "" || p.SourceVersion != "" || p.Artifacts.Type != "NO_ARTIFACTS" {
		t.Errorf("project after emptying fields: description %q, source version %q, artifacts %+v", p.Description, p.SourceVersion, p.Artifacts)
	}

	// Read-only users, missing tokens and missing projects are refused.
	if code, _, _ := post(t, c, u, url.Values{"description": {"x"}}); code != http.StatusForbidden {
		t.Errorf("POST edit without csrf = %d, want 403", code)
	}
	rc := f.client(t)
	rcsrf := f.login(t, rc, "viewer", "viewer-password")
	form.Set("csrf", rcsrf)
	if code, _, _ := post(t, rc, u, form); code != http.StatusForbidden {
		t.Errorf("read-only POST edit = %d, want 403", code)
	}
	if code, body, _ := get(t, rc, f.srv.URL+web.Prefix+"projects/demo"); code != 200 || strings.Contains(body, "Edit project") {
		t.Errorf("read-only project page = %d, offers the edit link: %v", code, strings.Contains(body, "Edit project"))
	}
	if code, _, _ := get(t, c, f.srv.URL+web.Prefix+"projects/nope/edit"); code != http.StatusNotFound {
		t.Errorf("GET edit of a missing project = %d, want 404", code)
	}
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// reports stores n test reports in a report group (named after the
// project), of builds of the project, oldest first: every third has a
// failure.
func (f *fixture) reports(t testing.TB, project string, n int) (groupARN string, reportARNs []string) {
	t.Helper()
	ctx := context.Background()
	groupARN = "arn:aws:codebuild:us-east-1:000000000000:report-group/" + project + "-unit"
	now := time.Now().Add(-time.Duration(n) * time.Hour)
	g := cb.ReportGroup{Arn: groupARN, Name: project + "-unit", Type: "TEST", Status: "ACTIVE", Created: shape.NewTime(now)}
	gdoc, _ := json.Marshal(&g)
	for i := range n {
		arn := fmt.Sprintf("arn:aws:codebuild:us-east-1:000000000000:report/%s-unit:%08d-0000-4000-8000-000000000000", project, i)
		created := now.Add(time.Duration(i) * time.Hour)
		failed, status := int64(0), "SUCCEEDED"
		if i%3 == 2 {
			failed, status = 1, "FAILED"
		}
		total := int64(4)
		rep := cb.Report{Arn: arn, Type: "TEST", Name: project + "-unit", ReportGroupArn: groupARN, Status: status, Created: shape.NewTime(created),
			ExecutionId: fmt.Sprintf("arn:aws:codebuild:us-east-1:000000000000:build/%s:%08d-0000-4000-8000-000000000000", project, i),
			TestSummary: &cb.TestReportSummary{Total: &total, StatusCounts: map[string]int64{"SUCCEEDED": total - failed, "FAILED": failed}, DurationInNanoSeconds: new(int64(int64(i+1) * 1e9))}}
		doc, _ := json.Marshal(&rep)
		err := f.st.PutReport(ctx, &codebuild.ReportRecord{ARN: arn, GroupARN: groupARN, Type: "TEST", Status: status, Created: created, Doc: doc},
			&codebuild.ReportGroupRecord{ARN: groupARN, Name: g.Name, Type: "TEST", Created: now, Modified: now, Doc: gdoc})
		if err != nil {
			t.Fatal(err)
		}
		reportARNs = append(reportARNs, arn)
	}
	return groupARN, reportARNs
}

func TestReportGroups(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	group, arns := f.reports(t, "demo", 6)
	c := f.client(t)
	f.login(t, c, "admin", "admin-password")

	code, body, _ := get(t, c, f.srv.URL+web.Prefix+"report-groups")
	if code != 200 || !strings.Contains(body, `href="/_codeyard/report-groups/`+group+`">demo-unit</a>`) || !strings.Contains(body, "75% passed of 4") {
		t.Errorf("GET report-groups = %d, want the group with its latest report (75%% passed):\n%s", code, body)
	}
	code, body, _ = get(t, c, f.srv.URL+web.Prefix+"report-groups/"+group)
	if code != 200 {
		t.Fatalf("GET report group = %d:\n%s", code, body)
	}
	for _, want := range []string{
		`<svg class="chart"`, `<title id="trend-pass_rate-t">Pass rate of the last 6 reports</title>`,
		// Oldest first: 100, 100, 75, 100, 100, 75.
		`<desc id="trend-pass_rate-d">6 points, oldest first: average 91.7%, lowest 75%, highest 100%, latest 75%.</desc>`,
		`<desc id="trend-duration-d">6 points, oldest first: average 3.5s, lowest 1s, highest 6s, latest 6s.</desc>`,
		`<a href="/_codeyard/reports/` + arns[0] + `"><circle class="pt ok"`,
		`<circle class="pt bad"`,
		`href="/_codeyard/builds/demo:00000005-0000-4000-8000-000000000000"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("report group page lacks %s", want)
		}
	}
	if i, j := strings.Index(body, arns[5]+`">demo-unit`), strings.Index(body, arns[0]+`">demo-unit`); i < 0 || j < 0 || i > j {
		t.Errorf("report group page's table is not newest first (%d, %d)", i, j)
	}
	// The report links back to its group.
	if _, body, _ := get(t, c, f.srv.URL+web.Prefix+"reports/"+arns[0]); !strings.Contains(body, `href="/_codeyard/report-groups/`+group+`"`) {
		t.Errorf("report page does not link to its group")
	}
	if code, _, _ := get(t, c, f.srv.URL+web.Prefix+"report-groups/arn:aws:codebuild:us-east-1:000000000000:report-group/nope"); code != http.StatusNotFound {
		t.Errorf("GET missing report group = %d, want 404", code)
	}
}

func TestDashboardTrends(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client(t)
	f.login(t, c, "admin", "admin-password")
	if _, body, _ := get(t, c, f.srv.URL+web.Prefix); strings.Contains(body, "<svg") {
		t.Errorf("dashboard without builds has a chart")
	}
	seed(t, f, 100)
	_, body, _ := get(t, c, f.srv.URL+web.Prefix)
	for _, want := range []string{
		`<title id="trend-success-t">Success rate of the last 100 finished builds, 10 at a time</title>`,
		`<title id="trend-duration-t">Duration of the last 50 finished builds</title>`,
		`<desc id="trend-duration-d">50 points, oldest first: average 1m 30s, lowest 1m 30s, highest 1m 30s, latest 1m 30s.</desc>`,
		`<rect class="pt bad"`,
		`<a href="/_codeyard/builds/big:00000149-0000-4000-8000-000000000000"><rect class="pt ok"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %s", want)
		}
	}
}

// finished stores a finished build of a project, as the worker leaves it
// after edit changes it.
func (f *fixture) finished(t testing.TB, project string, edit func(b *cb.Build)) string {
	t.Helper()
	rec, err := f.st.CreateBuild(context.Background(), project, nil, func(num int64) (*codebuild.BuildRecord, error) {
		id := fmt.Sprintf("%s:%08d-0000-4000-8000-%012d", project, num, num)
		start := shape.NewTime(time.Now().Add(-time.Minute))
		done := true
		b := &cb.Build{Id: id, Arn: "arn:aws:codebuild:us-east-1:000000000000:build/" + id, BuildNumber: &num, ProjectName: project,
			BuildStatus: "SUCCEEDED", StartTime: start, EndTime: shape.NewTime(time.Now()), BuildComplete: &done, Initiator: "admin"}
		edit(b)
		doc, _ := json.Marshal(b)
		return &codebuild.BuildRecord{ID: id, ARN: b.Arn, Project: project, Number: num, Status: b.BuildStatus, Start: start.Time, Doc: doc}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec.ID
}

func TestArtifacts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.project(t, "demo")
	ctx := context.Background()
	if err := f.objects.CreateBucket(ctx, "out", "us-east-1"); err != nil {
		t.Fatal(err)
	}
	for key, body := range map[string]string{"demo/dist.zip": "PK zip bytes", "demo/site/index.html": "<h1>hi</h1>", "demo/site/css/a b.css": "body{}", "secret": "not an artifact"} {
		if _, err := f.objects.Put(ctx, "out", key, strings.NewReader(body), blob.PutOptions{ContentType: "application/zip"}); err != nil {
			t.Fatal(err)
		}
	}
	id := f.finished(t, "demo", func(b *cb.Build) {
		b.Artifacts = &cb.BuildArtifacts{Location: "arn:aws:s3:::out/demo/dist.zip", Sha256sum: "abc"}
		b.SecondaryArtifacts = []cb.BuildArtifacts{
			{ArtifactIdentifier: "site", Location: "arn:aws:s3:::out/demo/site"},
			{ArtifactIdentifier: "lost", Location: "arn:aws:s3:::out/demo/lost.zip"},
		}
	})
	c := f.client(t)
	f.login(t, c, "viewer", "viewer-password") // reading needs no write access
	base := f.srv.URL + web.Prefix + "builds/" + url.PathEscape(id)
	_, body, _ := get(t, c, base)
	for _, want := range []string{
		`<a href="/_codeyard/builds/` + url.PathEscape(id) + `/artifact" download>dist.zip</a> <span class="muted">12 B</span>`,
		`href="/_codeyard/builds/` + url.PathEscape(id) + `/artifact?a=site&amp;file=index.html" download>index.html</a>`,
		`href="/_codeyard/builds/` + url.PathEscape(id) + `/artifact?a=site&amp;file=css%2Fa&#43;b.css" download>css/a b.css</a>`,
		`Its objects are no longer in the store.`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("build page lacks %s", want)
		}
	}

	tests := []struct {
		query       string
		code        int
		body, fname string
	}{
		{"", 200, "PK zip bytes", "dist.zip"},
		{"?a=site&file=index.html", 200, "<h1>hi</h1>", "index.html"},
		{"?a=site&file=" + url.QueryEscape("css/a b.css"), 200, "body{}", "a b.css"},
		{"?a=lost", 404, "", ""},
		{"?a=nope", 404, "", ""},
		{"?a=site&file=missing.txt", 404, "", ""},
		{"?a=site&file=" + url.QueryEscape("../../secret"), 404, "", ""},
		{"?a=site&file=" + url.QueryEscape("/secret"), 404, "", ""},
	}
	for _, tt := range tests {
		code, got, h := get(t, c, base+"/artifact"+tt.query)
		if code != tt.code {
			t.Errorf("GET artifact%s = %d, want %d", tt.query, code, tt.code)
			continue
		}
		if tt.code != 200 {
			if !strings.Contains(got, "<h1>Not Found</h1>") {
				t.Errorf("GET artifact%s: not the 404 page", tt.query)
			}
			continue
		}
		_, params, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
		if got != tt.body || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || params["filename"] != tt.fname {
			t.Errorf("GET artifact%s = %q, %s; want %q as attachment %s", tt.query, got, h.Get("Content-Disposition"), tt.body, tt.fname)
		}
	}
	if code, _, _ := get(t, c, f.srv.URL+web.Prefix+"builds/demo:nope/artifact"); code != 404 {
		t.Errorf("GET artifact of a missing build = %d, want 404", code)
	}
	// Signed out, nothing is served.
	if code, _, _ := get(t, f.client(t), base+"/artifact"); code != http.StatusSeeOther {
		t.Errorf("signed-out GET artifact = %d, want a redirect to sign in", code)
	}
}

func TestLogSearch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.project(t, "demo")
	id := f.finished(t, "demo", func(b *cb.Build) {
		b.Logs = &cb.LogsLocation{GroupName: "/aws/codebuild/demo", StreamName: "s"}
	})
	w, err := f.logs.Create("/aws/codebuild/demo", "s")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(w, "starting\n\x1b[31mERROR\x1b[0m: disk <full> & more\nfine\nan error again, Error three\nend\n")
	w.Close()
	c := f.client(t)
	f.login(t, c, "viewer", "viewer-password")
	base := f.srv.URL + web.Prefix + "builds/" + url.PathEscape(id)
	href := `/_codeyard/builds/` + url.PathEscape(id)

	tests := []struct {
		q       string
		code    int
		want    []string
		notWant []string
	}{
		{"error", 200, []string{
			`2 lines of 5 contain “error”`,
			`<div class="l" id="L2"><a class="n" href="` + href + `#L2" aria-label="line 2 in the whole log">2</a><span class="t"><mark>ERROR</mark>: disk &lt;full&gt; &amp; more</span></div>`,
			`<span class="t">an <mark>error</mark> again, <mark>Error</mark> three</span>`,
		}, []string{`id="L1"`, `id="L3"`, `data-events`}},
		{"<full> &", 200, []string{`1 line of 5 contain “&lt;full&gt; &amp;”`, `disk <mark>&lt;full&gt; &amp;</mark> more`}, nil},
		{"nothing like this", 200, []string{`0 lines of 5 contain`}, []string{`class="l"`}},
		{"   ", 200, []string{`id="L5"`}, []string{`search-summary`}},
		{strings.Repeat("x", 201), http.StatusUnprocessableEntity, []string{`<p class="err" id="q-err">At most 200 characters.</p>`, `aria-describedby="q-err"`}, nil},
	}
	for _, tt := range tests {
		code, body, _ := get(t, c, base+"?q="+url.QueryEscape(tt.q))
		if code != tt.code {
			t.Errorf("GET build?q=%q = %d, want %d", tt.q, code, tt.code)
		}
		for _, w := range tt.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET build?q=%q lacks %s", tt.q, w)
			}
		}
		for _, w := range tt.notWant {
			if strings.Contains(body, w) {
				t.Errorf("GET build?q=%q has %s", tt.q, w)
			}
		}
	}
	// The whole log has the search form and the permalinks.
	_, body, _ := get(t, c, base)
	for _, w := range []string{`<form class="search" role="search" method="get" action="` + href + `">`, `id="L5"><a class="n" href="#L5"`} {
		if !strings.Contains(body, w) {
			t.Errorf("build page lacks %s", w)
		}
	}
}

// batch stores a batch of a project whose graph is lint and unit, then
// package after both, then deploy after package, not started yet.
func (f *fixture) batch(t testing.TB, project string) (batchID string, builds map[string]string) {
	t.Helper()
	ctx := context.Background()
	builds = map[string]string{}
	arn := ""
	rec, err := f.st.CreateBatch(ctx, project, func(num int64) (*codebuild.BatchRecord, error) {
		batchID = fmt.Sprintf("%s:%08d-aaaa-4000-8000-000000000000", project, num)
		arn = "arn:aws:codebuild:us-east-1:000000000000:build-batch/" + batchID
		return &codebuild.BatchRecord{ID: batchID, ARN: arn, Project: project, Number: num, Status: "IN_PROGRESS", Start: time.Now(), Doc: []byte(`{}`)}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{"lint": "SUCCEEDED", "unit": "FAILED", "package": "IN_PROGRESS"}
	var groups []cb.BuildGroup
	for _, g := range []struct {
		id   string
		deps []string
	}{{"lint", nil}, {"unit", nil}, {"package", []string{"lint", "unit"}}, {"deploy", []string{"package"}}} {
		bg := cb.BuildGroup{Identifier: g.id, DependsOn: g.deps}
		if st, ok := status[g.id]; ok {
			id := f.finished(t, project, func(b *cb.Build) {
				b.BuildStatus, b.BuildBatchArn = st, arn
				if st == "IN_PROGRESS" {
					b.BuildComplete, b.EndTime = nil, nil
				}
			})
			builds[g.id] = id
			bg.CurrentBuildSummary = &cb.BuildSummary{Arn: "arn:aws:codebuild:us-east-1:000000000000:build/" + id, BuildStatus: st}
		}
		groups = append(groups, bg)
	}
	doc, _ := json.Marshal(&cb.BuildBatch{Id: batchID, Arn: arn, ProjectName: project, BuildBatchNumber: &rec.Number, BuildBatchStatus: "IN_PROGRESS",
		StartTime: shape.NewTime(time.Now()), Initiator: "admin", BuildGroups: groups,
		Phases: []cb.BuildBatchPhase{{PhaseType: "SUBMITTED", PhaseStatus: "SUCCEEDED"}, {PhaseType: "IN_PROGRESS"}}})
	rec.Doc, rec.Status = doc, "IN_PROGRESS"
	if err := f.st.UpdateBatch(ctx, rec); err != nil {
		t.Fatal(err)
	}
	return batchID, builds
}

func TestBatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.project(t, "demo")
	id, builds := f.batch(t, "demo")
	c := f.client(t)
	f.login(t, c, "viewer", "viewer-password")
	href := `href="/_codeyard/batches/` + url.PathEscape(id) + `"`

	for _, p := range []string{"", "projects/demo", "builds/" + url.PathEscape(builds["unit"])} {
		if _, body, _ := get(t, c, f.srv.URL+web.Prefix+p); !strings.Contains(body, href) {
			t.Errorf("GET /%s does not link to the batch", p)
		}
	}
	code, body, _ := get(t, c, f.srv.URL+web.Prefix+"batches/"+url.PathEscape(id))
	if code != 200 {
		t.Fatalf("GET batch = %d:\n%s", code, body)
	}
	for _, want := range []string{
		`<svg class="graph"`,
		// Columns by depth: lint and unit, then package, then deploy.
		`<a href="/_codeyard/builds/` + url.PathEscape(builds["lint"]) + `"><g class="node ok"><title>lint: SUCCEEDED</title><rect x="8" y="8"`,
		`<g class="node bad"><title>unit: FAILED</title><rect x="8" y="70"`,
		`<g class="node run"><title>package: IN_PROGRESS</title><rect x="248" y="8"`,
		`<g class="node run"><title>deploy: PENDING</title><rect x="488" y="8"`,
		`<path class="edge" d="M188,31 C218,31 218,31 248,31" marker-end="url(#arrow)"/>`,
		`<path class="edge" d="M188,93 C218,93 218,31 248,31" marker-end="url(#arrow)"/>`,
		`<td><code>lint</code>, <code>unit</code></td>`,
		`<td><span class="muted">not started</span></td>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("batch page lacks %s", want)
		}
	}
	if strings.Contains(body, `<a href="/_codeyard/builds/"`) {
		t.Errorf("batch page links the task without a build")
	}
	if code, _, _ := get(t, c, f.srv.URL+web.Prefix+"batches/demo:nope"); code != http.StatusNotFound {
		t.Errorf("GET missing batch = %d, want 404", code)
	}
}

func TestWebhook(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.project(t, "nosource")
	_, err := f.svc.CreateProject(context.Background(), codebuild.Caller{Region: "us-east-1", Account: "000000000000"}, &cb.CreateProjectInput{
		Name: "git", Source: &cb.ProjectSource{Type: "GITHUB", Location: "https://github.com/example/app.git"}, Artifacts: &cb.ProjectArtifacts{Type: "NO_ARTIFACTS"},
		Environment: &cb.ProjectEnvironment{Type: "LINUX_CONTAINER", Image: "aws/codebuild/standard:7.0", ComputeType: "BUILD_GENERAL1_SMALL"},
		ServiceRole: "arn:aws:iam::000000000000:role/r",
	})
	if err != nil {
		t.Fatal(err)
	}
	c := f.client(t)
	csrf := f.login(t, c, "admin", "admin-password")
	u := f.srv.URL + web.Prefix + "projects/git"

	if _, body, _ := get(t, c, f.srv.URL+web.Prefix+"projects/nosource"); !strings.Contains(body, "A webhook needs a git source") || strings.Contains(body, "Add a webhook") {
		t.Errorf("project without a git source offers a webhook")
	}
	tests := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"no event", url.Values{"buildType": {"BUILD"}}, "event"},
		{"unknown event", url.Values{"event": {"DELETE"}, "buildType": {"BUILD"}}, "event"},
		{"bad pattern", url.Values{"event": {"PUSH"}, "headRef": {"(main"}, "buildType": {"BUILD"}}, "headRef"},
		{"batch without batch config", url.Values{"event": {"PUSH"}, "buildType": {"BUILD_BATCH"}}, "buildType"},
	}
	for _, tt := range tests {
		tt.form.Set("csrf", csrf)
		code, body, _ := post(t, c, u+"/webhook", tt.form)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, `<p class="err" id="`+tt.field+`-err">`) {
			t.Errorf("POST webhook with %s = %d, want 422 with a message next to %s", tt.name, code, tt.field)
		}
	}
	if code, _, _ := post(t, c, u+"/webhook", url.Values{"event": {"PUSH"}, "buildType": {"BUILD"}}); code != http.StatusForbidden {
		t.Errorf("POST webhook without csrf = %d, want 403", code)
	}

	code, body, _ := post(t, c, u+"/webhook", url.Values{"csrf": {csrf}, "event": {"PUSH", "PULL_REQUEST_CREATED"}, "headRef": {"^refs/heads/main$"}, "buildType": {"BUILD"}})
	m := regexp.MustCompile(`<dt>Secret</dt><dd><code>([0-9a-f]{40})</code>`).FindStringSubmatch(body)
	if code != 200 || m == nil || !strings.Contains(body, `<dt>Payload URL</dt><dd><code>`+f.srv.URL+`/_codeyard/webhooks/`) {
		t.Fatalf("POST webhook = %d, want the page with the payload URL and the secret:\n%s", code, body)
	}
	ps, _, _ := f.svc.Projects(context.Background(), []string{"git"})
	hook := ps[0].Webhook
	if hook == nil || len(hook.FilterGroups) != 1 || hook.FilterGroups[0][0].Pattern != "PUSH, PULL_REQUEST_CREATED" || hook.FilterGroups[0][1] != (cb.WebhookFilter{Type: "HEAD_REF", Pattern: "^refs/heads/main$"}) {
		t.Fatalf("webhook = %+v", hook)
	}
	if secret, _ := f.svc.Secret(context.Background(), hook.PayloadUrl[strings.LastIndex(hook.PayloadUrl, "/")+1:]); secret != m[1] {
		t.Errorf("the page's secret is not the webhook's")
	}
	_, body, _ = get(t, c, u)
	for _, want := range []string{`<code id="payload-url">` + hook.PayloadUrl + `</code>`, `<code>EVENT is one of PUSH, PULL_REQUEST_CREATED</code> <em>and</em> <code>HEAD_REF matches ^refs/heads/main$</code>`, `<dt>Build type</dt><dd>BUILD</dd>`} {
		if !strings.Contains(body, want) {
			t.Errorf("project page lacks %s", want)
		}
	}
	if strings.Contains(body, m[1]) || strings.Contains(body, "Add a webhook") {
		t.Errorf("project page shows the secret again, or the form to add a webhook")
	}
	// A read-only user sees the webhook and cannot change it.
	rc := f.client(t)
	rcsrf := f.login(t, rc, "viewer", "viewer-password")
	if _, body, _ := get(t, rc, u); !strings.Contains(body, hook.PayloadUrl) || strings.Contains(body, "Delete webhook") {
		t.Errorf("read-only project page: payload URL shown %v, delete offered %v", strings.Contains(body, hook.PayloadUrl), strings.Contains(body, "Delete webhook"))
	}
	for _, p := range []string{"/webhook/delete", "/webhook/secret"} {
		if code, _, _ := post(t, rc, u+p, url.Values{"csrf": {rcsrf}}); code != http.StatusForbidden {
			t.Errorf("read-only POST %s = %d, want 403", p, code)
		}
	}

	code, body, _ = post(t, c, u+"/webhook/secret", url.Values{"csrf": {csrf}})
	m2 := regexp.MustCompile(`<dt>Secret</dt><dd><code>([0-9a-f]{40})</code>`).FindStringSubmatch(body)
	if code != 200 || m2 == nil || m2[1] == m[1] {
		t.Errorf("POST new secret = %d, want a new secret shown", code)
	}
	if code, _, h := post(t, c, u+"/webhook/delete", url.Values{"csrf": {csrf}}); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), web.Prefix+"projects/git") {
		t.Errorf("POST delete webhook = %d %s, want a redirect to the project", code, h.Get("Location"))
	}
	if ps, _, _ := f.svc.Projects(context.Background(), []string{"git"}); ps[0].Webhook != nil {
		t.Errorf("webhook after delete = %+v", ps[0].Webhook)
	}
	if code, _, _ := post(t, c, u+"/webhook/delete", url.Values{"csrf": {csrf}}); code != http.StatusNotFound {
		t.Errorf("POST delete of a missing webhook = %d, want 404", code)
	}
}

// varsForm is a project form with environment variable rows: each row
// is name, value and type.
func varsForm(csrf, name string, rows ...[3]string) url.Values {
	form := url.Values{"csrf": {csrf}, "name": {name}, "sourceType": {"NO_SOURCE"}, "buildspec": {"version: 0.2\nphases: {build: {commands: [env]}}\n"},
		"image": {"aws/codebuild/standard:7.0"}, "computeType": {"BUILD_GENERAL1_SMALL"}, "timeout": {"60"}, "artifactsType": {"NO_ARTIFACTS"}}
	for _, r := range rows {
		form.Add("envName", r[0])
		form.Add("envValue", r[1])
		form.Add("envType", r[2])
	}
	return form
}

func TestProjectVariables(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.client(t)
	csrf := f.login(t, c, "admin", "admin-password")
	create := f.srv.URL + web.Prefix + "projects"

	code, body, _ := get(t, c, create+"/new")
	if code != 200 || strings.Count(body, `name="envName"`) != 3 || !strings.Contains(body, `id="envType-2" name="envType"`) {
		t.Fatalf("GET new project = %d, want 3 empty variable rows:\n%s", code, body)
	}

	tests := []struct {
		name  string
		rows  [][3]string
		field string // the field whose message the answer shows
	}{
		{"value without a name", [][3]string{{"", "x", "PLAINTEXT"}}, "envName-0"},
		{"reserved name", [][3]string{{"CODEBUILD_X", "x", "PLAINTEXT"}}, "envName-0"},
		{"name with =", [][3]string{{"A=B", "x", "PLAINTEXT"}}, "envName-0"},
		{"duplicate name", [][3]string{{"A", "1", "PLAINTEXT"}, {"", "", "PLAINTEXT"}, {"A", "2", "PLAINTEXT"}}, "envName-1"},
		{"parameter without a name", [][3]string{{"P", " ", "PARAMETER_STORE"}}, "envValue-0"},
		{"secret without an id", [][3]string{{"S", "", "SECRETS_MANAGER"}}, "envValue-0"},
		{"type", [][3]string{{"A", "1", "PLAINTEXT"}, {"T", "x", "BOGUS"}}, "envType-1"},
		{"long value", [][3]string{{"BIG", strings.Repeat("x", 128<<10), "PLAINTEXT"}}, "envValue-0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, _ := post(t, c, create, varsForm(csrf, "bad", tt.rows...))
			if code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="`+tt.field+`-err"`) || !strings.Contains(body, `aria-describedby="`+tt.field+`-err"`) {
				t.Errorf("POST project with a bad variable = %d, want 422 with a message next to %s:\n%s", code, tt.field, body)
			}
			if tt.rows[0][0] != "" && !strings.Contains(body, `id="envName-0" name="envName" value="`+tt.rows[0][0]+`"`) {
				t.Errorf("the refused form lost the row's name %q", tt.rows[0][0])
			}
		})
	}
	if ps, _, _ := f.svc.Projects(context.Background(), []string{"bad"}); len(ps) != 0 {
		t.Errorf("a refused form made a project")
	}

	// Empty rows are skipped; the types are kept.
	form := varsForm(csrf, "vars", [3]string{"GREETING", " hello world ", "PLAINTEXT"}, [3]string{"", "", "PARAMETER_STORE"},
		[3]string{"API_TOKEN", "s3cr3t-plain", "PLAINTEXT"}, [3]string{"DB_PASSWORD", " /prod/db/password ", "PARAMETER_STORE"},
		[3]string{"GH", "github:token", "SECRETS_MANAGER"})
	if code, body, h := post(t, c, create, form); code != http.StatusSeeOther || h.Get("Location") != web.Prefix+"projects/vars" {
		t.Fatalf("POST project with variables = %d %s:\n%s", code, h.Get("Location"), body)
	}
	want := []cb.EnvironmentVariable{{Name: "GREETING", Value: " hello world ", Type: "PLAINTEXT"}, {Name: "API_TOKEN", Value: "s3cr3t-plain", Type: "PLAINTEXT"},
		{Name: "DB_PASSWORD", Value: "/prod/db/password", Type: "PARAMETER_STORE"}, {Name: "GH", Value: "github:token", Type: "SECRETS_MANAGER"}}
	ps, _, _ := f.svc.Projects(context.Background(), []string{"vars"})
	if got := ps[0].Environment.EnvironmentVariables; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("project's variables = %+v, want %+v", got, want)
	}

	// The project page lists them: references as they are, plaintext
	// values unless their names look like secrets.
	_, body, _ = get(t, c, f.srv.URL+web.Prefix+"projects/vars")
	for _, s := range []string{`<code>GREETING</code></th><td><code> hello world </code></td><td>PLAINTEXT</td>`,
		`<code>API_TOKEN</code></th><td><code>••••••</code></td>`, `<code>DB_PASSWORD</code></th><td><code>/prod/db/password</code></td><td>PARAMETER_STORE</td>`,
		`<code>GH</code></th><td><code>github:token</code></td><td>SECRETS_MANAGER</td>`} {
		if !strings.Contains(body, s) {
			t.Errorf("project page lacks %s", s)
		}
	}
	if strings.Contains(body, "s3cr3t-plain") {
		t.Errorf("project page shows the value of API_TOKEN")
	}

	// Another project's other settings, which the form does not show,
	// survive an edit of its variables.
	_, err := f.svc.CreateProject(context.Background(), codebuild.Caller{Region: "us-east-1", Account: "000000000000"}, &cb.CreateProjectInput{
		Name: "keep", Source: &cb.ProjectSource{Type: "NO_SOURCE", Buildspec: "version: 0.2"}, Artifacts: &cb.ProjectArtifacts{Type: "NO_ARTIFACTS"},
		Environment: &cb.ProjectEnvironment{Type: "LINUX_CONTAINER", Image: "img", ComputeType: "BUILD_GENERAL1_SMALL", PrivilegedMode: new(true),
			EnvironmentVariables: []cb.EnvironmentVariable{{Name: "OLD", Value: "1"}, {Name: "MULTI", Value: "a\nb", Type: "PLAINTEXT"}, {Name: "REF", Value: "/p", Type: "PARAMETER_STORE"}}},
		ServiceRole: "arn:aws:iam::000000000000:role/r", ConcurrentBuildLimit: new(int64(2)),
		BuildBatchConfig: &cb.ProjectBuildBatchConfig{ServiceRole: "arn:aws:iam::000000000000:role/b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	edit := f.srv.URL + web.Prefix + "projects/keep/edit"
	_, body, _ = get(t, c, edit)
	for _, s := range []string{`id="envName-0" name="envName" value="OLD"`, `id="envValue-0" name="envValue" value="1"`,
		`<textarea id="envValue-1" name="envValue" rows="3" aria-label="Value of variable 2" spellcheck="false">a` + "\n" + `b</textarea>`,
		`id="envValue-2" name="envValue" value="/p"`, `<option selected>PARAMETER_STORE</option>`, `id="envName-5" name="envName" value=""`} {
		if !strings.Contains(body, s) {
			t.Errorf("edit form lacks %s", s)
		}
	}
	form = varsForm(csrf, "", [3]string{"", "", "PLAINTEXT"}, [3]string{"MULTI", "a\r\nb\r\nc", "PLAINTEXT"}, [3]string{"REF", "/p", "PARAMETER_STORE"}, [3]string{"NEW", "2", "PLAINTEXT"})
	form.Set("image", "img")
	if code, body, _ := post(t, c, edit, form); code != http.StatusSeeOther {
		t.Fatalf("POST edit of variables = %d:\n%s", code, body)
	}
	ps, _, _ = f.svc.Projects(context.Background(), []string{"keep"})
	p := ps[0]
	want = []cb.EnvironmentVariable{{Name: "MULTI", Value: "a\nb\nc", Type: "PLAINTEXT"}, {Name: "REF", Value: "/p", Type: "PARAMETER_STORE"}, {Name: "NEW", Value: "2", Type: "PLAINTEXT"}}
	if fmt.Sprint(p.Environment.EnvironmentVariables) != fmt.Sprint(want) {
		t.Errorf("edited variables = %+v, want %+v", p.Environment.EnvironmentVariables, want)
	}
	if p.BuildBatchConfig == nil || p.BuildBatchConfig.ServiceRole != "arn:aws:iam::000000000000:role/b" || deref(p.ConcurrentBuildLimit) != 2 ||
		p.Environment.PrivilegedMode == nil || !*p.Environment.PrivilegedMode {
		t.Errorf("the edit changed settings the form does not show: batch %+v, concurrent limit %v, privileged %v", p.BuildBatchConfig, p.ConcurrentBuildLimit, p.Environment.PrivilegedMode)
	}
	// Emptying every row removes every variable.
	if code, body, _ := post(t, c, edit, varsForm(csrf, "")); code != http.StatusSeeOther {
		t.Fatalf("POST edit without variables = %d:\n%s", code, body)
	}
	if ps, _, _ = f.svc.Projects(context.Background(), []string{"keep"}); len(ps[0].Environment.EnvironmentVariables) != 0 {
		t.Errorf("variables after emptying the rows: %+v", ps[0].Environment.EnvironmentVariables)
	}

	// Missing tokens and read-only users are refused; both read the list.
	if code, _, _ := post(t, c, create, varsForm("", "nocsrf", [3]string{"A", "1", "PLAINTEXT"})); code != http.StatusForbidden {
		t.Errorf("POST project without csrf = %d, want 403", code)
	}
	rc := f.client(t)
	rcsrf := f.login(t, rc, "viewer", "viewer-password")
	for _, u := range []string{create, f.srv.URL + web.Prefix + "projects/vars/edit"} {
		if code, _, _ := post(t, rc, u, varsForm(rcsrf, "ro", [3]string{"A", "1", "PLAINTEXT"})); code != http.StatusForbidden {
			t.Errorf("read-only POST %s = %d, want 403", u, code)
		}
	}
	if code, body, _ := get(t, rc, f.srv.URL+web.Prefix+"projects/vars"); code != 200 || !strings.Contains(body, `id="project-vars"`) {
		t.Errorf("read-only project page = %d, lists the variables: %v", code, strings.Contains(body, `id="project-vars"`))
	}
	if code, _, _ := post(t, c, f.srv.URL+web.Prefix+"projects/nope/edit", varsForm(csrf, "")); code != http.StatusNotFound {
		t.Errorf("POST edit of a missing project = %d, want 404", code)
	}
}

func TestBatchActions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.project(t, "plain")
	_, err := f.svc.CreateProject(context.Background(), codebuild.Caller{Region: "us-east-1", Account: "000000000000"}, &cb.CreateProjectInput{
		Name: "graph", Source: &cb.ProjectSource{Type: "NO_SOURCE", Buildspec: "version: 0.2\nbatch:\n  build-list:\n    - identifier: a\nphases: {build: {commands: [true]}}\n"},
		Artifacts:   &cb.ProjectArtifacts{Type: "NO_ARTIFACTS"},
		Environment: &cb.ProjectEnvironment{Type: "LINUX_CONTAINER", Image: "aws/codebuild/standard:7.0", ComputeType: "BUILD_GENERAL1_SMALL"},
		ServiceRole: "arn:aws:iam::000000000000:role/r", BuildBatchConfig: &cb.ProjectBuildBatchConfig{ServiceRole: "arn:aws:iam::000000000000:role/b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := f.client(t)
	csrf := f.login(t, c, "admin", "admin-password")
	u := f.srv.URL + web.Prefix

	// Only a project with a batch configuration offers the form; the
	// service's refusal is shown on the project page.
	if _, body, _ := get(t, c, u+"projects/plain"); strings.Contains(body, "Start batch build") {
		t.Errorf("the page of a project without a batch configuration offers a batch build")
	}
	if code, body, _ := post(t, c, u+"projects/plain/batches", url.Values{"csrf": {csrf}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="batch-err"`) || !strings.Contains(body, "Batch build is not enabled") {
		t.Errorf("POST batch of a project without a batch configuration = %d, want 422 with the service's message:\n%s", code, body)
	}
	if _, body, _ := get(t, c, u+"projects/graph"); !strings.Contains(body, "Start batch build") {
		t.Errorf("the page of a project with a batch configuration does not offer a batch build")
	}
	if code, body, _ := post(t, c, u+"projects/graph/batches", url.Values{"csrf": {csrf}, "env": {"bad line"}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="batchEnv-err"`) || !strings.Contains(body, `<details class="card" id="start-batch" open>`) {
		t.Errorf("POST batch with a bad env = %d, want 422 with a message next to the field", code)
	}
	if code, _, _ := post(t, c, u+"projects/graph/batches", url.Values{}); code != http.StatusForbidden {
		t.Errorf("POST batch without csrf = %d, want 403", code)
	}
	if code, _, _ := post(t, c, u+"projects/nope/batches", url.Values{"csrf": {csrf}}); code != http.StatusNotFound {
		t.Errorf("POST batch of a missing project = %d, want 404", code)
	}

	code, body, h := post(t, c, u+"projects/graph/batches", url.Values{"csrf": {csrf}, "sourceVersion": {"main"}, "env": {"A=1"}})
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), web.Prefix+"batches/graph") {
		t.Fatalf("POST batch = %d %s, want a redirect to the batch:\n%s", code, h.Get("Location"), body)
	}
	page := f.srv.URL + h.Get("Location")
	id, _ := url.PathUnescape(strings.TrimPrefix(h.Get("Location"), web.Prefix+"batches/"))
	bs, _, _ := f.svc.BuildBatches(context.Background(), []string{id})
	if len(bs) != 1 || bs[0].Initiator != "admin" || bs[0].SourceVersion != "main" || fmt.Sprint(bs[0].Environment.EnvironmentVariables) != "[{A 1 PLAINTEXT}]" {
		t.Fatalf("started batch = %+v, want initiator admin, source version main, A=1", bs)
	}

	// A running batch can be stopped, not retried.
	if _, body, _ := get(t, c, page); !strings.Contains(body, "Stop batch") || strings.Contains(body, "Retry all builds") {
		t.Errorf("running batch's page: stop %v, retry %v; want stop only", strings.Contains(body, "Stop batch"), strings.Contains(body, "Retry all builds"))
	}
	if code, body, _ := post(t, c, page+"/retry", url.Values{"csrf": {csrf}, "retryType": {"RETRY_ALL_BUILDS"}}); code != http.StatusConflict || !strings.Contains(body, "is in progress") {
		t.Errorf("POST retry of a running batch = %d, want 409 saying it is in progress:\n%s", code, body)
	}
	if code, _, _ := post(t, c, page+"/stop", url.Values{}); code != http.StatusForbidden {
		t.Errorf("POST stop without csrf = %d, want 403", code)
	}
	rc := f.client(t)
	rcsrf := f.login(t, rc, "viewer", "viewer-password")
	for _, p := range []string{"projects/graph/batches", "batches/" + url.PathEscape(id) + "/stop", "batches/" + url.PathEscape(id) + "/retry"} {
		code, body, _ := post(t, rc, u+p, url.Values{"csrf": {rcsrf}, "retryType": {"RETRY_ALL_BUILDS"}})
		if code != http.StatusForbidden || !strings.Contains(body, "Your user is read-only") {
			t.Errorf("read-only POST %s = %d, want 403 saying the user is read-only", p, code)
		}
	}
	for _, p := range []string{"projects/graph", "batches/" + url.PathEscape(id)} {
		if _, body, _ := get(t, rc, u+p); strings.Contains(body, "Start batch build") || strings.Contains(body, "Stop batch") {
			t.Errorf("read-only GET %s offers batch actions", p)
		}
	}

	if code, body, h := post(t, c, page+"/stop", url.Values{"csrf": {csrf}}); code != http.StatusSeeOther || f.srv.URL+h.Get("Location") != page {
		t.Fatalf("POST stop = %d %s, want a redirect to the batch:\n%s", code, h.Get("Location"), body)
	}
	if bs, _, _ := f.svc.BuildBatches(context.Background(), []string{id}); bs[0].BuildBatchStatus != "STOPPED" {
		t.Errorf("batch after stop: %s, want STOPPED", bs[0].BuildBatchStatus)
	}
	// Stopping an ended batch changes nothing.
	if code, _, _ := post(t, c, page+"/stop", url.Values{"csrf": {csrf}}); code != http.StatusSeeOther {
		t.Errorf("POST stop of a stopped batch = %d, want 303", code)
	}

	// An ended batch that did not succeed can be retried.
	if _, body, _ := get(t, c, page); strings.Contains(body, "Stop batch") || !strings.Contains(body, `value="RETRY_FAILED_BUILDS">Retry failed builds</button>`) || !strings.Contains(body, `value="RETRY_ALL_BUILDS">Retry all builds</button>`) {
		t.Errorf("stopped batch's page: want the retry buttons and no stop:\n%s", body)
	}
	if code, _, _ := post(t, c, page+"/retry", url.Values{"csrf": {csrf}, "retryType": {"RETRY_SOME"}}); code != http.StatusUnprocessableEntity {
		t.Errorf("POST retry with a bad retry type = %d, want 422", code)
	}
	if code, body, h := post(t, c, page+"/retry", url.Values{"csrf": {csrf}, "retryType": {"RETRY_FAILED_BUILDS"}}); code != http.StatusSeeOther || f.srv.URL+h.Get("Location") != page {
		t.Fatalf("POST retry = %d %s, want a redirect to the batch:\n%s", code, h.Get("Location"), body)
	}
	bs, _, _ = f.svc.BuildBatches(context.Background(), []string{id})
	if b := bs[0]; b.BuildBatchStatus != "IN_PROGRESS" || b.Complete == nil || *b.Complete || !strings.Contains(fmt.Sprint(b.Phases), "RETRY") {
		t.Errorf("batch after retry: %s, phases %+v; want IN_PROGRESS after a RETRY phase", b.BuildBatchStatus, b.Phases)
	}

	for _, p := range []string{"stop", "retry"} {
		if code, _, _ := post(t, c, u+"batches/graph:nope/"+p, url.Values{"csrf": {csrf}, "retryType": {"RETRY_ALL_BUILDS"}}); code != http.StatusNotFound {
			t.Errorf("POST %s of a missing batch = %d, want 404", p, code)
		}
	}
}
