package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// testServer wires a real server (SQLite store, log store, shell
// executor) behind an httptest server.
func testServer(t testing.TB) (*httptest.Server, *server, *createdKey) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("CODEYARD_HOME", filepath.Join(dir, "home"))
	c := serverConfig{addr: "127.0.0.1:0", dataDir: filepath.Join(dir, "data"), account: "123456789012", region: "us-east-1", workers: 2, allowHostBuilds: true}
	srv, created, err := openServer(t.Context(), c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("openServer: %v", err)
	}
	if created == nil {
		t.Fatal("first start made no admin key")
	}
	hs := httptest.NewServer(srv.api)
	t.Cleanup(func() { hs.Close(); srv.close() })
	return hs, srv, created
}

type sent struct {
	status int
	typ    string
	msg    string
	reqID  string
}

// send posts body to target, signed by sign (nil: unsigned).
func send(t *testing.T, url, target string, body []byte, sign func(*http.Request, []byte)) sent {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	if sign != nil {
		sign(req, body)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	json.Unmarshal(data, &e)
	return sent{resp.StatusCode, e.Type, e.Message, resp.Header.Get("x-amzn-RequestId")}
}

func signer(id, secret, service string, at time.Time) func(*http.Request, []byte) {
	return func(r *http.Request, body []byte) {
		sum := sha256.Sum256(body)
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}, r, hex.EncodeToString(sum[:]), service, "us-east-1", at)
		if err != nil {
			panic(err)
		}
	}
}

// TestAuthSweep sends every registered operation with no signature, a
// wrong secret, an unknown key, an expired date and a tampered body: each
// is refused with AWS's error, before the operation runs.
func TestAuthSweep(t *testing.T) {
	hs, srv, key := testServer(t)
	ops := srv.api.Operations()
	if len(ops) < 25 {
		t.Fatalf("only %d operations registered: %v", len(ops), ops)
	}
	body := []byte(`{}`)
	for _, target := range ops {
		svc := srv.api.SigningName(target)
		cases := []struct {
			name   string
			body   []byte
			sign   func(*http.Request, []byte)
			status int
			typ    string
		}{
			{"unsigned", body, nil, 400, "MissingAuthenticationTokenException"},
			{"wrong secret", body, signer(key.id, key.secret+"x", svc, time.Now()), 400, "InvalidSignatureException"},
			{"unknown key", body, signer("AKIAUNKNOWNKEY000000", key.secret, svc, time.Now()), 400, "UnrecognizedClientException"},
			{"expired", body, signer(key.id, key.secret, svc, time.Now().Add(-16*time.Minute)), 400, "InvalidSignatureException"},
			{"future", body, signer(key.id, key.secret, svc, time.Now().Add(16*time.Minute)), 400, "InvalidSignatureException"},
			{"wrong service", body, signer(key.id, key.secret, "s3", time.Now()), 400, "InvalidSignatureException"},
			{"tampered body", body, func(r *http.Request, b []byte) {
				signer(key.id, key.secret, svc, time.Now())(r, b)
				r.Body = io.NopCloser(strings.NewReader(`{"tampered":true}`))
				r.ContentLength = int64(len(`{"tampered":true}`))
			}, 400, "InvalidSignatureException"},
		}
		for _, tc := range cases {
			got := send(t, hs.URL, target, tc.body, tc.sign)
			if got.status != tc.status || got.typ != tc.typ || got.reqID == "" {
				t.Errorf("%s %s: got %d %s %q (request id %q), want %d %s", target, tc.name, got.status, got.typ, got.msg, got.reqID, tc.status, tc.typ)
			}
		}
	}
	// The same requests signed right pass authentication.
	ok := send(t, hs.URL, "CodeBuild_20161006.ListProjects", body, signer(key.id, key.secret, "codebuild", time.Now()))
	if ok.status != 200 {
		t.Errorf("signed ListProjects: %d %s %s", ok.status, ok.typ, ok.msg)
	}
}

