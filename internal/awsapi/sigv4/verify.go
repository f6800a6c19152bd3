package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the only signing algorithm supported.
const Algorithm = "AWS4-HMAC-SHA256"

// Payload hashes a client may sign instead of the SHA-256 of the body.
const (
	UnsignedPayload                 = "UNSIGNED-PAYLOAD"
	StreamingPayload                = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingPayloadTrailer         = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	StreamingUnsignedPayloadTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
)

const (
	terminator     = "aws4_request"
	timeFormat     = "20060102T150405Z"
	emptySHA256    = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	defaultMaxSkew = 15 * time.Minute
	maxExpires     = 7 * 24 * 60 * 60 // seconds
)

// Verifier checks SigV4-signed requests. Its zero value rejects every access
// key; set Secret to accept some. A Verifier is safe for concurrent use and
// must not be copied after first use, as it caches derived signing keys.
type Verifier struct {
	// Secret returns the secret access key of an access key id, and ok=false
	// when the key is unknown. A non-nil error aborts the verification and is
	// returned as is.
	Secret func(ctx context.Context, accessKeyID string) (secret string, ok bool, err error)
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// MaxSkew is how far the request time may be from now; 0 means 15
	// minutes, as AWS allows.
	MaxSkew time.Duration
	// Region, when set, is the only region a credential scope may name.
	// When empty any well-formed region is accepted.
	Region string

	keys keyCache
}

// Result describes a request that passed verification.
type Result struct {
	// AccessKeyID, Region, Service and Date (yyyymmdd) form the credential
	// scope.
	AccessKeyID, Region, Service, Date string
	// Time is the request time from X-Amz-Date (or Date), in UTC.
	Time time.Time
	// Presigned is set when the credentials came in the query string.
	Presigned bool
	// PayloadHash is the payload hash the signature covers: the hex SHA-256
	// of the body, UnsignedPayload, or one of the Streaming… values. When
	// Verify was given no body, the caller must check the body against it.
	PayloadHash string
	// Signature is the request's signature, the seed of an aws-chunked body's
	// chain of chunk signatures.
	Signature string
	// SigningKey is the key derived from the secret for the credential
	// scope. It signs the chunks of an aws-chunked body.
	SigningKey []byte
}

// scope returns the credential scope, date/region/service/aws4_request.
func (r *Result) scope() string {
	return r.Date + "/" + r.Region + "/" + r.Service + "/" + terminator
}

// authInfo is what the client sent to authenticate, from the Authorization
// header or the query string.
type authInfo struct {
	presigned     bool
	header        string // the Authorization header
	algorithm     string
	credential    string
	signedHeaders string
	signature     string
	date          string // X-Amz-Date, or Date converted to its format
	expires       string
	hasExpires    bool
}

