package cli

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/codeyard/codeyard/internal/awsapi"
	"github.com/codeyard/codeyard/internal/blob"
	"github.com/codeyard/codeyard/internal/cache"
	"github.com/codeyard/codeyard/internal/codebuild"
	"github.com/codeyard/codeyard/internal/parameter"
	"github.com/codeyard/codeyard/internal/seal"
	"github.com/codeyard/codeyard/internal/secret"
	"github.com/codeyard/codeyard/internal/store"
	"github.com/codeyard/codeyard/internal/web"
	"github.com/codeyard/codeyard/internal/webhook"
)

// serverConfig is the configuration of `codeyard serve`, from flags and
// CODEYARD_* variables.
type serverConfig struct {
	addr     string
	dataDir  string
	account  string
	region   string
	workers  int
	logLevel string
	// container configures the container engine builds run on.
	container containerFlags
	// allowHostBuilds lets builds run on this host when no container
	// engine is configured.
	allowHostBuilds bool
	// hostProjects are projects whose builds run on this host, engine
	// or not (--allow-host-builds=PROJECT,...).
	hostProjects map[string]bool
	// publicURL is the server's URL as forges reach it (webhooks).
	publicURL string
}

func (c *serverConfig) validate() error {
	if _, _, err := net.SplitHostPort(c.addr); err != nil {
		return fmt.Errorf("--addr (CODEYARD_ADDR) %q: want host:port", c.addr)
	}
	if len(c.account) != 12 || strings12(c.account) {
		return fmt.Errorf("--account (CODEYARD_ACCOUNT) %q: an account id is 12 digits", c.account)
	}
	if c.workers < 1 || c.workers > 1024 {
		return fmt.Errorf("--workers (CODEYARD_WORKERS) must be between 1 and 1024, not %d", c.workers)
	}
	return nil
}

func strings12(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return true
		}
	}
	return false
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func defaultDataDir() string {
	if d := os.Getenv("CODEYARD_DATA_DIR"); d != "" {
		return d
	}
	home, err := stateDir()
	if err != nil {
		return "codeyard-data"
	}
	return filepath.Join(home, "server")
}

