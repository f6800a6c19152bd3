package cli

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/codeyard/codeyard/internal/executor/docker"
)

// containerFlags choose and configure the container executor, for
// `codeyard build` and `codeyard serve`.
type containerFlags struct {
	dockerHost  string
	images      []string
	pull        string
	privileged  bool
	computeType string
}

func (c *containerFlags) register(fl *pflag.FlagSet, build bool) {
	fl.StringVar(&c.dockerHost, "docker-host", "", "container engine `ADDRESS` (unix:///run/podman/podman.sock, tcp://...; default $DOCKER_HOST)")
	fl.StringArrayVar(&c.images, "image-map", nil, "map an image name to a local image, `NAME=IMAGE` (repeatable; also $CODEYARD_IMAGES, comma-separated), e.g. aws/codebuild/standard:7.0=localhost/standard:7")
	fl.StringVar(&c.pull, "pull", envOr("CODEYARD_PULL", docker.PullMissing), "image pull policy: missing (use the local image, pull when missing), never or always")
	if build {
		fl.BoolVar(&c.privileged, "privileged", false, "run the build container privileged (privilegedMode)")
		fl.StringVar(&c.computeType, "compute-type", "", "compute type whose CPU and memory limits the container gets (BUILD_GENERAL1_SMALL ... 2XLARGE)")
	}
}

// host is the engine address the flags or the environment name; empty
// when neither does.
func (c *containerFlags) host() string {
	return cmpOr(c.dockerHost, os.Getenv("DOCKER_HOST"))
}

// executor returns the container executor the flags describe, checked to
// answer, with the orphans of dead codeyard processes reaped in the
// background.
func (c *containerFlags) executor(ctx context.Context) (*docker.Executor, error) {
	images, err := docker.ParseImages(os.Getenv("CODEYARD_IMAGES") + "," + strings.Join(c.images, ","))
	if err != nil {
		return nil, fmt.Errorf("--image-map: %w", err)
	}
	x, err := docker.New(docker.Options{Host: c.dockerHost, Images: images, Pull: c.pull, Tools: containerTools()})
	if err != nil {
		return nil, err
	}
	if err := x.Ping(ctx); err != nil {
		x.Close()
		return nil, err
	}
	go x.Reap(context.WithoutCancel(ctx))
	return x, nil
}

// containerTools are CodeBuild's helper commands for build containers:
// this binary under their names, when it is statically linked (as
// releases are, CGO_ENABLED=0) and so runs in any image. A dynamically
// linked build of codeyard leaves them out.
func containerTools() docker.Tools {
	self, err := os.Executable()
	if err == nil {
		self, err = filepath.EvalSymlinks(self)
	}
	if err != nil {
		return docker.Tools{}
	}
	if ok, err := docker.Static(self); err != nil || !ok {
		return docker.Tools{}
	}
	return docker.Tools{Binary: self, Names: slices.Sorted(maps.Keys(tools))}
}
