package sigv4

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const upperhex = "0123456789ABCDEF"

// unreserved reports whether SigV4's UriEncode leaves c as it is (RFC 3986
// unreserved characters).
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// appendEscaped appends s to b, percent-encoding every byte but the
// unreserved ones, and '/' too unless keepSlash.
func appendEscaped(b []byte, s string, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || keepSlash && c == '/' {
			b = append(b, c)
			continue
		}
		b = append(b, '%', upperhex[c>>4], upperhex[c&15])
	}
	return b
}

func escaped(s string, keepSlash bool) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !unreserved(c) && !(keepSlash && c == '/') {
			return string(appendEscaped(make([]byte, 0, len(s)+16), s, keepSlash))
		}
	}
	return s
}

// wirePath returns the request path as the client sent it, still escaped.
func wirePath(r *http.Request) string {
	if u := r.RequestURI; u != "" && u[0] == '/' {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		return u
	}
	if r.URL == nil {
		return "/"
	}
	p := r.URL.EscapedPath()
	if p == "" {
		return "/"
	}
	return p
}

// canonicalURIs returns the canonical URI clients compute from the wire path:
// S3 signs the path as sent, every other service encodes it once more. When a
// client may have signed a differently escaped form of the same path, the
// second result is that form, else "".
func canonicalURIs(r *http.Request, s3 bool) (uri, alt string) {
	raw := wirePath(r)
	if s3 {
		uri = raw
	} else {
		uri = escaped(raw, true)
	}
	// The path re-escaped by SigV4's rules, for a client that sent it with
	// another (valid) escaping than it signed.
	dec, err := url.PathUnescape(raw)
	if err != nil {
		return uri, ""
	}
	alt = escaped(dec, true)
	if !s3 {
		alt = escaped(alt, true)
	}
	if alt == uri {
		alt = ""
	}
	return uri, alt
}

// queryParam is one decoded query parameter.
type queryParam struct{ key, value string }

// parseQuery decodes a raw query string, keeping every parameter in order.
// Unlike url.ParseQuery it fails on the first undecodable parameter, since
// the canonical request could not be built from it.
func parseQuery(raw string) ([]queryParam, error) {
	if raw == "" {
		return nil, nil
	}
	params := make([]queryParam, 0, strings.Count(raw, "&")+1)
	for raw != "" {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			return nil, err
		}
		v, err = url.QueryUnescape(v)
		if err != nil {
			return nil, err
		}
		params = append(params, queryParam{k, v})
	}
	return params, nil
}

// lookup returns the value of the first parameter named key.
func lookup(params []queryParam, key string) (string, bool) {
	for _, p := range params {
		if p.key == key {
			return p.value, true
		}
	}
	return "", false
}

// appendCanonicalQuery appends the canonical query string: every parameter
// but X-Amz-Signature when presigned, name and value URI-encoded, sorted by
// encoded name, then encoded value.
func appendCanonicalQuery(b []byte, params []queryParam, presigned bool) []byte {
	if len(params) == 0 {
		return b
	}
	enc := make([]queryParam, 0, len(params))
	for _, p := range params {
		if presigned && p.key == "X-Amz-Signature" {
			continue
		}
		enc = append(enc, queryParam{escaped(p.key, false), escaped(p.value, false)})
	}
	slices.SortFunc(enc, func(a, b queryParam) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	for i, p := range enc {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, p.key...)
		b = append(b, '=')
		b = append(b, p.value...)
	}
	return b
}

// headerValues returns the values of a signed header. Go's server moves Host,
// and for chunked bodies Content-Length and Transfer-Encoding, out of the
// header map; they are taken from the request instead.
func headerValues(r *http.Request, name string) []string {
	switch {
	case strings.EqualFold(name, "host"):
		if r.Host != "" {
			return []string{r.Host}
		}
		if r.URL != nil {
			return []string{r.URL.Host}
		}
		return nil
	case strings.EqualFold(name, "content-length"):
		if v := r.Header.Values(name); len(v) > 0 {
			return v
		}
		if r.ContentLength >= 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		return nil
	case strings.EqualFold(name, "transfer-encoding"):
		if v := r.Header.Values(name); len(v) > 0 {
			return v
		}
		return r.TransferEncoding
	}
	if v, ok := r.Header[name]; ok { // a lower-case key set directly
		return v
	}
	return r.Header.Values(name)
}

// appendHeaderValue appends v with leading and trailing whitespace removed
// and each run of spaces inside collapsed to one.
func appendHeaderValue(b []byte, v string) []byte {
	v = strings.TrimSpace(v)
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' && i > 0 && v[i-1] == ' ' {
			continue
		}
		b = append(b, v[i])
	}
	return b
}

// appendCanonicalHeaders appends one "name:values\n" line per signed header,
// in the order the client listed them.
func appendCanonicalHeaders(b []byte, r *http.Request, names []string) []byte {
	for _, name := range names {
		b = append(b, name...)
		b = append(b, ':')
		for i, v := range headerValues(r, name) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendHeaderValue(b, v)
		}
		b = append(b, '\n')
	}
	return b
}
