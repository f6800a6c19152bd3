package web

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
	"github.com/codeyard/codeyard/internal/blob"
	"github.com/codeyard/codeyard/internal/codebuild"
)

// projectForm is the form that creates and edits a project: the main
// fields of CreateProject, as the user typed them.
type projectForm struct {
	Name, Description                      string
	SourceType, Location, SourceVersion    string
	Buildspec, Image, ComputeType, Timeout string
	ArtifactsType, ArtifactsLocation       string
	ArtifactsName, ArtifactsPackaging      string
	// Vars are the project's environment variables: the form's rows
	// that are not empty, in order. The messages about row i are under
	// envName-i, envValue-i and envType-i in Errors.
	Vars   []cb.EnvironmentVariable
	Errors map[string]string
}

// blankVarRows is how many empty rows the form adds below the project's
// environment variables, for new ones without the page's script.
const blankVarRows = 3

// Rows are the form's environment variable rows: the variables, then
// blankVarRows empty rows.
func (f *projectForm) Rows() []cb.EnvironmentVariable {
	rows := slices.Clip(f.Vars)
	for range blankVarRows {
		rows = append(rows, cb.EnvironmentVariable{Type: "PLAINTEXT"})
	}
	return rows
}

var (
	// projectNameRE is CreateProject's name pattern; its length, 2 to
	// 255, is checked apart (a {1,254} repeat costs the program a quarter
	// of a megabyte and a millisecond of every start of the binary).
	projectNameRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9\-_]+$`)
	sourceTypes    = []string{"NO_SOURCE", "GITHUB", "GITLAB", "BITBUCKET", "CODECOMMIT", "S3", "GITHUB_ENTERPRISE", "GITLAB_SELF_MANAGED"}
	computeTypes   = []string{"BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"}
	artifactTypes  = []string{"NO_ARTIFACTS", "S3"}
	packagingTypes = []string{"NONE", "ZIP"}
	varTypes       = []string{"PLAINTEXT", "PARAMETER_STORE", "SECRETS_MANAGER"}
)

// maxVarLen is the longest NAME=value an environment variable can be:
// Linux refuses to start a process with a longer one (MAX_ARG_STRLEN,
// 128 KiB with the terminating NUL).
const maxVarLen = 128<<10 - 1

// envNameError is what is wrong with an environment variable's name, ""
// when nothing: the names a buildspec's env may not have either (see
// buildspec's envName).
func envNameError(name string) string {
	switch {
	case name == "":
		return "A name is required."
	case strings.ContainsAny(name, "=\x00"):
		return "A name cannot contain = or NUL."
	case strings.HasPrefix(name, "CODEBUILD_"):
		return "Names starting with CODEBUILD_ are reserved for CodeBuild's own variables."
	}
	return ""
}

// readVars reads the form's environment variable rows (envName, envValue
// and envType, repeated), skips the empty ones and checks the others.
// Values are kept as typed, but for line ends: a textarea sends CRLF.
func readVars(r *http.Request, errs map[string]string) []cb.EnvironmentVariable {
	names, values, types := r.PostForm["envName"], r.PostForm["envValue"], r.PostForm["envType"]
	at := func(s []string, i int) string {
		if i < len(s) {
			return s[i]
		}
		return ""
	}
	vars := []cb.EnvironmentVariable{}
	seen := map[string]bool{}
	for i := range max(len(names), len(values), len(types)) {
		v := cb.EnvironmentVariable{Name: strings.TrimSpace(at(names, i)), Value: strings.ReplaceAll(at(values, i), "\r\n", "\n"), Type: strings.TrimSpace(at(types, i))}
		if v.Name == "" && v.Value == "" {
			continue
		}
		n := strconv.Itoa(len(vars))
		if v.Type == "" {
			v.Type = "PLAINTEXT"
		}
		if msg := envNameError(v.Name); msg != "" {
			errs["envName-"+n] = msg
		} else if seen[v.Name] {
			errs["envName-"+n] = "Another variable has this name."
		}
		seen[v.Name] = true
		switch {
		case !slices.Contains(varTypes, v.Type):
			errs["envType-"+n] = "Choose PLAINTEXT, PARAMETER_STORE or SECRETS_MANAGER."
		case v.Type != "PLAINTEXT":
			v.Value = strings.TrimSpace(v.Value)
			if v.Value == "" && v.Type == "PARAMETER_STORE" {
				errs["envValue-"+n] = "The name of the Parameter Store parameter to read is required."
			} else if v.Value == "" {
				errs["envValue-"+n] = "The secret to read is required: secret-id, or secret-id:json-key:version-stage:version-id."
			}
		}
		if len(v.Name)+1+len(v.Value) > maxVarLen {
			errs["envValue-"+n] = fmt.Sprintf("Too long: name and value together can be at most %d bytes.", maxVarLen-1)
		}
		vars = append(vars, v)
	}
	return vars
}

type projectFormData struct {
	Form           projectForm
	Edit           bool
	SourceTypes    []string
	ComputeTypes   []string
	ArtifactTypes  []string
	PackagingTypes []string
	VarTypes       []string
}

func (s *Server) renderProjectForm(w http.ResponseWriter, r *http.Request, status int, f projectForm, edit bool) error {
	title := "New project"
	if edit {
		title = "Edit " + f.Name
	}
	s.render(w, r, status, "project_form", &page{Title: title, Nav: "projects", Session: sessionOf(r), Data: &projectFormData{
		Form: f, Edit: edit, SourceTypes: sourceTypes, ComputeTypes: computeTypes, ArtifactTypes: artifactTypes, PackagingTypes: packagingTypes, VarTypes: varTypes,
	}})
	return nil
}

// readProjectForm reads a posted project form and checks it; name is the
// project's when the form edits one.
func readProjectForm(r *http.Request, name string) projectForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := projectForm{Name: v("name"), Description: v("description"), SourceType: v("sourceType"), Location: v("location"),
		SourceVersion: v("sourceVersion"), Buildspec: r.PostFormValue("buildspec"), Image: v("image"), ComputeType: v("computeType"),
		Timeout: v("timeout"), ArtifactsType: v("artifactsType"), ArtifactsLocation: v("artifactsLocation"),
		ArtifactsName: v("artifactsName"), ArtifactsPackaging: v("artifactsPackaging"), Errors: map[string]string{}}
	f.Vars = readVars(r, f.Errors)
	if name != "" {
		f.Name = name
	} else if len(f.Name) > 255 || !projectNameRE.MatchString(f.Name) {
		f.Errors["name"] = "2 to 255 letters, digits, - and _, starting with a letter or digit."
	}
	if len(f.Description) > 255 {
		f.Errors["description"] = "At most 255 characters."
	}
	if !slices.Contains(sourceTypes, f.SourceType) {
		f.Errors["sourceType"] = "Choose a source type from the list."
	}
	switch {
	case f.SourceType == "NO_SOURCE" && f.Location != "":
		f.Errors["location"] = "A project without a source has no location: leave it empty, or choose a source type."
	case f.SourceType != "NO_SOURCE" && f.Location == "":
		f.Errors["location"] = "A source of this type needs a location (a repository URL, or bucket/key for S3)."
	}
	if len(f.SourceVersion) > 255 {
		f.Errors["sourceVersion"] = "At most 255 characters."
	}
	if f.SourceType == "NO_SOURCE" && strings.TrimSpace(f.Buildspec) == "" {
		f.Errors["buildspec"] = "A project without a source needs a buildspec."
	}
	if f.Image == "" {
		f.Errors["image"] = "An image is required."
	}
	if !slices.Contains(computeTypes, f.ComputeType) {
		f.Errors["computeType"] = "Choose a compute type from the list."
	}
	if t, err := strconv.Atoi(f.Timeout); err != nil || t < 5 || t > 2160 {
		f.Errors["timeout"] = "A number of minutes from 5 to 2160."
	}
	if f.ArtifactsType == "" {
		f.ArtifactsType = "NO_ARTIFACTS"
	}
	switch f.ArtifactsType {
	case "NO_ARTIFACTS":
		f.ArtifactsLocation, f.ArtifactsName, f.ArtifactsPackaging = "", "", ""
	case "S3":
		if !blob.ValidBucketName(f.ArtifactsLocation) {
			f.Errors["artifactsLocation"] = "The name of an S3 bucket: 3 to 63 lower-case letters, digits, dots and hyphens."
		}
		if f.ArtifactsPackaging == "" {
			f.ArtifactsPackaging = "NONE"
		}
		if !slices.Contains(packagingTypes, f.ArtifactsPackaging) {
			f.Errors["artifactsPackaging"] = "Choose NONE or ZIP."
		}
		if f.ArtifactsPackaging == "ZIP" && f.ArtifactsName == "" {
			f.Errors["artifactsName"] = "A ZIP artifact needs a name, such as build.zip."
		}
		if strings.HasPrefix(f.ArtifactsName, "/") || slices.Contains(strings.Split(f.ArtifactsName, "/"), "..") {
			f.Errors["artifactsName"] = "A name below the bucket: no leading / and no .. parts."
		}
	default:
		f.Errors["artifactsType"] = "Choose NO_ARTIFACTS or S3."
	}
	return f
}

// formOf fills the form from a project.
func formOf(p *cb.Project) projectForm {
	f := projectForm{Name: p.Name, Description: p.Description, SourceVersion: p.SourceVersion,
		Timeout: strconv.FormatInt(deref(p.TimeoutInMinutes), 10), ArtifactsType: "NO_ARTIFACTS"}
	if src := p.Source; src != nil {
		f.SourceType, f.Location, f.Buildspec = src.Type, src.Location, src.Buildspec
	}
	if e := p.Environment; e != nil {
		f.Image, f.ComputeType = e.Image, e.ComputeType
		for _, v := range e.EnvironmentVariables {
			v.Type = cmp.Or(v.Type, "PLAINTEXT")
			f.Vars = append(f.Vars, v)
		}
	}
	if a := p.Artifacts; a != nil && a.Type != "" {
		f.ArtifactsType, f.ArtifactsLocation, f.ArtifactsName, f.ArtifactsPackaging = a.Type, a.Location, a.Name, a.Packaging
	}
	return f
}

// apply sets the form's fields on a project's settings, keeping the
// settings the form does not show.
func (f *projectForm) apply(src *cb.ProjectSource, env *cb.ProjectEnvironment, art *cb.ProjectArtifacts) (*cb.ProjectSource, *cb.ProjectEnvironment, *cb.ProjectArtifacts, *int64) {
	var s cb.ProjectSource
	if src != nil && src.Type == f.SourceType {
		s = *src
	}
	s.Type, s.Location, s.Buildspec = f.SourceType, f.Location, f.Buildspec
	e := cb.ProjectEnvironment{Type: "LINUX_CONTAINER"}
	if env != nil {
		e = *env
	}
	e.Image, e.ComputeType = f.Image, f.ComputeType
	e.EnvironmentVariables = append([]cb.EnvironmentVariable{}, f.Vars...)
	var a cb.ProjectArtifacts
	if art != nil && art.Type == f.ArtifactsType {
		a = *art
	}
	a.Type, a.Location, a.Name, a.Packaging = f.ArtifactsType, f.ArtifactsLocation, f.ArtifactsName, f.ArtifactsPackaging
	timeout, _ := strconv.ParseInt(f.Timeout, 10, 64)
	return &s, &e, &a, &timeout
}

// serviceError puts an error of the service next to the form's field it
// concerns, or above the form; it returns err when it is not the user's.
func (f *projectForm) serviceError(err error) error {
	var ie *codebuild.InputError
	var ee *codebuild.ExistsError
	switch {
	case errors.As(err, &ee):
		f.Errors["name"] = "A project of this name exists."
	case errors.As(err, &ie):
		msg := strings.ToLower(ie.Message)
		switch {
		case strings.Contains(msg, "environment variable"):
			f.Errors["env"] = ie.Message
		case strings.Contains(msg, "artifact"):
			f.Errors["artifactsLocation"] = ie.Message
		case strings.Contains(msg, "buildspec"):
			f.Errors["buildspec"] = ie.Message
		case strings.Contains(msg, "source"):
			f.Errors["location"] = ie.Message
		case strings.Contains(msg, "image") || strings.Contains(msg, "compute"):
			f.Errors["image"] = ie.Message
		default:
			f.Errors["form"] = ie.Message
		}
	default:
		return err
	}
	return nil
}

func (s *Server) newProject(w http.ResponseWriter, r *http.Request) error {
	if err := writer(r); err != nil {
		return err
	}
	f := projectForm{SourceType: "NO_SOURCE", Image: "aws/codebuild/standard:7.0", ComputeType: "BUILD_GENERAL1_SMALL", Timeout: "60",
		ArtifactsType: "NO_ARTIFACTS", Buildspec: "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hello\n"}
	return s.renderProjectForm(w, r, http.StatusOK, f, false)
}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request) error {
	if err := writer(r); err != nil {
		return err
	}
	f := readProjectForm(r, "")
	if len(f.Errors) > 0 {
		return s.renderProjectForm(w, r, http.StatusUnprocessableEntity, f, false)
	}
	src, env, art, timeout := f.apply(nil, nil, nil)
	in := &cb.CreateProjectInput{
		Name: f.Name, Description: f.Description, Source: src, SourceVersion: f.SourceVersion, Artifacts: art, Environment: env,
		ServiceRole: "arn:aws:iam::" + s.cfg.Account + ":role/codeyard", TimeoutInMinutes: timeout,
	}
	if _, err := s.cfg.CodeBuild.CreateProject(r.Context(), s.caller(sessionOf(r)), in); err != nil {
		if err := f.serviceError(err); err != nil {
			return err
		}
		return s.renderProjectForm(w, r, http.StatusUnprocessableEntity, f, false)
	}
	return redirect(w, r, Prefix+"projects/"+url.PathEscape(f.Name))
}

func (s *Server) editProject(w http.ResponseWriter, r *http.Request) error {
	if err := writer(r); err != nil {
		return err
	}
	p, err := s.oneProject(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	return s.renderProjectForm(w, r, http.StatusOK, formOf(p), true)
}

func (s *Server) updateProject(w http.ResponseWriter, r *http.Request) error {
	if err := writer(r); err != nil {
		return err
	}
	p, err := s.oneProject(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	f := readProjectForm(r, p.Name)
	if len(f.Errors) > 0 {
		return s.renderProjectForm(w, r, http.StatusUnprocessableEntity, f, true)
	}
	src, env, art, timeout := f.apply(p.Source, p.Environment, p.Artifacts)
	in := &cb.UpdateProjectInput{
		Name: p.Name, Description: f.Description, Source: src, SourceVersion: f.SourceVersion, Artifacts: art,
		Environment: env, TimeoutInMinutes: timeout,
	}
	if _, err := s.cfg.CodeBuild.EditProject(r.Context(), s.caller(sessionOf(r)), in); err != nil {
		if err := f.serviceError(err); err != nil {
			return err
		}
		return s.renderProjectForm(w, r, http.StatusUnprocessableEntity, f, true)
	}
	return redirect(w, r, Prefix+"projects/"+url.PathEscape(p.Name))
}
