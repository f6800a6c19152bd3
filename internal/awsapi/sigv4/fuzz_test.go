package sigv4_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/codeyard/codeyard/internal/awsapi/sigv4"
)

// FuzzVerify feeds arbitrary authentication data, paths, queries and bodies
// to Verify: it must never panic, and fail only with an *Error.
func FuzzVerify(f *testing.F) {
	signed := request{service: "codebuild", header: jsonHeader, body: "{}"}.build(f, "http://example.com")
	presigned := request{service: "s3", method: http.MethodGet, path: "/b/k ü", presign: true, expires: 60,
		payload: sigv4.UnsignedPayload}.build(f, "http://example.com")
	f.Add(signed.Header.Get("Authorization"), signed.Header.Get("X-Amz-Date"), "/", "", "{}", "codebuild", false)
	f.Add("", "", presigned.URL.EscapedPath(), presigned.URL.RawQuery, "", "s3", true)
	f.Add(signed.Header.Get("Authorization"), "20260101T000000Z", "/a%zz/%2F/..//", "a=%&b=%ZZ&X-Amz-Algorithm", "", "s3", false)
	f.Add("AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;;, Signature=", "2026", "", "X-Amz-Expires=-1", "", "logs", true)
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/logs/aws4_request,SignedHeaders=host,Signature=00",
		"20260101T000000Z", "/\x00", "X-Amz-Content-Sha256=STREAMING-UNSIGNED-PAYLOAD-TRAILER", "body", "logs", false)
	f.Add("", "", "/", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"+
		"&X-Amz-Date=20260101T000000Z&X-Amz-Expires=99999999999999999999&X-Amz-SignedHeaders=host&X-Amz-Signature=ab", "", "s3", true)
	v := newVerifier(signTime)
	v.Secret = func(context.Context, string) (string, bool, error) { return secret, true, nil }
	f.Fuzz(func(t *testing.T, auth, date, path, query, body, service string, streamed bool) {
		r := &http.Request{
			Method:     http.MethodPost,
			URL:        &url.URL{Path: path, RawQuery: query},
			Header:     http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
			Host:       "example.com",
			RequestURI: path,
		}
		if query != "" {
			r.RequestURI += "?" + query
		}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if date != "" {
			r.Header.Set("X-Amz-Date", date)
		}
		var b []byte
		if !streamed {
			b = []byte(body)
		} else if body != "" {
			r.Header.Set("X-Amz-Content-Sha256", body)
			r.ContentLength = -1
		}
		res, err := v.Verify(r, b, service)
		var e *sigv4.Error
		switch {
		case err == nil && res == nil:
			t.Fatal("Verify() = nil, nil")
		case err != nil && !errors.As(err, &e):
			t.Fatalf("Verify() error = %v, want an *Error", err)
		case err != nil:
			if code, status := e.Code(); code == "" || status < 400 {
				t.Errorf("Verify() error %v has code %q, status %d", err, code, status)
			}
			if code, status := e.S3Code(); code == "" || status < 400 {
				t.Errorf("Verify() error %v has S3 code %q, status %d", err, code, status)
			}
		}
	})
}

// FuzzChunkReader decodes arbitrary aws-chunked bodies in every mode: Read
// must never panic or loop, and fail only with an *Error.
func FuzzChunkReader(f *testing.F) {
	// Small seeds: the fuzzer crawls on inputs as big as AWS's examples.
	signedRes, signedBody := sdkChunked(f, "hello, world", 5)
	f.Add([]byte(signedBody))
	f.Add([]byte("5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n"))
	f.Add([]byte("0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\n\r\n\r\nx:y\n"))
	f.Add([]byte("ffffffffffffffff\r\n"))
	results := []*sigv4.Result{signedRes}
	for _, p := range []string{sigv4.StreamingPayloadTrailer, sigv4.StreamingUnsignedPayloadTrailer} {
		r := *signedRes
		r.PayloadHash = p
		results = append(results, &r)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, res := range results {
			done := make(chan error, 1)
			go func() {
				_, err := io.Copy(io.Discard, sigv4.NewChunkReader(bytes.NewReader(body), res))
				done <- err
			}()
			select {
			case err := <-done:
				var e *sigv4.Error
				if err != nil && !errors.As(err, &e) {
					t.Fatalf("Read() error = %v, want an *Error", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("Read(%q) does not return", strings.ToValidUTF8(string(body[:min(len(body), 100)]), "?"))
			}
		}
	})
}
