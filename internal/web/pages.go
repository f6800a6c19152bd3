package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/codeyard/codeyard/internal/awsapi/shape"
	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
	"github.com/codeyard/codeyard/internal/codebuild"
)

var funcs = template.FuncMap{
	"time":     timeHTML,
	"dur":      buildDuration,
	"secs":     func(p *int64) string { return fmtDur(time.Duration(deref(p)) * time.Second) },
	"nanos":    func(p *int64) string { return fmtDur(time.Duration(deref(p))) },
	"status":   statusClass,
	"short":    shortVersion,
	"buildURL": func(id string) string { return Prefix + "builds/" + url.PathEscape(id) },
	"projectURL": func(name string) string {
		return Prefix + "projects/" + url.PathEscape(name)
	},
	"reportURL": reportURL,
	"groupURL":  reportGroupURL,
	"passRate":  passRate,
	"buildOf":   func(r cb.Report) string { return buildOf(&r) },
	"deref":     deref,
	"pct":       func(p *float64) string { return fmt.Sprintf("%.1f%%", derefF(p)) },
	"pctNum":    func(p *float64) float64 { return derefF(p) },
	"masked":    masked,
	"initiator": initiator,
	"bytes":     fmtBytes,
	"batchURL":  batchURL,
	"deref1":    func(p *bool) bool { return p != nil && *p },
	"filter":    filterText,
	"inc":       func(i int) int { return i + 1 },
	"multiline": func(s string) bool { return strings.ContainsAny(s, "\r\n") },
	// lastPhase reports whether a phase is the one a build (COMPLETED)
	// or a batch (its status) ends in, which has no status of its own.
	"lastPhase": func(t string) bool {
		return slices.Contains([]string{"COMPLETED", "SUCCEEDED", "FAILED", "FAULT", "STOPPED", "TIMED_OUT"}, t)
	},
	"span": func(start, end *shape.Time) string {
		if start == nil {
			return ""
		}
		e := time.Now()
		if end != nil {
			e = end.Time
		}
		return fmtDur(e.Sub(start.Time))
	},
	"fld": func(id, label, value string, errs map[string]string, hint, attr string) formField {
		return formField{ID: id, Label: label, Value: value, Err: errs[id], Hint: hint, Attr: attr}
	},
	"sel": func(id, label, value string, options []string, errs map[string]string) formField {
		return formField{ID: id, Label: label, Value: value, Err: errs[id], Options: options}
	},
}

// formField is one field of a form, as the "field" and "select"
// templates show it: its message, when it has one, next to it.
type formField struct {
	ID, Label, Value, Err, Hint string
	Attr                        string // "required", "numeric" or ""
	Options                     []string
}

