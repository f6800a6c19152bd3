package cli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// FuzzAPI sends signed requests with arbitrary bodies to every operation
// of a real server: none may panic or answer a 5xx, and every answer is an
// AWS-shaped JSON document.
func FuzzAPI(f *testing.F) {
	_, srv, key := testServer(f)
	ops := srv.api.Operations()
	for i, body := range []string{
		`{}`, `{"projectName":"p1"}`, `{"name":"p1","source":{"type":"NO_SOURCE","buildspec":"version: 0.2"},"artifacts":{"type":"NO_ARTIFACTS"},"environment":{"type":"LINUX_CONTAINER","image":"i","computeType":"BUILD_GENERAL1_SMALL"},"serviceRole":"r"}`,
		`{"ids":["p1:x"]}`, `{"names":["p1"]}`, `{"nextToken":"zz"}`, `{"reportArn":"arn:aws:codebuild:us-east-1:1:report/x:y"}`,
		`{"logGroupName":"/aws/codebuild/p1","logStreamName":"s","nextToken":"f/1"}`, `{"filterPattern":"?a -b \"c"}`, `[]`, `null`, `{"ids":[1]}`,
		`{"Name":"/a/b","Value":"v","Type":"SecureString","Overwrite":true}`, `{"Name":"/a/b:1","WithDecryption":true}`, `{"Path":"/","Recursive":true,"NextToken":"zz"}`,
		`{"Name":"s","SecretString":"x"}`, `{"SecretId":"s","VersionStage":"AWSPREVIOUS"}`, `{"SecretId":"s","RecoveryWindowInDays":7}`,
	} {
		f.Add(uint16(i), []byte(body))
	}
	f.Fuzz(func(t *testing.T, op uint16, body []byte) {
		target := ops[int(op)%len(ops)]
		req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", target)
		signer(key.id, key.secret, srv.api.SigningName(target), time.Now())(req, body)
		rec := httptest.NewRecorder()
		srv.api.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q: status %d %s", target, body, rec.Code, rec.Body.String())
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %q: answer is not JSON: %q", target, body, rec.Body.String())
		}
		if rec.Code != 200 {
			var e struct {
				Type string `json:"__type"`
			}
			if json.Unmarshal(rec.Body.Bytes(), &e); e.Type == "" {
				t.Fatalf("%s %q: error without __type: %s", target, body, rec.Body.String())
			}
		}
	})
}
