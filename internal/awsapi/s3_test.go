package awsapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/codeyard/codeyard/internal/blob"
)

type staticKeys map[string]string

func (k staticKeys) AccessKey(_ context.Context, id string) (string, Principal, bool, error) {
	s, ok := k[id]
	return s, Principal{AccessKeyID: id, UserName: "admin"}, ok, nil
}

func newTestS3(t testing.TB, now func() time.Time) (*S3, *blob.Disk) {
	t.Helper()
	d, err := blob.OpenDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	keys := staticKeys{"AKIAIOSFODNN7EXAMPLE": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	return NewS3(S3Config{Account: "123456789012", Keys: keys, Store: d, Now: now}), d
}

func TestS3HostBucket(t *testing.T) {
	t.Parallel()
	s := NewS3(S3Config{Domains: []string{"localhost", "s3.example.test"}})
	for host, want := range map[string]string{
		"127.0.0.1:4580":                    "",
		"[::1]:4580":                        "",
		"localhost:4580":                    "",
		"photos.localhost:4580":             "photos",
		"my.dotted.bucket.localhost":        "my.dotted.bucket",
		"s3.localhost":                      "",
		"b1.s3.amazonaws.com":               "b1",
		"b2.s3.eu-west-1.amazonaws.com":     "b2",
		"b3.s3-us-west-2.amazonaws.com":     "b3",
		"s3.amazonaws.com":                  "",
		"Photos.S3.Example.Test.":           "photos",
		"codeyard.internal:4580":            "",
		"b4.s3.example.test":                "b4",
		"deep.b5.s3.example.test":           "deep.b5",
		"s3.us-east-1.amazonaws.com:443":    "",
		"bucket.s3.localhost.localstack.cx": "bucket",
	} {
		if got := s.hostBucket(host); got != want {
			t.Errorf("hostBucket(%q) = %q, want %q", host, got, want)
		}
	}
}

func TestParseRange(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		v         string
		size      int64
		start, n  int64
		ok, unsat bool
	}{
		{"bytes=0-0", 10, 0, 1, true, false},
		{"bytes=2-4", 10, 2, 3, true, false},
		{"bytes=5-", 10, 5, 5, true, false},
		{"bytes=-3", 10, 7, 3, true, false},
		{"bytes=-30", 10, 0, 10, true, false},
		{"bytes=8-100", 10, 8, 2, true, false},
		{"bytes=10-", 10, 0, 0, false, true},
		{"bytes=-0", 10, 0, 0, false, true},
		{"bytes=0-", 0, 0, 0, false, true},
		{"bytes=4-2", 10, 0, 0, false, false},
		{"bytes=1-2,4-5", 10, 0, 0, false, false},
		{"items=1-2", 10, 0, 0, false, false},
		{"bytes=x-1", 10, 0, 0, false, false},
		{"bytes=-", 10, 0, 0, false, false},
	} {
		start, n, ok, err := parseRange(tt.v, tt.size)
		if start != tt.start || n != tt.n || ok != tt.ok || (err != nil) != tt.unsat {
			t.Errorf("parseRange(%q, %d) = %d, %d, %v, %v; want %d, %d, %v, unsatisfiable %v", tt.v, tt.size, start, n, ok, err, tt.start, tt.n, tt.ok, tt.unsat)
		}
	}
}