// fmtBytes formats a size in bytes.
func fmtBytes(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func derefF(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// timeHTML renders a time as a <time> element: UTC in the page, which
// the page's script turns into the viewer's time zone.
func timeHTML(t *shape.Time) template.HTML {
	if t == nil || t.IsZero() {
		return ""
	}
	u := t.UTC()
	return template.HTML(`<time datetime="` + u.Format(time.RFC3339) + `">` + u.Format("2006-01-02 15:04:05") + ` UTC</time>`)
}

func fmtDur(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh %02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

func buildDuration(b *cb.Build) string {
	if b.StartTime == nil {
		return ""
	}
	end := time.Now()
	if b.EndTime != nil {
		end = b.EndTime.Time
	}
	return fmtDur(end.Sub(b.StartTime.Time))
}

func statusClass(s string) string {
	switch s {
	case "SUCCEEDED", "SUCCESS":
		return "ok"
	case "FAILED", "FAULT", "TIMED_OUT", "ERROR":
		return "bad"
	case "STOPPED", "SKIPPED", "UNKNOWN":
		return "off"
	case "IN_PROGRESS", "QUEUED", "SUBMITTED", "PENDING":
		return "run"
	}
	return "off"
}

func shortVersion(b *cb.Build) string {
	v := b.SourceVersion
	if v == "" {
		v = b.ResolvedSourceVersion
	}
	if len(v) == 40 && strings.Trim(v, "0123456789abcdef") == "" {
		return v[:10]
	}
	return v
}

// initiator shows a build's initiator without the ARN around a user.
func initiator(s string) string {
	if i := strings.LastIndex(s, ":user/"); i >= 0 {
		return s[i+len(":user/"):]
	}
	return s
}

var secretName = regexp.MustCompile(`(?i)(secret|token|passw|private|credential|api_?key|access_?key)`)

// masked is the value of an environment variable as the page shows it:
// PARAMETER_STORE and SECRETS_MANAGER variables show the name they are
// read from (never the value), and plaintext variables whose names look
// like secrets are hidden.
func masked(v cb.EnvironmentVariable) string {
	switch {
	case v.Type == "PARAMETER_STORE" || v.Type == "SECRETS_MANAGER":
		return v.Value
	case secretName.MatchString(v.Name):
		return "••••••"
	}
	return v.Value
}

// --- dashboard -------------------------------------------------------------

type dashboardData struct {
	Active     []cb.Build
	Recent     []cb.Build
	Succeeded  int
	Finished   int
	Rate       int
	AvgSeconds string
	Charts     []*chart
	Batches    []cb.BuildBatch
}

// dashboardBuilds is how many of the newest builds the dashboard's
// numbers and charts sum up; its table shows the newest 50.
const dashboardBuilds = 100

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	d := &dashboardData{}
	active, err := s.cfg.Accounts.ActiveBuilds(ctx)
	if err != nil {
		return err
	}
	if len(active) > 100 {
		active = active[:100]
	}
	if d.Active, _, err = s.cfg.CodeBuild.Builds(ctx, active); err != nil {
		return err
	}
	ids, _, err := s.cfg.CodeBuild.ListBuilds(ctx, s.caller(sessionOf(r)), "", "DESCENDING", "")
	if err != nil {
		return err
	}
	if len(ids) > dashboardBuilds {
		ids = ids[:dashboardBuilds]
	}
	recent, _, err := s.cfg.CodeBuild.Builds(ctx, ids)
	if err != nil {
		return err
	}
	d.Recent = recent[:min(len(recent), 50)]
	var total time.Duration
	var finished []*cb.Build // oldest first
	for i := range slices.Backward(recent) {
		b := &recent[i]
		if b.BuildComplete == nil || !*b.BuildComplete || b.StartTime == nil || b.EndTime == nil {
			continue
		}
		finished = append(finished, b)
		d.Finished++
		if b.BuildStatus == "SUCCEEDED" {
			d.Succeeded++
		}
		total += b.EndTime.Sub(b.StartTime.Time)
	}
	if d.Finished > 0 {
		d.Rate = 100 * d.Succeeded / d.Finished
		d.AvgSeconds = fmtDur(total / time.Duration(d.Finished))
	}
	d.Charts = buildCharts(finished)
	if d.Batches, err = s.batches(r, "", 5); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "dashboard", &page{Title: "Dashboard", Nav: "dashboard", Session: sessionOf(r), Data: d})
	return nil
}

// buildCharts charts finished builds, oldest first: the success rate of
// each run of consecutive builds (ten runs at most), and the duration of
// each of the last 50.
func buildCharts(finished []*cb.Build) []*chart {
	if len(finished) == 0 {
		return nil
	}
	rate := &chart{ID: "trend-success", Title: "Success rate", Max: 100, Format: percent}
	size := (len(finished) + 9) / 10
	for i := 0; i < len(finished); i += size {
		run := finished[i:min(i+size, len(finished))]
		ok := 0
		for _, b := range run {
			if b.BuildStatus == "SUCCEEDED" {
				ok++
			}
		}
		last := run[len(run)-1]
		p := chartPoint{Value: float64(ok) * 100 / float64(len(run)), Class: "ok", Href: Prefix + "builds/" + url.PathEscape(last.Id)}
		p.Label = fmt.Sprintf("%d builds to %s", len(run), last.EndTime.UTC().Format("2006-01-02 15:04 UTC"))
		if len(run) == 1 {
			p.Label = fmt.Sprintf("%s #%d, %s", last.ProjectName, deref(last.BuildNumber), last.EndTime.UTC().Format("2006-01-02 15:04 UTC"))
		}
		if ok < len(run) {
			p.Class = "bad"
		}
		rate.Points = append(rate.Points, p)
	}
	rate.Title = fmt.Sprintf("Success rate of the last %d finished builds, %d at a time", len(finished), size)
	if size == 1 {
		rate.Title = fmt.Sprintf("Success of the last %d finished builds", len(finished))
	}
	last := finished[max(0, len(finished)-50):]
	dur := &chart{ID: "trend-duration", Title: fmt.Sprintf("Duration of the last %d finished builds", len(last)), Bars: true, Format: seconds}
	for _, b := range last {
		dur.Points = append(dur.Points, chartPoint{
			Label: fmt.Sprintf("%s #%d, %s", b.ProjectName, deref(b.BuildNumber), b.BuildStatus),
			Value: b.EndTime.Sub(b.StartTime.Time).Seconds(), Href: Prefix + "builds/" + url.PathEscape(b.Id), Class: statusClass(b.BuildStatus),
		})
	}
	return []*chart{rate, dur}
}

// --- projects --------------------------------------------------------------

type projectRow struct {
	Project cb.Project
	Last    *cb.Build
}

type projectsData struct {
	Projects []projectRow
	Next     string
}

func (s *Server) projects(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	out, err := s.cfg.CodeBuild.ListProjects(ctx, &cb.ListProjectsInput{SortBy: "NAME", SortOrder: "ASCENDING", NextToken: r.URL.Query().Get("next")})
	if err != nil {
		var ie *codebuild.InputError
		if errors.As(err, &ie) {
			return notFound("That page of projects does not exist.")
		}
		return err
	}
	ps, _, err := s.cfg.CodeBuild.Projects(ctx, out.Projects)
	if err != nil {
		return err
	}
	d := &projectsData{Next: out.NextToken}
	c := s.caller(sessionOf(r))
	lastIDs := make([]string, 0, len(ps))
	for _, p := range ps {
		ids, _, err := s.cfg.CodeBuild.ListBuilds(ctx, c, p.Name, "DESCENDING", "")
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			lastIDs = append(lastIDs, ids[0])
		}
	}
	last, _, err := s.cfg.CodeBuild.Builds(ctx, lastIDs)
	if err != nil {
		return err
	}
	byProject := map[string]*cb.Build{}
	for i := range last {
		byProject[last[i].ProjectName] = &last[i]
	}
	for _, p := range ps {
		d.Projects = append(d.Projects, projectRow{Project: p, Last: byProject[p.Name]})
	}
	s.render(w, r, http.StatusOK, "projects", &page{Title: "Projects", Nav: "projects", Session: sessionOf(r), Data: d})
	return nil
}

