package awsapi

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/codeyard/codeyard/internal/blob"
)

func (s *S3) putObject(q *s3Request) error {
	opts, err := putOptions(q.r.Header)
	if err != nil {
		return err
	}
	wantMD5, err := contentMD5(q.r.Header)
	if err != nil {
		return err
	}
	if err := blob.CheckKey(q.key); err != nil {
		return err
	}
	p, err := q.body(maxObjectSize)
	if err != nil {
		return err
	}
	check := p.check(wantMD5)
	ifMatch, ifNoneMatch := q.r.Header.Get("If-Match"), q.r.Header.Get("If-None-Match")
	opts.Check = func(o *blob.Object, sum []byte) error {
		if err := check(o, sum); err != nil {
			return err
		}
		if ifMatch == "" && ifNoneMatch == "" {
			return nil
		}
		// Conditional writes: checked once the body is in, just before it
		// replaces the object.
		cur, err := s.stat(q, q.bucket, q.key)
		exists := err == nil
		if err != nil && !errors.Is(err, blob.ErrNoSuchKey) {
			return err
		}
		switch {
		case ifNoneMatch != "" && exists && (ifNoneMatch == "*" || etagMatch(ifNoneMatch, cur.ETag)):
			return s3Err(http.StatusPreconditionFailed, "PreconditionFailed", msgPrecondition, "Condition", "If-None-Match")
		case ifMatch != "" && !exists:
			return s3Err(http.StatusNotFound, "NoSuchKey", msgNoSuchKey, "Key", q.key)
		case ifMatch != "" && !etagMatch(ifMatch, cur.ETag):
			return s3Err(http.StatusPreconditionFailed, "PreconditionFailed", msgPrecondition, "Condition", "If-Match")
		}
		return nil
	}
	obj, err := s.cfg.Store.Put(q.r.Context(), q.bucket, q.key, p, opts)
	if err != nil {
		return err
	}
	h := q.w.Header()
	h.Set("ETag", quoteETag(obj.ETag))
	setVersionHeaders(h, obj)
	for alg, v := range obj.Checksums {
		h.Set(checksumHeader(alg), v)
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *S3) stat(q *s3Request, bucket, key string) (blob.Object, error) {
	rd, err := s.cfg.Store.Open(q.r.Context(), bucket, key)
	if err != nil {
		return blob.Object{}, err
	}
	defer rd.Close()
	return rd.Object(), nil
}

// etagMatch reports whether a list of entity tags (If-Match,
// If-None-Match) names etag or is "*".
func etagMatch(list, etag string) bool {
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.Trim(strings.TrimPrefix(t, "W/"), `"`) == etag {
			return true
		}
	}
	return false
}

// preconditions evaluates If-Match, If-Unmodified-Since, If-None-Match
// and If-Modified-Since (RFC 9110 section 13.2.2, as S3 does): 0 to go
// on, 304 or 412, with the header that decided.
func preconditions(h http.Header, prefix, etag string, modified time.Time) (status int, cond string) {
	modified = modified.Truncate(time.Second)
	get := func(name string) string { return h.Get(prefix + name) }
	since := func(name string) (time.Time, bool) {
		t, err := http.ParseTime(get(name))
		return t, err == nil
	}
	if v := get("If-Match"); v != "" {
		if !etagMatch(v, etag) {
			return http.StatusPreconditionFailed, "If-Match"
		}
	} else if t, ok := since("If-Unmodified-Since"); ok && modified.After(t) {
		return http.StatusPreconditionFailed, "If-Unmodified-Since"
	}
	if v := get("If-None-Match"); v != "" {
		if etagMatch(v, etag) {
			return http.StatusNotModified, "If-None-Match"
		}
	} else if t, ok := since("If-Modified-Since"); ok && !modified.After(t) {
		return http.StatusNotModified, "If-Modified-Since"
	}
	return 0, ""
}

// parseRange parses a Range header against an object of size bytes: ok
// false to send the whole object (no header, or one S3 ignores), an
// InvalidRange error when it cannot be satisfied.
func parseRange(v string, size int64) (start, n int64, ok bool, err error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, nil
	}
	unsatisfiable := func() error {
		e := s3Err(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The requested range is not satisfiable",
			"RangeRequested", v, "ActualObjectSize", strconv.FormatInt(size, 10))
		e.Header = http.Header{"Content-Range": {"bytes */" + strconv.FormatInt(size, 10)}}
		return e
	}
	if first == "" {
		k, err := strconv.ParseInt(last, 10, 64)
		if err != nil || k < 0 {
			return 0, 0, false, nil
		}
		if k == 0 {
			return 0, 0, false, unsatisfiable()
		}
		k = min(k, size)
		return size - k, k, true, nil
	}
	a, err := strconv.ParseInt(first, 10, 64)
	if err != nil || a < 0 {
		return 0, 0, false, nil
	}
	b := size - 1
	if last != "" {
		if b, err = strconv.ParseInt(last, 10, 64); err != nil || b < a {
			return 0, 0, false, nil
		}
		b = min(b, size-1)
	}
	if a >= size {
		return 0, 0, false, unsatisfiable()
	}
	return a, b - a + 1, true, nil
}

