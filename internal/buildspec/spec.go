package buildspec

// Spec is a parsed and validated buildspec. Its JSON form is the normalized
// spec that `codeyard buildspec check --json` prints: every scalar is the
// string CodeBuild would use, sections keep their source order, and absent
// optional sections are left out.
type Spec struct {
	Version   string     `json:"version"`
	RunAs     string     `json:"runAs,omitempty"`
	Env       Env        `json:"env"`
	Proxy     *Proxy     `json:"proxy,omitempty"`
	Batch     *Batch     `json:"batch,omitempty"`
	Phases    []Phase    `json:"phases"`
	Reports   []Report   `json:"reports,omitempty"`
	Artifacts *Artifacts `json:"artifacts,omitempty"`
	Cache     *Cache     `json:"cache,omitempty"`
}

// Var is one name/value pair of a map section (env variables,
// parameter-store, secrets-manager, runtime-versions, batch variables), kept
// in source order.
type Var struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Env is the env section. ParameterStore values are parameter names;
// SecretsManager values are references of the form
// secret-id:json-key:version-stage:version-id (trailing parts optional).
type Env struct {
	Shell               string   `json:"shell,omitempty"`
	Variables           []Var    `json:"variables,omitempty"`
	ParameterStore      []Var    `json:"parameterStore,omitempty"`
	SecretsManager      []Var    `json:"secretsManager,omitempty"`
	ExportedVariables   []string `json:"exportedVariables,omitempty"`
	GitCredentialHelper bool     `json:"gitCredentialHelper,omitempty"`
}

// Proxy is the proxy section, for builds in explicit proxy mode.
type Proxy struct {
	UploadArtifacts bool `json:"uploadArtifacts"`
	Logs            bool `json:"logs"`
}

// Phase names as written in a buildspec, in the order CodeBuild runs them.
const (
	Install   = "install"
	PreBuild  = "pre_build"
	Build     = "build"
	PostBuild = "post_build"
)

// PhaseNames lists the buildspec phases in run order.
var PhaseNames = [...]string{Install, PreBuild, Build, PostBuild}

// Phase is one of the four user phases. Phases holds only the phases the
// buildspec names, in run order whatever their order in the file.
type Phase struct {
	Name            string     `json:"name"`
	RunAs           string     `json:"runAs,omitempty"`
	OnFailure       *OnFailure `json:"onFailure,omitempty"`
	RuntimeVersions []Var      `json:"runtimeVersions,omitempty"`
	Commands        []Command  `json:"commands"`
	Finally         []Command  `json:"finally,omitempty"`
}

