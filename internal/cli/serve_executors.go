package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/codebuild"
	"github.com/codeyard/codeyard/internal/executor/docker"
	"github.com/codeyard/codeyard/internal/executor/shell"
)

// errNoEngine fails a build's PROVISIONING when the server has no
// container engine and host builds are not allowed.
var errNoEngine = errors.New("this server has no container engine to run the build's image in: start codeyard serve with --docker-host (or DOCKER_HOST), or let builds run on the server's host with --allow-host-builds (every project) or --allow-host-builds=PROJECT[,PROJECT]")

// serverExecutors chooses the executors of `codeyard serve`: the
// container executor when an engine is configured, else the host shell
// when the administrator allows host builds, else none. With an engine,
// orphaned build containers of dead servers are reaped at start-up.
//
// secrets resolves the registryCredential of a project whose image is
// pulled from a private registry.
//
// The projects --allow-host-builds names run on the host either way.
func serverExecutors(ctx context.Context, c serverConfig, secrets build.Secrets, log *slog.Logger) (codebuild.Executors, error) {
	host := hostExecutors{exec: shell.New(shell.Options{})}
	var others codebuild.Executors = noExecutors{}
	if c.container.host() == "" {
		if c.allowHostBuilds {
			return host, nil
		}
	} else {
		x, err := c.container.executor(ctx)
		if err != nil {
			return nil, err
		}
		log.InfoContext(ctx, "builds run in containers", "docker_host", x.Host())
		others = containerExecutors{x: x, secrets: secrets}
	}
	if len(c.hostProjects) == 0 {
		return others, nil
	}
	log.InfoContext(ctx, "some projects build on the host", "projects", slices.Sorted(maps.Keys(c.hostProjects)))
	return projectExecutors{host: host, projects: c.hostProjects, others: others}, nil
}

// projectExecutors runs the builds of some projects on the host and the
// others as others says.
type projectExecutors struct {
	host     hostExecutors
	projects map[string]bool
	others   codebuild.Executors
}

func (p projectExecutors) Executor(project string, env *cb.ProjectEnvironment) (build.Executor, error) {
	if p.projects[project] {
		return p.host.Executor(project, env)
	}
	return p.others.Executor(project, env)
}

// Reap kills what a host build lost in a crash left running.
func (p projectExecutors) Reap(buildID string) int { return p.host.Reap(buildID) }

// hostBuildsFlag is --allow-host-builds: with no value (or 1, true, *),
// every build may run on the host when there is no container engine; with
// PROJECT[,PROJECT...], the builds of those projects run on the host,
// engine or not.
type hostBuildsFlag struct{ c *serverConfig }

func (h hostBuildsFlag) Set(s string) error {
	h.c.allowHostBuilds, h.c.hostProjects = false, nil
	switch strings.TrimSpace(s) {
	case "", "0", "false":
		return nil
	case "1", "true", "*":
		h.c.allowHostBuilds = true
		return nil
	}
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if h.c.hostProjects == nil {
			h.c.hostProjects = map[string]bool{}
		}
		h.c.hostProjects[name] = true
	}
	return nil
}

func (h hostBuildsFlag) String() string {
	if h.c == nil {
		return ""
	}
	if h.c.allowHostBuilds {
		return "*"
	}
	return strings.Join(slices.Sorted(maps.Keys(h.c.hostProjects)), ",")
}

func (hostBuildsFlag) Type() string { return "projects" }

// registerHostBuilds adds --allow-host-builds, whose default is
// CODEYARD_ALLOW_HOST_BUILDS (1 or a list of projects).
func registerHostBuilds(f *pflag.FlagSet, c *serverConfig) {
	v := hostBuildsFlag{c}
	v.Set(os.Getenv("CODEYARD_ALLOW_HOST_BUILDS"))
	f.Var(v, "allow-host-builds", "run builds on this host as the server's user, outside any container: with no value, every build when no container engine is configured; with `PROJECT[,PROJECT]`, those projects' builds, engine or not (CODEYARD_ALLOW_HOST_BUILDS=1 or a list)")
	f.Lookup("allow-host-builds").NoOptDefVal = "*"
}

// hostExecutors runs every build on the host's shell.
type hostExecutors struct{ exec build.Executor }

func (h hostExecutors) Executor(string, *cb.ProjectEnvironment) (build.Executor, error) {
	return h.exec, nil
}

// Reap kills what a build lost in a crash left running on the host.
func (h hostExecutors) Reap(buildID string) int {
	if r, ok := h.exec.(interface{ Reap(string) int }); ok {
		return r.Reap(buildID)
	}
	return 0
}

// noExecutors fails every build: no engine, no host builds.
type noExecutors struct{}

func (noExecutors) Executor(string, *cb.ProjectEnvironment) (build.Executor, error) {
	return nil, errNoEngine
}

// containerExecutors runs each build in a container of its environment's
// image.
type containerExecutors struct {
	x       *docker.Executor
	secrets build.Secrets
}

func (c containerExecutors) Executor(_ string, env *cb.ProjectEnvironment) (build.Executor, error) {
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