// Verify checks the signature of r for the signing name service ("codebuild",
// "logs", "s3", …), which the credential scope must name.
//
// body is the whole request body when the caller has read it, as JSON APIs
// do; its SHA-256 is then what the signature must cover, and an
// X-Amz-Content-Sha256 header must match it. body is nil when the body is
// streamed, as for S3: then the X-Amz-Content-Sha256 header is trusted for
// the signature and returned in Result.PayloadHash for the caller to check
// once it has read the body. A request without that header and without a
// body has the empty payload.
//
// For "s3" the path is signed as sent; for any other service it is
// URI-encoded once more, as the SDKs do.
//
// A failed verification returns an *Error; any other error comes from
// Secret.
func (v *Verifier) Verify(r *http.Request, body []byte, service string) (*Result, error) {
	var rawQuery string
	if r.URL != nil {
		rawQuery = r.URL.RawQuery
	}
	query, qerr := parseQuery(rawQuery)
	authHeader := r.Header.Get("Authorization")
	_, queryAuth := lookup(query, "X-Amz-Algorithm")
	if qerr != nil && authHeader == "" {
		// X-Amz-Algorithm may hide behind the undecodable parameter.
		queryAuth = strings.Contains(rawQuery, "X-Amz-Algorithm")
	}
	switch {
	case authHeader != "" && queryAuth:
		return nil, newError(Malformed, msgBothAuth, msgS3BothAuth, true).
			withCode("InvalidSignatureException", http.StatusBadRequest).
			withS3Code("InvalidArgument", http.StatusBadRequest)
	case authHeader == "" && !queryAuth:
		return nil, newError(Missing, msgMissing, msgS3AccessDenied, false)
	case qerr != nil:
		msg := "Illegal hex character in escape % pattern: " + qerr.Error()
		var ee url.EscapeError
		if errors.As(qerr, &ee) {
			msg = "Illegal hex character in escape % pattern: " + string(ee)
			if len(ee) < 3 {
				msg = "Incomplete trailing escape % sequence"
			}
		}
		return nil, newError(Malformed, msg, msg, queryAuth).withS3Code("InvalidArgument", http.StatusBadRequest)
	}

	var a *authInfo
	var err *Error
	if queryAuth {
		a, err = fromQuery(query, service == "s3")
	} else {
		a, err = fromHeader(r, authHeader)
	}
	if err != nil {
		return nil, err
	}
	t, err := a.parseTime()
	if err != nil {
		return nil, err
	}
	if err := v.checkTime(a, t); err != nil {
		return nil, err
	}
	signed, err := a.parseSignedHeaders()
	if err != nil {
		return nil, err
	}
	if err := a.checkAlgorithm(); err != nil {
		return nil, err
	}
	res, err := v.checkScope(a, service)
	if err != nil {
		return nil, err
	}
	res.Time = t
	if v.Secret == nil {
		return nil, newError(UnknownKey, msgUnknownKey, msgS3UnknownKey, a.presigned)
	}
	secret, ok, serr := v.Secret(r.Context(), res.AccessKeyID)
	if serr != nil {
		return nil, fmt.Errorf("look up access key %q: %w", res.AccessKeyID, serr)
	}
	if !ok {
		return nil, newError(UnknownKey, msgUnknownKey, msgS3UnknownKey, a.presigned)
	}

	payloads, bodyHash, err := payloadHashes(r, a, query, body)
	if err != nil {
		return nil, err
	}
	res.Signature = a.signature
	key := v.keys.get(secret, res.Date, res.Region, res.Service)

	// Clients agree on the canonical request but for details: how a path is
	// escaped, and which payload hash a presigned URL signs. The first
	// candidates are the common choice; the others cost time only when the
	// request fails anyway.
	uri, altURI := canonicalURIs(r, service == "s3")
	var creq, sts []byte
	ok = false
	for _, u := range [...]string{uri, altURI} {
		for _, p := range payloads {
			if u == "" || p == "" || ok {
				continue
			}
			var c, s []byte
			c, s, ok = check(r, a, query, signed, u, p, res, key)
			if creq == nil {
				creq, sts = c, s
			}
			if ok {
				res.PayloadHash = p
			}
		}
	}
	if !ok {
		e := newError(Mismatch, msgMismatch, msgS3Mismatch, a.presigned)
		e.CanonicalRequest, e.StringToSign = string(creq), string(sts)
		return nil, e
	}
	if bodyHash != "" && isSHA256(res.PayloadHash) && res.PayloadHash != bodyHash {
		return nil, newError(PayloadHash, msgPayloadHash, msgPayloadHash, a.presigned)
	}
	res.SigningKey = append([]byte(nil), key...)
	return res, nil
}

// check builds the canonical request and the string to sign, and reports
// whether the signature matches.
func check(r *http.Request, a *authInfo, query []queryParam, signed []string, uri, payload string, res *Result, key []byte) (creq, sts []byte, ok bool) {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	b := make([]byte, 0, 512)
	b = append(b, method...)
	b = append(b, '\n')
	b = append(b, uri...)
	b = append(b, '\n')
	b = appendCanonicalQuery(b, query, a.presigned)
	b = append(b, '\n')
	b = appendCanonicalHeaders(b, r, signed)
	b = append(b, '\n')
	b = append(b, a.signedHeaders...)
	b = append(b, '\n')
	b = append(b, payload...)
	sum := sha256.Sum256(b)

	s := make([]byte, 0, 160)
	s = append(s, Algorithm...)
	s = append(s, '\n')
	s = append(s, a.date...)
	s = append(s, '\n')
	s = append(s, res.scope()...)
	s = append(s, '\n')
	s = hex.AppendEncode(s, sum[:])
	h := hmac.New(sha256.New, key)
	h.Write(s)
	want := hex.AppendEncode(make([]byte, 0, 64), h.Sum(nil))
	return b, s, hmac.Equal(want, []byte(a.signature))
}

