package awsapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/codeyard/codeyard/internal/awsapi/sigv4"
	"github.com/codeyard/codeyard/internal/blob"
)

// ObjectStore is the store the S3 API serves; *blob.Disk is one.
type ObjectStore interface {
	CreateBucket(ctx context.Context, name, region string) error
	DeleteBucket(ctx context.Context, name string) error
	Bucket(ctx context.Context, name string) (blob.Bucket, error)
	ListBuckets(ctx context.Context) ([]blob.Bucket, error)

	Put(ctx context.Context, bucket, key string, r io.Reader, o blob.PutOptions) (blob.Object, error)
	Open(ctx context.Context, bucket, key string) (blob.Reader, error)
	OpenVersion(ctx context.Context, bucket, key, versionID string) (blob.Reader, error)
	DeleteVersion(ctx context.Context, bucket, key, versionID string) (blob.Object, error)
	List(ctx context.Context, bucket string, q blob.ListQuery) (blob.ListResult, error)
	ListVersions(ctx context.Context, bucket string, q blob.VersionQuery) (blob.VersionResult, error)
	Versioning(ctx context.Context, bucket string) (string, error)
	SetVersioning(ctx context.Context, bucket, state string) error

	CreateUpload(ctx context.Context, bucket, key string, o blob.PutOptions) (string, error)
	PutPart(ctx context.Context, bucket, key, id string, n int, r io.Reader, check func(*blob.Object, []byte) error) (blob.Part, error)
	ListParts(ctx context.Context, bucket, key, id string) (blob.Upload, []blob.Part, error)
	ListUploads(ctx context.Context, bucket string) ([]blob.Upload, error)
	AbortUpload(ctx context.Context, bucket, key, id string) error
	CompleteUpload(ctx context.Context, bucket, key, id string, parts []blob.PartRef) (blob.Object, error)
}

var _ ObjectStore = (*blob.Disk)(nil)

// S3Config configures an S3 handler.
type S3Config struct {
	Account string
	Keys    Keys
	Store   ObjectStore
	Log     *slog.Logger
	// Domains are the host names whose subdomains name a bucket
	// (virtual-hosted-style requests): with "localhost", a request to
	// photos.localhost:4580 addresses the bucket photos. Hosts of the form
	// <bucket>.s3.<anything> always do. nil means "localhost".
	Domains []string
	// Now is the clock requests are checked against; nil: time.Now.
	Now func() time.Time
}

// S3 serves the S3 REST API (XML, path-style and virtual-hosted-style
// requests, SigV4 in the Authorization header or the query string, and
// aws-chunked bodies) from an ObjectStore. Register it as the Server's
// Fallback.
type S3 struct {
	cfg      S3Config
	log      *slog.Logger
	verifier *sigv4.Verifier
	owner    s3Owner
}

// NewS3 returns an S3 handler.
func NewS3(cfg S3Config) *S3 {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Domains == nil {
		cfg.Domains = []string{"localhost"}
	}
	sum := sha256.Sum256([]byte("codeyard:" + cfg.Account))
	s := &S3{cfg: cfg, log: cfg.Log, owner: s3Owner{ID: hex.EncodeToString(sum[:])}}
	s.verifier = &sigv4.Verifier{
		Now: cfg.Now,
		Secret: func(ctx context.Context, id string) (string, bool, error) {
			secret, _, ok, err := cfg.Keys.AccessKey(ctx, id)
			return secret, ok, err
		},
	}
	return s
}

// s3Request is one request being served.
type s3Request struct {
	w         http.ResponseWriter
	r         *http.Request
	id        string
	bucket    string
	key       string
	auth      *sigv4.Result
	principal Principal
	log       *slog.Logger
}

// s3Error is an error S3 answers with, as XML.
type s3Error struct {
	Code    string
	Message string
	Status  int
	// Fields are more elements of the Error document, such as BucketName,
	// Key or Condition, in order.
	Fields [][2]string
	// Header are headers to add, such as Content-Range.
	Header http.Header
}

func (e *s3Error) Error() string { return e.Code + ": " + e.Message }

func s3Err(status int, code, msg string, fields ...string) *s3Error {
	e := &s3Error{Code: code, Message: msg, Status: status}
	for i := 0; i+1 < len(fields); i += 2 {
		e.Fields = append(e.Fields, [2]string{fields[i], fields[i+1]})
	}
	return e
}

