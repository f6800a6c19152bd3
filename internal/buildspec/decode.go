package buildspec

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Messages repeated from CodeBuild. Each comes from public build logs or
// issues that quote CodeBuild verbatim.
const (
	// "YAML_FILE_ERROR Message: Invalid buildspec phase name: artifacts.
	// Expecting: build,install,post_build,pre_build" (build log of
	// 2020-03-04 quoted in a public repository's README; the same text
	// with upper-case names appears in a 2019 log).
	msgPhaseName = "Invalid buildspec phase name: %s. Expecting: build,install,post_build,pre_build"
	// "YAML_FILE_ERROR Message: invalid buildspec `version` specified:
	// 1.0, see documentation" (build log of 2021-06-03 quoted in a public
	// repository's notes).
	msgVersion = "invalid buildspec `version` specified: %s, see documentation"
	// "YAML_FILE_ERROR Message: Expected Commands[4] to be of string type:
	// found subkeys instead at line 10, value of the key tag on line 9
	// might be empty" (build logs of 2024 in public repositories;
	// https://www.bioerrorlog.work/entry/codebuild-colon-error reproduces
	// it with `- echo "Hello: world"`). The line is the entry's and the
	// second line is always the one before it. Finally entries get the
	// same wording with Finally in place of Commands.
	msgSubkeys = "Expected %s[%d] to be of string type: found subkeys instead at line %d, value of the key tag on line %d might be empty"
	// "YAML_FILE_ERROR Message: wrong number of container tags, expected
	// 1" is what public build logs show for a file without a version key
	// (aws/serverless-application-model#352 used a SAM template as the
	// buildspec; aws-samples/aws-container-devsecops-workshop#7); a 2026
	// troubleshooting note in a public repository gives it for an empty
	// buildspec.yml too. The parentheses are codeyard's.
	msgNoVersion = "wrong number of container tags, expected 1 (the buildspec has no version key)"
	msgEmpty     = "wrong number of container tags, expected 1 (the buildspec is empty)"
	// CreateProject and StartBuild refuse such names with "No user
	// environment variables can start with CODEBUILD_" (reported in
	// thii/aws-codebuild-extras#1, 2020).
	msgReserved = "No user environment variables can start with CODEBUILD_: %s"
)

// msgExhausted reports a buildspec whose aliases make it too big to read.
const msgExhausted = "the buildspec expands to too many values through its aliases and merge keys"

// The remaining messages are codeyard's, in the same style: "Expected X to
// be of T type: found Y instead at line L, column C" for wrong types and
// "Invalid ...: V. Expecting: ..." for wrong values.

// reportFormats maps each report file format to its report kind
// (buildspec reference, reports/<report-group>/file-format).
var reportFormats = map[string]string{
	"CUCUMBERJSON":    "TEST",
	"JUNITXML":        "TEST",
	"NUNITXML":        "TEST",
	"NUNIT3XML":       "TEST",
	"TESTNGXML":       "TEST",
	"VISUALSTUDIOTRX": "TEST",
	"CLOVERXML":       "CODE_COVERAGE",
	"COBERTURAXML":    "CODE_COVERAGE",
	"JACOCOXML":       "CODE_COVERAGE",
	"SIMPLECOV":       "CODE_COVERAGE",
}

const reportFormatList = "CUCUMBERJSON,JUNITXML,NUNITXML,NUNIT3XML,TESTNGXML,VISUALSTUDIOTRX,CLOVERXML,COBERTURAXML,JACOCOXML,SIMPLECOV"

// yamlBools are the YAML 1.1 booleans, which CodeBuild's YAML parser
// accepts; the buildspec reference writes yes/no and true/false.
var yamlBools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
	"on": true, "On": true, "ON": true, "true": true, "True": true, "TRUE": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false,
	"off": false, "Off": false, "OFF": false, "false": false, "False": false, "FALSE": false,
}

// shells are the values of env/shell the buildspec reference lists.
var shells = []string{"bash", "/bin/sh", "powershell.exe", "cmd.exe"}

// maxReportGroups is the number of report groups a project may have
// (buildspec reference, reports/report-group-name-or-arn).
const maxReportGroups = 5

// maxFallbackKeys is the number of cache fallback keys CodeBuild accepts.
const maxFallbackKeys = 5

var (
	shellName      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	identifierName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
	reportGroupARN = regexp.MustCompile(`^arn:[^:]+:codebuild:[^:]*:[0-9]*:report-group/.+$`)
)