// fromHeader parses an Authorization header such as
// "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/logs/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=…".
func fromHeader(r *http.Request, h string) (*authInfo, *Error) {
	a := &authInfo{header: h}
	rest := strings.TrimSpace(h)
	a.algorithm, rest, _ = strings.Cut(rest, " ")
	for _, tok := range strings.FieldsFunc(rest, func(c rune) bool { return c == ',' || c == ' ' || c == '\t' }) {
		k, val, ok := strings.Cut(tok, "=")
		if !ok {
			if !strings.HasPrefix(a.algorithm, "AWS4") {
				continue // not SigV4 at all; reported as missing parameters below
			}
			msg := fmt.Sprintf("'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", tok, h)
			return nil, newError(Malformed, msg, msgS3HeaderPrefix+fmt.Sprintf("the authorization component %q is malformed.", tok), false)
		}
		switch k {
		case "Credential":
			a.credential = val
		case "SignedHeaders":
			a.signedHeaders = val
		case "Signature":
			a.signature = val
		}
	}
	if x := r.Header.Get("X-Amz-Date"); x != "" {
		a.date = x
	} else if d := r.Header.Get("Date"); d != "" {
		if t, err := http.ParseTime(d); err == nil {
			a.date = t.UTC().Format(timeFormat)
		} else {
			a.date = d // rejected by parseTime
		}
	}

	var missing []string
	for _, p := range []struct{ name, val string }{
		{"Credential", a.credential}, {"Signature", a.signature}, {"SignedHeaders", a.signedHeaders},
	} {
		if p.val == "" {
			missing = append(missing, "Authorization header requires '"+p.name+"' parameter.")
		}
	}
	if a.date == "" {
		missing = append(missing, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
	}
	if len(missing) > 0 {
		msg := strings.Join(missing, " ") + " Authorization=" + h
		e := newError(Malformed, msg, msgS3HeaderPrefix+"the authorization header requires three components: Credential, SignedHeaders, and Signature.", false)
		if a.credential != "" && a.signature != "" && a.signedHeaders != "" {
			e.S3Message = msgS3NeedDate
			e.withS3Code("AccessDenied", http.StatusForbidden)
		}
		return nil, e
	}
	return a, nil
}

// fromQuery reads presigned-URL parameters. S3 also requires X-Amz-Expires.
func fromQuery(q []queryParam, needExpires bool) (*authInfo, *Error) {
	a := &authInfo{presigned: true}
	var missing []string
	for _, p := range []struct {
		name string
		dst  *string
	}{
		{"X-Amz-Algorithm", &a.algorithm},
		{"X-Amz-Credential", &a.credential},
		{"X-Amz-Signature", &a.signature},
		{"X-Amz-SignedHeaders", &a.signedHeaders},
		{"X-Amz-Date", &a.date},
	} {
		*p.dst, _ = lookup(q, p.name)
		if *p.dst == "" {
			missing = append(missing, "AWS query-string parameters must include '"+p.name+"'.")
		}
	}
	a.expires, a.hasExpires = lookup(q, "X-Amz-Expires")
	if needExpires && !a.hasExpires {
		missing = append(missing, "AWS query-string parameters must include 'X-Amz-Expires'.")
	}
	if len(missing) > 0 {
		return nil, newError(Malformed, strings.Join(missing, " ")+" Re-examine the query-string parameters.", msgS3QueryParams, true)
	}
	return a, nil
}

// parseTime parses the request time, which must be in ISO 8601 basic format
// (20260101T000000Z).
func (a *authInfo) parseTime() (time.Time, *Error) {
	s := a.date
	ok := len(s) == len(timeFormat) && s[8] == 'T' && s[15] == 'Z'
	for i := 0; ok && i < 15; i++ {
		ok = i == 8 || '0' <= s[i] && s[i] <= '9'
	}
	var t time.Time
	if ok {
		var err error
		t, err = time.Parse(timeFormat, s)
		ok = err == nil
	}
	if !ok {
		msg := fmt.Sprintf("Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", s)
		if a.presigned {
			return t, newError(Malformed, msg, "X-Amz-Date must be in the ISO8601 Long Format", true)
		}
		return t, newError(Malformed, msg, msgS3NeedDate, false).withS3Code("AccessDenied", http.StatusForbidden)
	}
	return t, nil
}

// checkTime rejects a request time too far from now, and a presigned URL
// past its expiry.
func (v *Verifier) checkTime(a *authInfo, t time.Time) *Error {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	n := now().UTC()
	skew := v.MaxSkew
	if skew <= 0 {
		skew = defaultMaxSkew
	}
	if t.Sub(n) > skew {
		msg := fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %s)",
			a.date, n.Add(skew).Format(timeFormat), n.Format(timeFormat), skewText(skew))
		if a.presigned {
			return newError(Expired, msg, msgS3NotYetValid, true).withS3Code("AccessDenied", http.StatusForbidden)
		}
		return newError(Expired, msg, msgS3Skewed, false)
	}
	if a.presigned && a.hasExpires {
		secs, err := parseExpires(a.expires)
		if err != nil {
			return err
		}
		if end := t.Add(time.Duration(secs) * time.Second); n.After(end) {
			msg := fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %d sec.)",
				end.Format(timeFormat), n.Format(timeFormat), n.Format(timeFormat), secs)
			return newError(Expired, msg, msgS3Expired, true).withS3Code("AccessDenied", http.StatusForbidden)
		}
		return nil
	}
	if n.Sub(t) > skew {
		msg := fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s)",
			a.date, n.Add(-skew).Format(timeFormat), n.Format(timeFormat), skewText(skew))
		if a.presigned {
			return newError(Expired, msg, msgS3Expired, true).withS3Code("AccessDenied", http.StatusForbidden)
		}
		return newError(Expired, msg, msgS3Skewed, false)
	}
	return nil
}