func TestPreconditions(t *testing.T) {
	t.Parallel()
	mod := time.Date(2026, 1, 2, 3, 4, 5, 600e6, time.UTC)
	at := func(d time.Duration) string { return mod.Add(d).Format(http.TimeFormat) }
	for _, tt := range []struct {
		name   string
		h      map[string]string
		status int
	}{
		{"none", nil, 0},
		{"if-match same", map[string]string{"If-Match": `"e1"`}, 0},
		{"if-match list", map[string]string{"If-Match": `"x", "e1"`}, 0},
		{"if-match star", map[string]string{"If-Match": `*`}, 0},
		{"if-match other", map[string]string{"If-Match": `"x"`}, 412},
		{"if-none-match same", map[string]string{"If-None-Match": `"e1"`}, 304},
		{"if-none-match weak", map[string]string{"If-None-Match": `W/"e1"`}, 304},
		{"if-none-match other", map[string]string{"If-None-Match": `"x"`}, 0},
		{"if-modified-since same second", map[string]string{"If-Modified-Since": at(0)}, 304},
		{"if-modified-since before", map[string]string{"If-Modified-Since": at(-time.Second)}, 0},
		{"if-unmodified-since before", map[string]string{"If-Unmodified-Since": at(-time.Second)}, 412},
		{"if-unmodified-since same second", map[string]string{"If-Unmodified-Since": at(0)}, 0},
		{"if-match true beats if-unmodified-since false", map[string]string{"If-Match": `"e1"`, "If-Unmodified-Since": at(-time.Hour)}, 0},
		{"if-none-match false beats if-modified-since", map[string]string{"If-None-Match": `"x"`, "If-Modified-Since": at(time.Hour)}, 0},
		{"if-none-match true and if-modified-since true", map[string]string{"If-None-Match": `"e1"`, "If-Modified-Since": at(-time.Hour)}, 304},
		{"bad date ignored", map[string]string{"If-Unmodified-Since": "yesterday"}, 0},
	} {
		h := http.Header{}
		for k, v := range tt.h {
			h.Set(k, v)
		}
		if got, _ := preconditions(h, "", "e1", mod); got != tt.status {
			t.Errorf("preconditions(%s) = %d, want %d", tt.name, got, tt.status)
		}
	}
}

// TestS3DocumentedChunkedPut sends the aws-chunked PUT of S3's
// documentation ("Transferring payload in multiple chunks"): it is stored
// decoded, and with one chunk's signature broken nothing is stored.
func TestS3DocumentedChunkedPut(t *testing.T) {
	t.Parallel()
	s, d := newTestS3(t, func() time.Time { return time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC) })
	ctx := t.Context()
	if err := d.CreateBucket(ctx, "examplebucket", "us-east-1"); err != nil {
		t.Fatal(err)
	}
	sigs := [3]string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	}
	body := func(sigs [3]string) string {
		return fmt.Sprintf("10000;chunk-signature=%s\r\n%s\r\n400;chunk-signature=%s\r\n%s\r\n0;chunk-signature=%s\r\n\r\n",
			sigs[0], strings.Repeat("a", 65536), sigs[1], strings.Repeat("a", 1024), sigs[2])
	}
	send := func(b string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPut, "/examplebucket/chunkObject.txt", strings.NewReader(b))
		r.Host = "s3.amazonaws.com"
		for k, v := range map[string]string{
			"Content-Encoding":             "aws-chunked",
			"Content-Length":               "66824",
			"X-Amz-Content-Sha256":         "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
			"X-Amz-Date":                   "20130524T000000Z",
			"X-Amz-Decoded-Content-Length": "66560",
			"X-Amz-Storage-Class":          "REDUCED_REDUNDANCY",
			"Authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
				"SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class," +
				"Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
		} {
			r.Header.Set(k, v)
		}
		r.ContentLength = int64(len(b))
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	broken := sigs
	broken[1] = strings.Repeat("0", 64)
	if w := send(body(broken)); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "<Code>SignatureDoesNotMatch</Code>") {
		t.Errorf("PUT with a broken chunk signature = %d %s", w.Code, w.Body)
	}
	if _, err := d.Stat(ctx, "examplebucket", "chunkObject.txt"); err == nil {
		t.Errorf("the object exists after a broken upload")
	}
	if w := send(body(sigs)[:40000]); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "<Code>IncompleteBody</Code>") {
		t.Errorf("truncated PUT = %d %s", w.Code, w.Body)
	}
	w := send(body(sigs))
	if w.Code != http.StatusOK {
		t.Fatalf("documented PUT = %d %s", w.Code, w.Body)
	}
	o, err := d.Stat(ctx, "examplebucket", "chunkObject.txt")
	if err != nil || o.Size != 66560 || o.Headers["X-Amz-Storage-Class"] != "REDUCED_REDUNDANCY" || o.Headers["Content-Encoding"] != "" {
		t.Errorf("stored object = %+v, %v", o, err)
	}
}

