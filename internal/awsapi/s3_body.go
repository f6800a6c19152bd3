package awsapi

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/codeyard/codeyard/internal/awsapi/sigv4"
	"github.com/codeyard/codeyard/internal/blob"
)

// Limits of S3's.
const (
	maxObjectSize = 5 << 30 // a single PUT, and a part
	maxMetaSize   = 2 << 10 // user metadata, names and values
	maxXMLBody    = 4 << 20 // DeleteObjects, CompleteMultipartUpload, CreateBucket
)

// checksumAlgorithms are the algorithms of x-amz-checksum-*, by S3's name.
var checksumAlgorithms = []string{"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"}

var (
	crc32cTable    = crc32.MakeTable(crc32.Castagnoli)
	crc64nvmeTable = crc64.MakeTable(0x9a6c9329ac4bc9b5) // CRC-64/NVME, reflected
)

func newChecksum(alg string) hash.Hash {
	switch alg {
	case "CRC32":
		return crc32.NewIEEE()
	case "CRC32C":
		return crc32.New(crc32cTable)
	case "CRC64NVME":
		return crc64.New(crc64nvmeTable)
	case "SHA1":
		return sha1.New()
	case "SHA256":
		return sha256.New()
	}
	return nil
}

func checksumHeader(alg string) string { return "X-Amz-Checksum-" + strings.ToLower(alg) }

// payload is a request body as a handler reads it: decoded from
// aws-chunked when sent so, and hashed as its signature and checksums
// need, to be checked by verify once read whole.
type payload struct {
	src    io.Reader
	header http.Header
	chunks *sigv4.ChunkReader
	sha    hash.Hash // when the signature covers the body's SHA-256
	want   string
	sums   map[string]hash.Hash
	w      io.Writer // every hash
	n      int64
	size   int64 // the length the client declared; -1 when unknown
}