// skewText words a skew the way AWS does: "15 min.".
func skewText(d time.Duration) string {
	if d%time.Minute == 0 {
		return strconv.FormatInt(int64(d/time.Minute), 10) + " min."
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + " sec."
}

// parseExpires parses X-Amz-Expires: seconds, at most a week.
func parseExpires(s string) (int64, *Error) {
	if strings.HasPrefix(s, "-") {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return 0, newError(Malformed, msgExpiresNegative, msgExpiresNegative, true)
		}
	}
	ok := s != "" && len(s) <= 18
	for i := 0; ok && i < len(s); i++ {
		ok = '0' <= s[i] && s[i] <= '9'
	}
	if !ok {
		return 0, newError(Malformed, msgExpiresNumber, msgExpiresNumber, true)
	}
	secs, _ := strconv.ParseInt(s, 10, 64)
	if secs > maxExpires {
		return 0, newError(Malformed, msgExpiresTooLarge, msgExpiresTooLarge, true)
	}
	return secs, nil
}

// parseSignedHeaders splits SignedHeaders, which must name host.
func (a *authInfo) parseSignedHeaders() ([]string, *Error) {
	names := strings.Split(a.signedHeaders, ";")
	host := false
	for _, n := range names {
		if n == "" {
			msg := fmt.Sprintf("SignedHeaders must be a semicolon-separated list of header names, got '%s'.", a.signedHeaders)
			return nil, newError(Malformed, msg, s3Malformed(a, fmt.Sprintf("the authorization component %q is malformed.", "SignedHeaders="+a.signedHeaders)), a.presigned)
		}
		host = host || strings.EqualFold(n, "host")
	}
	if !host {
		return nil, newError(Malformed, msgHostNotSigned, s3Malformed(a, "host must be signed."), a.presigned).
			withCode("InvalidSignatureException", http.StatusBadRequest)
	}
	return names, nil
}

// s3Malformed prefixes an S3 message for a malformed header.
func s3Malformed(a *authInfo, msg string) string {
	if a.presigned {
		return msg
	}
	return msgS3HeaderPrefix + msg
}

func (a *authInfo) checkAlgorithm() *Error {
	if a.algorithm == Algorithm {
		return nil
	}
	msg := fmt.Sprintf("Unsupported AWS 'algorithm': '%s' (only AWS4-HMAC-SHA256 for now). ", a.algorithm)
	if a.presigned {
		return newError(Malformed, msg, `X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`, true)
	}
	return newError(Malformed, msg, msgS3BadMechanism, false).withS3Code("InvalidRequest", http.StatusBadRequest)
}

