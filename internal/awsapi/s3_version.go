package awsapi

import (
	"encoding/xml"
	"net/http"

	"github.com/codeyard/codeyard/internal/blob"
)

// versionParam reads the versionId query parameter: "" when there is
// none, an InvalidArgument error, as S3 answers, when it is empty or no
// version id this store makes.
func versionParam(q *s3Request) (string, error) {
	v := q.r.URL.Query()
	if _, ok := v["versionId"]; !ok {
		return "", nil
	}
	return parseVersionID(v.Get("versionId"), "versionId")
}

// parseVersionID checks a version id a request names, by arg.
func parseVersionID(id, arg string) (string, error) {
	if id == "" {
		return "", errInvalidArgument("Version id cannot be the empty string", arg, id)
	}
	if blob.CheckVersionID(id) != nil {
		return "", errInvalidArgument("Invalid version id specified", arg, id)
	}
	return id, nil
}

// setVersionHeaders sets x-amz-version-id, when the bucket has versions,
// and x-amz-delete-marker for a delete marker.
func setVersionHeaders(h http.Header, o blob.Object) {
	if o.VersionID != "" {
		h.Set("X-Amz-Version-Id", o.VersionID)
	}
	if o.DeleteMarker {
		h.Set("X-Amz-Delete-Marker", "true")
	}
}

// markerError is S3's answer to a read that meets a delete marker.
func (q *s3Request) markerError(me *blob.MarkerError) *s3Error {
	var e *s3Error
	if me.Latest {
		e = s3Err(http.StatusNotFound, "NoSuchKey", msgNoSuchKey, "Key", q.key)
	} else {
		e = s3Err(http.StatusMethodNotAllowed, "MethodNotAllowed", "The specified method is not allowed against this resource.",
			"Method", q.r.Method, "ResourceType", "DeleteMarker")
		e.Header = http.Header{"Last-Modified": {me.Modified.UTC().Format(http.TimeFormat)}}
	}
	if e.Header == nil {
		e.Header = http.Header{}
	}
	e.Header.Set("X-Amz-Delete-Marker", "true")
	e.Header.Set("X-Amz-Version-Id", me.VersionID)
	return e
}

// errNoMFA is the answer to a request that asks for MFA delete, which
// this server does not implement.
func errNoMFA() *s3Error {
	return s3Err(http.StatusNotImplemented, "NotImplemented", msgNotImplemented, "Header", "x-amz-mfa")
}

type versioningConfiguration struct {
	XMLName   xml.Name `xml:"VersioningConfiguration"`
	NS        string   `xml:"xmlns,attr"`
	Status    string   `xml:",omitempty"`
	MfaDelete string   `xml:",omitempty"`
}

func (s *S3) bucketVersioning(q *s3Request) error {
	st, err := s.cfg.Store.Versioning(q.r.Context(), q.bucket)
	if err != nil {
		return err
	}
	return q.writeXML(versioningConfiguration{NS: s3Namespace, Status: st})
}

func (s *S3) putBucketVersioning(q *s3Request) error {
	if q.r.Header.Get("X-Amz-Mfa") != "" {
		return errNoMFA()
	}
	data, err := q.xmlBody()
	if err != nil {
		return err
	}
	var c versioningConfiguration
	if err := xml.Unmarshal(data, &c); err != nil {
		return errMalformedXML()
	}
	switch c.MfaDelete {
	case "", "Disabled":
	case "Enabled":
		return errNoMFA()
	default:
		return errMalformedXML()
	}
	switch c.Status {
	case blob.VersioningEnabled, blob.VersioningSuspended:
	case "":
		return s3Err(http.StatusBadRequest, "IllegalVersioningConfigurationException", "The Versioning element must be specified")
	default:
		return errMalformedXML()
	}
	if err := s.cfg.Store.SetVersioning(q.r.Context(), q.bucket, c.Status); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusOK)
	return nil
}

