package sigv4_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/codeyard/codeyard/internal/awsapi/sigv4"
)

const (
	akid   = "AKIDEXAMPLE"
	secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	region = "us-east-1"
)

// signTime is when test requests are signed; 2026-01-01T00:00:00Z.
var signTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newVerifier(now time.Time) *sigv4.Verifier {
	return &sigv4.Verifier{
		Secret: func(_ context.Context, id string) (string, bool, error) {
			switch id {
			case akid:
				return secret, true, nil
			case "AKIDOTHER":
				return "another secret", true, nil
			case "AKIDBROKEN":
				return "", false, errors.New("store unavailable")
			}
			return "", false, nil
		},
		Now: func() time.Time { return now },
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// request describes a request a client signs.
type request struct {
	service string
	method  string
	path    string // decoded
	rawPath string // as sent; "" lets net/url escape path
	query   string // raw
	header  http.Header
	body    string
	payload string // payload hash to sign; "" means the SHA-256 of body
	// presign signs the query string, valid for expires seconds.
	presign bool
	expires int
	creds   aws.Credentials
	// after changes the request once it is signed.
	after func(*http.Request)
}

func (q request) creds0() aws.Credentials {
	if q.creds.AccessKeyID != "" {
		return q.creds
	}
	return aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}
}

// build signs q with aws-sdk-go-v2's signer for a server at base, like
// "http://example.com".
func (q request) build(t testing.TB, base string) *http.Request {
	t.Helper()
	method := q.method
	if method == "" {
		method = http.MethodPost
	}
	var body io.Reader
	if q.body != "" {
		body = strings.NewReader(q.body)
	}
	r, err := http.NewRequest(method, base, body)
	if err != nil {
		t.Fatal(err)
	}
	r.URL.Path = q.path
	if r.URL.Path == "" {
		r.URL.Path = "/"
	}
	r.URL.RawPath = q.rawPath
	r.URL.RawQuery = q.query
	for k, vs := range q.header {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	payload := q.payload
	if payload == "" {
		payload = sha256Hex([]byte(q.body))
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = q.service == "s3" })
	if q.presign {
		if q.expires != 0 {
			qs := r.URL.Query()
			qs.Set("X-Amz-Expires", strconv.Itoa(q.expires))
			r.URL.RawQuery = qs.Encode()
		}
		u, h, err := signer.PresignHTTP(context.Background(), q.creds0(), r, payload, q.service, region, signTime)
		if err != nil {
			t.Fatal(err)
		}
		pr, err := http.NewRequest(method, u, body)
		if err != nil {
			t.Fatal(err)
		}
		for k, vs := range h {
			if k != "Host" {
				pr.Header[k] = vs
			}
		}
		r = pr
	} else if err := signer.SignHTTP(context.Background(), q.creds0(), r, payload, q.service, region, signTime); err != nil {
		t.Fatal(err)
	}
	if q.after != nil {
		q.after(r)
	}
	return r
}

var (
	jsonHeader = http.Header{
		"Content-Type": {"application/x-amz-json-1.1"},
		"X-Amz-Target": {"CodeBuild_20161006.ListProjects"},
	}
	logsHeader = http.Header{
		"Content-Type": {"application/x-amz-json-1.1"},
		"X-Amz-Target": {"Logs_20140328.DescribeLogGroups"},
	}
	emptyHash = sha256Hex(nil)
)

func TestVerify(t *testing.T) {
	t.Parallel()
	// The query string of a request: spaces both as %20 and +, unicode,
	// reserved characters, a value-less key, repeated keys, and values
	// whose order differs before and after encoding (a/b, a-b).
	const query = "b=two%20words&a=1&plus=a+b&u=h%C3%A9llo%E2%9C%93&r=%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D~&flag&k=2&k=1&e=a%2Fb&e=a-b&%C3%BC=key"
	tests := []struct {
		name     string
		req      request
		readBody bool // the handler reads the body and passes it to Verify
		want     sigv4.Result
	}{
		{
			name:     "codebuild JSON POST",
			req:      request{service: "codebuild", header: jsonHeader, body: `{"sortBy":"NAME","sortOrder":"ASCENDING"}`},
			readBody: true,
			want:     sigv4.Result{Service: "codebuild", PayloadHash: sha256Hex([]byte(`{"sortBy":"NAME","sortOrder":"ASCENDING"}`))},
		},
		{
			name:     "logs JSON POST",
			req:      request{service: "logs", header: logsHeader, body: `{"limit":5}`},
			readBody: true,
			want:     sigv4.Result{Service: "logs", PayloadHash: sha256Hex([]byte(`{"limit":5}`))},
		},
		{
			name:     "empty body",
			req:      request{service: "codebuild", header: jsonHeader},
			readBody: true,
			want:     sigv4.Result{Service: "codebuild", PayloadHash: emptyHash},
		},
		{
			name: "empty body not read",
			req:  request{service: "codebuild", method: http.MethodGet, path: "/v1/domains"},
			want: sigv4.Result{Service: "codebuild", PayloadHash: emptyHash},
		},
		{
			name:     "GET with query",
			req:      request{service: "codeartifact", method: http.MethodGet, path: "/v1/package/versions", query: query},
			readBody: true,
			want:     sigv4.Result{Service: "codeartifact", PayloadHash: emptyHash},
		},
		{
			name:     "path with spaces and unicode",
			req:      request{service: "codeartifact", method: http.MethodGet, path: "/v1/some path/ünï©ødé/a+b!$", query: "x=1"},
			readBody: true,
			want:     sigv4.Result{Service: "codeartifact", PayloadHash: emptyHash},
		},
		{
			name: "path escaped by the client, not by net/url",
			req: request{service: "codeartifact", method: http.MethodGet, path: "/v1/a b/ü!(x)",
				rawPath: "/v1/a%20b/%C3%BC%21%28x%29"},
			readBody: true,
			want:     sigv4.Result{Service: "codeartifact", PayloadHash: emptyHash},
		},
		{
			name: "s3 path with spaces and unicode",
			req: request{service: "s3", method: http.MethodGet, path: "/my-bucket/dir/my key ünï©ødé.txt",
				rawPath: "/my-bucket/dir/my%20key%20%C3%BCn%C3%AF%C2%A9%C3%B8d%C3%A9.txt",
				header:  http.Header{"X-Amz-Content-Sha256": {emptyHash}}, query: query},
			want: sigv4.Result{Service: "s3", PayloadHash: emptyHash},
		},
		{
			name: "s3 path escaped by net/url",
			req: request{service: "s3", method: http.MethodGet, path: "/my-bucket/a b/$!'()*+,;=:@ü",
				header: http.Header{"X-Amz-Content-Sha256": {emptyHash}}},
			want: sigv4.Result{Service: "s3", PayloadHash: emptyHash},
		},
		{
			name: "s3 key with an encoded slash",
			req: request{service: "s3", method: http.MethodGet, path: "/my-bucket/a/b",
				rawPath: "/my-bucket/a%2Fb", header: http.Header{"X-Amz-Content-Sha256": {emptyHash}}},
			want: sigv4.Result{Service: "s3", PayloadHash: emptyHash},
		},
		{
			// The client signs the path escaped by SigV4's rules, but sends it
			// escaped otherwise.
			name: "s3 path sent escaped differently than signed",
			req: request{service: "s3", method: http.MethodGet, path: "/b/a!b(c)", rawPath: "/b/a%21b%28c%29",
				header: http.Header{"X-Amz-Content-Sha256": {emptyHash}},
				after:  func(r *http.Request) { r.URL.RawPath = "" }},
			want: sigv4.Result{Service: "s3", PayloadHash: emptyHash},
		},
		{
			name: "s3 UNSIGNED-PAYLOAD",
			req: request{service: "s3", method: http.MethodPut, path: "/my-bucket/key", body: "hello",
				payload: sigv4.UnsignedPayload, header: http.Header{"X-Amz-Content-Sha256": {sigv4.UnsignedPayload}}},
			want: sigv4.Result{Service: "s3", PayloadHash: sigv4.UnsignedPayload},
		},
		{
			name: "s3 PUT, body streamed",
			req: request{service: "s3", method: http.MethodPut, path: "/my-bucket/key", body: "hello",
				header: http.Header{"X-Amz-Content-Sha256": {sha256Hex([]byte("hello"))}}},
			want: sigv4.Result{Service: "s3", PayloadHash: sha256Hex([]byte("hello"))},
		},
		{
			name: "s3 PUT, body read",
			req: request{service: "s3", method: http.MethodPut, path: "/my-bucket/key", body: "hello",
				header: http.Header{"X-Amz-Content-Sha256": {sha256Hex([]byte("hello"))}}},
			readBody: true,
			want:     sigv4.Result{Service: "s3", PayloadHash: sha256Hex([]byte("hello"))},
		},
		{
			name: "s3 aws-chunked PUT",
			req: request{service: "s3", method: http.MethodPut, path: "/my-bucket/key", body: "not decoded here",
				payload: sigv4.StreamingPayload, header: http.Header{
					"X-Amz-Content-Sha256":         {sigv4.StreamingPayload},
					"Content-Encoding":             {"aws-chunked"},
					"X-Amz-Decoded-Content-Length": {"5"},
				}},
			want: sigv4.Result{Service: "s3", PayloadHash: sigv4.StreamingPayload},
		},
		{
			name: "s3 presigned GET",
			req: request{service: "s3", method: http.MethodGet, path: "/my-bucket/a key ü.txt", query: "response-content-type=text%2Fplain",
				presign: true, expires: 900, payload: sigv4.UnsignedPayload},
			want: sigv4.Result{Service: "s3", PayloadHash: sigv4.UnsignedPayload, Presigned: true},
		},
		{
			name: "s3 presigned PUT with signed header",
			req: request{service: "s3", method: http.MethodPut, path: "/my-bucket/k", presign: true, expires: 3600,
				payload: sigv4.UnsignedPayload, body: "data", header: http.Header{"Content-Type": {"text/plain"}}},
			want: sigv4.Result{Service: "s3", PayloadHash: sigv4.UnsignedPayload, Presigned: true},
		},
		{
			name: "presigned for another service, empty payload hash",
			req:  request{service: "logs", method: http.MethodGet, presign: true, expires: 60},
			want: sigv4.Result{Service: "logs", PayloadHash: emptyHash, Presigned: true},
		},
		{
			name: "session token",
			req: request{service: "codebuild", header: jsonHeader, body: "{}",
				creds: aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: "FwoGZXIvYXdzEBYaDH+token/="}},
			readBody: true,
			want:     sigv4.Result{Service: "codebuild", PayloadHash: sha256Hex([]byte("{}"))},
		},
		{
			name: "presigned with session token",
			req: request{service: "s3", method: http.MethodGet, path: "/b/k", presign: true, expires: 60, payload: sigv4.UnsignedPayload,
				creds: aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: "token+/="}},
			want: sigv4.Result{Service: "s3", PayloadHash: sigv4.UnsignedPayload, Presigned: true},
		},
		{
			name: "extra unsigned header",
			req: request{service: "codebuild", header: jsonHeader, body: "{}", after: func(r *http.Request) {
				r.Header.Set("X-Forwarded-For", "10.0.0.1")
				r.Header.Set("User-Agent", "changed/1.0")
			}},
			readBody: true,
			want:     sigv4.Result{Service: "codebuild", PayloadHash: sha256Hex([]byte("{}"))},
		},
		{
			name: "header with several values and runs of spaces",
			req: request{service: "s3", method: http.MethodPut, path: "/b/k", body: "x",
				header: http.Header{
					"X-Amz-Content-Sha256": {sha256Hex([]byte("x"))},
					"X-Amz-Meta-Tags":      {"a   b  c ", "  d"},
					"X-Amz-Meta-Spaces":    {"  leading and trailing  "},
				}},
			want: sigv4.Result{Service: "s3", PayloadHash: sha256Hex([]byte("x"))},
		},
	}
	opts := cmp.Options{cmpopts.IgnoreFields(sigv4.Result{}, "Signature", "SigningKey")}
	for _, tt := range tests {
		tt.want.AccessKeyID = akid
		tt.want.Region = region
		tt.want.Date = "20260101"
		tt.want.Time = signTime
		check := func(t *testing.T, res *sigv4.Result, err error) {
			t.Helper()
			if err != nil {
				var e *sigv4.Error
				if errors.As(err, &e) && e.CanonicalRequest != "" {
					t.Logf("canonical request:\n%s\nstring to sign:\n%s", e.CanonicalRequest, e.StringToSign)
				}
				t.Fatalf("Verify() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, *res, opts); diff != "" {
				t.Errorf("Verify() mismatch (-want +got):\n%s", diff)
			}
			if len(res.SigningKey) != 32 || len(res.Signature) != 64 {
				t.Errorf("Verify() = signing key %x, signature %q; want 32 bytes and 64 hex digits", res.SigningKey, res.Signature)
			}
		}
		t.Run(tt.name+"/direct", func(t *testing.T) {
			t.Parallel()
			r := tt.req.build(t, "http://example.com")
			var body []byte
			if tt.readBody {
				body = []byte(tt.req.body)
			}
			res, err := newVerifier(signTime.Add(time.Minute)).Verify(r, body, tt.req.service)
			check(t, res, err)
		})
		t.Run(tt.name+"/wire", func(t *testing.T) {
			t.Parallel()
			res, err := serveSigned(t, newVerifier(signTime.Add(-time.Minute)), tt.req, tt.readBody)
			check(t, res, err)
		})
	}
}

