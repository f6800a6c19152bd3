package cli

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
	"github.com/codeyard/codeyard/internal/executor/shell"
)

// fakeSecrets holds Secrets Manager values by name.
type fakeSecrets map[string]string

func (f fakeSecrets) Parameter(context.Context, string) (string, error) { return "", nil }

func (f fakeSecrets) Secret(_ context.Context, id, _, _ string) (string, error) {
	v, ok := f[id]
	if !ok {
		return "", fmt.Errorf("ResourceNotFoundException: Secrets Manager can't find the specified secret. (secret %s)", id)
	}
	return v, nil
}

func TestRegistryCredential(t *testing.T) {
	t.Parallel()
	c := containerExecutors{secrets: fakeSecrets{
		"reg":    `{"username":"builder","password":"pw"}`,
		"notjsn": `builder:pw`,
	}}
	tests := []struct {
		rc                cb.RegistryCredential
		user, pass, error string
	}{
		{rc: cb.RegistryCredential{Credential: "reg", CredentialProvider: "SECRETS_MANAGER"}, user: "builder", pass: "pw"},
		{rc: cb.RegistryCredential{Credential: "missing", CredentialProvider: "SECRETS_MANAGER"}, error: "ResourceNotFoundException"},
		{rc: cb.RegistryCredential{Credential: "notjsn"}, error: `does not hold {"username"`},
		{rc: cb.RegistryCredential{Credential: "reg", CredentialProvider: "VAULT"}, error: "credential provider VAULT"},
	}
	for _, tt := range tests {
		user, pass, err := c.registryCredential(tt.rc)(t.Context())
		if tt.error != "" {
			if err == nil || !strings.Contains(err.Error(), tt.error) || strings.Contains(err.Error(), "pw") {
				t.Errorf("registryCredential(%+v) = %v, want an error with %q and no password", tt.rc, err, tt.error)
			}
			continue
		}
		if err != nil || user != tt.user || pass != tt.pass {
			t.Errorf("registryCredential(%+v) = %q, %q, %v; want %q, %q", tt.rc, user, pass, err, tt.user, tt.pass)
		}
	}
}

func TestAllowHostBuilds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		all      bool
		projects []string
	}{
		{args: nil},
		{args: []string{"--allow-host-builds"}, all: true},
		{args: []string{"--allow-host-builds=true"}, all: true},
		{args: []string{"--allow-host-builds=web,api"}, projects: []string{"api", "web"}},
		{args: []string{"--allow-host-builds=web, api,"}, projects: []string{"api", "web"}},
	}
	for _, tt := range tests {
		var c serverConfig
		f := pflag.NewFlagSet("serve", pflag.ContinueOnError)
		registerHostBuilds(f, &c)
		if err := f.Parse(tt.args); err != nil {
			t.Fatalf("Parse(%q): %v", tt.args, err)
		}
		got := slices.Sorted(maps.Keys(c.hostProjects))
		if c.allowHostBuilds != tt.all || !slices.Equal(got, tt.projects) {
			t.Errorf("Parse(%q): all %v, projects %q; want %v, %q", tt.args, c.allowHostBuilds, got, tt.all, tt.projects)
		}
	}

	host := hostExecutors{exec: shell.New(shell.Options{})}
	p := projectExecutors{host: host, projects: map[string]bool{"web": true}, others: noExecutors{}}
	if x, err := p.Executor("web", nil); err != nil || x != host.exec {
		t.Errorf("Executor(web) = %v, %v; want the host executor", x, err)
	}
	if _, err := p.Executor("api", &cb.ProjectEnvironment{Image: "aws/codebuild/standard:7.0"}); !errors.Is(err, errNoEngine) {
		t.Errorf("Executor(api) = %v, want errNoEngine", err)
	}
}