type projectData struct {
	Project cb.Project
	Batches []cb.BuildBatch
	Builds  []cb.Build
	Next    string
	Form    startForm
	// BatchForm is the form that starts a batch build; only projects
	// with a batch configuration have it.
	BatchForm startForm
	// Hook is the webhook form, Secret a new webhook's secret.
	Hook      hookForm
	Secret    *hookSecret
	Events    []string
	GitSource bool
}

type startForm struct {
	SourceVersion string
	Env           string
	Errors        map[string]string
}

func (s *Server) oneProject(ctx context.Context, name string) (*cb.Project, error) {
	ps, _, err := s.cfg.CodeBuild.Projects(ctx, []string{name})
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, notFound("There is no project %s.", name)
	}
	return &ps[0], nil
}

func (s *Server) project(w http.ResponseWriter, r *http.Request) error {
	return s.renderProject(w, r, http.StatusOK, startForm{})
}

func (s *Server) renderProject(w http.ResponseWriter, r *http.Request, status int, f startForm) error {
	return s.renderProjectData(w, r, status, &projectData{Form: f})
}

// renderProjectData renders the project page with the forms' state in d.
func (s *Server) renderProjectData(w http.ResponseWriter, r *http.Request, status int, d *projectData) error {
	ctx := r.Context()
	p, err := s.oneProject(ctx, r.PathValue("name"))
	if err != nil {
		return err
	}
	ids, next, err := s.cfg.CodeBuild.ListBuilds(ctx, s.caller(sessionOf(r)), p.Name, "DESCENDING", r.URL.Query().Get("next"))
	if err != nil {
		var ie *codebuild.InputError
		if errors.As(err, &ie) {
			return notFound("That page of builds does not exist.")
		}
		return err
	}
	bs, _, err := s.cfg.CodeBuild.Builds(ctx, ids)
	if err != nil {
		return err
	}
	d.Project, d.Builds, d.Next = *p, bs, next
	d.Events = webhookEvents
	d.GitSource = p.Source != nil && slices.Contains(gitSources, p.Source.Type)
	if d.Hook.BuildType == "" {
		d.Hook = hookForm{Events: []string{"PUSH"}, BuildType: "BUILD"}
	}
	if d.Batches, err = s.batches(r, p.Name, 5); err != nil {
		return err
	}
	s.render(w, r, status, "project", &page{Title: p.Name, Nav: "projects", Session: sessionOf(r), Data: d})
	return nil
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// parseEnv reads environment variable overrides, one NAME=value a line.
func parseEnv(text string) ([]cb.EnvironmentVariable, error) {
	var out []cb.EnvironmentVariable
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok || !envName.MatchString(name) {
			return nil, fmt.Errorf("line %d: want NAME=value, with a name of letters, digits and _", i+1)
		}
		if strings.HasPrefix(name, "CODEBUILD_") {
			return nil, fmt.Errorf("line %d: names starting with CODEBUILD_ are reserved", i+1)
		}
		out = append(out, cb.EnvironmentVariable{Name: name, Value: value, Type: "PLAINTEXT"})
	}
	return out, nil
}