// serveSigned signs q for a real server and has it verify the request.
func serveSigned(t *testing.T, v *sigv4.Verifier, q request, readBody bool) (*sigv4.Result, error) {
	t.Helper()
	type outcome struct {
		res *sigv4.Result
		err error
	}
	got := make(chan outcome, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body []byte
		if readBody {
			b, err := io.ReadAll(req.Body)
			if err != nil {
				t.Error(err)
			}
			body = b
		}
		res, err := v.Verify(req, body, q.service)
		got <- outcome{res, err}
	}))
	defer srv.Close()
	resp, err := srv.Client().Do(q.build(t, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	o := <-got
	return o.res, o.err
}

// TestVerifyDocumented checks requests signed in AWS's documentation.
func TestVerifyDocumented(t *testing.T) {
	t.Parallel()
	v := &sigv4.Verifier{
		Secret: func(context.Context, string) (string, bool, error) {
			return "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", true, nil
		},
		Now: func() time.Time { return time.Date(2013, 5, 24, 0, 5, 0, 0, time.UTC) },
	}
	tests := []struct {
		name    string
		method  string
		target  string
		header  http.Header
		payload string
	}{
		{
			// Amazon S3 API Reference, "Example: GET Object".
			name: "GET object", method: http.MethodGet, target: "/test.txt",
			header: http.Header{
				"Host":                 {"examplebucket.s3.amazonaws.com"},
				"Range":                {"bytes=0-9"},
				"X-Amz-Content-Sha256": {emptyHash},
				"X-Amz-Date":           {"20130524T000000Z"},
				"Authorization": {"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
					"SignedHeaders=host;range;x-amz-content-sha256;x-amz-date," +
					"Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
			},
			payload: emptyHash,
		},
		{
			// "Example: Presigned URL".
			name: "presigned GET", method: http.MethodGet,
			target: "/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
				"&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
				"&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
			header:  http.Header{"Host": {"examplebucket.s3.amazonaws.com"}},
			payload: sigv4.UnsignedPayload,
		},
		{
			// "Transferring Payload in Multiple Chunks": the seed signature.
			name: "aws-chunked PUT", method: http.MethodPut, target: "/examplebucket/chunkObject.txt",
			header: http.Header{
				"Host":                         {"s3.amazonaws.com"},
				"Content-Encoding":             {"aws-chunked"},
				"Content-Length":               {"66824"},
				"X-Amz-Content-Sha256":         {sigv4.StreamingPayload},
				"X-Amz-Date":                   {"20130524T000000Z"},
				"X-Amz-Decoded-Content-Length": {"66560"},
				"X-Amz-Storage-Class":          {"REDUCED_REDUNDANCY"},
				"Authorization": {"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
					"SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class," +
					"Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"},
			},
			payload: sigv4.StreamingPayload,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tt.method, tt.target, nil)
			r.ContentLength = -1
			for k, vs := range tt.header {
				r.Header[k] = vs
			}
			r.Host = r.Header.Get("Host")
			r.Header.Del("Host")
			res, err := v.Verify(r, nil, "s3")
			if err != nil {
				var e *sigv4.Error
				if errors.As(err, &e) {
					t.Logf("canonical request:\n%s", e.CanonicalRequest)
				}
				t.Fatalf("Verify(%s) error = %v", tt.name, err)
			}
			if res.AccessKeyID != "AKIAIOSFODNN7EXAMPLE" || res.PayloadHash != tt.payload {
				t.Errorf("Verify(%s) = key %q, payload %q; want AKIAIOSFODNN7EXAMPLE, %q", tt.name, res.AccessKeyID, res.PayloadHash, tt.payload)
			}
		})
	}
}

