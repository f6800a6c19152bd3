package awsapi

import (
	"crypto/md5"
	"encoding/xml"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/codeyard/codeyard/internal/blob"
)

func md5Sum(data []byte) []byte {
	s := md5.Sum(data)
	return s[:]
}

type initiateResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	NS       string   `xml:"xmlns,attr"`
	Bucket   string
	Key      string
	UploadId string
}

func (s *S3) createUpload(q *s3Request) error {
	opts, err := putOptions(q.r.Header)
	if err != nil {
		return err
	}
	if err := blob.CheckKey(q.key); err != nil {
		return err
	}
	id, err := s.cfg.Store.CreateUpload(q.r.Context(), q.bucket, q.key, opts)
	if err != nil {
		return err
	}
	if alg := q.r.Header.Get("X-Amz-Checksum-Algorithm"); alg != "" {
		q.w.Header().Set("X-Amz-Checksum-Algorithm", alg)
	}
	return q.writeXML(initiateResult{NS: s3Namespace, Bucket: q.bucket, Key: q.key, UploadId: id})
}

// partNumber reads the partNumber parameter.
func partNumber(q *s3Request) (int, error) {
	v := q.r.URL.Query().Get("partNumber")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > blob.MaxParts {
		return 0, errInvalidArgument("Part number must be an integer between 1 and 10000, inclusive", "partNumber", v)
	}
	return n, nil
}