// TestAPIErrors checks the answers to requests that are wrong in other
// ways: unknown targets, malformed JSON, bad values, big bodies, and a
// read-only key calling an operation that writes.
func TestAPIErrors(t *testing.T) {
	hs, srv, key := testServer(t)
	sign := signer(key.id, key.secret, "codebuild", time.Now())
	ro, err := srv.keys.create(t.Context(), "reader", true)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		target string
		body   string
		sign   func(*http.Request, []byte)
		status int
		typ    string
		msg    string
	}{
		{"unknown operation", "CodeBuild_20161006.NoSuchOperation", `{}`, sign, 400, "UnknownOperationException", ""},
		{"unknown service", "NoSuchService_20200101.ListProjects", `{}`, sign, 400, "UnknownOperationException", ""},
		{"operation not served", "CodeBuild_20161006.CreateFleet", `{}`, sign, 400, "UnknownOperationException", ""},
		{"malformed json", "CodeBuild_20161006.ListProjects", `{"sortBy":`, sign, 400, "SerializationException", ""},
		{"wrong type", "CodeBuild_20161006.BatchGetBuilds", `{"ids":"x"}`, sign, 400, "SerializationException", ""},
		{"missing required", "CodeBuild_20161006.StartBuild", `{}`, sign, 400, "InvalidInputException", "projectName"},
		{"bad enum", "CodeBuild_20161006.ListProjects", `{"sortBy":"SIZE"}`, sign, 400, "InvalidInputException", "sortBy"},
		{"too short", "CodeBuild_20161006.CreateProject", `{"name":"a","source":{"type":"NO_SOURCE"},"artifacts":{"type":"NO_ARTIFACTS"},"environment":{"type":"LINUX_CONTAINER","image":"i","computeType":"BUILD_GENERAL1_SMALL"},"serviceRole":"r"}`, sign, 400, "InvalidInputException", "name"},
		{"unknown project", "CodeBuild_20161006.StartBuild", `{"projectName":"nope"}`, sign, 400, "ResourceNotFoundException", "Project cannot be found: arn:aws:codebuild:us-east-1:123456789012:project/nope"},
		{"secondary NO_SOURCE", "CodeBuild_20161006.CreateProject", `{"name":"pp","source":{"type":"NO_SOURCE","buildspec":"version: 0.2"},"artifacts":{"type":"NO_ARTIFACTS"},"environment":{"type":"LINUX_CONTAINER","image":"i","computeType":"BUILD_GENERAL1_SMALL"},"serviceRole":"r","secondarySources":[{"type":"NO_SOURCE","sourceIdentifier":"s2"}]}`, sign, 400, "InvalidInputException", "Secondary source type NO_SOURCE"},
		{"bucket escaping the store", "CodeBuild_20161006.CreateProject", `{"name":"pp","source":{"type":"NO_SOURCE","buildspec":"version: 0.2"},"artifacts":{"type":"S3","location":"../../escaped"},"environment":{"type":"LINUX_CONTAINER","image":"i","computeType":"BUILD_GENERAL1_SMALL"},"serviceRole":"r"}`, sign, 400, "InvalidInputException", "Invalid artifacts location"},
		{"absolute buildspec path", "CodeBuild_20161006.CreateProject", `{"name":"pp","source":{"type":"GITHUB","location":"file:///r.git","buildspec":"/etc/passwd"},"artifacts":{"type":"NO_ARTIFACTS"},"environment":{"type":"LINUX_CONTAINER","image":"i","computeType":"BUILD_GENERAL1_SMALL"},"serviceRole":"r"}`, sign, 400, "InvalidInputException", "Invalid buildspec path"},
		{"buildspec path escaping the source", "CodeBuild_20161006.CreateProject", `{"name":"pp","source":{"type":"GITHUB","location":"file:///r.git","buildspec":"../../x.yml"},"artifacts":{"type":"NO_ARTIFACTS"},"environment":{"type":"LINUX_CONTAINER","image":"i","computeType":"BUILD_GENERAL1_SMALL"},"serviceRole":"r"}`, sign, 400, "InvalidInputException", "Invalid buildspec path"},
		{"read-only key writes", "CodeBuild_20161006.CreateReportGroup", `{"name":"g1","type":"TEST","exportConfig":{"exportConfigType":"NO_EXPORT"}}`, signer(ro.id, ro.secret, "codebuild", time.Now()), 400, "AccessDeniedException", "codebuild:CreateReportGroup"},
		{"read-only key reads", "CodeBuild_20161006.ListProjects", `{}`, signer(ro.id, ro.secret, "codebuild", time.Now()), 200, "", ""},
		{"SecureString", "AmazonSSM.PutParameter", `{"Name":"/p","Value":"v","Type":"SecureString"}`, signer(key.id, key.secret, "ssm", time.Now()), 200, "", ""},
		{"read-only key decrypts", "AmazonSSM.GetParameter", `{"Name":"/p","WithDecryption":true}`, signer(ro.id, ro.secret, "ssm", time.Now()), 400, "AccessDeniedException", "kms:Decrypt"},
		{"read-only key reads a SecureString", "AmazonSSM.GetParameter", `{"Name":"/p"}`, signer(ro.id, ro.secret, "ssm", time.Now()), 200, "", ""},
		{"read-only key reads a secret", "secretsmanager.GetSecretValue", `{"SecretId":"s"}`, signer(ro.id, ro.secret, "secretsmanager", time.Now()), 400, "AccessDeniedException", "secretsmanager:GetSecretValue"},
		{"read-only key lists secrets", "secretsmanager.ListSecrets", `{}`, signer(ro.id, ro.secret, "secretsmanager", time.Now()), 200, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := send(t, hs.URL, tc.target, []byte(tc.body), tc.sign)
			if got.status != tc.status || got.typ != tc.typ || !strings.Contains(got.msg, tc.msg) {
				t.Errorf("%s: got %d %s %q, want %d %s containing %q", tc.target, got.status, got.typ, got.msg, tc.status, tc.typ, tc.msg)
			}
		})
	}
	// A body over the limit is refused without being read whole.
	big := bytes.Repeat([]byte("a"), 11<<20)
	got := send(t, hs.URL, "CodeBuild_20161006.ListProjects", big, nil)
	if got.status != 413 {
		t.Errorf("11 MiB body: status %d %s, want 413", got.status, got.typ)
	}
	// Nothing was stored by the refused CreateProjects.
	list := sendBody(t, hs.URL, "CodeBuild_20161006.ListProjects", []byte(`{}`), sign)
	if list != `{"projects":[]}` {
		t.Errorf("ListProjects after refusals = %s, want no project", list)
	}
}