// errInfo is what a test compares of a verification error.
type errInfo struct {
	Kind     sigv4.Kind
	Message  string // compared when not empty
	Code     string
	Status   int
	S3Code   string
	S3Status int
}

func info(err error, withMessage bool) errInfo {
	var e *sigv4.Error
	if !errors.As(err, &e) {
		return errInfo{Message: "not an *Error: " + err.Error()}
	}
	i := errInfo{Kind: e.Kind}
	if withMessage {
		i.Message = e.Message
	}
	i.Code, i.Status = e.Code()
	i.S3Code, i.S3Status = e.S3Code()
	return i
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	codebuild := request{service: "codebuild", header: jsonHeader, body: "{}"}
	s3get := request{service: "s3", method: http.MethodGet, path: "/b/k", header: http.Header{"X-Amz-Content-Sha256": {emptyHash}}}
	withHeader := func(q request, k, v string) request {
		h := q.header.Clone()
		h.Set(k, v)
		q.header = h
		return q
	}
	setAuth := func(auth string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", auth) }
	}
	// replaceAuth edits the Authorization header the signer wrote.
	replaceAuth := func(old, new string) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
		}
	}
	const goodCred = "Credential=AKIDEXAMPLE/20260101/us-east-1/codebuild/aws4_request"
	const goodSig = "Signature=0000000000000000000000000000000000000000000000000000000000000000"
	tests := []struct {
		name     string
		req      request
		now      time.Time // zero: signTime
		service  string    // zero: req.service
		body     *string   // the body passed to Verify; nil: req.body
		verifier func(*sigv4.Verifier)
		want     errInfo
	}{
		{
			name: "no authentication",
			req:  request{service: "codebuild", header: jsonHeader, body: "{}", after: func(r *http.Request) { r.Header.Del("Authorization") }},
			want: errInfo{Kind: sigv4.Missing, Message: "Missing Authentication Token",
				Code: "MissingAuthenticationTokenException", Status: 400, S3Code: "AccessDenied", S3Status: 403},
		},
		{
			name: "wrong secret",
			req:  request{service: "codebuild", header: jsonHeader, body: "{}", creds: aws.Credentials{AccessKeyID: akid, SecretAccessKey: "wrong"}},
			want: errInfo{Kind: sigv4.Mismatch,
				Message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
				Code:    "InvalidSignatureException", Status: 400, S3Code: "SignatureDoesNotMatch", S3Status: 403},
		},
		{
			name: "unknown key",
			req:  request{service: "codebuild", header: jsonHeader, body: "{}", creds: aws.Credentials{AccessKeyID: "AKIDNOBODY", SecretAccessKey: secret}},
			want: errInfo{Kind: sigv4.UnknownKey, Message: "The security token included in the request is invalid.",
				Code: "UnrecognizedClientException", Status: 400, S3Code: "InvalidAccessKeyId", S3Status: 403},
		},
		{
			name:     "no Secret function",
			req:      codebuild,
			verifier: func(v *sigv4.Verifier) { v.Secret = nil },
			want: errInfo{Kind: sigv4.UnknownKey,
				Code: "UnrecognizedClientException", Status: 400, S3Code: "InvalidAccessKeyId", S3Status: 403},
		},
		{
			name: "signed 16 minutes ago",
			req:  codebuild,
			now:  signTime.Add(16 * time.Minute),
			want: errInfo{Kind: sigv4.Expired,
				Message: "Signature expired: 20260101T000000Z is now earlier than 20260101T000100Z (20260101T001600Z - 15 min.)",
				Code:    "InvalidSignatureException", Status: 400, S3Code: "RequestTimeTooSkewed", S3Status: 403},
		},
		{
			name: "signed 16 minutes ahead",
			req:  codebuild,
			now:  signTime.Add(-16 * time.Minute),
			want: errInfo{Kind: sigv4.Expired,
				Message: "Signature not yet current: 20260101T000000Z is still later than 20251231T235900Z (20251231T234400Z + 15 min.)",
				Code:    "InvalidSignatureException", Status: 400, S3Code: "RequestTimeTooSkewed", S3Status: 403},
		},
		{
			name:     "custom skew",
			req:      codebuild,
			now:      signTime.Add(6 * time.Minute),
			verifier: func(v *sigv4.Verifier) { v.MaxSkew = 5 * time.Minute },
			want: errInfo{Kind: sigv4.Expired,
				Message: "Signature expired: 20260101T000000Z is now earlier than 20260101T000100Z (20260101T000600Z - 5 min.)",
				Code:    "InvalidSignatureException", Status: 400, S3Code: "RequestTimeTooSkewed", S3Status: 403},
		},
		{
			name: "presigned URL expired",
			req:  request{service: "s3", method: http.MethodGet, path: "/b/k", presign: true, expires: 900, payload: sigv4.UnsignedPayload},
			now:  signTime.Add(901 * time.Second),
			want: errInfo{Kind: sigv4.Expired,
				Message: "Signature expired: 20260101T001500Z is now earlier than 20260101T001501Z (20260101T001501Z - 900 sec.)",
				Code:    "InvalidSignatureException", Status: 400, S3Code: "AccessDenied", S3Status: 403},
		},
		{
			name: "presigned URL not yet valid",
			req:  request{service: "s3", method: http.MethodGet, path: "/b/k", presign: true, expires: 900, payload: sigv4.UnsignedPayload},
			now:  signTime.Add(-20 * time.Minute),
			want: errInfo{Kind: sigv4.Expired, Code: "InvalidSignatureException", Status: 400, S3Code: "AccessDenied", S3Status: 403},
		},
		{
			name: "presigned for more than a week",
			req:  request{service: "s3", method: http.MethodGet, path: "/b/k", presign: true, expires: 604801, payload: sigv4.UnsignedPayload},
			want: errInfo{Kind: sigv4.Malformed,
				Message: "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
				Code:    "IncompleteSignatureException", Status: 400, S3Code: "AuthorizationQueryParametersError", S3Status: 400},
		},
		{
			name: "presigned with negative expiry",
			req:  request{service: "s3", method: http.MethodGet, path: "/b/k", presign: true, expires: -5, payload: sigv4.UnsignedPayload},
			want: errInfo{Kind: sigv4.Malformed, Message: "X-Amz-Expires must be non-negative",
				Code: "IncompleteSignatureException", Status: 400, S3Code: "AuthorizationQueryParametersError", S3Status: 400},
		},
		{
			name: "s3 presigned without X-Amz-Expires",
			req:  request{service: "s3", method: http.MethodGet, path: "/b/k", presign: true, payload: sigv4.UnsignedPayload},
			want: errInfo{Kind: sigv4.Malformed,
				Message: "AWS query-string parameters must include 'X-Amz-Expires'. Re-examine the query-string parameters.",
				Code:    "IncompleteSignatureException", Status: 400, S3Code: "AuthorizationQueryParametersError", S3Status: 400},
		},
		{
			name: "tampered body",
			req:  codebuild,
			body: new(`{"projects":"evil"}`),
			want: errInfo{Kind: sigv4.Mismatch, Code: "InvalidSignatureException", Status: 400, S3Code: "SignatureDoesNotMatch", S3Status: 403},
		},
		{
			name: "tampered body with its hash in a header",
			req: request{service: "s3", method: http.MethodPut, path: "/b/k", body: "hello",
				header: http.Header{"X-Amz-Content-Sha256": {sha256Hex([]byte("hello"))}}},
			body: new("HELLO"),
			want: errInfo{Kind: sigv4.PayloadHash, Message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
				Code: "InvalidSignatureException", Status: 400, S3Code: "XAmzContentSHA256Mismatch", S3Status: 400},
		},
		{
			name: "tampered signed header",
			req: request{service: "codebuild", header: jsonHeader, body: "{}", after: func(r *http.Request) {
				r.Header.Set("X-Amz-Target", "CodeBuild_20161006.DeleteProject")
			}},
			want: errInfo{Kind: sigv4.Mismatch, Code: "InvalidSignatureException", Status: 400, S3Code: "SignatureDoesNotMatch", S3Status: 403},
		},
		{
			name: "tampered query",
			req: request{service: "s3", method: http.MethodGet, path: "/b/k", query: "versionId=1", header: http.Header{"X-Amz-Content-Sha256": {emptyHash}},
				after: func(r *http.Request) { r.URL.RawQuery = "versionId=2" }},
			want: errInfo{Kind: sigv4.Mismatch, Code: "InvalidSignatureException", Status: 400, S3Code: "SignatureDoesNotMatch", S3Status: 403},
		},
		{
			name: "tampered path",
			req:  withHeader(s3get, "X-Amz-Content-Sha256", emptyHash),
			// after is set below
		},
		{
			name:    "signed for another service",
			req:     request{service: "logs", header: jsonHeader, body: "{}"},
			service: "codebuild",
			want: errInfo{Kind: sigv4.Scope, Message: "Credential should be scoped to correct service: 'codebuild'. ",
				Code: "InvalidSignatureException", Status: 400, S3Code: "AuthorizationHeaderMalformed", S3Status: 400},
		},
		{
			name:     "signed for another region",
			req:      codebuild,
			verifier: func(v *sigv4.Verifier) { v.Region = "eu-west-1" },
			want: errInfo{Kind: sigv4.Scope, Message: "Credential should be scoped to a valid region. ",
				Code: "InvalidSignatureException", Status: 400, S3Code: "AuthorizationHeaderMalformed", S3Status: 400},
		},
		{
			name: "scope date differs from X-Amz-Date",
			req:  request{service: "codebuild", header: jsonHeader, body: "{}", after: replaceAuth("/20260101/", "/20251231/")},
			want: errInfo{Kind: sigv4.Scope,
				Message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20251231' != '20260101', from '20260101T000000Z'. ",
				Code:    "InvalidSignatureException", Status: 400, S3Code: "AuthorizationHeaderMalformed", S3Status: 400},
		},
		{
			name: "everything wrong with the scope",
			req:  request{service: "codebuild", header: jsonHeader, body: "{}", after: replaceAuth("/20260101/us-east-1/codebuild/aws4_request", "/20251231/us.east/logs/aws5_request")},
			want: errInfo{Kind: sigv4.Scope,
				Message: "Credential should be scoped to a valid region. Credential should be scoped to correct service: 'codebuild'. " +
					"Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. " +
					"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20251231' != '20260101', from '20260101T000000Z'. ",
				Code: "InvalidSignatureException", Status: 400, S3Code: "AuthorizationHeaderMalformed", S3Status: 400},
		},
		{
			name:    "presigned for another service",
			req:     request{service: "logs", method: http.MethodGet, path: "/b/k", presign: true, expires: 60, payload: sigv4.UnsignedPayload},
			service: "s3",
			want: errInfo{Kind: sigv4.Scope, Message: "Credential should be scoped to correct service: 's3'. ",
				Code: "InvalidSignatureException", Status: 400, S3Code: "AuthorizationQueryParametersError", S3Status: 400},
		},
		{
			name: "secret lookup fails",
			req:  request{service: "codebuild", header: jsonHeader, body: "{}", creds: aws.Credentials{AccessKeyID: "AKIDBROKEN", SecretAccessKey: "x"}},
			want: errInfo{Message: `not an *Error: look up access key "AKIDBROKEN": store unavailable`},
		},
		{
			name: "not SigV4",
			req:  request{service: "codebuild", header: jsonHeader, body: "{}", after: setAuth("Bearer abc.def")},
			want: errInfo{Kind: sigv4.Malformed,
				Message: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
					"Authorization header requires 'SignedHeaders' parameter. Authorization=Bearer abc.def",
				Code: "IncompleteSignatureException", Status: 400, S3Code: "AuthorizationHeaderMalformed", S3Status: 400},
		},
		{
			name: "SigV2",
			req:  request{service: "s3", method: http.MethodGet, after: setAuth("AWS AKIDEXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=")},
			want: errInfo{Kind: sigv4.Malformed, Code: "IncompleteSignatureException", Status: 400, S3Code: "AuthorizationHeaderMalformed", S3Status: 400},
		},
		{
			name: "no Signature",
			req:  request{service: "codebuild", header: jsonHeader, body: "{}", after: setAuth("AWS4-HMAC-SHA256 " + goodCred + ", SignedHeaders=host;x-amz-date")},
			want: errInfo{Kind: sigv4.Malformed,
				Message: "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 " + goodCred + ", SignedHeaders=host;x-amz-date",
				Code:    "IncompleteSignatureException", Status: 400, S3Code: "AuthorizationHeaderMalformed", S3Status: 400},
		},
		{
			name: "no date",
			req: request{service: "codebuild", header: jsonHeader, body: "{}", after: func(r *http.Request) {
				r.Header.Del("X-Amz-Date")
			}},
			want: errInfo{Kind: sigv4.Malformed, Code: "IncompleteSignatureException", Status: 400, S3Code: "AccessDenied", S3Status: 403},
		},
		{
			name: "component without equal sign",
			req:  request{service: "codebuild", header: jsonHeader, body: "{}", after: setAuth("AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders")},
			want: errInfo{Kind: sigv4.Malformed,
				Message: "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders'.",
				Code:    "IncompleteSignatureException", Status: 400, S3Code: "AuthorizationHeaderMalformed", S3Status: 400},
		},
		{
			name: "unsupported algorithm",
			req:  request{service: "codebuild", header: jsonHeader, body: "{}", after: replaceAuth("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512")},
			want: errInfo{Kind: sigv4.Malformed, Message: "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ",
				Code: "IncompleteSignatureException", Status: 400, S3Code: "InvalidRequest", S3Status: 400},
		},
		{
			name: "credential with four parts",
			req:  request{service: "codebuild", header: jsonHeader, body: "{}", after: replaceAuth("/us-east-1/codebuild/", "/codebuild/")},
			want: errInfo{Kind: sigv4.Malformed,
				Message: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIDEXAMPLE/20260101/codebuild/aws4_request'",
				Code:    "IncompleteSignatureException", Status: 400, S3Code: "AuthorizationHeaderMalformed", S3Status: 400},
		},
		{
			name: "host not signed",
			req:  request{service: "codebuild", header: jsonHeader, body: "{}", after: replaceAuth("SignedHeaders=content-length;content-type;host;", "SignedHeaders=content-length;content-type;")},
			want: errInfo{Kind: sigv4.Malformed, Message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
				Code: "InvalidSignatureException", Status: 400, S3Code: "AuthorizationHeaderMalformed", S3Status: 400},
		},
		{
			name: "empty signed header name",
			req:  request{service: "codebuild", header: jsonHeader, body: "{}", after: replaceAuth(";host;", ";;host;")},
			want: errInfo{Kind: sigv4.Malformed, Code: "IncompleteSignatureException", Status: 400, S3Code: "AuthorizationHeaderMalformed", S3Status: 400},
		},
		{
			name: "date not in basic format",
			req: request{service: "codebuild", header: jsonHeader, body: "{}", after: func(r *http.Request) {
				r.Header.Set("X-Amz-Date", "2026-01-01T00:00:00Z")
			}},
			want: errInfo{Kind: sigv4.Malformed,
				Message: "Date must be in ISO-8601 'basic format'. Got '2026-01-01T00:00:00Z'. See http://en.wikipedia.org/wiki/ISO_8601",
				Code:    "IncompleteSignatureException", Status: 400, S3Code: "AccessDenied", S3Status: 403},
		},
		{
			name: "signature not hex",
			req: request{service: "codebuild", header: jsonHeader, body: "{}", after: func(r *http.Request) {
				a := r.Header.Get("Authorization")
				r.Header.Set("Authorization", a[:strings.Index(a, "Signature=")]+"Signature=zz")
			}},
			want: errInfo{Kind: sigv4.Mismatch, Code: "InvalidSignatureException", Status: 400, S3Code: "SignatureDoesNotMatch", S3Status: 403},
		},
		{
			name: "header and query authentication",
			req:  request{service: "s3", method: http.MethodGet, path: "/b/k", presign: true, expires: 60, payload: sigv4.UnsignedPayload, after: setAuth("AWS4-HMAC-SHA256 " + goodCred + ", SignedHeaders=host, " + goodSig)},
			want: errInfo{Kind: sigv4.Malformed, Message: "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
				Code: "InvalidSignatureException", Status: 400, S3Code: "InvalidArgument", S3Status: 400},
		},
		{
			name: "query authentication incomplete",
			req:  request{service: "logs", method: http.MethodGet, query: "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a", after: func(r *http.Request) { r.Header.Del("Authorization") }},
			want: errInfo{Kind: sigv4.Malformed,
				Message: "AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. " +
					"AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.",
				Code: "IncompleteSignatureException", Status: 400, S3Code: "AuthorizationQueryParametersError", S3Status: 400},
		},
		{
			name: "undecodable query",
			req:  request{service: "codebuild", header: jsonHeader, body: "{}", after: func(r *http.Request) { r.URL.RawQuery = "a=%zz" }},
			want: errInfo{Kind: sigv4.Malformed, Message: "Illegal hex character in escape % pattern: %zz",
				Code: "IncompleteSignatureException", Status: 400, S3Code: "InvalidArgument", S3Status: 400},
		},
		{
			name: "query ending in a partial escape",
			req:  request{service: "codebuild", header: jsonHeader, body: "{}", after: func(r *http.Request) { r.URL.RawQuery = "a=1%2" }},
			want: errInfo{Kind: sigv4.Malformed, Message: "Incomplete trailing escape % sequence",
				Code: "IncompleteSignatureException", Status: 400, S3Code: "InvalidArgument", S3Status: 400},
		},
		{
			name: "bad x-amz-content-sha256",
			req:  withHeader(s3get, "X-Amz-Content-Sha256", "not-a-hash"),
			want: errInfo{Kind: sigv4.Malformed, Code: "IncompleteSignatureException", Status: 400, S3Code: "InvalidArgument", S3Status: 400},
		},
		{
			name: "streamed body without x-amz-content-sha256",
			req: request{service: "s3", method: http.MethodPut, path: "/b/k", body: "data",
				after: func(r *http.Request) { r.ContentLength = -1 }},
			want: errInfo{Kind: sigv4.Malformed, Message: "Missing required header for this request: x-amz-content-sha256",
				Code: "IncompleteSignatureException", Status: 400, S3Code: "InvalidRequest", S3Status: 400},
		},
	}
	for _, tt := range tests {
		if tt.name == "tampered path" {
			tt.req.after = func(r *http.Request) { r.URL.Path = "/b/other" }
			tt.want = errInfo{Kind: sigv4.Mismatch, Code: "InvalidSignatureException", Status: 400, S3Code: "SignatureDoesNotMatch", S3Status: 403}
		}
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			now := tt.now
			if now.IsZero() {
				now = signTime
			}
			v := newVerifier(now)
			if tt.verifier != nil {
				tt.verifier(v)
			}
			service := tt.service
			if service == "" {
				service = tt.req.service
			}
			body := []byte(tt.req.body)
			if tt.body != nil {
				body = []byte(*tt.body)
			}
			if tt.req.service == "s3" && tt.body == nil {
				body = nil
			}
			r := tt.req.build(t, "http://example.com")
			res, err := v.Verify(r, body, service)
			if err == nil {
				t.Fatalf("Verify() = %+v, want error", res)
			}
			if diff := cmp.Diff(tt.want, info(err, tt.want.Message != "")); diff != "" {
				t.Errorf("Verify() error %v mismatch (-want +got):\n%s", err, diff)
			}
		})
	}
}