// checkScope parses the credential, AKID/date/region/service/aws4_request,
// and checks its scope against the request.
func (v *Verifier) checkScope(a *authInfo, service string) (*Result, *Error) {
	cred := strings.TrimRight(a.credential, "/") // AWS ignores trailing slashes
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		msg := fmt.Sprintf("Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", a.credential)
		s3msg := msgS3HeaderPrefix + msgS3CredShape
		if a.presigned {
			s3msg = msgS3QueryCredPre + msgS3CredShape
		}
		return nil, newError(Malformed, msg, s3msg, a.presigned)
	}
	res := &Result{
		AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3],
		Presigned: a.presigned,
	}
	s3pre := msgS3HeaderPrefix
	if a.presigned {
		s3pre = msgS3QueryCredPre
	}
	var msgs []string
	var s3msg string
	s3first := func(m string) {
		if s3msg == "" {
			s3msg = m
		}
	}
	if !validRegion(res.Region) || v.Region != "" && res.Region != v.Region {
		msgs = append(msgs, "Credential should be scoped to a valid region.")
		want := v.Region
		if want == "" {
			want = "a region such as us-east-1"
		}
		s3first(s3pre + fmt.Sprintf("the region '%s' is wrong; expecting '%s'", res.Region, want))
	}
	if res.Service != service {
		msgs = append(msgs, fmt.Sprintf("Credential should be scoped to correct service: '%s'.", service))
		s3first(s3pre + fmt.Sprintf("incorrect service %q. This endpoint belongs to %q.", res.Service, service))
	}
	if parts[4] != terminator {
		msgs = append(msgs, fmt.Sprintf("Credential should be scoped with a valid terminator: 'aws4_request', not '%s'.", parts[4]))
		s3first(s3pre + msgS3CredShape)
	}
	if res.Date != a.date[:8] {
		msgs = append(msgs, fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", res.Date, a.date[:8], a.date))
		if a.presigned {
			s3first(msgS3DateMismatch)
		} else {
			s3first(msgS3HeaderPrefix + msgS3DateMismatch)
		}
	}
	if len(msgs) > 0 {
		return nil, newError(Scope, strings.Join(msgs, " ")+" ", s3msg, a.presigned)
	}
	return res, nil
}

// validRegion accepts names like us-east-1 or local.
func validRegion(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// payloadHashes returns the payload hash the signature should cover, maybe
// followed by a second one some clients sign instead, and, when body was
// given, the hex SHA-256 of body.
func payloadHashes(r *http.Request, a *authInfo, query []queryParam, body []byte) (payloads [2]string, bodyHash string, err *Error) {
	if body != nil {
		sum := sha256.Sum256(body)
		bodyHash = hex.EncodeToString(sum[:])
	}
	known := bodyHash
	if known == "" && r.ContentLength == 0 {
		known = emptySHA256
	}
	p := r.Header.Get("X-Amz-Content-Sha256")
	if p == "" && a.presigned {
		p, _ = lookup(query, "X-Amz-Content-Sha256")
	}
	switch {
	case p != "":
		switch p {
		case UnsignedPayload, StreamingPayload, StreamingPayloadTrailer, StreamingUnsignedPayloadTrailer:
		default:
			if !isSHA256(p) {
				return payloads, "", newError(Malformed, msgBadContentSHA, msgBadContentSHA, a.presigned).
					withS3Code("InvalidArgument", http.StatusBadRequest)
			}
		}
		return [2]string{p}, bodyHash, nil
	case a.presigned:
		// boto3 presigns UNSIGNED-PAYLOAD, the Go SDK the body's hash.
		return [2]string{UnsignedPayload, known}, bodyHash, nil
	case known != "":
		return [2]string{known}, bodyHash, nil
	}
	return payloads, "", newError(Malformed, msgNeedContentSHA, msgNeedContentSHA, false).
		withS3Code("InvalidRequest", http.StatusBadRequest)
}

// isSHA256 reports whether s is a lower-case hex SHA-256.
func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
