package web

import (
	"errors"
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
	Errors                                 map[string]string
}

var (
	projectNameRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9\-_]{1,254}$`)
	sourceTypes    = []string{"NO_SOURCE", "GITHUB", "GITLAB", "BITBUCKET", "CODECOMMIT", "S3", "GITHUB_ENTERPRISE", "GITLAB_SELF_MANAGED"}
	computeTypes   = []string{"BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"}
	artifactTypes  = []string{"NO_ARTIFACTS", "S3"}
	packagingTypes = []string{"NONE", "ZIP"}
)

type projectFormData struct {
	Form           projectForm
	Edit           bool
	SourceTypes    []string
	ComputeTypes   []string
	ArtifactTypes  []string
	PackagingTypes []string
}

func (s *Server) renderProjectForm(w http.ResponseWriter, r *http.Request, status int, f projectForm, edit bool) error {
	title := "New project"
	if edit {
		title = "Edit " + f.Name
	}
	s.render(w, r, status, "project_form", &page{Title: title, Nav: "projects", Session: sessionOf(r), Data: &projectFormData{
		Form: f, Edit: edit, SourceTypes: sourceTypes, ComputeTypes: computeTypes, ArtifactTypes: artifactTypes, PackagingTypes: packagingTypes,
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
	if name != "" {
		f.Name = name
	} else if !projectNameRE.MatchString(f.Name) {
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
