package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
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