func TestKindCodes(t *testing.T) {
	t.Parallel()
	type codes struct {
		Code     string
		Status   int
		S3Code   string
		S3Status int
		Name     string
	}
	tests := []struct {
		kind sigv4.Kind
		want codes
	}{
		{sigv4.Missing, codes{"MissingAuthenticationTokenException", 400, "AccessDenied", 403, "missing"}},
		{sigv4.Malformed, codes{"IncompleteSignatureException", 400, "AuthorizationHeaderMalformed", 400, "malformed"}},
		{sigv4.UnknownKey, codes{"UnrecognizedClientException", 400, "InvalidAccessKeyId", 403, "unknown key"}},
		{sigv4.Mismatch, codes{"InvalidSignatureException", 400, "SignatureDoesNotMatch", 403, "mismatch"}},
		{sigv4.Expired, codes{"InvalidSignatureException", 400, "RequestTimeTooSkewed", 403, "expired"}},
		{sigv4.Scope, codes{"InvalidSignatureException", 400, "AuthorizationHeaderMalformed", 400, "scope"}},
		{sigv4.PayloadHash, codes{"InvalidSignatureException", 400, "XAmzContentSHA256Mismatch", 400, "payload hash"}},
		{sigv4.Kind(0), codes{"InternalFailure", 500, "InternalError", 500, "Kind(0)"}},
	}
	for _, tt := range tests {
		var got codes
		got.Code, got.Status = tt.kind.Code()
		got.S3Code, got.S3Status = tt.kind.S3Code()
		got.Name = tt.kind.String()
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Kind(%d) codes mismatch (-want +got):\n%s", int(tt.kind), diff)
		}
	}
}

