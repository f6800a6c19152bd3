package awsapi

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/codeyard/codeyard/internal/blob"
)

const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

type createBucketConfiguration struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	LocationConstraint string
}

func (s *S3) createBucket(q *s3Request) error {
	if !blob.ValidBucketName(q.bucket) {
		return s3Err(http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid.", "BucketName", q.bucket)
	}
	data, err := q.xmlBody()
	if err != nil {
		return err
	}
	region := q.auth.Region
	if len(strings.TrimSpace(string(data))) > 0 {
		var c createBucketConfiguration
		if err := xml.Unmarshal(data, &c); err != nil {
			return errMalformedXML()
		}
		if c.LocationConstraint != "" {
			region = c.LocationConstraint
		}
	}
	if err := s.cfg.Store.CreateBucket(q.r.Context(), q.bucket, region); err != nil {
		return err
	}
	q.w.Header().Set("Location", "/"+q.bucket)
	q.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *S3) deleteBucket(q *s3Request) error {
	if err := s.cfg.Store.DeleteBucket(q.r.Context(), q.bucket); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *S3) headBucket(q *s3Request) error {
	b, err := s.cfg.Store.Bucket(q.r.Context(), q.bucket)
	if err != nil {
		return err
	}
	q.w.Header().Set("X-Amz-Bucket-Region", b.Region)
	q.w.WriteHeader(http.StatusOK)
	return nil
}

type locationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	NS      string   `xml:"xmlns,attr"`
	Region  string   `xml:",chardata"`
}

func (s *S3) bucketLocation(q *s3Request) error {
	b, err := s.cfg.Store.Bucket(q.r.Context(), q.bucket)
	if err != nil {
		return err
	}
	region := b.Region
	if region == "us-east-1" {
		region = "" // as S3 answers for its first region
	}
	return q.writeXML(locationConstraint{NS: s3Namespace, Region: region})
}

type listAllMyBucketsResult struct {
	XMLName xml.Name `xml:"ListAllMyBucketsResult"`
	NS      string   `xml:"xmlns,attr"`
	Owner   s3Owner
	Buckets []xmlBucket `xml:"Buckets>Bucket"`
	Prefix  string      `xml:",omitempty"`
}

type xmlBucket struct {
	Name         string
	CreationDate string
	BucketRegion string
}

func (s *S3) listBuckets(q *s3Request) error {
	bs, err := s.cfg.Store.ListBuckets(q.r.Context())
	if err != nil {
		return err
	}
	prefix := q.r.URL.Query().Get("prefix")
	out := listAllMyBucketsResult{NS: s3Namespace, Owner: s.ownerOf(q), Prefix: prefix, Buckets: []xmlBucket{}}
	for _, b := range bs {
		if strings.HasPrefix(b.Name, prefix) {
			out.Buckets = append(out.Buckets, xmlBucket{Name: b.Name, CreationDate: s3Time(b.Created), BucketRegion: b.Region})
		}
	}
	return q.writeXML(out)
}

type xmlObject struct {
	Key          string
	LastModified string
	ETag         string
	Size         int64
	StorageClass string
	Owner        *s3Owner `xml:",omitempty"`
}

type xmlPrefix struct {
	Prefix string
}

type listBucketResult struct {
	XMLName               xml.Name `xml:"ListBucketResult"`
	NS                    string   `xml:"xmlns,attr"`
	Name                  string
	Prefix                string
	Marker                *string `xml:",omitempty"`
	NextMarker            string  `xml:",omitempty"`
	ContinuationToken     string  `xml:",omitempty"`
	NextContinuationToken string  `xml:",omitempty"`
	StartAfter            string  `xml:",omitempty"`
	KeyCount              *int    `xml:",omitempty"`
	MaxKeys               int
	Delimiter             string `xml:",omitempty"`
	EncodingType          string `xml:",omitempty"`
	IsTruncated           bool
	Contents              []xmlObject
	CommonPrefixes        []xmlPrefix
}

// s3URLEncode encodes a key as S3's encoding-type=url does.
func s3URLEncode(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "%2F", "/")
}

// listParams reads the parameters the two ListObjects share.
func listParams(q *s3Request) (v url.Values, maxKeys int, enc func(string) string, err error) {
	v = q.r.URL.Query()
	maxKeys = 1000
	if m := v.Get("max-keys"); m != "" {
		n, perr := strconv.Atoi(m)
		if perr != nil || n < 0 {
			return nil, 0, nil, errInvalidArgument("Provided max-keys not an integer or within integer range", "max-keys", m)
		}
		maxKeys = min(n, 1000)
	}
	enc = func(s string) string { return s }
	switch e := v.Get("encoding-type"); e {
	case "":
	case "url":
		enc = s3URLEncode
	default:
		return nil, 0, nil, errInvalidArgument("Invalid Encoding Method specified in Request", "encoding-type", e)
	}
	return v, maxKeys, enc, nil
}

