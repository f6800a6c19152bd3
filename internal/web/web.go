package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
	"github.com/codeyard/codeyard/internal/buildlog"
	"github.com/codeyard/codeyard/internal/codebuild"
)

// Prefix is the path the UI is served under. No S3 bucket name starts
// with an underscore, so no path-style S3 request has it.
const Prefix = "/_codeyard/"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// CodeBuild is the part of the CodeBuild control plane the pages show and
// act on.
type CodeBuild interface {
	Projects(ctx context.Context, names []string) ([]cb.Project, []string, error)
	ListProjects(ctx context.Context, in *cb.ListProjectsInput) (*cb.ListProjectsOutput, error)
	CreateProject(ctx context.Context, c codebuild.Caller, in *cb.CreateProjectInput) (*cb.Project, error)
	EditProject(ctx context.Context, c codebuild.Caller, in *cb.UpdateProjectInput) (*cb.Project, error)
	DeleteProject(ctx context.Context, c codebuild.Caller, name string) error
	CreateWebhook(ctx context.Context, c codebuild.Caller, in *cb.CreateWebhookInput, endpoint string) (*cb.Webhook, error)
	UpdateWebhook(ctx context.Context, c codebuild.Caller, in *cb.UpdateWebhookInput) (*cb.Webhook, error)
	DeleteWebhook(ctx context.Context, c codebuild.Caller, name string) error
	Builds(ctx context.Context, ids []string) ([]cb.Build, []string, error)
	ListBuilds(ctx context.Context, c codebuild.Caller, project, order, token string) ([]string, string, error)
	StartBuild(ctx context.Context, c codebuild.Caller, in *cb.StartBuildInput) (*cb.Build, error)
	StopBuild(ctx context.Context, c codebuild.Caller, id string) (*cb.Build, error)
	RetryBuild(ctx context.Context, c codebuild.Caller, in *cb.RetryBuildInput) (*cb.Build, error)
	BuildBatches(ctx context.Context, ids []string) ([]cb.BuildBatch, []string, error)
	StartBuildBatch(ctx context.Context, c codebuild.Caller, in *cb.StartBuildBatchInput) (*cb.BuildBatch, error)
	StopBuildBatch(ctx context.Context, c codebuild.Caller, id string) (*cb.BuildBatch, error)
	RetryBuildBatch(ctx context.Context, c codebuild.Caller, in *cb.RetryBuildBatchInput) (*cb.BuildBatch, error)
	ListBuildBatches(ctx context.Context, c codebuild.Caller, project, status, order, token string, max int64) ([]string, string, error)
	Reports(ctx context.Context, arns []string) ([]cb.Report, []string, error)
	ReportGroups(ctx context.Context, arns []string) ([]cb.ReportGroup, []string, error)
	ListReportGroups(ctx context.Context, in *cb.ListReportGroupsInput) ([]string, string, error)
	ListReports(ctx context.Context, groupARN, order, token string, maxResults int64, filter *cb.ReportFilter) ([]string, string, error)
	Trend(ctx context.Context, in *cb.GetReportGroupTrendInput) (*cb.GetReportGroupTrendOutput, error)
	TestCases(ctx context.Context, in *cb.DescribeTestCasesInput) ([]cb.TestCase, string, error)
	CodeCoverages(ctx context.Context, in *cb.DescribeCodeCoveragesInput) ([]cb.CodeCoverage, string, error)
}

// Logs reads build logs.
type Logs interface {
	GetLogEvents(ctx context.Context, in buildlog.GetLogEventsInput) (*buildlog.GetLogEventsOutput, error)
}

// User is a signed-in user: a principal.
type User struct {
	Name     string
	ReadOnly bool
}

// ErrNoUser is what Accounts return for a user or session that does not
// exist or has expired.
var ErrNoUser = errors.New("no such user")

// Accounts keeps users and sessions, and knows which builds are active.
type Accounts interface {
	// Password returns a user and its password hash: ErrNoUser when none.
	Password(ctx context.Context, name string) (User, string, error)
	// CreateSession stores a session by the hash of its cookie.
	CreateSession(ctx context.Context, idHash []byte, user, csrf string, created, expires time.Time) error
	// Session returns the user and CSRF token of a session that has not
	// expired at now: ErrNoUser when none.
	Session(ctx context.Context, idHash []byte, now time.Time) (User, string, error)
	DeleteSession(ctx context.Context, idHash []byte) error
	// ActiveBuilds returns the ids of queued and running builds.
	ActiveBuilds(ctx context.Context) ([]string, error)
}

// Config configures a Server.
type Config struct {
	CodeBuild CodeBuild
	Logs      Logs
	Accounts  Accounts
	// Objects is the S3 store builds put artifacts in; nil: the pages
	// show artifacts' locations, without downloads.
	Objects Objects
	Region  string
	Account string
	// SessionTTL is how long a session lasts; 0 means 12 hours.
	SessionTTL time.Duration
	// LogPoll is how often a live log looks for new lines; 0 means 250 ms.
	LogPoll time.Duration
	Log     *slog.Logger
	Now     func() time.Time
}

// Server serves the UI's pages under Prefix.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	pages   map[string]*template.Template
	mux     *http.ServeMux
	handler http.Handler
}