// getObject serves GetObject and HeadObject.
func (s *S3) getObject(q *s3Request) error {
	vid, err := versionParam(q)
	if err != nil {
		return err
	}
	rd, err := s.cfg.Store.OpenVersion(q.r.Context(), q.bucket, q.key, vid)
	if err != nil {
		return err
	}
	defer rd.Close()
	o := rd.Object()
	h := q.w.Header()
	h.Set("ETag", quoteETag(o.ETag))
	setVersionHeaders(h, o)
	h.Set("Last-Modified", o.Modified.UTC().Format(http.TimeFormat))
	switch status, cond := preconditions(q.r.Header, "", o.ETag, o.Modified); status {
	case http.StatusNotModified:
		q.w.WriteHeader(status)
		return nil
	case http.StatusPreconditionFailed:
		return s3Err(status, "PreconditionFailed", msgPrecondition, "Condition", cond)
	}
	ct := o.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("Accept-Ranges", "bytes")
	for k, v := range o.Headers {
		h.Set(k, v)
	}
	for k, v := range o.Meta {
		h["X-Amz-Meta-"+k] = []string{v}
	}
	v := q.r.URL.Query()
	for _, name := range []string{"Content-Type", "Content-Language", "Expires", "Cache-Control", "Content-Disposition", "Content-Encoding"} {
		if x := v.Get("response-" + strings.ToLower(name)); x != "" {
			h.Set(name, x)
		}
	}
	start, n := int64(0), o.Size
	status := http.StatusOK
	if pn := v.Get("partNumber"); pn != "" {
		num, err := strconv.Atoi(pn)
		if err != nil || num < 1 || num > blob.MaxParts {
			return errInvalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", pn)
		}
		if num > 1 && num > o.Parts {
			e := s3Err(http.StatusRequestedRangeNotSatisfiable, "InvalidPartNumber", "The requested partnumber is not satisfiable", "PartNumberRequested", pn, "ActualPartCount", strconv.Itoa(max(o.Parts, 1)))
			return e
		}
		// A part of a multipart object is served as a range of it, as S3
		// does. An object stored before parts were kept is served whole,
		// without a parts count, so that a client reads it once.
		if pr, ok := rd.(blob.PartRanger); ok && o.Parts > 0 {
			if a, k, ok := pr.PartRange(num); ok {
				h.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(o.Parts))
				start, n, status = a, k, http.StatusPartialContent
				if k > 0 { // (only a last part may be empty)
					h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", a, a+k-1, o.Size))
				}
			}
		}
	} else if rng := q.r.Header.Get("Range"); rng != "" {
		a, k, ok, err := parseRange(rng, o.Size)
		if err != nil {
			return err
		}
		if ok {
			start, n, status = a, k, http.StatusPartialContent
			h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", a, a+k-1, o.Size))
		}
	}
	if status == http.StatusOK && strings.EqualFold(q.r.Header.Get("X-Amz-Checksum-Mode"), "ENABLED") {
		for alg, v := range o.Checksums {
			h.Set(checksumHeader(alg), v)
		}
		if len(o.Checksums) > 0 {
			h.Set("X-Amz-Checksum-Type", "FULL_OBJECT")
		}
	}
	h.Set("Content-Length", strconv.FormatInt(n, 10))
	q.w.WriteHeader(status)
	if q.r.Method == http.MethodHead || n == 0 {
		return nil
	}
	if _, err := rd.WriteRange(q.w, start, n); err != nil {
		// The status is sent: all that is left is to cut the response short.
		q.log.DebugContext(q.r.Context(), "send object", "bucket", q.bucket, "key", q.key, "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

func (s *S3) deleteObject(q *s3Request) error {
	if q.r.Header.Get("X-Amz-Mfa") != "" {
		return errNoMFA()
	}
	vid, err := versionParam(q)
	if err != nil {
		return err
	}
	o, err := s.cfg.Store.DeleteVersion(q.r.Context(), q.bucket, q.key, vid)
	if err != nil {
		return err
	}
	setVersionHeaders(q.w.Header(), o)
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// copySource parses x-amz-copy-source: "bucket/key" or "/bucket/key",
// URL-encoded, maybe with ?versionId=.
func copySource(v string) (bucket, key, versionID string, err error) {
	v, vid, hasVersion := strings.Cut(v, "?versionId=")
	dec, uerr := url.PathUnescape(v)
	if uerr != nil {
		return "", "", "", errInvalidArgument("Invalid copy source encoding", "x-amz-copy-source", v)
	}
	dec = strings.TrimPrefix(dec, "/")
	bucket, key, ok := strings.Cut(dec, "/")
	if !ok || bucket == "" || key == "" {
		return "", "", "", errInvalidArgument("Invalid copy source object key", "x-amz-copy-source", v)
	}
	if hasVersion {
		if versionID, err = parseVersionID(vid, "x-amz-copy-source"); err != nil {
			return "", "", "", err
		}
	}
	return bucket, key, versionID, nil
}

// openCopySource opens the source of a copy and checks its
// x-amz-copy-source-if-* conditions.
func (s *S3) openCopySource(q *s3Request) (blob.Reader, error) {
	sb, sk, sv, err := copySource(q.r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return nil, err
	}
	rd, err := s.cfg.Store.OpenVersion(q.r.Context(), sb, sk, sv)
	if err != nil {
		switch {
		case errors.Is(err, blob.ErrDeleteMarker):
			return nil, s3Err(http.StatusBadRequest, "InvalidRequest", "The source of a copy request may not specifically refer to a delete marker by version id.")
		case errors.Is(err, blob.ErrNoSuchVersion):
			return nil, s3Err(http.StatusNotFound, "NoSuchVersion", "The specified version does not exist.", "Key", sk, "VersionId", sv)
		}
		if errors.Is(err, blob.ErrNoSuchKey) {
			return nil, s3Err(http.StatusNotFound, "NoSuchKey", msgNoSuchKey, "Key", sk)
		}
		if errors.Is(err, blob.ErrNoSuchBucket) {
			return nil, s3Err(http.StatusNotFound, "NoSuchBucket", msgNoSuchBucket, "BucketName", sb)
		}
		return nil, err
	}
	o := rd.Object()
	if status, cond := preconditions(q.r.Header, "X-Amz-Copy-Source-", o.ETag, o.Modified); status != 0 {
		rd.Close()
		return nil, s3Err(http.StatusPreconditionFailed, "PreconditionFailed", msgPrecondition, "Condition", "x-amz-copy-source-"+strings.ToLower(cond))
	}
	if o.VersionID != "" {
		q.w.Header().Set("X-Amz-Copy-Source-Version-Id", o.VersionID)
	}
	return rd, nil
}

type copyResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	LastModified string
	ETag         string
}

func (s *S3) copyObject(q *s3Request) error {
	if err := blob.CheckKey(q.key); err != nil {
		return err
	}
	rd, err := s.openCopySource(q)
	if err != nil {
		return err
	}
	defer rd.Close()
	src := rd.Object()
	var opts blob.PutOptions
	switch d := q.r.Header.Get("X-Amz-Metadata-Directive"); d {
	case "", "COPY":
		sb, sk, sv, _ := copySource(q.r.Header.Get("X-Amz-Copy-Source"))
		if sb == q.bucket && sk == q.key && sv == "" && q.r.Header.Get("X-Amz-Storage-Class") == "" && q.r.Header.Get("X-Amz-Website-Redirect-Location") == "" {
			return s3Err(http.StatusBadRequest, "InvalidRequest", "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
		}
		opts = blob.PutOptions{ContentType: src.ContentType, Headers: src.Headers, Meta: src.Meta}
	case "REPLACE":
		if opts, err = putOptions(q.r.Header); err != nil {
			return err
		}
	default:
		return errInvalidArgument("Unknown metadata directive.", "x-amz-metadata-directive", d)
	}
	checksums := src.Checksums
	opts.Check = func(o *blob.Object, _ []byte) error {
		if o.Size == src.Size {
			o.Checksums = checksums
		}
		return nil
	}
	obj, err := s.cfg.Store.Put(q.r.Context(), q.bucket, q.key, io.NewSectionReader(rd, 0, src.Size), opts)
	if err != nil {
		return err
	}
	setVersionHeaders(q.w.Header(), obj)
	return q.writeXML(copyResult{LastModified: s3Time(obj.Modified), ETag: quoteETag(obj.ETag)})
}
