package cli

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWithWebhooks(t *testing.T) {
	t.Parallel()
	tag := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-Handler", name) })
	}
	h := withWebhooks(tag("api"), tag("hooks"))
	tests := []struct {
		name, method, target string
		header               map[string]string
		want                 string
	}{
		{"delivery", "POST", "/_codeyard/webhooks/abc", nil, "hooks"},
		{"delivery with basic auth", "POST", "/_codeyard/webhooks/abc", map[string]string{"Authorization": "Basic dTpw"}, "hooks"},
		{"S3 object", "PUT", "/bucket/_codeyard/webhooks/abc", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=..."}, "api"},
		{"virtual-hosted S3 key", "PUT", "/_codeyard/webhooks/abc", map[string]string{"Authorization": "AWS4-HMAC-SHA256 Credential=..."}, "api"},
		{"presigned S3 URL", "GET", "/_codeyard/webhooks/abc?X-Amz-Signature=00", nil, "api"},
		{"JSON API", "POST", "/_codeyard/webhooks/abc", map[string]string{"X-Amz-Target": "CodeBuild_20161006.ListProjects"}, "api"},
		{"root", "POST", "/", nil, "api"},
		{"bucket", "GET", "/codeyard/webhooks/abc", nil, "api"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tt.method, tt.target, nil)
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if got := w.Header().Get("X-Handler"); got != tt.want {
				t.Errorf("%s %s went to %s, want %s", tt.method, tt.target, got, tt.want)
			}
		})
	}
}