// sendBody posts body to target and returns the answer's body.
func sendBody(t *testing.T, url, target string, body []byte, sign func(*http.Request, []byte)) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	sign(req, body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return string(data)
}

// TestMasterKeyMismatch refuses to start a server whose master key does
// not open the secrets it sealed, instead of answering every request
// with an error.
func TestMasterKeyMismatch(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CODEYARD_HOME", filepath.Join(dir, "home"))
	t.Setenv("CODEYARD_MASTER_KEY", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	c := serverConfig{addr: "127.0.0.1:0", dataDir: filepath.Join(dir, "data"), account: "123456789012", region: "us-east-1", workers: 1}
	srv, _, err := openServer(t.Context(), c, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv.close()
	t.Setenv("CODEYARD_MASTER_KEY", "") // forgotten: a new master.key would be made
	if _, _, err := openServer(t.Context(), c, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "master key") {
		t.Errorf("openServer with another master key: err = %v, want one about the master key", err)
	}
}

// TestUpdateProjectClears checks that UpdateProject clears a list given
// empty and removes the concurrent build limit given -1.
func TestUpdateProjectClears(t *testing.T) {
	hs, _, key := testServer(t)
	sign := signer(key.id, key.secret, "codebuild", time.Now())
	body := `{"name":"pp","source":{"type":"NO_SOURCE","buildspec":"version: 0.2"},"artifacts":{"type":"NO_ARTIFACTS"},"environment":{"type":"LINUX_CONTAINER","image":"i","computeType":"BUILD_GENERAL1_SMALL"},"serviceRole":"r",` +
		`"secondarySources":[{"type":"GITHUB","location":"file:///x.git","sourceIdentifier":"two"}],"concurrentBuildLimit":2}`
	if got := send(t, hs.URL, "CodeBuild_20161006.CreateProject", []byte(body), sign); got.status != 200 {
		t.Fatalf("CreateProject: %d %s %s", got.status, got.typ, got.msg)
	}
	out := sendBody(t, hs.URL, "CodeBuild_20161006.UpdateProject", []byte(`{"name":"pp","secondarySources":[],"concurrentBuildLimit":-1}`), sign)
	var p struct {
		Project map[string]json.RawMessage `json:"project"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil || p.Project == nil {
		t.Fatalf("UpdateProject: %s", out)
	}
	if got := string(p.Project["secondarySources"]); got != "[]" {
		t.Errorf("secondarySources after clearing = %s, want []", got)
	}
	if got, ok := p.Project["concurrentBuildLimit"]; ok {
		t.Errorf("concurrentBuildLimit after -1 = %s, want none", got)
	}
}