// New returns the UI's handler.
func New(cfg Config) (*Server, error) {
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 12 * time.Hour
	}
	if cfg.LogPoll == 0 {
		cfg.LogPoll = 250 * time.Millisecond
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Log, now: cfg.Now, mux: http.NewServeMux()}
	if err := s.parseTemplates(); err != nil {
		return nil, err
	}
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix(Prefix+"static/", http.FileServerFS(static))
	s.mux.Handle("GET "+Prefix+"static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	}))
	s.mux.Handle("GET "+Prefix+"login", s.handle((*Server).loginPage))
	s.mux.Handle("POST "+Prefix+"login", s.handle((*Server).login))
	s.mux.Handle("POST "+Prefix+"logout", s.auth((*Server).logout))
	s.mux.Handle("GET "+Prefix+"{$}", s.auth((*Server).dashboard))
	s.mux.Handle("GET "+Prefix+"projects", s.auth((*Server).projects))
	s.mux.Handle("GET "+Prefix+"projects/new", s.auth((*Server).newProject))
	s.mux.Handle("POST "+Prefix+"projects", s.auth((*Server).createProject))
	s.mux.Handle("GET "+Prefix+"projects/{name}", s.auth((*Server).project))
	s.mux.Handle("POST "+Prefix+"projects/{name}/builds", s.auth((*Server).startBuild))
	s.mux.Handle("POST "+Prefix+"projects/{name}/delete", s.auth((*Server).deleteProject))
	s.mux.Handle("GET "+Prefix+"projects/{name}/edit", s.auth((*Server).editProject))
	s.mux.Handle("POST "+Prefix+"projects/{name}/webhook", s.auth((*Server).createWebhook))
	s.mux.Handle("POST "+Prefix+"projects/{name}/webhook/secret", s.auth((*Server).rotateWebhookSecret))
	s.mux.Handle("POST "+Prefix+"projects/{name}/webhook/delete", s.auth((*Server).deleteWebhook))
	s.mux.Handle("POST "+Prefix+"projects/{name}/edit", s.auth((*Server).updateProject))
	s.mux.Handle("GET "+Prefix+"builds/{id}", s.auth((*Server).build))
	s.mux.Handle("GET "+Prefix+"builds/{id}/log", s.auth((*Server).rawLog))
	s.mux.Handle("GET "+Prefix+"builds/{id}/events", s.auth((*Server).logEvents))
	s.mux.Handle("GET "+Prefix+"builds/{id}/artifact", s.auth((*Server).artifact))
	s.mux.Handle("POST "+Prefix+"builds/{id}/stop", s.auth((*Server).stopBuild))
	s.mux.Handle("POST "+Prefix+"builds/{id}/retry", s.auth((*Server).retryBuild))
	s.mux.Handle("GET "+Prefix+"reports/{arn...}", s.auth((*Server).report))
	s.mux.Handle("GET "+Prefix+"batches/{id}", s.auth((*Server).batch))
	s.mux.Handle("POST "+Prefix+"projects/{name}/batches", s.auth((*Server).startBatch))
	s.mux.Handle("POST "+Prefix+"batches/{id}/stop", s.auth((*Server).stopBatch))
	s.mux.Handle("POST "+Prefix+"batches/{id}/retry", s.auth((*Server).retryBatch))
	s.mux.Handle("GET "+Prefix+"report-groups", s.auth((*Server).reportGroups))
	s.mux.Handle("GET "+Prefix+"report-groups/{arn...}", s.auth((*Server).reportGroup))
	s.mux.Handle(Prefix, s.auth(func(*Server, http.ResponseWriter, *http.Request) error { return errNotFound }))
	s.handler = http.NewCrossOriginProtection().Handler(s.mux)
	return s, nil
}

// ServeHTTP serves a request under Prefix.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	s.handler.ServeHTTP(w, r)
}

// pageFunc serves one page; an error it returns is written by fail.
type pageFunc func(s *Server, w http.ResponseWriter, r *http.Request) error

// httpError is an error with a status and a message for the user.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

var errNotFound = &httpError{http.StatusNotFound, "There is nothing here."}

func notFound(format string, args ...any) error {
	return &httpError{http.StatusNotFound, fmt.Sprintf(format, args...)}
}

func (s *Server) handle(f pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic serving page", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				s.fail(w, r, errors.New("panic"))
			}
		}()
		if err := f(s, w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// fail writes the error page for err. Only httpError messages reach the
// user; anything else is logged.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if !errors.As(err, &he) {
		var nf *codebuild.NotFoundError
		if errors.As(err, &nf) {
			he = &httpError{http.StatusNotFound, nf.Message}
		} else if r.Context().Err() != nil {
			return
		} else {
			s.log.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "err", err)
			he = &httpError{http.StatusInternalServerError, "Something went wrong on the server; its log says what."}
		}
	}
	u, _ := r.Context().Value(userKey{}).(*session)
	title := http.StatusText(he.status)
	s.render(w, r, he.status, "error", &page{Title: title, Session: u, Data: he})
}

// page is what every template gets.
type page struct {
	Title   string
	Session *session
	Nav     string // the navigation entry to highlight
	Data    any
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t := s.pages[name]
	if t == nil {
		panic("no template " + name)
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, "layout", p); err != nil {
		s.log.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		http.Error(w, "The page could not be rendered.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	io.WriteString(w, b.String())
}

func (s *Server) parseTemplates() error {
	base, err := template.New("base").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	s.pages = map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, n)
		if err != nil {
			return err
		}
		s.pages[name] = t
	}
	return nil
}

// caller is the CodeBuild caller a signed-in user acts as.
func (s *Server) caller(u *session) codebuild.Caller {
	return codebuild.Caller{Region: s.cfg.Region, Account: s.cfg.Account, Initiator: u.User.Name}
}

// redirect answers a form's POST with a redirect to a page (303, so the
// browser GETs it).
func redirect(w http.ResponseWriter, r *http.Request, path string) error {
	http.Redirect(w, r, path, http.StatusSeeOther)
	return nil
}