// readStartForm reads and checks a posted form that starts a build or a
// batch: its source version and environment variable overrides.
func readStartForm(r *http.Request) (startForm, []cb.EnvironmentVariable) {
	f := startForm{SourceVersion: strings.TrimSpace(r.PostFormValue("sourceVersion")), Env: r.PostFormValue("env"), Errors: map[string]string{}}
	env, err := parseEnv(f.Env)
	if err != nil {
		f.Errors["env"] = err.Error()
	}
	if len(f.SourceVersion) > 255 {
		f.Errors["sourceVersion"] = "At most 255 characters."
	}
	return f, env
}

func (s *Server) startBuild(w http.ResponseWriter, r *http.Request) error {
	if err := writer(r); err != nil {
		return err
	}
	f, env := readStartForm(r)
	if len(f.Errors) > 0 {
		return s.renderProject(w, r, http.StatusUnprocessableEntity, f)
	}
	b, err := s.cfg.CodeBuild.StartBuild(r.Context(), s.caller(sessionOf(r)), &cb.StartBuildInput{
		ProjectName: r.PathValue("name"), SourceVersion: f.SourceVersion, EnvironmentVariablesOverride: env,
	})
	if err != nil {
		var ie *codebuild.InputError
		if errors.As(err, &ie) {
			f.Errors["sourceVersion"] = ie.Message
			return s.renderProject(w, r, http.StatusUnprocessableEntity, f)
		}
		return err
	}
	return redirect(w, r, Prefix+"builds/"+url.PathEscape(b.Id))
}

