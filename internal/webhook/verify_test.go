package webhook_test

import (
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/codeyard/codeyard/internal/webhook"
)

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func TestVerify(t *testing.T) {
	t.Parallel()
	body := []byte(`{"ref":"refs/heads/main"}`)
	const secret = "s3cret"
	sig := hex.EncodeToString(webhook.Sign(secret, body))
	bad := hex.EncodeToString(webhook.Sign("other", body))
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	tests := []struct {
		name   string
		forge  string
		header http.Header
		want   error
	}{
		{"github", webhook.GitHub, h("X-Hub-Signature-256", "sha256="+sig), nil},
		{"github bad", webhook.GitHub, h("X-Hub-Signature-256", "sha256="+bad), webhook.ErrBadSignature},
		{"github sha1 only", webhook.GitHub, h("X-Hub-Signature", "sha1=0123"), webhook.ErrUnsigned},
		{"github sha1 in sha256 header", webhook.GitHub, h("X-Hub-Signature-256", "sha1="+sig), webhook.ErrBadSignature},
		{"github not hex", webhook.GitHub, h("X-Hub-Signature-256", "sha256=zz"), webhook.ErrBadSignature},
		{"github unsigned", webhook.GitHub, h(), webhook.ErrUnsigned},
		{"bitbucket", webhook.Bitbucket, h("X-Hub-Signature", "sha256="+sig), nil},
		{"bitbucket bad", webhook.Bitbucket, h("X-Hub-Signature", "sha256="+bad), webhook.ErrBadSignature},
		{"bitbucket unsigned", webhook.Bitbucket, h(), webhook.ErrUnsigned},
		{"gitea", webhook.Gitea, h("X-Gitea-Signature", sig), nil},
		{"forgejo", webhook.Gitea, h("X-Forgejo-Signature", sig), nil},
		{"gitea github header", webhook.Gitea, h("X-Hub-Signature-256", "sha256="+sig), nil},
		{"gitea bad", webhook.Gitea, h("X-Gitea-Signature", bad), webhook.ErrBadSignature},
		{"gitea short", webhook.Gitea, h("X-Gitea-Signature", sig[:10]), webhook.ErrBadSignature},
		{"gitea unsigned", webhook.Gitea, h(), webhook.ErrUnsigned},
		{"gitlab", webhook.GitLab, h("X-Gitlab-Token", secret), nil},
		{"gitlab bad", webhook.GitLab, h("X-Gitlab-Token", "s3cre"), webhook.ErrBadSignature},
		{"gitlab unsigned", webhook.GitLab, h(), webhook.ErrUnsigned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := webhook.Verify(tt.forge, tt.header, body, secret); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Verify(%s, %v) = %v, want %v", tt.forge, tt.header, err, tt.want)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header http.Header
		want   webhook.Delivery
	}{
		{"github", http.Header{"X-Github-Event": {"push"}, "X-Github-Delivery": {"72d3162e-cc78-11e3-81ab-4c9367dc0958"}},
			webhook.Delivery{Forge: webhook.GitHub, Event: "push", ID: "72d3162e-cc78-11e3-81ab-4c9367dc0958"}},
		{"gitea sends github headers too", http.Header{"X-Github-Event": {"push"}, "X-Gitea-Event": {"push"}, "X-Gitea-Delivery": {"d1"}, "X-Github-Delivery": {"d1"}},
			webhook.Delivery{Forge: webhook.Gitea, Event: "push", ID: "d1"}},
		{"forgejo", http.Header{"X-Forgejo-Event": {"pull_request"}, "X-Forgejo-Delivery": {"f1"}, "X-Gitea-Event": {"pull_request"}},
			webhook.Delivery{Forge: webhook.Gitea, Event: "pull_request", ID: "f1"}},
		{"gitlab", http.Header{"X-Gitlab-Event": {"Push Hook"}, "X-Gitlab-Event-Uuid": {"g1"}},
			webhook.Delivery{Forge: webhook.GitLab, Event: "Push Hook", ID: "g1"}},
		{"bitbucket", http.Header{"X-Event-Key": {"repo:push"}, "X-Request-Uuid": {"b1"}},
			webhook.Delivery{Forge: webhook.Bitbucket, Event: "repo:push", ID: "b1"}},
		{"no delivery id", http.Header{"X-Gitlab-Event": {"Push Hook"}},
			webhook.Delivery{Forge: webhook.GitLab, Event: "Push Hook", ID: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := webhook.Detect(tt.header, []byte("{}"))
			if err != nil || got != tt.want {
				t.Errorf("Detect(%v) = %+v, %v; want %+v", tt.header, got, err, tt.want)
			}
		})
	}
	if _, err := webhook.Detect(http.Header{}, nil); !errors.Is(err, webhook.ErrNoEvent) {
		t.Errorf("Detect(no headers) = %v, want ErrNoEvent", err)
	}
}
