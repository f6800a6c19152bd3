package docker_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/executor/docker"
)

// fakeEngine answers the Docker Engine API calls of an image pull: the
// image is missing until pulled, and a pull records its X-Registry-Auth.
type fakeEngine struct {
	mu     sync.Mutex // guards pulled, auth
	pulled bool
	auth   string
}

func (f *fakeEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Api-Version", "1.41")
	switch {
	case strings.HasSuffix(r.URL.Path, "/_ping"):
		w.Write([]byte("OK"))
	case strings.HasSuffix(r.URL.Path, "/images/create"):
		f.pulled, f.auth = true, r.Header.Get("X-Registry-Auth")
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"Pulled"}` + "\n"))
	case strings.Contains(r.URL.Path, "/images/") && strings.HasSuffix(r.URL.Path, "/json") && !f.pulled:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"message":"no such image"}`))
	case strings.Contains(r.URL.Path, "/images/") && strings.HasSuffix(r.URL.Path, "/json"):
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"Id":"sha256:1","Config":{"Env":["PATH=/bin"]}}`))
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte(`{"message":"not in the fake"}`))
	}
}

func TestRegistryCredential(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		image      string
		credential func(context.Context) (string, string, error)
		wantAuth   map[string]string // nil: no header
		wantErr    string
	}{
		{
			name:  "private registry",
			image: "registry.example.com:5000/team/app:1",
			credential: func(context.Context) (string, string, error) {
				return "builder", "s3cret", nil
			},
			wantAuth: map[string]string{"username": "builder", "password": "s3cret", "serveraddress": "registry.example.com:5000"},
		},
		{
			name:  "docker hub",
			image: "team/app:1",
			credential: func(context.Context) (string, string, error) {
				return "u", "p", nil
			},
			wantAuth: map[string]string{"username": "u", "password": "p", "serveraddress": "https://index.docker.io/v1/"},
		},
		{name: "no credential", image: "team/app:1"},
		{
			name:  "missing secret",
			image: "registry.example.com/app:1",
			credential: func(context.Context) (string, string, error) {
				return "", "", errors.New("ResourceNotFoundException: Secrets Manager can't find the specified secret (secret reg)")
			},
			wantErr: "registry credential: ResourceNotFoundException",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeEngine{}
			srv := httptest.NewServer(f)
			defer srv.Close()
			x, err := docker.New(docker.Options{Host: "tcp://" + srv.Listener.Addr().String()})
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			p := &build.Plan{BuildID: "test:auth", Image: tt.image, Workspace: t.TempDir(), SrcDir: "/codebuild/output/src1/src"}
			xe := x.With(docker.Environment{Credential: tt.credential})
			err = xe.Setup(t.Context(), p)
			xe.Destroy(context.Background(), p)
			if tt.wantErr != "" {
				var ce *build.ContextError
				if !errors.As(err, &ce) || ce.StatusCode != build.CodeClientError || !strings.Contains(ce.Message, tt.wantErr) {
					t.Fatalf("Setup = %v, want a CLIENT_ERROR with %q", err, tt.wantErr)
				}
				if f.pulled {
					t.Error("pulled without the credential")
				}
				return
			}
			if !f.pulled {
				t.Fatalf("Setup did not pull: %v", err)
			}
			if tt.wantAuth == nil {
				if f.auth != "" {
					t.Errorf("X-Registry-Auth = %q, want none", f.auth)
				}
				return
			}
			raw, err := base64.URLEncoding.DecodeString(f.auth)
			if err != nil {
				t.Fatalf("X-Registry-Auth %q: %v", f.auth, err)
			}
			var got map[string]string
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("X-Registry-Auth %s: %v", raw, err)
			}
			for k, v := range tt.wantAuth {
				if got[k] != v {
					t.Errorf("X-Registry-Auth %s = %q, want %q (%s)", k, got[k], v, raw)
				}
			}
		})
	}
}
