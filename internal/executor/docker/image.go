package docker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"

	"github.com/codeyard/codeyard/internal/build"
)

// ParseImages reads an image mapping, NAME=IMAGE pairs separated by commas
// or line breaks (aws/codebuild/standard:7.0=localhost/my/standard:7).
func ParseImages(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' }) {
		f = strings.TrimSpace(f)
		if f == "" || strings.HasPrefix(f, "#") {
			continue
		}
		k, v, ok := strings.Cut(f, "=")
		if !ok || strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("image mapping %q: want NAME=IMAGE", f)
		}
		m[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return m, nil
}

// image resolves a plan's image name to a local image, pulling it as the
// pull policy says, and returns it with its PATH.
func (x *Executor) image(ctx context.Context, name string) (ref, path string, err error) {
	ref, res, err := x.resolve(ctx, name)
	if err != nil {
		return "", "", err
	}
	if res == nil {
		r, err := x.c.ImageInspect(ctx, ref)
		if err != nil {
			return "", "", fmt.Errorf("container engine %s: inspect image %s: %w", x.host, ref, err)
		}
		res = &r
	}
	path = defaultPath
	if res.Config != nil {
		for _, kv := range res.Config.Env {
			if v, ok := strings.CutPrefix(kv, "PATH="); ok {
				path = v
			}
		}
	}
	return ref, path, nil
}

// resolve finds or pulls the image; res is its inspection when it was
// found without a pull.
func (x *Executor) resolve(ctx context.Context, name string) (string, *client.ImageInspectResult, error) {
	if name == "" {
		return "", nil, &build.ContextError{StatusCode: build.CodeClientError, Message: "the project's environment names no image"}
	}
	ref := name
	mapped := false
	if m, ok := x.o.Images[name]; ok {
		ref, mapped = m, true
	}
	if x.o.Pull != PullAlways {
		res, err := x.c.ImageInspect(ctx, ref)
		if err == nil {
			return ref, &res, nil
		}
		if !isNotFound(err) {
			return "", nil, fmt.Errorf("container engine %s: inspect image %s: %w", x.host, ref, err)
		}
		if x.o.Pull == PullNever {
			return "", nil, missingImage(name, ref, mapped, errors.New("the pull policy is never"))
		}
	}
	if strings.HasPrefix(name, "aws/codebuild/") && !mapped {
		// CodeBuild's curated images are not on any registry under these
		// names: only a mapping can provide them.
		return "", nil, missingImage(name, ref, mapped, errors.New("curated images are not pulled; map the name to a local image"))
	}
	var auth string
	if x.env.Credential != nil {
		user, pass, err := x.env.Credential(ctx)
		if err != nil {
			return "", nil, &build.ContextError{StatusCode: build.CodeClientError,
				Message: fmt.Sprintf("image %s: registry credential: %v", name, err)}
		}
		auth = encodeAuth(ref, user, pass)
	}
	resp, err := x.c.ImagePull(ctx, ref, client.ImagePullOptions{RegistryAuth: auth})
	if err == nil {
		err = resp.Wait(ctx)
	}
	if err != nil {
		return "", nil, missingImage(name, ref, mapped, err)
	}
	return ref, nil, nil
}

func missingImage(name, ref string, mapped bool, err error) error {
	what := "image " + name
	if mapped {
		what += " (mapped to " + ref + ")"
	}
	return &build.ContextError{StatusCode: build.CodeClientError,
		Message: fmt.Sprintf("%s is not available on the container engine and cannot be pulled: %v", what, err)}
}

func isNotFound(err error) bool {
	return cerrdefs.IsNotFound(err)
}

// ownerID names this process for the owner label: host name, pid and the
// process's start time (so a reused pid is not taken for this process).
func ownerID() string {
	host, _ := os.Hostname()
	return host + "/" + strconv.Itoa(os.Getpid()) + "/" + startTime(os.Getpid())
}

// startTime is field 22 of /proc/<pid>/stat, or "" when unreadable.
func startTime(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 20 {
		return ""
	}
	return f[19]
}

// ownerAlive reports whether the codeyard process an owner label names is
// still running: an owner on another host counts as alive.
func ownerAlive(owner string) bool {
	parts := strings.Split(owner, "/")
	if len(parts) != 3 {
		return false
	}
	host, _ := os.Hostname()
	if parts[0] != host {
		return true
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil {
		return false
	}
	return startTime(pid) == parts[2] && parts[2] != ""
}

// Reap removes the containers, and their control directories, that
// codeyard processes on this host left behind when they died. Containers
// of running codeyard processes are left alone. It returns how many it
// removed.
func (x *Executor) Reap(ctx context.Context) (int, error) {
	res, err := x.c.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", labelExecutor+"=docker")})
	if err != nil {
		return 0, fmt.Errorf("container engine %s: list build containers: %w", x.host, err)
	}
	n := 0
	var errs []error
	for _, c := range res.Items {
		if ownerAlive(c.Labels[labelOwner]) {
			continue
		}
		if _, err := x.c.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !isNotFound(err) {
			errs = append(errs, err)
			continue
		}
		if d := c.Labels[labelDir]; strings.HasPrefix(d, os.TempDir()) && strings.Contains(d, "codeyard-docker-") {
			os.RemoveAll(d)
		}
		n++
	}
	return n, errors.Join(errs...)
}

// encodeAuth is the X-Registry-Auth value of a pull of ref: base64url
// JSON, as the Docker Engine API takes it, naming the registry ref is on.
func encodeAuth(ref, user, pass string) string {
	b, _ := json.Marshal(registry.AuthConfig{Username: user, Password: pass, ServerAddress: registryHost(ref)})
	return base64.URLEncoding.EncodeToString(b)
}

// registryHost is the registry an image reference names: its first
// component when that looks like a host (has a dot or a port, or is
// localhost), else Docker Hub.
func registryHost(ref string) string {
	first, _, ok := strings.Cut(ref, "/")
	if ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return first
	}
	return "https://index.docker.io/v1/"
}