// TestVerifyCachesKeys checks that a cached signing key does not outlive a
// changed secret.
func TestVerifyCachesKeys(t *testing.T) {
	t.Parallel()
	current := secret
	v := &sigv4.Verifier{
		Secret: func(context.Context, string) (string, bool, error) { return current, true, nil },
		Now:    func() time.Time { return signTime },
	}
	q := request{service: "codebuild", header: jsonHeader, body: "{}"}
	for i := range 3 {
		if _, err := v.Verify(q.build(t, "http://example.com"), []byte("{}"), "codebuild"); err != nil {
			t.Fatalf("Verify() #%d error = %v", i, err)
		}
	}
	current = "rotated"
	_, err := v.Verify(q.build(t, "http://example.com"), []byte("{}"), "codebuild")
	if got := info(err, false).Kind; got != sigv4.Mismatch {
		t.Errorf("Verify() after the secret changed: error %v, want kind %v", err, sigv4.Mismatch)
	}
}

func BenchmarkVerify(b *testing.B) {
	body := []byte(`{"projectName":"demo-project","sourceVersion":"main","environmentVariablesOverride":[{"name":"STAGE","value":"prod","type":"PLAINTEXT"}]}`)
	q := request{service: "codebuild", header: http.Header{
		"Content-Type": {"application/x-amz-json-1.1"},
		"X-Amz-Target": {"CodeBuild_20161006.StartBuild"},
	}, body: string(body), creds: aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret, SessionToken: "session-token"}}
	r := q.build(b, "http://localhost:8080")
	r.Header.Set("User-Agent", "aws-sdk-go-v2/1.48.0 os/linux lang/go#1.26 md/GOOS#linux api/codebuild#1.69.0")
	r.Header.Set("Amz-Sdk-Invocation-Id", "9b2c8f4e-7d1a-4c8e-9a2b-3f4e5d6c7b8a")
	v := newVerifier(signTime)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(r, body, "codebuild"); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleVerifier_Verify() {
	v := &sigv4.Verifier{
		Secret: func(_ context.Context, id string) (string, bool, error) {
			if id == "AKIDEXAMPLE" {
				return "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", true, nil
			}
			return "", false, nil
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return
		}
		res, err := v.Verify(r, body, "codebuild")
		var e *sigv4.Error
		switch {
		case errors.As(err, &e):
			code, status := e.Code()
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"__type":%q,"message":%q}`, code, e.Message)
		case err != nil: // from Secret
			http.Error(w, "internal error", http.StatusInternalServerError)
		default:
			fmt.Fprintf(w, `{"caller":%q}`, res.AccessKeyID)
		}
	}))
	defer srv.Close()

	call := func(r *http.Request) {
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.StatusCode, string(b))
	}
	r, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("{}"))
	call(r)

	r, _ = http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("{}"))
	r.Header.Set("X-Amz-Target", "CodeBuild_20161006.ListProjects")
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	_ = v4.NewSigner().SignHTTP(context.Background(), creds, r, sha256Hex([]byte("{}")), "codebuild", "us-east-1", time.Now())
	call(r)
	// Output:
	// 400 {"__type":"MissingAuthenticationTokenException","message":"Missing Authentication Token"}
	// 200 {"caller":"AKIDEXAMPLE"}
}

// BenchmarkVerifyParallel shows the signing-key cache under contention.
func BenchmarkVerifyParallel(b *testing.B) {
	body := []byte(`{"logGroupName":"/codeyard/demo","logStreamName":"build/1","startFromHead":true}`)
	r := request{service: "logs", header: logsHeader, body: string(body)}.build(b, "http://localhost:8080")
	v := newVerifier(signTime)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := v.Verify(r, body, "logs"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
