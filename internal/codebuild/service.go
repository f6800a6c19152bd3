package codebuild

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/codeyard/codeyard/internal/awsapi/shape"
	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
	"github.com/codeyard/codeyard/internal/build"
)

// InputError is a request the service refuses: the API answers
// InvalidInputException with its message.
type InputError struct{ Message string }

func (e *InputError) Error() string { return e.Message }

func invalid(format string, args ...any) error {
	return &InputError{Message: fmt.Sprintf(format, args...)}
}

// LimitError is a request over a limit: AccountLimitExceededException.
type LimitError struct{ Message string }

func (e *LimitError) Error() string { return e.Message }

// NotFoundError names what was not found: ResourceNotFoundException.
type NotFoundError struct{ Message string }

func (e *NotFoundError) Error() string { return e.Message }

// ExistsError names what already exists: ResourceAlreadyExistsException.
type ExistsError struct{ Message string }

func (e *ExistsError) Error() string { return e.Message }

// Caller is who calls an operation, and where.
type Caller struct {
	Region    string
	Account   string
	Initiator string // the user name, as CodeBuild records it
}

func (c Caller) arn(resource string) string {
	return "arn:aws:codebuild:" + c.Region + ":" + c.Account + ":" + resource
}

// LogStore keeps build logs.
type LogStore interface {
	// Create opens a log stream for writing, creating its group.
	Create(group, stream string) (io.WriteCloser, error)
	// DeleteStream deletes a build's log.
	DeleteStream(group, stream string) error
}

// Executors gives the executor a build runs on.
type Executors interface {
	// Executor returns the executor for a build of project in environment
	// env, or an error that fails the build in PROVISIONING with its
	// message.
	Executor(project string, env *cb.ProjectEnvironment) (build.Executor, error)
}

// containerExecutor is implemented by executors that run a build in a
// container of its image: the source is mounted where CodeBuild puts it,
// and the image, not the server, provides the environment.
type containerExecutor interface {
	InContainer() bool
}

// Reaper is implemented by Executors that can clean up after a build
// whose server died: Reap kills what the build left running and returns
// how many processes (or containers) it removed.
type Reaper interface {
	Reap(buildID string) int
}

// Config configures a Service.
type Config struct {
	Store Store
	Logs  LogStore
	Exec  Executors
	// Secrets resolves parameter-store and secrets-manager values; nil:
	// none exist.
	Secrets build.Secrets
	// Cache keeps LOCAL caches (and S3 caches when Objects is nil); nil:
	// they are not kept.
	Cache build.Cache
	// Objects is the S3 store: artifacts of type S3 go there, and sources
	// and caches of type S3 come from it; nil: S3 artifacts are not
	// uploaded, S3 sources fail and S3 caches are kept in Cache.
	Objects Objects
	// WorkDir is where build workspaces are made; empty: the system's
	// temporary directory.
	WorkDir string
	// ToolsDir holds CodeBuild's helper commands, first on the PATH.
	ToolsDir string
	// BaseEnv is the environment builds on the host start from.
	BaseEnv []string
	// Workers is how many builds run at once; 0 means 4.
	Workers int
	// Owner identifies this server among the workers sharing the store.
	Owner string
	// Seal seals webhook secrets at rest; nil: they are stored as they are.
	Seal Sealer
	// PublicURL is the server's URL as forges reach it, which webhooks'
	// payload URLs start with; empty: the URL CreateWebhook was called at.
	PublicURL string
	// Images are the curated images ListCuratedEnvironmentImages offers.
	Images []Image
	Log    *slog.Logger
	Now    func() time.Time
}

// Image is an environment image the server offers.
type Image struct {
	Name        string
	Description string
	Versions    []string
	Platform    string // UBUNTU, AMAZON_LINUX, ...
	Language    string // STANDARD, ...
}

// Service is the CodeBuild control plane.
type Service struct {
	cfg   Config
	store Store
	log   *slog.Logger
	now   func() time.Time
	wake  chan struct{}

	tokenMu sync.Mutex // held by StartBuild calls with an idempotency token

	mu       sync.Mutex          // guards running, stopping and tokens
	running  map[string]*running // by build id
	stopping map[string]bool     // stopped before their worker registered them
	tokens   map[string]idempotent

	batch batchRuntime // the batches this server coordinates (batches.go)
}

type running struct {
	cancel context.CancelCauseFunc
}

type idempotent struct {
	hash    string
	buildID string
	at      time.Time
}

// New returns a Service; Run starts its workers.
func New(cfg Config) *Service {
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Owner == "" {
		cfg.Owner = newUUID()
	}
	return &Service{
		cfg: cfg, store: cfg.Store, log: cfg.Log, now: cfg.Now,
		wake:     make(chan struct{}, cfg.Workers),
		running:  map[string]*running{},
		stopping: map[string]bool{},
		tokens:   map[string]idempotent{},
	}
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func ptr[T any](v T) *T { return &v }

func val[T any](p *T) T {
	if p == nil {
		var z T
		return z
	}
	return *p
}

func ts(t time.Time) *shape.Time {
	if t.IsZero() {
		return nil
	}
	return &shape.Time{Time: t}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // the shapes always marshal
	}
	return b
}

// storeErr turns a store's sentinel errors into the API's.
func storeErr(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound):
		return &NotFoundError{Message: what + " does not exist"}
	case errors.Is(err, ErrExists):
		return &ExistsError{Message: what + " already exists"}
	case errors.Is(err, ErrBadToken):
		return invalid("Invalid next token")
	}
	return err
}
