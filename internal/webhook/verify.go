package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
)

// Errors of Verify.
var (
	// ErrUnsigned is a delivery without the forge's signature or token.
	ErrUnsigned = errors.New("unsigned")
	// ErrBadSignature is a delivery whose signature or token is not the
	// webhook's.
	ErrBadSignature = errors.New("bad signature")
)

// SignatureHeader names the header each forge signs a delivery in.
var SignatureHeader = map[string]string{
	GitHub:    "X-Hub-Signature-256",
	Gitea:     "X-Gitea-Signature",
	Bitbucket: "X-Hub-Signature",
	GitLab:    "X-Gitlab-Token",
}

// Verify checks a delivery's signature with the webhook's secret: the
// HMAC-SHA256 of the body, hex, in X-Hub-Signature-256 (GitHub, "sha256="
// first), X-Hub-Signature (Bitbucket, "sha256=" first) or
// X-Gitea-Signature / X-Forgejo-Signature (Gitea and Forgejo, bare hex,
// or GitHub's header, which they send too); GitLab sends the secret
// itself in X-Gitlab-Token. Comparisons take constant time.
func Verify(forge string, h http.Header, body []byte, secret string) error {
	if forge == GitLab {
		tok := h.Get("X-Gitlab-Token")
		if tok == "" {
			return ErrUnsigned
		}
		if subtle.ConstantTimeCompare([]byte(tok), []byte(secret)) != 1 {
			return ErrBadSignature
		}
		return nil
	}
	var sig string
	switch forge {
	case GitHub:
		sig = prefixed(h.Get("X-Hub-Signature-256"))
	case Bitbucket:
		sig = prefixed(h.Get("X-Hub-Signature"))
	case Gitea:
		sig = first(h, "X-Forgejo-Signature", "X-Gitea-Signature")
		if sig == "" {
			sig = prefixed(h.Get("X-Hub-Signature-256"))
		}
	default:
		return ErrUnsigned
	}
	if sig == "" {
		return ErrUnsigned
	}
	got, err := hex.DecodeString(sig)
	if err != nil {
		return ErrBadSignature
	}
	if !hmac.Equal(got, Sign(secret, body)) {
		return ErrBadSignature
	}
	return nil
}

// prefixed is the hex of a "sha256=<hex>" header; a header with another
// algorithm (GitHub's older sha1=) is as good as none.
func prefixed(v string) string {
	if hexSig, ok := strings.CutPrefix(v, "sha256="); ok && hexSig != "" {
		return hexSig
	}
	if v != "" {
		return "-" // present but not sha256: fails to decode
	}
	return ""
}

// Sign returns the HMAC-SHA256 of body under secret.
func Sign(secret string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}