// S3's messages, as its documentation and responses word them.
const (
	msgNoSuchBucket   = "The specified bucket does not exist"
	msgNoSuchKey      = "The specified key does not exist."
	msgNoSuchUpload   = "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed."
	msgInvalidDigest  = "The Content-MD5 you specified was invalid."
	msgBadDigest      = "The Content-MD5 you specified did not match what we received."
	msgMalformedXML   = "The XML you provided was not well-formed or did not validate against our published schema"
	msgPrecondition   = "At least one of the pre-conditions you specified did not hold"
	msgInternal       = "We encountered an internal error. Please try again."
	msgNotImplemented = "A header you provided implies functionality that is not implemented"
)

func errInvalidArgument(msg, name, value string) *s3Error {
	return s3Err(http.StatusBadRequest, "InvalidArgument", msg, "ArgumentName", name, "ArgumentValue", value)
}

func errMalformedXML() *s3Error {
	return s3Err(http.StatusBadRequest, "MalformedXML", msgMalformedXML)
}

// mapBlobError maps the store's errors to S3's.
func (q *s3Request) mapBlobError(err error) *s3Error {
	var pe *blob.PartError
	var me *blob.MarkerError
	switch {
	case errors.As(err, &me):
		return q.markerError(me)
	case errors.Is(err, blob.ErrNoSuchVersion):
		return s3Err(http.StatusNotFound, "NoSuchVersion", "The specified version does not exist.", "Key", q.key, "VersionId", q.r.URL.Query().Get("versionId"))
	case errors.Is(err, blob.ErrInvalidVersion):
		return errInvalidArgument("Invalid version id specified", "versionId", q.r.URL.Query().Get("versionId"))
	case errors.Is(err, blob.ErrNoSuchBucket):
		return s3Err(http.StatusNotFound, "NoSuchBucket", msgNoSuchBucket, "BucketName", q.bucket)
	case errors.Is(err, blob.ErrNoSuchKey):
		return s3Err(http.StatusNotFound, "NoSuchKey", msgNoSuchKey, "Key", q.key)
	case errors.Is(err, blob.ErrNoSuchUpload):
		return s3Err(http.StatusNotFound, "NoSuchUpload", msgNoSuchUpload, "UploadId", q.r.URL.Query().Get("uploadId"))
	case errors.Is(err, blob.ErrBucketExists):
		return s3Err(http.StatusConflict, "BucketAlreadyOwnedByYou", "Your previous request to create the named bucket succeeded and you already own it.", "BucketName", q.bucket)
	case errors.Is(err, blob.ErrBucketNotEmpty):
		return s3Err(http.StatusConflict, "BucketNotEmpty", "The bucket you tried to delete is not empty", "BucketName", q.bucket)
	case errors.Is(err, blob.ErrInvalidBucket):
		return s3Err(http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid.", "BucketName", q.bucket)
	case errors.Is(err, blob.ErrKeyTooLong):
		return s3Err(http.StatusBadRequest, "KeyTooLongError", "Your key is too long", "MaxSizeAllowed", fmt.Sprint(blob.MaxKeyLen), "Size", fmt.Sprint(len(q.key)))
	case errors.Is(err, blob.ErrInvalidKey):
		return s3Err(http.StatusBadRequest, "InvalidArgument", "Object key must be valid UTF-8 and not empty.")
	case errors.As(err, &pe) && errors.Is(err, blob.ErrInvalidPartOrder):
		return s3Err(http.StatusBadRequest, "InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.", "UploadId", q.r.URL.Query().Get("uploadId"))
	case errors.As(err, &pe) && errors.Is(err, blob.ErrPartTooSmall):
		return s3Err(http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.", "MinSizeAllowed", fmt.Sprint(blob.MinPartSize), "PartNumber", fmt.Sprint(pe.Part))
	case errors.Is(err, blob.ErrInvalidPart):
		return s3Err(http.StatusBadRequest, "InvalidPart", "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.", "UploadId", q.r.URL.Query().Get("uploadId"))
	}
	return nil
}

// asS3Error turns a handler's error into the error to answer with; known
// is false for errors only the log should explain.
func (q *s3Request) asS3Error(err error) (*s3Error, bool) {
	var se *s3Error
	if errors.As(err, &se) {
		return se, true
	}
	var ve *sigv4.Error
	if errors.As(err, &ve) {
		code, status := ve.S3Code()
		return s3Err(status, code, ve.S3Message), true
	}
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return s3Err(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size."), true
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return s3Err(http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header"), true
	}
	if e := q.mapBlobError(err); e != nil {
		return e, true
	}
	return s3Err(http.StatusInternalServerError, "InternalError", msgInternal), false
}

// ServeHTTP answers one S3 request.
func (s *S3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := &s3Request{w: w, r: r, id: s3RequestID()}
	h := w.Header()
	h.Set("x-amz-request-id", q.id)
	h.Set("x-amz-id-2", base64.StdEncoding.EncodeToString([]byte(q.id+q.id)))
	h.Del("x-amzn-RequestId")
	q.log = s.log.With("request_id", q.id)
	start := time.Now()
	var op string
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			q.log.ErrorContext(r.Context(), "panic serving request", "op", op, "panic", v, "stack", string(debug.Stack()))
			s.writeError(q, s3Err(http.StatusInternalServerError, "InternalError", msgInternal))
		}
	}()
	q.bucket, q.key = s.route(r)
	var err error
	op, err = s.serve(q)
	if err != nil {
		e, known := q.asS3Error(err)
		if !known {
			q.log.ErrorContext(r.Context(), "s3 request failed", "op", op, "bucket", q.bucket, "key", q.key, "err", err)
		}
		s.writeError(q, e)
	}
	q.log.DebugContext(r.Context(), "s3 request", "op", op, "duration", time.Since(start), "error", err)
}

// route finds the bucket and key a request addresses.
func (s *S3) route(r *http.Request) (bucket, key string) {
	path := r.URL.Path
	if b := s.hostBucket(r.Host); b != "" {
		return b, strings.TrimPrefix(path, "/")
	}
	path = strings.TrimPrefix(path, "/")
	bucket, key, _ = strings.Cut(path, "/")
	return bucket, key
}

// hostBucket returns the bucket a virtual-hosted-style host names, or "".
func (s *S3) hostBucket(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" || net.ParseIP(strings.Trim(host, "[]")) != nil || strings.HasPrefix(host, "s3.") {
		return ""
	}
	if i := strings.Index(host, ".s3."); i > 0 {
		return host[:i]
	}
	if i := strings.Index(host, ".s3-"); i > 0 && strings.HasSuffix(host, ".amazonaws.com") {
		return host[:i]
	}
	for _, d := range s.cfg.Domains {
		if b, ok := strings.CutSuffix(host, "."+d); ok {
			return b
		}
	}
	return ""
}

