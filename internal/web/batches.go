package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
	"github.com/codeyard/codeyard/internal/codebuild"
)

// batchID is the id of a batch from its ARN or id.
func batchID(arnOrID string) string {
	if _, id, ok := strings.Cut(arnOrID, ":build-batch/"); ok {
		return id
	}
	return arnOrID
}

// buildIDOf is the id of a build from its ARN.
func buildIDOf(arn string) string {
	if _, id, ok := strings.Cut(arn, ":build/"); ok {
		return id
	}
	return arn
}

func batchURL(arnOrID string) string { return Prefix + "batches/" + url.PathEscape(batchID(arnOrID)) }

type batchData struct {
	Batch cb.BuildBatch
	Graph template.HTML
	Tasks []batchTask
}

// batchTask is one build group of a batch, as the page's table shows it.
type batchTask struct {
	Group   cb.BuildGroup
	BuildID string // "" before its build starts
	Status  string
	Level   int
	Prior   int // earlier builds of the task, from retries
}

func (s *Server) batch(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	bs, _, err := s.cfg.CodeBuild.BuildBatches(r.Context(), []string{id})
	if err != nil {
		return err
	}
	if len(bs) == 0 {
		return notFound("There is no batch build %s.", id)
	}
	d := &batchData{Batch: bs[0]}
	levels := groupLevels(d.Batch.BuildGroups)
	for _, g := range d.Batch.BuildGroups {
		t := batchTask{Group: g, Status: "PENDING", Level: levels[g.Identifier], Prior: len(g.PriorBuildSummaryList)}
		if sum := g.CurrentBuildSummary; sum != nil {
			t.BuildID, t.Status = buildIDOf(sum.Arn), sum.BuildStatus
		}
		d.Tasks = append(d.Tasks, t)
	}
	d.Graph = batchGraph(d.Tasks)
	title := fmt.Sprintf("%s batch #%d", d.Batch.ProjectName, deref(d.Batch.BuildBatchNumber))
	s.render(w, r, http.StatusOK, "batch", &page{Title: title, Nav: "projects", Session: sessionOf(r), Data: d})
	return nil
}

// groupLevels places each group of a build graph one column after the
// last of the groups it depends on: 0 for those that depend on none. A
// dependency on a group that does not exist, or a cycle, counts as none.
func groupLevels(groups []cb.BuildGroup) map[string]int {
	deps := map[string][]string{}
	for _, g := range groups {
		deps[g.Identifier] = g.DependsOn
	}
	levels := map[string]int{}
	visiting := map[string]bool{}
	var level func(id string) int
	level = func(id string) int {
		if l, ok := levels[id]; ok {
			return l
		}
		if visiting[id] {
			return -1
		}
		visiting[id] = true
		l := 0
		for _, d := range deps[id] {
			if _, ok := deps[d]; ok {
				l = max(l, level(d)+1)
			}
		}
		visiting[id] = false
		levels[id] = l
		return l
	}
	for _, g := range groups {
		level(g.Identifier)
	}
	return levels
}

const (
	nodeW, nodeH = 180, 46
	colGap       = 60
	rowGap       = 16
	graphPad     = 8
)