func (s *S3) uploadPart(q *s3Request) error {
	n, err := partNumber(q)
	if err != nil {
		return err
	}
	wantMD5, err := contentMD5(q.r.Header)
	if err != nil {
		return err
	}
	p, err := q.body(maxObjectSize)
	if err != nil {
		return err
	}
	part, err := s.cfg.Store.PutPart(q.r.Context(), q.bucket, q.key, q.r.URL.Query().Get("uploadId"), n, p, p.check(wantMD5))
	if err != nil {
		return err
	}
	h := q.w.Header()
	h.Set("ETag", quoteETag(part.ETag))
	for alg, v := range part.Checksums {
		h.Set(checksumHeader(alg), v)
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

type copyPartResult struct {
	XMLName      xml.Name `xml:"CopyPartResult"`
	LastModified string
	ETag         string
}

func (s *S3) uploadPartCopy(q *s3Request) error {
	n, err := partNumber(q)
	if err != nil {
		return err
	}
	rd, err := s.openCopySource(q)
	if err != nil {
		return err
	}
	defer rd.Close()
	size := rd.Object().Size
	start, k := int64(0), size
	if rng := q.r.Header.Get("X-Amz-Copy-Source-Range"); rng != "" {
		a, b, ok := parseCopyRange(rng)
		if !ok || b >= size {
			return errInvalidArgument("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy", "x-amz-copy-source-range", rng)
		}
		start, k = a, b-a+1
	}
	part, err := s.cfg.Store.PutPart(q.r.Context(), q.bucket, q.key, q.r.URL.Query().Get("uploadId"), n, io.NewSectionReader(rd, start, k), nil)
	if err != nil {
		return err
	}
	return q.writeXML(copyPartResult{LastModified: s3Time(part.Modified), ETag: quoteETag(part.ETag)})
}

func parseCopyRange(v string) (a, b int64, ok bool) {
	spec, found := strings.CutPrefix(v, "bytes=")
	if !found {
		return 0, 0, false
	}
	first, last, found := strings.Cut(spec, "-")
	a, err1 := strconv.ParseInt(first, 10, 64)
	b, err2 := strconv.ParseInt(last, 10, 64)
	return a, b, found && err1 == nil && err2 == nil && a >= 0 && b >= a
}

type completeRequest struct {
	XMLName xml.Name `xml:"CompleteMultipartUpload"`
	Parts   []struct {
		PartNumber int
		ETag       string
	} `xml:"Part"`
}

type completeResult struct {
	XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
	NS       string   `xml:"xmlns,attr"`
	Location string
	Bucket   string
	Key      string
	ETag     string
}

func (s *S3) completeUpload(q *s3Request) error {
	data, err := q.xmlBody()
	if err != nil {
		return err
	}
	var req completeRequest
	if err := xml.Unmarshal(data, &req); err != nil || len(req.Parts) == 0 || len(req.Parts) > blob.MaxParts {
		return errMalformedXML()
	}
	refs := make([]blob.PartRef, len(req.Parts))
	for i, p := range req.Parts {
		refs[i] = blob.PartRef{Number: p.PartNumber, ETag: p.ETag}
	}
	obj, err := s.cfg.Store.CompleteUpload(q.r.Context(), q.bucket, q.key, q.r.URL.Query().Get("uploadId"), refs)
	if err != nil {
		return err
	}
	setVersionHeaders(q.w.Header(), obj)
	loc := "http://" + q.r.Host + "/" + q.bucket + "/" + s3URLEncode(q.key)
	return q.writeXML(completeResult{NS: s3Namespace, Location: loc, Bucket: q.bucket, Key: q.key, ETag: quoteETag(obj.ETag)})
}

func (s *S3) abortUpload(q *s3Request) error {
	if err := s.cfg.Store.AbortUpload(q.r.Context(), q.bucket, q.key, q.r.URL.Query().Get("uploadId")); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

type xmlPart struct {
	PartNumber   int
	LastModified string
	ETag         string
	Size         int64
}

type listPartsResult struct {
	XMLName              xml.Name `xml:"ListPartsResult"`
	NS                   string   `xml:"xmlns,attr"`
	Bucket               string
	Key                  string
	UploadId             string
	Initiator            s3Owner
	Owner                s3Owner
	StorageClass         string
	PartNumberMarker     int
	NextPartNumberMarker int
	MaxParts             int
	IsTruncated          bool
	Parts                []xmlPart `xml:"Part"`
}

func (s *S3) listParts(q *s3Request) error {
	v := q.r.URL.Query()
	maxParts, marker := 1000, 0
	if m := v.Get("max-parts"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 {
			return errInvalidArgument("Provided max-parts not an integer or within integer range", "max-parts", m)
		}
		maxParts = min(n, 1000)
	}
	if m := v.Get("part-number-marker"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 {
			return errInvalidArgument("Provided part-number-marker not an integer or within integer range", "part-number-marker", m)
		}
		marker = n
	}
	id := v.Get("uploadId")
	_, parts, err := s.cfg.Store.ListParts(q.r.Context(), q.bucket, q.key, id)
	if err != nil {
		return err
	}
	owner := s.ownerOf(q)
	out := listPartsResult{NS: s3Namespace, Bucket: q.bucket, Key: q.key, UploadId: id, Initiator: owner, Owner: owner,
		StorageClass: "STANDARD", PartNumberMarker: marker, MaxParts: maxParts}
	for _, p := range parts {
		if p.Number <= marker {
			continue
		}
		if len(out.Parts) == maxParts {
			out.IsTruncated = true
			break
		}
		out.Parts = append(out.Parts, xmlPart{PartNumber: p.Number, LastModified: s3Time(p.Modified), ETag: quoteETag(p.ETag), Size: p.Size})
		out.NextPartNumberMarker = p.Number
	}
	return q.writeXML(out)
}

type xmlUpload struct {
	Key          string
	UploadId     string
	Initiator    s3Owner
	Owner        s3Owner
	StorageClass string
	Initiated    string
}

type listUploadsResult struct {
	XMLName            xml.Name `xml:"ListMultipartUploadsResult"`
	NS                 string   `xml:"xmlns,attr"`
	Bucket             string
	KeyMarker          string
	UploadIdMarker     string
	NextKeyMarker      string
	NextUploadIdMarker string
	Prefix             string
	Delimiter          string `xml:",omitempty"`
	MaxUploads         int
	EncodingType       string `xml:",omitempty"`
	IsTruncated        bool
	Uploads            []xmlUpload `xml:"Upload"`
	CommonPrefixes     []xmlPrefix
}

func (s *S3) listUploads(q *s3Request) error {
	v := q.r.URL.Query()
	maxUploads := 1000
	if m := v.Get("max-uploads"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 {
			return errInvalidArgument("Provided max-uploads not an integer or within integer range", "max-uploads", m)
		}
		maxUploads = min(n, 1000)
	}
	enc := func(s string) string { return s }
	if v.Get("encoding-type") == "url" {
		enc = s3URLEncode
	}
	prefix, delim := v.Get("prefix"), v.Get("delimiter")
	keyMarker, idMarker := v.Get("key-marker"), v.Get("upload-id-marker")
	ups, err := s.cfg.Store.ListUploads(q.r.Context(), q.bucket)
	if err != nil {
		return err
	}
	owner := s.ownerOf(q)
	out := listUploadsResult{NS: s3Namespace, Bucket: q.bucket, KeyMarker: enc(keyMarker), UploadIdMarker: idMarker, Prefix: enc(prefix),
		Delimiter: enc(delim), MaxUploads: maxUploads, EncodingType: v.Get("encoding-type")}
	seen := map[string]bool{}
	// Uploads come sorted by key and start; markers resume after a key, or
	// after an upload of that key.
	start := sort.Search(len(ups), func(i int) bool { return ups[i].Key >= keyMarker })
	n := 0
	for _, u := range ups[start:] {
		if keyMarker != "" && u.Key == keyMarker && (idMarker == "" || u.ID <= idMarker) {
			continue
		}
		if !strings.HasPrefix(u.Key, prefix) {
			continue
		}
		if delim != "" {
			if j := strings.Index(u.Key[len(prefix):], delim); j >= 0 {
				cp := u.Key[:len(prefix)+j+len(delim)]
				if seen[cp] {
					continue
				}
				if n == maxUploads {
					out.IsTruncated = true
					break
				}
				seen[cp] = true
				out.CommonPrefixes = append(out.CommonPrefixes, xmlPrefix{Prefix: enc(cp)})
				n++
				continue
			}
		}
		if n == maxUploads {
			out.IsTruncated = true
			break
		}
		out.Uploads = append(out.Uploads, xmlUpload{Key: enc(u.Key), UploadId: u.ID, Initiator: owner, Owner: owner, StorageClass: "STANDARD", Initiated: s3Time(u.Initiated)})
		out.NextKeyMarker, out.NextUploadIdMarker = enc(u.Key), u.ID
		n++
	}
	return q.writeXML(out)
}