// body returns the request's body, or an error before reading any of it
// when its declared length exceeds max or its framing is not usable.
func (q *s3Request) body(max int64) (*payload, error) {
	r := q.r
	p := &payload{src: r.Body, header: r.Header, size: r.ContentLength}
	switch q.auth.PayloadHash {
	case sigv4.StreamingPayload, sigv4.StreamingPayloadTrailer, sigv4.StreamingUnsignedPayloadTrailer:
		dl := r.Header.Get("X-Amz-Decoded-Content-Length")
		n, err := strconv.ParseInt(dl, 10, 64)
		if err != nil || n < 0 {
			return nil, s3Err(http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header.")
		}
		p.size = n
		p.chunks = sigv4.NewChunkReader(r.Body, q.auth)
		p.src = p.chunks
	case sigv4.UnsignedPayload:
	default:
		p.sha, p.want = sha256.New(), q.auth.PayloadHash
	}
	if p.size > max {
		return nil, s3Err(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.",
			"ProposedSize", strconv.FormatInt(p.size, 10), "MaxSizeAllowed", strconv.FormatInt(max, 10))
	}
	var ws []io.Writer
	if p.sha != nil {
		ws = append(ws, p.sha)
	}
	trailer := strings.ToLower(r.Header.Get("X-Amz-Trailer"))
	for _, alg := range checksumAlgorithms {
		name := strings.ToLower(checksumHeader(alg))
		if r.Header.Get(name) != "" || strings.Contains(trailer, name) {
			if p.sums == nil {
				p.sums = map[string]hash.Hash{}
			}
			h := newChecksum(alg)
			p.sums[alg] = h
			ws = append(ws, h)
		}
	}
	if len(ws) > 0 {
		p.w = io.MultiWriter(ws...)
	}
	if p.size >= 0 {
		// Never read past the declared end, whatever the framing says.
		p.src = io.LimitReader(p.src, p.size+1)
	}
	return p, nil
}

func (p *payload) Read(b []byte) (int, error) {
	n, err := p.src.Read(b)
	if n > 0 {
		p.n += int64(n)
		if p.w != nil {
			p.w.Write(b[:n])
		}
	}
	return n, err
}

// xmlBody reads the small XML body of a bucket or multipart request whole
// and verifies it, with its Content-MD5 when it carries one.
func (q *s3Request) xmlBody() ([]byte, error) {
	wantMD5, err := contentMD5(q.r.Header)
	if err != nil {
		return nil, err
	}
	p, err := q.body(maxXMLBody)
	if err != nil {
		return nil, err
	}
	data, err := p.readAll(maxXMLBody)
	if err != nil {
		return nil, err
	}
	if err := p.check(wantMD5)(&blob.Object{}, md5Sum(data)); err != nil {
		return nil, err
	}
	return data, nil
}

// readAll reads a small body whole and verifies it.
func (p *payload) readAll(limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(p, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errMalformedXML()
	}
	if _, err := p.verify(); err != nil {
		return nil, err
	}
	return data, nil
}

// verify checks a body read to its end: its length, its SHA-256 against
// the signed one, and its checksums against the headers or trailers that
// carry them. It returns the checksums, base64, by algorithm.
func (p *payload) verify() (map[string]string, error) {
	if p.size >= 0 && p.n != p.size {
		if p.n > p.size {
			return nil, s3Err(http.StatusBadRequest, "InvalidRequest", "The body is longer than its declared length.")
		}
		return nil, s3Err(http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header")
	}
	if p.sha != nil && hex.EncodeToString(p.sha.Sum(nil)) != p.want {
		return nil, s3Err(http.StatusBadRequest, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.",
			"ClientComputedContentSHA256", p.want, "S3ComputedContentSHA256", hex.EncodeToString(p.sha.Sum(nil)))
	}
	var out map[string]string
	for alg, h := range p.sums {
		name := checksumHeader(alg)
		want := p.header.Get(name)
		if want == "" && p.chunks != nil && p.chunks.Trailer() != nil {
			want = p.chunks.Trailer().Get(name)
		}
		raw, err := base64.StdEncoding.DecodeString(want)
		if err != nil || len(raw) != h.Size() {
			return nil, s3Err(http.StatusBadRequest, "InvalidRequest", "Value for "+strings.ToLower(name)+" header is invalid.")
		}
		got := h.Sum(nil)
		if !bytes.Equal(raw, got) {
			return nil, s3Err(http.StatusBadRequest, "BadDigest", "The "+alg+" you specified did not match the calculated checksum.")
		}
		if out == nil {
			out = map[string]string{}
		}
		out[alg] = base64.StdEncoding.EncodeToString(got)
	}
	return out, nil
}

// contentMD5 returns the Content-MD5 a request declares, nil without
// one, or InvalidDigest.
func contentMD5(h http.Header) ([]byte, error) {
	v, ok := h["Content-Md5"]
	if !ok {
		return nil, nil
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(strings.Join(v, "")))
	if err != nil || len(raw) != md5.Size {
		return nil, s3Err(http.StatusBadRequest, "InvalidDigest", msgInvalidDigest)
	}
	return raw, nil
}

// check returns the Check of a put: the body's length, hashes and
// Content-MD5.
func (p *payload) check(wantMD5 []byte) func(o *blob.Object, sum []byte) error {
	return func(o *blob.Object, sum []byte) error {
		sums, err := p.verify()
		if err != nil {
			return err
		}
		if wantMD5 != nil && !bytes.Equal(wantMD5, sum) {
			return s3Err(http.StatusBadRequest, "BadDigest", msgBadDigest,
				"ExpectedDigest", hex.EncodeToString(wantMD5), "CalculatedDigest", base64.StdEncoding.EncodeToString(sum))
		}
		o.Checksums = sums
		return nil
	}
}

// storedHeaders are the standard headers kept with an object.
var storedHeaders = []string{"Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires", "X-Amz-Website-Redirect-Location", "X-Amz-Storage-Class"}

// putOptions reads what a PutObject, CopyObject (REPLACE) or
// CreateMultipartUpload stores with the object from its headers.
func putOptions(h http.Header) (blob.PutOptions, error) {
	o := blob.PutOptions{ContentType: h.Get("Content-Type"), Headers: map[string]string{}, Meta: map[string]string{}}
	for _, name := range storedHeaders {
		v := h.Get(name)
		if name == "Content-Encoding" {
			v = stripAWSChunked(v)
		}
		if name == "X-Amz-Storage-Class" && v == "STANDARD" {
			v = ""
		}
		if v != "" {
			o.Headers[name] = v
		}
	}
	size := 0
	for k, vs := range h {
		name, ok := cutPrefixFold(k, "X-Amz-Meta-")
		if !ok {
			continue
		}
		name = strings.ToLower(name)
		v := strings.Join(vs, ",")
		o.Meta[name] = v
		size += len(name) + len(v)
	}
	if size > maxMetaSize {
		return o, s3Err(http.StatusBadRequest, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size.",
			"Size", strconv.Itoa(size), "MaxSizeAllowed", strconv.Itoa(maxMetaSize))
	}
	return o, nil
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// stripAWSChunked removes the aws-chunked coding, which only framed the
// upload, from a Content-Encoding.
func stripAWSChunked(v string) string {
	if !strings.Contains(strings.ToLower(v), "aws-chunked") {
		return v
	}
	var out []string
	for _, c := range strings.Split(v, ",") {
		if c = strings.TrimSpace(c); c != "" && !strings.EqualFold(c, "aws-chunked") {
			out = append(out, c)
		}
	}
	return strings.Join(out, ",")
}
