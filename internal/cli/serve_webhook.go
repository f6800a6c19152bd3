package cli

import (
	"net/http"
	"strings"

	"github.com/codeyard/codeyard/internal/webhook"
)

// withWebhooks sends webhook deliveries (POSTs to webhook.PathPrefix that
// are not AWS requests) to hooks and everything else to api. No bucket
// name starts with an underscore, so a path-style S3 request never goes
// to hooks, and a virtual-hosted one that happens to use such a key is
// signed.
func withWebhooks(api, hooks http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, webhook.PathPrefix) && r.Header.Get("X-Amz-Target") == "" &&
			!strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-") && !r.URL.Query().Has("X-Amz-Signature") {
			hooks.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}
