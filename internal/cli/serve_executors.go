package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/codebuild"
	"github.com/codeyard/codeyard/internal/executor/docker"
	"github.com/codeyard/codeyard/internal/executor/shell"
)

// errNoEngine fails a build's PROVISIONING when the server has no
// container engine and host builds are not allowed.
var errNoEngine = errors.New("this server has no container engine to run the build's image in: start codeyard serve with --docker-host (or DOCKER_HOST), or let builds run on the server's host with --allow-host-builds")

// serverExecutors chooses the executors of `codeyard serve`: the
// container executor when an engine is configured, else the host shell
// when the administrator allows host builds, else none. With an engine,
// orphaned build containers of dead servers are reaped at start-up.
//
// secrets resolves the registryCredential of a project whose image is
// pulled from a private registry.
func serverExecutors(ctx context.Context, c serverConfig, secrets build.Secrets, log *slog.Logger) (codebuild.Executors, error) {
	if c.container.host() == "" {
		if c.allowHostBuilds {
			return hostExecutors{exec: shell.New(shell.Options{})}, nil
		}
		return noExecutors{}, nil
	}
	x, err := c.container.executor(ctx)
	if err != nil {
		return nil, err
	}
	log.InfoContext(ctx, "builds run in containers", "docker_host", x.Host())
	return containerExecutors{x: x, secrets: secrets}, nil
}

// hostExecutors runs every build on the host's shell.
type hostExecutors struct{ exec build.Executor }

func (h hostExecutors) Executor(*cb.ProjectEnvironment) (build.Executor, error) { return h.exec, nil }

// Reap kills what a build lost in a crash left running on the host.
func (h hostExecutors) Reap(buildID string) int {
	if r, ok := h.exec.(interface{ Reap(string) int }); ok {
		return r.Reap(buildID)
	}
	return 0
}

// noExecutors fails every build: no engine, no host builds.
type noExecutors struct{}

func (noExecutors) Executor(*cb.ProjectEnvironment) (build.Executor, error) { return nil, errNoEngine }

// containerExecutors runs each build in a container of its environment's
// image.
type containerExecutors struct {
	x       *docker.Executor
	secrets build.Secrets
}

func (c containerExecutors) Executor(env *cb.ProjectEnvironment) (build.Executor, error) {
	var e docker.Environment
	if env != nil {
		e.ComputeType = env.ComputeType
		e.Privileged = env.PrivilegedMode != nil && *env.PrivilegedMode
		if rc := env.RegistryCredential; rc != nil && rc.Credential != "" {
			e.Credential = c.registryCredential(*rc)
		}
	}
	return c.x.With(e), nil
}

// registryCredential reads a registryCredential, a Secrets Manager secret
// (name or ARN) holding {"username": ..., "password": ...}, when the image
// is pulled. Whichever imagePullCredentialsType the project has, the
// credential is this server's secret: there are no other identities to
// pull as. Errors name the secret, never its value.
func (c containerExecutors) registryCredential(rc cb.RegistryCredential) func(context.Context) (string, string, error) {
	return func(ctx context.Context) (string, string, error) {
		if p := rc.CredentialProvider; p != "" && p != "SECRETS_MANAGER" {
			return "", "", fmt.Errorf("credential provider %s is not supported; use SECRETS_MANAGER", p)
		}
		if c.secrets == nil {
			return "", "", fmt.Errorf("secret %s: this server has no Secrets Manager", rc.Credential)
		}
		v, err := c.secrets.Secret(ctx, rc.Credential, "", "")
		if err != nil {
			return "", "", err
		}
		var cred struct {
			Username string `json:"username"`
			Password string `json:"password"`
		}
		if err := json.Unmarshal([]byte(v), &cred); err != nil || cred.Username == "" {
			return "", "", fmt.Errorf(`secret %s does not hold {"username": ..., "password": ...}`, rc.Credential)
		}
		return cred.Username, cred.Password, nil
	}
}