// batchGraph draws a batch's build graph as SVG: a column per level,
// each task a box in its status's colour linking to its build, and an
// arrow from each task to the ones that depend on it.
func batchGraph(tasks []batchTask) template.HTML {
	if len(tasks) == 0 {
		return ""
	}
	type pos struct{ x, y int }
	at := map[string]pos{}
	rows := map[int]int{}
	cols, maxRows := 0, 0
	for _, t := range tasks {
		row := rows[t.Level]
		rows[t.Level]++
		at[t.Group.Identifier] = pos{graphPad + t.Level*(nodeW+colGap), graphPad + row*(nodeH+rowGap)}
		cols, maxRows = max(cols, t.Level+1), max(maxRows, row+1)
	}
	w := 2*graphPad + cols*nodeW + (cols-1)*colGap
	h := 2*graphPad + maxRows*nodeH + (maxRows-1)*rowGap
	esc := template.HTMLEscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="graph" viewBox="0 0 %d %d" width="%d" role="img" aria-labelledby="graph-t"><title id="graph-t">Build graph: %d builds; the table below lists them</title>`, w, h, w, len(tasks))
	b.WriteString(`<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" class="head"/></marker></defs>`)
	for _, t := range tasks {
		to := at[t.Group.Identifier]
		for _, d := range t.Group.DependsOn {
			from, ok := at[d]
			if !ok {
				continue
			}
			x1, y1, x2, y2 := from.x+nodeW, from.y+nodeH/2, to.x, to.y+nodeH/2
			fmt.Fprintf(&b, `<path class="edge" d="M%d,%d C%d,%d %d,%d %d,%d" marker-end="url(#arrow)"/>`, x1, y1, x1+colGap/2, y1, x2-colGap/2, y2, x2, y2)
		}
	}
	for _, t := range tasks {
		p := at[t.Group.Identifier]
		label := t.Group.Identifier
		if len(label) > 22 {
			label = label[:21] + "…"
		}
		if t.BuildID != "" {
			fmt.Fprintf(&b, `<a href="%s">`, esc(Prefix+"builds/"+url.PathEscape(t.BuildID)))
		}
		fmt.Fprintf(&b, `<g class="node %s"><title>%s: %s</title><rect x="%d" y="%d" width="%d" height="%d" rx="6"/>`, statusClass(t.Status), esc(t.Group.Identifier), esc(t.Status), p.x, p.y, nodeW, nodeH)
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="id">%s</text><text x="%d" y="%d" class="st">%s</text></g>`, p.x+10, p.y+19, esc(label), p.x+10, p.y+37, esc(t.Status))
		if t.BuildID != "" {
			b.WriteString(`</a>`)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// batches returns the newest batches of a project ("" for every
// project), at most n.
func (s *Server) batches(r *http.Request, project string, n int64) ([]cb.BuildBatch, error) {
	ids, _, err := s.cfg.CodeBuild.ListBuildBatches(r.Context(), s.caller(sessionOf(r)), project, "", "DESCENDING", "", n)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	bs, _, err := s.cfg.CodeBuild.BuildBatches(r.Context(), ids)
	slices.SortStableFunc(bs, func(a, b cb.BuildBatch) int { return slices.Index(ids, a.Id) - slices.Index(ids, b.Id) })
	return bs, err
}

// startBatch starts a batch build of a project: the project page's
// "Start a batch build" form, which projects with a batch configuration
// have (StartBuildBatch refuses the others).
func (s *Server) startBatch(w http.ResponseWriter, r *http.Request) error {
	if err := writer(r); err != nil {
		return err
	}
	f, env := readStartForm(r)
	if len(f.Errors) > 0 {
		return s.renderProjectData(w, r, http.StatusUnprocessableEntity, &projectData{BatchForm: f})
	}
	b, err := s.cfg.CodeBuild.StartBuildBatch(r.Context(), s.caller(sessionOf(r)), &cb.StartBuildBatchInput{
		ProjectName: r.PathValue("name"), SourceVersion: f.SourceVersion, EnvironmentVariablesOverride: env,
	})
	if err != nil {
		var ie *codebuild.InputError
		if errors.As(err, &ie) {
			f.Errors["batch"] = ie.Message
			return s.renderProjectData(w, r, http.StatusUnprocessableEntity, &projectData{BatchForm: f})
		}
		return err
	}
	return redirect(w, r, batchURL(b.Id))
}

func (s *Server) stopBatch(w http.ResponseWriter, r *http.Request) error {
	if err := writer(r); err != nil {
		return err
	}
	b, err := s.cfg.CodeBuild.StopBuildBatch(r.Context(), s.caller(sessionOf(r)), r.PathValue("id"))
	if err != nil {
		var ie *codebuild.InputError
		if errors.As(err, &ie) {
			return &httpError{http.StatusConflict, ie.Message}
		}
		return err
	}
	return redirect(w, r, batchURL(b.Id))
}

// retryTypes are RetryBuildBatch's retry types: every build of the batch
// again, or those that did not succeed.
var retryTypes = []string{"RETRY_ALL_BUILDS", "RETRY_FAILED_BUILDS"}

func (s *Server) retryBatch(w http.ResponseWriter, r *http.Request) error {
	if err := writer(r); err != nil {
		return err
	}
	retry := r.PostFormValue("retryType")
	if !slices.Contains(retryTypes, retry) {
		return &httpError{http.StatusUnprocessableEntity, "Choose to retry all the batch's builds (RETRY_ALL_BUILDS) or its failed ones (RETRY_FAILED_BUILDS)."}
	}
	b, err := s.cfg.CodeBuild.RetryBuildBatch(r.Context(), s.caller(sessionOf(r)), &cb.RetryBuildBatchInput{Id: r.PathValue("id"), RetryType: retry})
	if err != nil {
		var ie *codebuild.InputError
		if errors.As(err, &ie) {
			return &httpError{http.StatusConflict, ie.Message}
		}
		return err
	}
	return redirect(w, r, batchURL(b.Id))
}