type listVersionsResult struct {
	XMLName             xml.Name `xml:"ListVersionsResult"`
	NS                  string   `xml:"xmlns,attr"`
	Name                string
	Prefix              string
	KeyMarker           string
	VersionIdMarker     string
	NextKeyMarker       string `xml:",omitempty"`
	NextVersionIdMarker string `xml:",omitempty"`
	MaxKeys             int
	Delimiter           string `xml:",omitempty"`
	EncodingType        string `xml:",omitempty"`
	IsTruncated         bool
	// Entries are Version and DeleteMarker elements, in the listing's
	// order: each names itself with its XMLName.
	Entries        []xmlVersion
	CommonPrefixes []xmlPrefix
}

type xmlVersion struct {
	XMLName      xml.Name
	Key          string
	VersionId    string
	IsLatest     bool
	LastModified string
	ETag         string `xml:",omitempty"`
	Size         *int64 `xml:",omitempty"`
	StorageClass string `xml:",omitempty"`
	Owner        s3Owner
}

func (s *S3) listObjectVersions(q *s3Request) error {
	v, maxKeys, enc, err := listParams(q)
	if err != nil {
		return err
	}
	prefix, delim, keyMarker, idMarker := v.Get("prefix"), v.Get("delimiter"), v.Get("key-marker"), v.Get("version-id-marker")
	if _, ok := v["version-id-marker"]; ok {
		if keyMarker == "" {
			return errInvalidArgument("A version-id marker cannot be specified without a key marker.", "version-id-marker", idMarker)
		}
		if _, err := parseVersionID(idMarker, "version-id-marker"); err != nil {
			return err
		}
	}
	var res blob.VersionResult
	if maxKeys > 0 {
		res, err = s.cfg.Store.ListVersions(q.r.Context(), q.bucket, blob.VersionQuery{Prefix: prefix, Delimiter: delim,
			KeyMarker: keyMarker, VersionIDMarker: idMarker, Max: maxKeys})
	} else {
		_, err = s.cfg.Store.Bucket(q.r.Context(), q.bucket)
	}
	if err != nil {
		return err
	}
	out := listVersionsResult{NS: s3Namespace, Name: q.bucket, Prefix: enc(prefix), KeyMarker: enc(keyMarker), VersionIdMarker: idMarker,
		MaxKeys: maxKeys, Delimiter: enc(delim), EncodingType: v.Get("encoding-type"), IsTruncated: res.Truncated,
		NextKeyMarker: enc(res.NextKeyMarker), NextVersionIdMarker: res.NextVersionIDMarker}
	owner := s.ownerOf(q)
	for _, o := range res.Versions {
		x := xmlVersion{XMLName: xml.Name{Local: "Version"}, Key: enc(o.Key), VersionId: o.VersionID, IsLatest: o.IsLatest,
			LastModified: s3Time(o.Modified), Owner: owner}
		if o.DeleteMarker {
			x.XMLName.Local = "DeleteMarker"
		} else {
			size := o.Size
			x.ETag, x.Size, x.StorageClass = quoteETag(o.ETag), &size, "STANDARD"
		}
		out.Entries = append(out.Entries, x)
	}
	for _, p := range res.Prefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, xmlPrefix{Prefix: enc(p)})
	}
	return q.writeXML(out)
}

// deletedEntry is a Deleted element of a DeleteObjects answer.
type deletedEntry struct {
	Key                   string
	VersionId             string `xml:",omitempty"`
	DeleteMarker          bool   `xml:",omitempty"`
	DeleteMarkerVersionId string `xml:",omitempty"`
}

// deleted describes what DeleteVersion did, as DeleteObjects answers.
func deleted(key, askedVersion string, o blob.Object) deletedEntry {
	d := deletedEntry{Key: key, VersionId: askedVersion, DeleteMarker: o.DeleteMarker}
	if o.DeleteMarker {
		d.DeleteMarkerVersionId = o.VersionID
	}
	return d
}