// serve authenticates a request and runs its operation.
func (s *S3) serve(q *s3Request) (op string, err error) {
	r := q.r
	res, err := s.verifier.Verify(r, nil, "s3")
	if err != nil {
		return "", err
	}
	q.auth = res
	_, p, ok, err := s.cfg.Keys.AccessKey(r.Context(), res.AccessKeyID)
	if err != nil {
		return "", fmt.Errorf("look up access key: %w", err)
	}
	if !ok {
		// Deleted since the signature was checked.
		return "", s3Err(http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
	}
	q.principal = p
	op, h := s.operation(q)
	if h == nil {
		// S3's own answer to an operation it does not serve.
		return op, s3Err(http.StatusNotImplemented, "NotImplemented", msgNotImplemented)
	}
	if p.ReadOnly && r.Method != http.MethodGet && r.Method != http.MethodHead {
		return op, s3Err(http.StatusForbidden, "AccessDenied", "Access Denied")
	}
	if q.bucket != "" && !blob.ValidBucketName(q.bucket) && op != "CreateBucket" {
		return op, s3Err(http.StatusNotFound, "NoSuchBucket", msgNoSuchBucket, "BucketName", q.bucket)
	}
	return op, h(s, q)
}

type s3Handler func(s *S3, q *s3Request) error

// operation picks the operation a request calls, by method, bucket, key
// and sub-resource; a nil handler for what is not implemented.
func (s *S3) operation(q *s3Request) (string, s3Handler) {
	r := q.r
	v := r.URL.Query()
	has := func(name string) bool { _, ok := v[name]; return ok }
	switch {
	case q.bucket == "":
		if r.Method == http.MethodGet {
			return "ListBuckets", (*S3).listBuckets
		}
		return "", methodNotAllowed
	case q.key == "":
		for _, sub := range []string{"acl", "policy", "cors", "lifecycle", "tagging", "website", "replication", "encryption", "notification", "logging", "object-lock", "ownershipControls", "publicAccessBlock", "accelerate", "requestPayment", "analytics", "metrics", "inventory", "intelligent-tiering"} {
			if has(sub) {
				return "Bucket." + sub, nil
			}
		}
		switch r.Method {
		case http.MethodPut:
			if has("versioning") {
				return "PutBucketVersioning", (*S3).putBucketVersioning
			}
			return "CreateBucket", (*S3).createBucket
		case http.MethodDelete:
			return "DeleteBucket", (*S3).deleteBucket
		case http.MethodHead:
			return "HeadBucket", (*S3).headBucket
		case http.MethodPost:
			if has("delete") {
				return "DeleteObjects", (*S3).deleteObjects
			}
		case http.MethodGet:
			switch {
			case has("location"):
				return "GetBucketLocation", (*S3).bucketLocation
			case has("versioning"):
				return "GetBucketVersioning", (*S3).bucketVersioning
			case has("uploads"):
				return "ListMultipartUploads", (*S3).listUploads
			case has("versions"):
				return "ListObjectVersions", (*S3).listObjectVersions
			case v.Get("list-type") == "2":
				return "ListObjectsV2", (*S3).listObjectsV2
			default:
				return "ListObjects", (*S3).listObjects
			}
		}
		return "", methodNotAllowed
	}
	for _, sub := range []string{"acl", "tagging", "retention", "legal-hold", "torrent", "restore", "select", "attributes"} {
		if has(sub) {
			return "Object." + sub, nil
		}
	}
	switch r.Method {
	case http.MethodPut:
		switch {
		case has("uploadId") && r.Header.Get("X-Amz-Copy-Source") != "":
			return "UploadPartCopy", (*S3).uploadPartCopy
		case has("uploadId"):
			return "UploadPart", (*S3).uploadPart
		case r.Header.Get("X-Amz-Copy-Source") != "":
			return "CopyObject", (*S3).copyObject
		}
		return "PutObject", (*S3).putObject
	case http.MethodGet:
		if has("uploadId") {
			return "ListParts", (*S3).listParts
		}
		return "GetObject", (*S3).getObject
	case http.MethodHead:
		return "HeadObject", (*S3).getObject
	case http.MethodDelete:
		if has("uploadId") {
			return "AbortMultipartUpload", (*S3).abortUpload
		}
		return "DeleteObject", (*S3).deleteObject
	case http.MethodPost:
		switch {
		case has("uploads"):
			return "CreateMultipartUpload", (*S3).createUpload
		case has("uploadId"):
			return "CompleteMultipartUpload", (*S3).completeUpload
		}
	}
	return "", methodNotAllowed
}

func methodNotAllowed(s *S3, q *s3Request) error {
	return s3Err(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.",
		"Method", q.r.Method, "ResourceType", map[bool]string{true: "BUCKET", false: "OBJECT"}[q.key == ""])
}

// writeError answers with an S3 error document; HEAD answers get the
// status alone.
func (s *S3) writeError(q *s3Request, e *s3Error) {
	h := q.w.Header()
	for k, vs := range e.Header {
		h[k] = vs
	}
	if q.r.Method == http.MethodHead {
		q.w.WriteHeader(e.Status)
		return
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString("<Error><Code>")
	xml.EscapeText(&b, []byte(e.Code))
	b.WriteString("</Code><Message>")
	xml.EscapeText(&b, []byte(e.Message))
	b.WriteString("</Message>")
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "<%s>", f[0])
		xml.EscapeText(&b, []byte(f[1]))
		fmt.Fprintf(&b, "</%s>", f[0])
	}
	b.WriteString("<Resource>")
	xml.EscapeText(&b, []byte(q.r.URL.Path))
	b.WriteString("</Resource><RequestId>")
	b.WriteString(q.id)
	b.WriteString("</RequestId><HostId>")
	b.WriteString(h.Get("x-amz-id-2"))
	b.WriteString("</HostId></Error>")
	h.Set("Content-Type", "application/xml")
	h.Del("Content-Length")
	h.Del("ETag")
	h.Del("Last-Modified")
	q.w.WriteHeader(e.Status)
	io.WriteString(q.w, b.String())
}

// writeXML answers 200 with an XML document.
func (q *s3Request) writeXML(v any) error {
	data, err := xml.Marshal(v)
	if err != nil {
		return err
	}
	h := q.w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", fmt.Sprint(len(xml.Header)+len(data)))
	q.w.WriteHeader(http.StatusOK)
	io.WriteString(q.w, xml.Header)
	q.w.Write(data)
	return nil
}

// s3RequestID returns a request id shaped as S3's: 16 upper-case hex
// digits.
func s3RequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return strings.ToUpper(hex.EncodeToString(b[:]))
}

type s3Owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

func (s *S3) ownerOf(q *s3Request) s3Owner {
	return s3Owner{ID: s.owner.ID, DisplayName: q.principal.UserName}
}

// s3Time formats a time as S3's XML does.
func s3Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func quoteETag(etag string) string { return `"` + etag + `"` }