// signS3 signs r for S3 with the SDK's signer, covering body.
func signS3(r *http.Request, body []byte, now time.Time) {
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])
	r.Header.Set("X-Amz-Content-Sha256", h)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	signer.SignHTTP(context.Background(), aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}, r, h, "s3", "us-east-1", now)
}

// FuzzS3 sends signed requests with arbitrary paths, queries, headers and
// bodies: none may panic or answer 5xx, and every error is an S3 error
// document with a request id.
func FuzzS3(f *testing.F) {
	s, d := newTestS3(f, nil)
	d.CreateBucket(context.Background(), "fz", "us-east-1")
	d.Put(context.Background(), "fz", "k", strings.NewReader("0123456789"), blob.PutOptions{})
	methods := []string{"GET", "PUT", "POST", "DELETE", "HEAD"}
	for _, seed := range []struct {
		m             int
		path, query   string
		header, value string
		body          string
	}{
		{0, "/fz/k", "", "Range", "bytes=1-2", ""},
		{0, "/fz", "list-type=2&delimiter=/&max-keys=1&encoding-type=url", "", "", ""},
		{0, "/fz", "list-type=2&continuation-token=!!", "", "", ""},
		{2, "/fz", "delete", "", "", "<Delete><Object><Key>k</Key></Object></Delete>"},
		{2, "/fz/k", "uploads", "x-amz-meta-a", "b", ""},
		{2, "/fz/k", "uploadId=00000000000000000000000000000000", "", "", "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>"},
		{1, "/fz/k2", "", "x-amz-copy-source", "fz/k", ""},
		{1, "/fz/k2", "partNumber=1&uploadId=zz", "Content-MD5", "zz", "data"},
		{1, "/fz2", "", "", "", "<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"},
		{1, "/fz/k3", "", "x-amz-checksum-crc32", "AAAAAA==", "abc"},
		{0, "/fz", "uploads&prefix=a&delimiter=/", "", "", ""},
		{1, "/fz", "versioning", "", "", "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"},
		{0, "/fz", "versions&key-marker=k&version-id-marker=null&max-keys=1", "", "", ""},
		{0, "/fz/k", "versionId=null", "", "", ""},
		{3, "/fz/k", "versionId=0000000000000001ffffffffffffffff", "", "", ""},
		{1, "/fz/k4", "", "x-amz-copy-source", "fz/k?versionId=null", ""},
	} {
		f.Add(seed.m, seed.path, seed.query, seed.header, seed.value, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, m int, path, query, header, value string, body []byte) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		u := &url.URL{Scheme: "http", Host: "127.0.0.1:4580", Path: path, RawQuery: query}
		r, err := http.NewRequest(methods[(m%5+5)%5], u.String(), bytes.NewReader(body))
		if err != nil {
			return
		}
		if header != "" && value != "" {
			if !validHeader(header, value) {
				return
			}
			r.Header.Set(header, value)
		}
		signS3(r, body, time.Now())
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("%s %s?%s %s=%s: status %d %s", r.Method, path, query, header, value, w.Code, w.Body)
		}
		if w.Code >= 300 && r.Method != http.MethodHead && w.Code != http.StatusNotModified {
			var e struct {
				Code, RequestId string
			}
			if err := xml.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Code == "" || e.RequestId == "" {
				t.Fatalf("%s %s?%s: error %d is not an S3 error document: %q", r.Method, path, query, w.Code, w.Body)
			}
		}
		if w.Code == 200 && w.Header().Get("Content-Type") == "application/xml" {
			if err := xml.Unmarshal(w.Body.Bytes(), new(struct{})); err != nil && err != io.EOF {
				t.Fatalf("%s %s?%s: answer is not XML: %v %q", r.Method, path, query, err, w.Body)
			}
		}
	})
}

// validHeader reports whether net/http would send this header.
func validHeader(name, value string) bool {
	for _, c := range []byte(name) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return !strings.ContainsAny(value, "\r\n\x00") && strings.TrimSpace(value) == value
}