func (s *Server) deleteProject(w http.ResponseWriter, r *http.Request) error {
	if err := writer(r); err != nil {
		return err
	}
	p, err := s.oneProject(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	if r.PostFormValue("confirm") != p.Name {
		return &httpError{http.StatusUnprocessableEntity, "To delete the project, type its name in the confirmation field."}
	}
	if err := s.cfg.CodeBuild.DeleteProject(r.Context(), s.caller(sessionOf(r)), p.Name); err != nil {
		return err
	}
	return redirect(w, r, Prefix+"projects")
}

// --- builds ----------------------------------------------------------------

type buildData struct {
	Build     cb.Build
	Log       *logView
	Query     string // the log search's query; "" shows the whole log
	QueryErr  string
	Search    *logSearch
	Running   bool
	Reports   []cb.Report
	Artifacts []artifactView
}

func (s *Server) build(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	b, err := s.oneBuild(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	d := &buildData{Build: *b, Running: b.BuildComplete == nil || !*b.BuildComplete, Query: r.URL.Query().Get("q")}
	status := http.StatusOK
	switch {
	case len(d.Query) > maxQueryLen:
		d.QueryErr = fmt.Sprintf("At most %d characters.", maxQueryLen)
		status = http.StatusUnprocessableEntity
	case strings.TrimSpace(d.Query) == "":
		d.Query = ""
	}
	if d.Query != "" && d.QueryErr == "" {
		if d.Search, err = s.searchLog(ctx, b, d.Query); err != nil {
			return err
		}
	} else if d.QueryErr == "" {
		if d.Log, err = s.readLog(ctx, b); err != nil {
			return err
		}
	}
	if d.Artifacts, err = s.artifacts(ctx, b); err != nil {
		return err
	}
	if len(b.ReportArns) > 0 {
		if d.Reports, _, err = s.cfg.CodeBuild.Reports(ctx, b.ReportArns); err != nil {
			return err
		}
	}
	title := fmt.Sprintf("%s #%d", b.ProjectName, deref(b.BuildNumber))
	s.render(w, r, status, "build", &page{Title: title, Nav: "projects", Session: sessionOf(r), Data: d})
	return nil
}

func (s *Server) stopBuild(w http.ResponseWriter, r *http.Request) error {
	if err := writer(r); err != nil {
		return err
	}
	b, err := s.cfg.CodeBuild.StopBuild(r.Context(), s.caller(sessionOf(r)), r.PathValue("id"))
	if err != nil {
		var ie *codebuild.InputError
		if errors.As(err, &ie) {
			return &httpError{http.StatusConflict, ie.Message}
		}
		return err
	}
	return redirect(w, r, Prefix+"builds/"+url.PathEscape(b.Id))
}

func (s *Server) retryBuild(w http.ResponseWriter, r *http.Request) error {
	if err := writer(r); err != nil {
		return err
	}
	b, err := s.cfg.CodeBuild.RetryBuild(r.Context(), s.caller(sessionOf(r)), &cb.RetryBuildInput{Id: r.PathValue("id")})
	if err != nil {
		var ie *codebuild.InputError
		if errors.As(err, &ie) {
			return &httpError{http.StatusConflict, ie.Message}
		}
		return err
	}
	return redirect(w, r, Prefix+"builds/"+url.PathEscape(b.Id))
}

// --- reports ---------------------------------------------------------------

type reportData struct {
	Report    cb.Report
	BuildID   string
	Cases     []cb.TestCase
	Failed    int
	Coverages []cb.CodeCoverage
	More      bool
}

// caseRank orders test cases: failures first.
func caseRank(status string) int {
	switch status {
	case "FAILED":
		return 0
	case "ERROR":
		return 1
	case "UNKNOWN":
		return 2
	case "SKIPPED":
		return 3
	}
	return 4
}

func (s *Server) report(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	arn := r.PathValue("arn")
	rs, _, err := s.cfg.CodeBuild.Reports(ctx, []string{arn})
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return notFound("There is no report %s.", arn)
	}
	d := &reportData{Report: rs[0]}
	if i := strings.Index(d.Report.ExecutionId, ":build/"); i >= 0 {
		d.BuildID = d.Report.ExecutionId[i+len(":build/"):]
	}
	max := int64(1000)
	if d.Report.Type == "CODE_COVERAGE" {
		covs, next, err := s.cfg.CodeBuild.CodeCoverages(ctx, &cb.DescribeCodeCoveragesInput{ReportArn: arn, MaxResults: &max, SortBy: "LINE_COVERAGE_PERCENTAGE", SortOrder: "ASCENDING"})
		if err != nil {
			return err
		}
		d.Coverages, d.More = covs, next != ""
	} else {
		var all []cb.TestCase
		for _, st := range []string{"FAILED", "ERROR"} {
			cs, _, err := s.cfg.CodeBuild.TestCases(ctx, &cb.DescribeTestCasesInput{ReportArn: arn, MaxResults: &max, Filter: &cb.TestCaseFilter{Status: st}})
			if err != nil {
				return err
			}
			all = append(all, cs...)
		}
		d.Failed = len(all)
		cs, next, err := s.cfg.CodeBuild.TestCases(ctx, &cb.DescribeTestCasesInput{ReportArn: arn, MaxResults: &max})
		if err != nil {
			return err
		}
		for _, c := range cs {
			if c.Status != "FAILED" && c.Status != "ERROR" {
				all = append(all, c)
			}
		}
		slices.SortStableFunc(all, func(a, b cb.TestCase) int { return cmp.Compare(caseRank(a.Status), caseRank(b.Status)) })
		d.Cases, d.More = all, next != ""
	}
	s.render(w, r, http.StatusOK, "report", &page{Title: d.Report.Name, Nav: "projects", Session: sessionOf(r), Data: d})
	return nil
}