func newServeCmd(s streams) *cobra.Command {
	var c serverConfig
	workers, _ := strconv.Atoi(envOr("CODEYARD_WORKERS", strconv.Itoa(max(8, 4*runtime.NumCPU()))))
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the codeyard server: the AWS-compatible API (CodeBuild, CloudWatch Logs) and the build workers",
		Long: `Run the codeyard server on one port. The aws CLI, boto3 and the AWS SDKs
work against it with --endpoint-url (or AWS_ENDPOINT_URL) and an access key
of this server: the first start creates the data directory, the database and
an admin access key, and prints the lines to paste into a shell.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), s, c)
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.addr, "addr", envOr("CODEYARD_ADDR", "127.0.0.1:4580"), "address to listen on (CODEYARD_ADDR)")
	f.StringVar(&c.dataDir, "data-dir", defaultDataDir(), "where the database, logs, artifacts and caches live (CODEYARD_DATA_DIR)")
	f.StringVar(&c.account, "account", envOr("CODEYARD_ACCOUNT", "000000000000"), "account id in ARNs (CODEYARD_ACCOUNT)")
	f.StringVar(&c.region, "region", envOr("CODEYARD_REGION", "us-east-1"), "region printed for clients at first start (CODEYARD_REGION)")
	f.IntVar(&c.workers, "workers", workers, "builds that run at once (CODEYARD_WORKERS)")
	f.StringVar(&c.logLevel, "log-level", envOr("CODEYARD_LOG_LEVEL", "info"), "debug, info, warn or error (CODEYARD_LOG_LEVEL)")
	c.container.register(f, false)
	registerHostBuilds(f, &c)
	f.StringVar(&c.publicURL, "public-url", os.Getenv("CODEYARD_PUBLIC_URL"), "the server's URL as forges reach it, which webhooks' payload URLs start with (CODEYARD_PUBLIC_URL); default: the URL CreateWebhook is called at")
	return cmd
}

// server is a running codeyard server's parts.
type server struct {
	store *store.Store
	keys  *keyring
	svc   *codebuild.Service
	api   *awsapi.Server
	logs  *buildLogs
	lock  *os.File
}

// openServer opens (creating on first use) the data directory and wires
// the server's parts. created reports a first start and the admin key
// made for it.
func openServer(ctx context.Context, c serverConfig, log *slog.Logger) (*server, *createdKey, error) {
	if err := os.MkdirAll(c.dataDir, 0o700); err != nil {
		return nil, nil, err
	}
	lock, err := os.OpenFile(filepath.Join(c.dataDir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, nil, fmt.Errorf("data directory %s is in use by another codeyard server", c.dataDir)
	}
	srv, created, err := wire(ctx, c, log)
	if err != nil {
		lock.Close()
		return nil, nil, err
	}
	srv.lock = lock
	return srv, created, nil
}

func wire(ctx context.Context, c serverConfig, log *slog.Logger) (*server, *createdKey, error) {
	key, err := seal.Load(os.Getenv("CODEYARD_MASTER_KEY"), filepath.Join(c.dataDir, "master.key"))
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, filepath.Join(c.dataDir, "codeyard.db"))
	if err != nil {
		return nil, nil, err
	}
	keys := &keyring{store: st, key: key}
	if err := keys.checkMaster(ctx); err != nil {
		st.Close()
		return nil, nil, err
	}
	created, err := keys.ensureAdmin(ctx)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	logs, err := openLogs(c)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	home, err := stateDir()
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	tools, err := toolsDir(home)
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("helper commands: %w", err)
	}
	caches, err := cache.Open(filepath.Join(c.dataDir, "cache"))
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	objects, err := blob.OpenDisk(filepath.Join(c.dataDir, "blob"))
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	images := curatedImages()
	params := parameter.New(st, key, nil)
	secrets := secret.New(st, key, nil)
	execs, err := serverExecutors(ctx, c, storedSecrets{params: params, secrets: secrets}, log)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	svc := codebuild.New(codebuild.Config{
		Store:     st,
		Secrets:   storedSecrets{params: params, secrets: secrets},
		Logs:      logs,
		Exec:      execs,
		Cache:     caches,
		Objects:   objects,
		ToolsDir:  tools,
		BaseEnv:   buildEnv(os.Environ()),
		WorkDir:   workDir(c.dataDir),
		Workers:   c.workers,
		Images:    images,
		Log:       log,
		Seal:      key,
		PublicURL: c.publicURL,
	})
	api := awsapi.NewServer(awsapi.Config{Account: c.account, Keys: keys, Log: log})
	api.Fallback = awsapi.NewS3(awsapi.S3Config{Account: c.account, Keys: keys, Store: objects, Log: log})
	for _, s := range []awsapi.Service{awsapi.CodeBuild(svc, images), awsapi.Logs(logs.store), awsapi.SSM(params), awsapi.SecretsManager(secrets)} {
		if err := api.Register(s); err != nil {
			st.Close()
			return nil, nil, err
		}
	}
	return &server{store: st, keys: keys, svc: svc, api: api, logs: logs}, created, nil
}

func (s *server) close() {
	s.store.Close()
	if s.lock != nil {
		s.lock.Close()
	}
}

func runServe(ctx context.Context, s streams, c serverConfig) error {
	if err := c.validate(); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return fmt.Errorf("--log-level (CODEYARD_LOG_LEVEL) %q: want debug, info, warn or error", c.logLevel)
	}
	log := slog.New(slog.NewTextHandler(s.errOut, &slog.HandlerOptions{Level: level}))
	srv, created, err := openServer(ctx, c, log)
	if err != nil {
		return err
	}
	defer srv.close()
	ui, webPassword, err := openWeb(ctx, c, srv, log)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	endpoint := "http://" + ln.Addr().String()
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		// Listening on every address: clients on this machine use loopback.
		endpoint = "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
	}
	if created != nil {
		fmt.Fprintf(s.out, `codeyard: first start: created %s with a database and an admin access key.
Use the aws CLI, boto3 or an AWS SDK against this server with:

  export AWS_ENDPOINT_URL=%s
  export AWS_ACCESS_KEY_ID=%s
  export AWS_SECRET_ACCESS_KEY=%s
  export AWS_DEFAULT_REGION=%s

The secret is shown only this once; 'codeyard credentials create' makes more keys.

`, c.dataDir, endpoint, created.id, created.secret, c.region)
	}
	if webPassword != "" {
		fmt.Fprintf(s.out, `codeyard: created the web UI's user admin. Sign in at %s%s with:

  user: admin
  password: %s

The password is shown only this once; 'codeyard users' manages users.

`, endpoint, web.Prefix, webPassword)
	}
	log.Info("codeyard server listening", "endpoint", endpoint, "data_dir", c.dataDir, "workers", c.workers)

	hs := &http.Server{
		Handler:           withWebhooks(withWeb(srv.api, ui), &webhook.Handler{Hooks: srv.svc, Log: log}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	workers := make(chan error, 1)
	go func() { workers <- srv.svc.Run(ctx) }()
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()

	select {
	case <-ctx.Done():
	case err = <-serveErr:
	case err = <-workers:
		if err == nil {
			err = errors.New("build workers stopped")
		}
	}
	log.Info("codeyard server shutting down")
	shut, done := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer done()
	hs.Shutdown(shut)
	cancel(errors.New("server shut down"))
	select {
	case <-workers:
	case <-shut.Done():
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// workDir is where the server's build workspaces go: a directory of the
// system's temporary directory that belongs to this data directory (so a
// restart can clean what a crash left), outside the data directory, which
// builds must not reach.
func workDir(dataDir string) string {
	sum := sha256.Sum256([]byte(dataDir))
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("codeyard-work-%d-%x", os.Getuid(), sum[:6]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ""
	}
	// Someone else's directory (or link) of that name is not used: the
	// workspaces then go to fresh private directories of TMPDIR.
	fi, err := os.Lstat(dir)
	if st, ok := fi.Sys().(*syscall.Stat_t); err != nil || !fi.IsDir() || !ok || int(st.Uid) != os.Getuid() {
		return ""
	}
	os.Chmod(dir, 0o755) // a run-as user must reach the workspaces
	return dir
}

// buildEnv is the server's environment without what builds must not see:
// codeyard's own settings (CODEYARD_MASTER_KEY above all) and the AWS
// settings of whoever started the server (its access key, its endpoint);
// the engine gives builds their own AWS_REGION.
func buildEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "CODEYARD_") && !strings.HasPrefix(kv, "AWS_") {
			out = append(out, kv)
		}
	}
	return out
}

// curatedImages are the images ListCuratedEnvironmentImages offers: the
// names CodeBuild's curated images have, which this server runs on the
// host until a container engine is configured.
func curatedImages() []codebuild.Image {
	return []codebuild.Image{
		{Name: "aws/codebuild/standard:7.0", Description: "Ubuntu 22.04 standard image (runs on the codeyard host)", Versions: []string{"aws/codebuild/standard:7.0"}, Platform: "UBUNTU", Language: "STANDARD"},
		{Name: "aws/codebuild/amazonlinux2-x86_64-standard:5.0", Description: "Amazon Linux 2023 standard image (runs on the codeyard host)", Versions: []string{"aws/codebuild/amazonlinux2-x86_64-standard:5.0"}, Platform: "AMAZON_LINUX", Language: "STANDARD"},
	}
}