// Command is one entry of a commands or finally list: the exact string the
// shell runs, and where it starts in the file.
type Command struct {
	Text   string `json:"command"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

// On-failure actions.
const (
	Abort    = "ABORT"
	Continue = "CONTINUE"
	Retry    = "RETRY"
)

// OnFailure is a phase's on-failure setting. For RETRY, RetryCount is the
// number of retries after the first attempt (3 when not given) and
// RetryRegex, when set, must match the phase's error message for a retry to
// happen.
type OnFailure struct {
	Raw        string `json:"raw"`
	Action     string `json:"action"`
	RetryCount int    `json:"retryCount,omitempty"`
	RetryRegex string `json:"retryRegex,omitempty"`
}

// Report is one entry of the reports section. Group is the report group
// name or ARN as written; FileFormat is upper-cased and defaults to
// JUNITXML; Kind is "TEST" or "CODE_COVERAGE" according to the format.
type Report struct {
	Group         string   `json:"group"`
	Files         []string `json:"files"`
	FileFormat    string   `json:"fileFormat"`
	Kind          string   `json:"kind"`
	BaseDirectory string   `json:"baseDirectory,omitempty"`
	DiscardPaths  bool     `json:"discardPaths,omitempty"`
}

// Artifacts is the artifacts section; Secondary holds the
// secondary-artifacts in source order.
type Artifacts struct {
	Files          []string            `json:"files"`
	Name           string              `json:"name,omitempty"`
	DiscardPaths   bool                `json:"discardPaths,omitempty"`
	BaseDirectory  string              `json:"baseDirectory,omitempty"`
	ExcludePaths   []string            `json:"excludePaths,omitempty"`
	EnableSymlinks bool                `json:"enableSymlinks,omitempty"`
	S3Prefix       string              `json:"s3Prefix,omitempty"`
	Secondary      []SecondaryArtifact `json:"secondaryArtifacts,omitempty"`
}

// SecondaryArtifact is one entry of artifacts.secondary-artifacts.
type SecondaryArtifact struct {
	Identifier     string   `json:"artifactIdentifier"`
	Files          []string `json:"files"`
	Name           string   `json:"name,omitempty"`
	DiscardPaths   bool     `json:"discardPaths,omitempty"`
	BaseDirectory  string   `json:"baseDirectory,omitempty"`
	ExcludePaths   []string `json:"excludePaths,omitempty"`
	EnableSymlinks bool     `json:"enableSymlinks,omitempty"`
	S3Prefix       string   `json:"s3Prefix,omitempty"`
}

// Cache actions; an empty Action means both.
const (
	CacheRestore = "restore"
	CacheSave    = "save"
)

// Cache is the cache section.
type Cache struct {
	Paths        []string `json:"paths,omitempty"`
	Key          string   `json:"key,omitempty"`
	FallbackKeys []string `json:"fallbackKeys,omitempty"`
	Action       string   `json:"action,omitempty"`
}

// Batch types, named after their buildspec keys.
const (
	BuildList   = "build-list"
	BuildGraph  = "build-graph"
	BuildMatrix = "build-matrix"
	BuildFanout = "build-fanout"
)

// Batch is the batch section. Type says which of Tasks (build-list,
// build-graph), Matrix or Fanout is set.
type Batch struct {
	FastFail bool        `json:"fastFail"`
	Type     string      `json:"type"`
	Tasks    []BatchTask `json:"tasks,omitempty"`
	Matrix   *Matrix     `json:"matrix,omitempty"`
	Fanout   *Fanout     `json:"fanout,omitempty"`
}

// BatchTask is one build of a build-list or build-graph.
type BatchTask struct {
	Identifier    string   `json:"identifier"`
	Buildspec     string   `json:"buildspec,omitempty"`
	Env           TaskEnv  `json:"env"`
	DebugSession  bool     `json:"debugSession,omitempty"`
	IgnoreFailure bool     `json:"ignoreFailure,omitempty"`
	DependOn      []string `json:"dependOn,omitempty"`
}

// TaskEnv overrides a batch task's build environment.
type TaskEnv struct {
	ComputeType    string `json:"computeType,omitempty"`
	Image          string `json:"image,omitempty"`
	PrivilegedMode bool   `json:"privilegedMode,omitempty"`
	Type           string `json:"type,omitempty"`
	Variables      []Var  `json:"variables,omitempty"`
}

// Matrix is a build-matrix: one build per combination of the dynamic
// values, each with the static settings.
type Matrix struct {
	Static  MatrixStatic  `json:"static"`
	Dynamic MatrixDynamic `json:"dynamic"`
}

// MatrixStatic holds the settings every build of a matrix shares.
type MatrixStatic struct {
	IgnoreFailure bool    `json:"ignoreFailure,omitempty"`
	Env           TaskEnv `json:"env"`
}

// MatrixDynamic holds the lists a matrix combines.
type MatrixDynamic struct {
	Buildspec   []string    `json:"buildspec,omitempty"`
	ComputeType []string    `json:"computeType,omitempty"`
	Image       []string    `json:"image,omitempty"`
	Variables   []MatrixVar `json:"variables,omitempty"`
}

// MatrixVar is one variable of a matrix with all its values.
type MatrixVar struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

// Fanout is a build-fanout: Parallelism identical builds.
type Fanout struct {
	Parallelism   int  `json:"parallelism"`
	IgnoreFailure bool `json:"ignoreFailure,omitempty"`
}

// Diagnostic is an error or warning at a place in the file. Line and
// Column are 1-based; they are 0 when the problem concerns the whole file.
type Diagnostic struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}
