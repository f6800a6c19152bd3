package sigv4_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"

	"github.com/codeyard/codeyard/internal/awsapi/sigv4"
)

// jsonServer is an awsJson1.1 endpoint that verifies every request, reading
// the body first, and answers "{}" or the AWS error.
func jsonServer(t *testing.T, services map[string]string) *httptest.Server {
	t.Helper()
	v := &sigv4.Verifier{
		Secret: func(_ context.Context, id string) (string, bool, error) {
			return secret, id == akid, nil
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Error(err)
			return
		}
		prefix, _, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
		service := services[prefix]
		if service == "" {
			service = "s3"
			body = nil
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if _, err := v.Verify(r, body, service); err != nil {
			var e *sigv4.Error
			if !errors.As(err, &e) {
				t.Errorf("Verify() error = %v", err)
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			code, status := e.Code()
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, e.Message)
			return
		}
		_, _ = w.Write([]byte("{}"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestClients calls the endpoint with the aws-sdk-go-v2 clients users run.
func TestClients(t *testing.T) {
	t.Parallel()
	srv := jsonServer(t, map[string]string{"CodeBuild_20161006": "codebuild", "Logs_20140328": "logs"})
	cfg := func(id, key string) aws.Config {
		return aws.Config{
			Region:           region,
			Credentials:      credentials.NewStaticCredentialsProvider(id, key, ""),
			BaseEndpoint:     aws.String(srv.URL),
			RetryMaxAttempts: 1,
		}
	}
	tests := []struct {
		name     string
		id, key  string
		wantCode string // "" for success
	}{
		{name: "good credentials", id: akid, key: secret},
		{name: "wrong secret", id: akid, key: "wrong", wantCode: "InvalidSignatureException"},
		{name: "unknown key", id: "AKIDNOBODY", key: secret, wantCode: "UnrecognizedClientException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			_, err := codebuild.NewFromConfig(cfg(tt.id, tt.key)).ListProjects(ctx, &codebuild.ListProjectsInput{})
			checkCode(t, "codebuild.ListProjects", err, tt.wantCode)
			_, err = codebuild.NewFromConfig(cfg(tt.id, tt.key)).BatchGetProjects(ctx, &codebuild.BatchGetProjectsInput{Names: []string{"demo project", "ünïcode"}})
			checkCode(t, "codebuild.BatchGetProjects", err, tt.wantCode)
			_, err = cloudwatchlogs.NewFromConfig(cfg(tt.id, tt.key)).DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{Limit: aws.Int32(5)})
			checkCode(t, "cloudwatchlogs.DescribeLogGroups", err, tt.wantCode)
		})
	}
}

func checkCode(t *testing.T, call string, err error, want string) {
	t.Helper()
	var apiErr interface{ ErrorCode() string }
	switch {
	case want == "" && err != nil:
		t.Errorf("%s() error = %v", call, err)
	case want == "":
	case !errors.As(err, &apiErr):
		t.Errorf("%s() error = %v, want API error %s", call, err, want)
	case apiErr.ErrorCode() != want:
		t.Errorf("%s() error code = %s, want %s", call, apiErr.ErrorCode(), want)
	}
}

// TestCurl has curl --aws-sigv4 sign requests. curl 7.x signs the query string
// unsorted, as AWS would reject too, so the query here is sorted already.
func TestCurl(t *testing.T) {
	t.Parallel()
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed")
	}
	if help, err := exec.Command(curl, "--help", "all").Output(); err != nil || !bytes.Contains(help, []byte("--aws-sigv4")) {
		t.Skip("curl does not support --aws-sigv4")
	}
	srv := jsonServer(t, map[string]string{"CodeBuild_20161006": "codebuild"})
	tests := []struct {
		name       string
		args       []string
		wantStatus int
		wantBody   string
	}{
		{
			name: "codebuild JSON POST",
			args: []string{"--aws-sigv4", "aws:amz:us-east-1:codebuild", "--user", akid + ":" + secret,
				"-H", "Content-Type: application/x-amz-json-1.1", "-H", "X-Amz-Target: CodeBuild_20161006.ListProjects",
				"--data", `{"sortBy":"NAME"}`, srv.URL + "/"},
			wantStatus: 200, wantBody: "{}",
		},
		{
			name:       "s3 GET",
			args:       []string{"--aws-sigv4", "aws:amz:us-east-1:s3", "--user", akid + ":" + secret, srv.URL + "/bucket/a%20b/c.txt?a=1&b=two"},
			wantStatus: 200, wantBody: "{}",
		},
		{
			name: "wrong secret",
			args: []string{"--aws-sigv4", "aws:amz:us-east-1:codebuild", "--user", akid + ":wrong",
				"-H", "X-Amz-Target: CodeBuild_20161006.ListProjects", "--data", `{}`, srv.URL + "/"},
			wantStatus: 400, wantBody: `{"__type":"InvalidSignatureException","message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"-sS", "-w", "\n%{http_code}"}, tt.args...)
			out, err := exec.CommandContext(t.Context(), curl, args...).Output()
			if err != nil {
				t.Fatalf("curl %s: %v", strings.Join(args, " "), err)
			}
			body, status, _ := strings.Cut(string(out), "\n")
			if got, _ := strconv.Atoi(status); got != tt.wantStatus || body != tt.wantBody {
				t.Errorf("curl %s = %s %s, want %d %s", strings.Join(args, " "), status, body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}