type decoder struct {
	version   string
	errs      []Diagnostic
	warns     []Diagnostic
	budget    *int
	exhausted bool
}

// decode turns the node tree of a buildspec into a Spec. warns holds the
// warnings found while loading.
func decode(root *node, budget *int, warns []Diagnostic) (*Spec, []Diagnostic, []Diagnostic) {
	d := &decoder{budget: budget, warns: warns}
	spec := d.spec(root)
	return spec, d.errs, d.warns
}

func (d *decoder) errorf(n *node, format string, args ...any) {
	if d.exhausted {
		return
	}
	line, col := 0, 0
	if n != nil {
		line, col = n.line, n.col
	}
	d.errs = append(d.errs, Diagnostic{Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
}

func (d *decoder) warnf(n *node, format string, args ...any) {
	line, col := 0, 0
	if n != nil {
		line, col = n.line, n.col
	}
	d.warns = append(d.warns, Diagnostic{Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
}

// typeError reports that n, at path, is not of the wanted type.
func (d *decoder) typeError(n *node, path, want string) {
	d.errorf(n, "Expected %s to be of %s type: found %s instead at line %d, column %d", path, want, n.describe(), n.line, n.col)
}

func (d *decoder) unknown(key *node, path string) {
	d.warnf(key, "unknown key %s is ignored", join(path, key.text))
}

func (d *decoder) missing(at *node, path string) {
	d.errorf(at, "missing required key %s", path)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "/" + key
}

// spend takes one unit from the budget and reports whether there was one.
func (d *decoder) spend() bool {
	if d.exhausted {
		return false
	}
	*d.budget--
	if *d.budget < 0 {
		d.errorf(nil, msgExhausted)
		d.exhausted = true
		return false
	}
	return true
}

// mapping returns the pairs of a map node. A null is an empty map; anything
// else is reported.
func (d *decoder) mapping(n *node, path string) []pair {
	switch n.kind {
	case mapKind:
		return n.pairs
	case nullKind:
		return nil
	}
	d.typeError(n, path, "map")
	return nil
}

// str returns the text of a scalar node; a null is the empty string.
func (d *decoder) str(n *node, path string) string {
	switch n.kind {
	case scalarKind, nullKind:
		if n.kind == nullKind {
			return ""
		}
		return n.text
	}
	d.typeError(n, path, "string")
	return ""
}

// strs returns a list of strings; a null is an empty list.
func (d *decoder) strs(n *node, path string) []string {
	switch n.kind {
	case nullKind:
		return nil
	case seqKind:
	default:
		d.typeError(n, path, "list")
		return nil
	}
	out := make([]string, 0, len(n.items))
	for i, it := range n.items {
		if !d.spend() {
			return out
		}
		if it.kind != scalarKind {
			d.typeError(it, fmt.Sprintf("%s[%d]", path, i), "string")
			continue
		}
		out = append(out, it.text)
	}
	return out
}

func (d *decoder) boolean(n *node, path string) bool {
	if n.kind == nullKind {
		return false
	}
	if n.kind != scalarKind {
		d.typeError(n, path, "bool")
		return false
	}
	v, ok := yamlBools[n.text]
	if !ok {
		d.errorf(n, "Invalid boolean value for %s: %s. Expecting: yes,no,true,false", path, n.text)
	}
	return v
}

func (d *decoder) spec(root *node) *Spec {
	if root.kind == nullKind {
		d.errorf(nil, msgEmpty)
		return nil
	}
	if root.kind != mapKind {
		d.typeError(root, "buildspec", "map")
		return nil
	}
	spec := &Spec{}
	for _, p := range root.pairs {
		if p.key.text == "version" {
			spec.Version = d.parseVersion(p.val)
		}
	}
	if spec.Version == "" && !slices.ContainsFunc(root.pairs, func(p pair) bool { return p.key.text == "version" }) {
		d.errorf(nil, msgNoVersion)
	}
	d.version = spec.Version

	var phasesKey, envKey *node
	for _, p := range root.pairs {
		if !d.spend() {
			return nil
		}
		switch k := p.key.text; k {
		case "version":
		case "run-as":
			spec.RunAs = d.str(p.val, k)
		case "env":
			if envKey != nil {
				d.warnf(p.key, "env and %s both define environment variables", envKey.text)
			}
			envKey = p.key
			d.env(p.val, &spec.Env, k)
		case "environment_variables":
			if d.version != "0.1" {
				if d.version == "0.2" {
					d.warnf(p.key, "environment_variables is the buildspec version 0.1 name of env and is ignored in version 0.2")
				}
				continue
			}
			if envKey != nil {
				d.warnf(p.key, "environment_variables and %s both define environment variables", envKey.text)
			}
			envKey = p.key
			d.env(p.val, &spec.Env, k)
		case "proxy":
			spec.Proxy = d.proxy(p.val)
		case "batch":
			spec.Batch = d.batch(p.key, p.val)
		case "phases":
			phasesKey = p.key
			spec.Phases = d.phases(p.key, p.val)
		case "reports":
			spec.Reports = d.reports(p.val)
		case "artifacts":
			spec.Artifacts = d.artifacts(p.key, p.val)
		case "cache":
			spec.Cache = d.cache(p.val)
		default:
			d.unknown(p.key, "")
		}
	}
	if phasesKey == nil {
		d.errorf(nil, "missing required key phases")
	}
	if spec.Phases == nil {
		spec.Phases = []Phase{}
	}
	return spec
}

func (d *decoder) parseVersion(n *node) string {
	text := n.text
	if n.kind == scalarKind && (text == "0.1" || text == "0.2") {
		return text
	}
	if n.kind == mapKind || n.kind == seqKind {
		d.typeError(n, "version", "string")
		return "invalid"
	}
	d.errorf(n, msgVersion, text)
	return "invalid"
}

// env decodes the env section (environment_variables in version 0.1).
func (d *decoder) env(n *node, env *Env, path string) {
	defined := map[string]string{} // variable name → section defining it
	for _, p := range d.mapping(n, path) {
		if !d.spend() {
			return
		}
		k := p.key.text
		sub := join(path, k)
		switch {
		case k == "shell":
			env.Shell = d.str(p.val, sub)
			if env.Shell != "" && !slices.Contains(shells, env.Shell) {
				d.warnf(p.val, "env/shell %s is not one of the shells CodeBuild supports: %s", env.Shell, strings.Join(shells, ", "))
			}
		case k == "variables" || (k == "plaintext" && d.version == "0.1"):
			env.Variables = append(env.Variables, d.vars(p.val, sub, defined, false)...)
		case k == "parameter-store":
			env.ParameterStore = append(env.ParameterStore, d.vars(p.val, sub, defined, true)...)
		case k == "secrets-manager":
			vars := d.vars(p.val, sub, defined, true)
			for _, v := range vars {
				d.secretRef(p.val, sub, v)
			}
			env.SecretsManager = append(env.SecretsManager, vars...)
		case k == "exported-variables":
			env.ExportedVariables = d.strs(p.val, sub)
			for i, name := range env.ExportedVariables {
				at := p.val
				if i < len(p.val.items) {
					at = p.val.items[i]
				}
				switch {
				case name == "":
					d.errorf(at, "%s[%d] is an empty variable name", sub, i)
				case strings.HasPrefix(name, "AWS_"):
					// Buildspec reference, env/exported-variables:
					// "Environment variables that start with AWS_" cannot
					// be exported.
					d.warnf(at, "%s cannot be exported: CodeBuild does not export variables that start with AWS_", name)
				}
			}
		case k == "git-credential-helper":
			env.GitCredentialHelper = d.boolean(p.val, sub)
		default:
			d.unknown(p.key, path)
		}
	}
}

// vars decodes a map of environment variables. defined, when not nil,
// records which section defined each name, to warn about a name defined
// twice. needValue makes an empty value an error (a parameter or secret
// must be named).
func (d *decoder) vars(n *node, path string, defined map[string]string, needValue bool) []Var {
	pairs := d.mapping(n, path)
	out := make([]Var, 0, len(pairs))
	for _, p := range pairs {
		if !d.spend() {
			return out
		}
		name := p.key.text
		sub := join(path, name)
		d.envName(p.key, name, path)
		if defined != nil {
			if prev, ok := defined[name]; ok && prev != path {
				d.warnf(p.key, "environment variable %s is defined in both %s and %s", name, prev, path)
			}
			defined[name] = path
		}
		value := d.str(p.val, sub)
		if needValue && value == "" && p.val.kind != mapKind && p.val.kind != seqKind {
			d.errorf(p.val, "%s is empty: it must name the value to fetch", sub)
		}
		out = append(out, Var{Name: name, Value: value})
	}
	return out
}

// envName checks the name of an environment variable. The buildspec
// reference says "Do not set any environment variable with a name that
// starts with CODEBUILD_. This prefix is reserved for internal use", and
// CodeBuild's API refuses such names; codeyard sets CODEBUILD_* itself, so
// a buildspec overriding one is an error, not a warning. A name the shell
// cannot expand is only a warning: CodeBuild sets it anyway.
func (d *decoder) envName(key *node, name, path string) {
	switch {
	case name == "":
		d.errorf(key, "%s has an empty environment variable name", path)
	case strings.ContainsAny(name, "=\x00"):
		d.errorf(key, "environment variable name %q in %s cannot contain '='", name, path)
	case strings.HasPrefix(name, "CODEBUILD_"):
		d.errorf(key, msgReserved, join(path, name))
	case !shellName.MatchString(name):
		d.warnf(key, "environment variable name %q in %s is not a valid shell variable name", name, path)
	}
}

// secretRef checks a secrets-manager reference,
// secret-id:json-key:version-stage:version-id, where secret-id may be an ARN
// (which has colons of its own) and the trailing parts are optional.
func (d *decoder) secretRef(at *node, path string, v Var) {
	if v.Value == "" {
		return
	}
	if p, ok := findPair(at, v.Name); ok {
		at = p.val
	}
	ref := v.Value
	var rest []string
	if strings.HasPrefix(ref, "arn:") {
		parts := strings.Split(ref, ":")
		// arn:partition:secretsmanager:region:account:secret:name
		if len(parts) < 7 || parts[2] != "secretsmanager" {
			d.warnf(at, "%s/%s: %s is not a Secrets Manager secret ARN", path, v.Name, ref)
			return
		}
		rest = parts[7:]
	} else {
		rest = strings.Split(ref, ":")[1:]
	}
	if len(rest) > 3 {
		d.errorf(at, "%s/%s: %s has too many parts: expected secret-id:json-key:version-stage:version-id", path, v.Name, ref)
		return
	}
	if len(rest) == 3 && rest[1] != "" && rest[2] != "" {
		d.warnf(at, "%s/%s sets both version-stage and version-id; use one of them", path, v.Name)
	}
}

func findPair(n *node, key string) (pair, bool) {
	if n.kind != mapKind {
		return pair{}, false
	}
	for _, p := range n.pairs {
		if p.key.text == key {
			return p, true
		}
	}
	return pair{}, false
}

func (d *decoder) proxy(n *node) *Proxy {
	pr := &Proxy{}
	for _, p := range d.mapping(n, "proxy") {
		switch k := p.key.text; k {
		case "upload-artifacts":
			pr.UploadArtifacts = d.boolean(p.val, "proxy/"+k)
		case "logs":
			pr.Logs = d.boolean(p.val, "proxy/"+k)
		default:
			d.unknown(p.key, "proxy")
		}
	}
	return pr
}

func (d *decoder) phases(key, n *node) []Phase {
	pairs := d.mapping(n, "phases")
	if n.kind == nullKind {
		d.missing(key, "phases")
		return nil
	}
	found := map[string]Phase{}
	for _, p := range pairs {
		if !d.spend() {
			return nil
		}
		name := p.key.text
		if !slices.Contains(PhaseNames[:], name) {
			d.errorf(p.key, msgPhaseName, name)
			continue
		}
		found[name] = d.phase(p.key, p.val)
	}
	if len(pairs) == 0 && n.kind == mapKind {
		d.warnf(key, "phases is empty: the build runs no commands")
	}
	out := make([]Phase, 0, len(found))
	for _, name := range PhaseNames {
		if ph, ok := found[name]; ok {
			out = append(out, ph)
		}
	}
	return out
}

func (d *decoder) phase(key, n *node) Phase {
	name := key.text
	path := "phases/" + name
	ph := Phase{Name: name, Commands: []Command{}}
	hasCommands := false
	for _, p := range d.mapping(n, path) {
		if !d.spend() {
			break
		}
		k := p.key.text
		sub := join(path, k)
		switch k {
		case "run-as":
			ph.RunAs = d.str(p.val, sub)
		case "on-failure":
			if p.val.kind != scalarKind {
				d.typeError(p.val, sub, "string")
				continue
			}
			of, problem := parseOnFailure(p.val.text)
			switch {
			case of != nil:
				ph.OnFailure = of
			case problem == "":
				d.errorf(p.val, "Invalid buildspec on-failure value: %s. Expecting: ABORT,CONTINUE,RETRY,RETRY-<count>,RETRY-<regex>,RETRY-<count>-<regex>", p.val.text)
			default:
				d.errorf(p.val, "Invalid buildspec on-failure value: %s. %s", p.val.text, capitalize(problem))
			}
		case "runtime-versions":
			if name != Install {
				d.warnf(p.key, "%s is only used in the install phase and is ignored here", sub)
				continue
			}
			ph.RuntimeVersions = d.runtimes(p.key, p.val, sub)
		case "commands":
			hasCommands = p.val.kind != nullKind
			ph.Commands = d.commands(p.val, "Commands", sub)
		case "finally":
			ph.Finally = d.commands(p.val, "Finally", sub)
		default:
			d.unknown(p.key, path)
		}
	}
	if !hasCommands && name != Install {
		// Buildspec reference: commands is "Required" for pre_build, build
		// and post_build, optional for install.
		d.missing(key, path+"/commands")
	}
	return ph
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// runtimes decodes install/runtime-versions. The reference: "If specified,
// at least one runtime must be included in this section."
func (d *decoder) runtimes(key, n *node, path string) []Var {
	pairs := d.mapping(n, path)
	if len(pairs) == 0 && (n.kind == mapKind || n.kind == nullKind) {
		d.errorf(key, "%s must name at least one runtime", path)
		return nil
	}
	out := make([]Var, 0, len(pairs))
	for _, p := range pairs {
		sub := join(path, p.key.text)
		if p.val.kind != scalarKind {
			d.typeError(p.val, sub, "string")
			continue
		}
		if p.key.text == "" {
			d.errorf(p.key, "%s has an empty runtime name", path)
		}
		out = append(out, Var{Name: p.key.text, Value: p.val.text})
	}
	return out
}

// commands decodes a commands or finally list; name is Commands or Finally,
// as CodeBuild names them in its messages. A single string is a list of one
// command, as CodeBuild accepts (the AWS CDK documents
// `commands: 'export MY_VAR="some value"'` for aws_codebuild.BuildSpec).
func (d *decoder) commands(n *node, name, path string) []Command {
	switch n.kind {
	case nullKind:
		return []Command{}
	case scalarKind:
		return []Command{{Text: n.text, Line: n.line, Column: n.col}}
	case mapKind:
		d.typeError(n, name, "list")
		return []Command{}
	}
	out := make([]Command, 0, len(n.items))
	for i, it := range n.items {
		if !d.spend() {
			return out
		}
		switch it.kind {
		case scalarKind:
			out = append(out, Command{Text: it.text, Line: it.line, Column: it.col})
		case mapKind:
			d.errorf(it, msgSubkeys, name, i, it.line, it.line-1)
		default:
			d.typeError(it, fmt.Sprintf("%s[%d]", name, i), "string")
		}
	}
	return out
}

func (d *decoder) reports(n *node) []Report {
	pairs := d.mapping(n, "reports")
	if len(pairs) > maxReportGroups {
		d.warnf(pairs[maxReportGroups].key, "reports names %d report groups; a project can have at most %d", len(pairs), maxReportGroups)
	}
	out := make([]Report, 0, len(pairs))
	for _, p := range pairs {
		if !d.spend() {
			return out
		}
		group := p.key.text
		path := join("reports", group)
		if group == "" {
			d.errorf(p.key, "reports has an empty report group name")
		}
		if strings.HasPrefix(group, "arn:") && !reportGroupARN.MatchString(group) {
			d.warnf(p.key, "%s is not a report group ARN (arn:aws:codebuild:<region>:<account>:report-group/<name>)", group)
		}
		r := Report{Group: group, FileFormat: "JUNITXML", Kind: "TEST"}
		hasFiles := false
		for _, q := range d.mapping(p.val, path) {
			k := q.key.text
			sub := join(path, k)
			switch k {
			case "files":
				hasFiles = q.val.kind != nullKind
				r.Files = d.strs(q.val, sub)
			case "file-format":
				if q.val.kind == nullKind {
					continue
				}
				f := strings.ToUpper(d.str(q.val, sub))
				kind, ok := reportFormats[f]
				if !ok {
					d.errorf(q.val, "Invalid report file format: %s. Expecting: %s", q.val.text, reportFormatList)
					continue
				}
				r.FileFormat, r.Kind = f, kind
			case "base-directory":
				r.BaseDirectory = d.str(q.val, sub)
			case "discard-paths":
				r.DiscardPaths = d.boolean(q.val, sub)
			default:
				d.unknown(q.key, path)
			}
		}
		if !hasFiles {
			d.missing(p.key, path+"/files")
		}
		if r.Files == nil {
			r.Files = []string{}
		}
		out = append(out, r)
	}
	return out
}

func (d *decoder) artifacts(key, n *node) *Artifacts {
	a := &Artifacts{}
	hasFiles := false
	for _, p := range d.mapping(n, "artifacts") {
		if !d.spend() {
			break
		}
		k := p.key.text
		sub := join("artifacts", k)
		switch k {
		case "files":
			hasFiles = p.val.kind != nullKind
			a.Files = d.strs(p.val, sub)
		case "name":
			a.Name = d.str(p.val, sub)
		case "discard-paths":
			a.DiscardPaths = d.boolean(p.val, sub)
		case "base-directory":
			a.BaseDirectory = d.str(p.val, sub)
		case "exclude-paths":
			a.ExcludePaths = d.strs(p.val, sub)
		case "enable-symlinks":
			a.EnableSymlinks = d.boolean(p.val, sub)
		case "s3-prefix":
			a.S3Prefix = d.str(p.val, sub)
		case "secondary-artifacts":
			a.Secondary = d.secondaries(p.val, sub)
		case "type":
			// Buildspec versions table: "The type property for artifacts
			// has been deprecated" in version 0.2.
			d.warnf(p.key, "artifacts/type is deprecated and ignored")
		default:
			d.unknown(p.key, "artifacts")
		}
	}
	if !hasFiles {
		// Buildspec reference: "The artifacts/files sequence is always
		// required, even when there are only secondary artifacts defined."
		d.missing(key, "artifacts/files")
	}
	if a.Files == nil {
		a.Files = []string{}
	}
	return a
}

func (d *decoder) secondaries(n *node, path string) []SecondaryArtifact {
	pairs := d.mapping(n, path)
	out := make([]SecondaryArtifact, 0, len(pairs))
	for _, p := range pairs {
		if !d.spend() {
			return out
		}
		id := p.key.text
		sub := join(path, id)
		if !identifierName.MatchString(id) {
			// CreateProject: "identifier must contain only alphanumeric
			// characters and underscores" (boto/botocore#2531).
			d.warnf(p.key, "artifact identifier %q should contain only alphanumeric characters and underscores", id)
		}
		s := SecondaryArtifact{Identifier: id}
		hasFiles := false
		for _, q := range d.mapping(p.val, sub) {
			k := q.key.text
			ss := join(sub, k)
			switch k {
			case "files":
				hasFiles = q.val.kind != nullKind
				s.Files = d.strs(q.val, ss)
			case "name":
				s.Name = d.str(q.val, ss)
			case "discard-paths":
				s.DiscardPaths = d.boolean(q.val, ss)
			case "base-directory":
				s.BaseDirectory = d.str(q.val, ss)
			case "exclude-paths":
				s.ExcludePaths = d.strs(q.val, ss)
			case "enable-symlinks":
				s.EnableSymlinks = d.boolean(q.val, ss)
			case "s3-prefix":
				s.S3Prefix = d.str(q.val, ss)
			case "type":
				d.warnf(q.key, "%s is deprecated and ignored", ss)
			default:
				d.unknown(q.key, sub)
			}
		}
		if !hasFiles {
			d.missing(p.key, sub+"/files")
		}
		if s.Files == nil {
			s.Files = []string{}
		}
		out = append(out, s)
	}
	return out
}

func (d *decoder) cache(n *node) *Cache {
	c := &Cache{}
	var fallback *node
	hasKey := false
	for _, p := range d.mapping(n, "cache") {
		k := p.key.text
		sub := join("cache", k)
		switch k {
		case "paths":
			c.Paths = d.strs(p.val, sub)
		case "key":
			c.Key = d.str(p.val, sub)
			hasKey = c.Key != ""
		case "fallback-keys":
			fallback = p.key
			c.FallbackKeys = d.strs(p.val, sub)
			if len(c.FallbackKeys) > maxFallbackKeys {
				d.errorf(p.val, "%s has %d keys; CodeBuild accepts at most %d", sub, len(c.FallbackKeys), maxFallbackKeys)
			}
		case "action":
			c.Action = d.str(p.val, sub)
			if c.Action != "" && c.Action != CacheRestore && c.Action != CacheSave {
				d.errorf(p.val, "Invalid cache action: %s. Expecting: restore,save", c.Action)
			}
		default:
			d.unknown(p.key, "cache")
		}
	}
	if fallback != nil && !hasKey {
		// Caching reference: fallback keys are "ignored without key".
		d.warnf(fallback, "cache/fallback-keys is ignored without cache/key")
	}
	return c
}

var batchTypes = []string{BuildGraph, BuildList, BuildMatrix, BuildFanout}

func (d *decoder) batch(key, n *node) *Batch {
	b := &Batch{}
	var typeKey *node
	for _, p := range d.mapping(n, "batch") {
		k := p.key.text
		sub := join("batch", k)
		switch k {
		case "fast-fail":
			b.FastFail = d.boolean(p.val, sub)
			continue
		case BuildList, BuildGraph, BuildMatrix, BuildFanout:
			if typeKey != nil {
				d.errorf(p.key, "batch defines both %s and %s; a batch build has exactly one of %s", typeKey.text, k, strings.Join(batchTypes, ", "))
				continue
			}
			typeKey = p.key
			b.Type = k
		default:
			d.unknown(p.key, "batch")
			continue
		}
		switch k {
		case BuildList, BuildGraph:
			b.Tasks = d.tasks(p.key, p.val, sub)
		case BuildMatrix:
			b.Matrix = d.matrix(p.val, sub)
		case BuildFanout:
			b.Fanout = d.fanout(p.key, p.val, sub)
		}
	}
	if typeKey == nil {
		d.errorf(key, "batch defines no batch build: it needs one of %s", strings.Join(batchTypes, ", "))
	}
	return b
}

func (d *decoder) tasks(key, n *node, path string) []BatchTask {
	if n.kind != seqKind {
		if n.kind == nullKind {
			d.errorf(key, "%s has no builds", path)
		} else {
			d.typeError(n, path, "list")
		}
		return nil
	}
	graph := key.text == BuildGraph
	out := make([]BatchTask, 0, len(n.items))
	ids := map[string]*node{}
	deps := map[string][]*node{} // identifier → depend-on entries
	for i, it := range n.items {
		if !d.spend() {
			return out
		}
		item := fmt.Sprintf("%s[%d]", path, i)
		if it.kind != mapKind {
			d.typeError(it, item, "map")
			continue
		}
		var t BatchTask
		var idNode, dependOn *node
		for _, p := range it.pairs {
			k := p.key.text
			sub := join(item, k)
			switch k {
			case "identifier":
				idNode = p.val
				t.Identifier = d.str(p.val, sub)
			case "buildspec":
				t.Buildspec = d.str(p.val, sub)
			case "env":
				t.Env = d.taskEnv(p.val, sub)
			case "debug-session":
				t.DebugSession = d.boolean(p.val, sub)
			case "ignore-failure":
				t.IgnoreFailure = d.boolean(p.val, sub)
			case "depend-on":
				if !graph {
					d.warnf(p.key, "%s is only used in a build-graph and is ignored here", sub)
					continue
				}
				dependOn = p.val
				t.DependOn = d.strs(p.val, sub)
			default:
				d.unknown(p.key, item)
			}
		}
		switch {
		case t.Identifier == "" && graph:
			// Batch build reference: identifier is "Required" in a
			// build-graph (and optional in a build-list).
			d.missing(it, item+"/identifier")
		case t.Identifier == "":
		case ids[t.Identifier] != nil:
			d.errorf(idNode, "%s: identifier %s is already used at line %d", item, t.Identifier, ids[t.Identifier].line)
		default:
			ids[t.Identifier] = idNode
			if !identifierName.MatchString(t.Identifier) {
				d.warnf(idNode, "batch identifier %q should contain only alphanumeric characters and underscores", t.Identifier)
			}
		}
		if dependOn != nil && t.Identifier != "" {
			deps[t.Identifier] = dependOn.items
		}
		out = append(out, t)
	}
	if graph {
		d.checkGraph(out, ids, deps, path)
	}
	return out
}

// checkGraph reports dependencies on unknown builds and dependency cycles.
func (d *decoder) checkGraph(tasks []BatchTask, ids map[string]*node, deps map[string][]*node, path string) {
	for _, t := range tasks {
		for i, dep := range t.DependOn {
			if _, ok := ids[dep]; !ok {
				var at *node
				if i < len(deps[t.Identifier]) {
					at = deps[t.Identifier][i]
				}
				d.errorf(at, "%s: %s depends on %s, which is not a build of the graph", path, t.Identifier, dep)
			}
		}
	}
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	byID := map[string]BatchTask{}
	for _, t := range tasks {
		byID[t.Identifier] = t
	}
	var stack []string
	var visit func(id string) bool
	visit = func(id string) bool {
		switch state[id] {
		case visiting:
			i := slices.Index(stack, id)
			cycle := append(slices.Clone(stack[i:]), id)
			d.errorf(ids[id], "%s has a dependency cycle: %s", path, strings.Join(cycle, " -> "))
			return false
		case done:
			return true
		}
		state[id] = visiting
		stack = append(stack, id)
		for _, dep := range byID[id].DependOn {
			if _, ok := byID[dep]; ok && !visit(dep) {
				return false
			}
		}
		stack = stack[:len(stack)-1]
		state[id] = done
		return true
	}
	for _, t := range tasks {
		if t.Identifier != "" && state[t.Identifier] == unvisited && !visit(t.Identifier) {
			return
		}
	}
}

func (d *decoder) taskEnv(n *node, path string) TaskEnv {
	var e TaskEnv
	for _, p := range d.mapping(n, path) {
		k := p.key.text
		sub := join(path, k)
		switch k {
		case "compute-type":
			e.ComputeType = d.str(p.val, sub)
		case "image":
			e.Image = d.str(p.val, sub)
		case "privileged-mode":
			e.PrivilegedMode = d.boolean(p.val, sub)
		case "type":
			e.Type = d.str(p.val, sub)
		case "variables":
			e.Variables = d.vars(p.val, sub, nil, false)
		default:
			d.unknown(p.key, path)
		}
	}
	return e
}

func (d *decoder) matrix(n *node, path string) *Matrix {
	m := &Matrix{}
	dimensions := 0
	for _, p := range d.mapping(n, path) {
		k := p.key.text
		sub := join(path, k)
		switch k {
		case "static":
			for _, q := range d.mapping(p.val, sub) {
				kk := q.key.text
				switch kk {
				case "ignore-failure":
					m.Static.IgnoreFailure = d.boolean(q.val, join(sub, kk))
				case "env":
					m.Static.Env = d.taskEnv(q.val, join(sub, kk))
				default:
					d.unknown(q.key, sub)
				}
			}
		case "dynamic":
			for _, q := range d.mapping(p.val, sub) {
				kk := q.key.text
				switch kk {
				case "buildspec":
					m.Dynamic.Buildspec = d.strs(q.val, join(sub, kk))
					dimensions += len(m.Dynamic.Buildspec)
				case "env":
					dimensions += d.matrixEnv(q.val, join(sub, kk), &m.Dynamic)
				default:
					d.unknown(q.key, sub)
				}
			}
		default:
			d.unknown(p.key, path)
		}
	}
	if dimensions == 0 {
		d.warnf(n, "%s/dynamic lists no values: the matrix has a single build", path)
	}
	return m
}

// matrixEnv decodes build-matrix/dynamic/env and returns the number of
// values it lists.
func (d *decoder) matrixEnv(n *node, path string, dyn *MatrixDynamic) int {
	count := 0
	for _, p := range d.mapping(n, path) {
		k := p.key.text
		sub := join(path, k)
		switch k {
		case "compute-type":
			dyn.ComputeType = d.strs(p.val, sub)
			count += len(dyn.ComputeType)
		case "image":
			dyn.Image = d.strs(p.val, sub)
			count += len(dyn.Image)
		case "variables":
			for _, v := range d.mapping(p.val, sub) {
				d.envName(v.key, v.key.text, sub)
				values := d.strs(v.val, join(sub, v.key.text))
				count += len(values)
				dyn.Variables = append(dyn.Variables, MatrixVar{Name: v.key.text, Values: values})
			}
		default:
			d.unknown(p.key, path)
		}
	}
	return count
}

func (d *decoder) fanout(key, n *node, path string) *Fanout {
	f := &Fanout{}
	hasParallelism := false
	for _, p := range d.mapping(n, path) {
		k := p.key.text
		sub := join(path, k)
		switch k {
		case "parallelism":
			hasParallelism = true
			text := d.str(p.val, sub)
			v, err := strconv.Atoi(text)
			if err != nil || v < 1 {
				d.errorf(p.val, "Expected %s to be a positive integer: found %s instead at line %d, column %d", sub, text, p.val.line, p.val.col)
				continue
			}
			f.Parallelism = v
		case "ignore-failure":
			f.IgnoreFailure = d.boolean(p.val, sub)
		default:
			d.unknown(p.key, path)
		}
	}
	if !hasParallelism {
		d.missing(key, path+"/parallelism")
	}
	return f
}