func (s *S3) list(q *s3Request, prefix, delim, after string, maxKeys int, owner bool, enc func(string) string) (blob.ListResult, []xmlObject, []xmlPrefix, error) {
	var res blob.ListResult
	if maxKeys > 0 {
		var err error
		res, err = s.cfg.Store.List(q.r.Context(), q.bucket, blob.ListQuery{Prefix: prefix, Delimiter: delim, After: after, Max: maxKeys})
		if err != nil {
			return res, nil, nil, err
		}
	} else if _, err := s.cfg.Store.Bucket(q.r.Context(), q.bucket); err != nil {
		return res, nil, nil, err
	}
	objs := []xmlObject{}
	for _, o := range res.Objects {
		x := xmlObject{Key: enc(o.Key), LastModified: s3Time(o.Modified), ETag: quoteETag(o.ETag), Size: o.Size, StorageClass: "STANDARD"}
		if owner {
			ow := s.ownerOf(q)
			x.Owner = &ow
		}
		objs = append(objs, x)
	}
	var cps []xmlPrefix
	for _, p := range res.Prefixes {
		cps = append(cps, xmlPrefix{Prefix: enc(p)})
	}
	return res, objs, cps, nil
}

func (s *S3) listObjects(q *s3Request) error {
	v, maxKeys, enc, err := listParams(q)
	if err != nil {
		return err
	}
	prefix, delim, marker := v.Get("prefix"), v.Get("delimiter"), v.Get("marker")
	res, objs, cps, err := s.list(q, prefix, delim, marker, maxKeys, true, enc)
	if err != nil {
		return err
	}
	m := enc(marker)
	out := listBucketResult{NS: s3Namespace, Name: q.bucket, Prefix: enc(prefix), Marker: &m, MaxKeys: maxKeys,
		Delimiter: enc(delim), EncodingType: v.Get("encoding-type"), IsTruncated: res.Truncated, Contents: objs, CommonPrefixes: cps}
	if res.Truncated && delim != "" {
		out.NextMarker = enc(res.Next)
	}
	return q.writeXML(out)
}

func (s *S3) listObjectsV2(q *s3Request) error {
	v, maxKeys, enc, err := listParams(q)
	if err != nil {
		return err
	}
	prefix, delim, after := v.Get("prefix"), v.Get("delimiter"), v.Get("start-after")
	token := v.Get("continuation-token")
	from := after
	if _, ok := v["continuation-token"]; ok {
		raw, derr := base64.RawURLEncoding.DecodeString(token)
		if derr != nil || token == "" {
			return errInvalidArgument("The continuation token provided is incorrect", "continuation-token", token)
		}
		from = string(raw)
	}
	res, objs, cps, err := s.list(q, prefix, delim, from, maxKeys, v.Get("fetch-owner") == "true", enc)
	if err != nil {
		return err
	}
	n := len(objs) + len(cps)
	out := listBucketResult{NS: s3Namespace, Name: q.bucket, Prefix: enc(prefix), ContinuationToken: token, StartAfter: enc(after),
		KeyCount: &n, MaxKeys: maxKeys, Delimiter: enc(delim), EncodingType: v.Get("encoding-type"), IsTruncated: res.Truncated,
		Contents: objs, CommonPrefixes: cps}
	if res.Truncated {
		out.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(res.Next))
	}
	return q.writeXML(out)
}

type deleteRequest struct {
	XMLName xml.Name `xml:"Delete"`
	Quiet   bool
	Objects []struct {
		Key       string
		VersionId *string
	} `xml:"Object"`
}

type deleteResult struct {
	XMLName xml.Name `xml:"DeleteResult"`
	NS      string   `xml:"xmlns,attr"`
	Deleted []deletedEntry
	Errors  []deleteError `xml:"Error"`
}

type deleteError struct {
	Key       string
	VersionId string `xml:",omitempty"`
	Code      string
	Message   string
}

func (s *S3) deleteObjects(q *s3Request) error {
	data, err := q.xmlBody()
	if err != nil {
		return err
	}
	var req deleteRequest
	if err := xml.Unmarshal(data, &req); err != nil || len(req.Objects) == 0 || len(req.Objects) > 1000 {
		return errMalformedXML()
	}
	if q.r.Header.Get("X-Amz-Mfa") != "" {
		return errNoMFA()
	}
	if _, err := s.cfg.Store.Bucket(q.r.Context(), q.bucket); err != nil {
		return err
	}
	out := deleteResult{NS: s3Namespace}
	for _, o := range req.Objects {
		err := blob.CheckKey(o.Key)
		var vid string
		if err == nil && o.VersionId != nil {
			vid, err = parseVersionID(*o.VersionId, "VersionId")
		}
		var res blob.Object
		if err == nil {
			res, err = s.cfg.Store.DeleteVersion(q.r.Context(), q.bucket, o.Key, vid)
		}
		if err != nil {
			qq := *q
			qq.key = o.Key
			e, known := qq.asS3Error(err)
			if !known {
				q.log.ErrorContext(q.r.Context(), "delete object", "bucket", q.bucket, "key", o.Key, "err", err)
			}
			if errors.Is(err, blob.ErrNoSuchBucket) {
				return err
			}
			out.Errors = append(out.Errors, deleteError{Key: o.Key, VersionId: vid, Code: e.Code, Message: e.Message})
			if o.VersionId != nil {
				out.Errors[len(out.Errors)-1].VersionId = *o.VersionId
			}
			continue
		}
		if !req.Quiet {
			out.Deleted = append(out.Deleted, deleted(o.Key, vid, res))
		}
	}
	return q.writeXML(out)
}
