package awsapi

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestParseVersionID(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		query string
		want  string
		err   string // the error's message; "" for none
	}{
		{"", "", ""},
		{"versionId=null", "null", ""},
		{"versionId=0000000000000001ffffffffffffffff", "0000000000000001ffffffffffffffff", ""},
		{"versionId=", "", "Version id cannot be the empty string"},
		{"versionId", "", "Version id cannot be the empty string"},
		{"versionId=NULL", "", "Invalid version id specified"},
		{"versionId=..%2F..%2Fetc", "", "Invalid version id specified"},
		{"versionId=3HL4kqtJlcpXroDTDmJ%2BrmSpXd3dIbrHY%2BMTRCxf3vjVBH40Nr8X8gdRQBpUMLUo", "", "Invalid version id specified"},
		{"versionId=0000000000000000ffffffffffffffff", "", "Invalid version id specified"},
	} {
		q := &s3Request{r: httptest.NewRequest(http.MethodGet, "/b/k?"+tt.query, nil)}
		got, err := versionParam(q)
		var se *s3Error
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("versionParam(%q) = %q, %v; want %q", tt.query, got, err, tt.want)
		case tt.err != "" && (!errors.As(err, &se) || se.Code != "InvalidArgument" || se.Message != tt.err || se.Status != 400):
			t.Errorf("versionParam(%q) = %q, %v; want InvalidArgument %q", tt.query, got, err, tt.err)
		}
	}
}

func TestS3Versioning(t *testing.T) {
	t.Parallel()
	s, d := newTestS3(t, nil)
	if err := d.CreateBucket(t.Context(), "vbk", "us-east-1"); err != nil {
		t.Fatal(err)
	}
	do := func(method, path, query, body string, hdr ...string) *httptest.ResponseRecorder {
		t.Helper()
		u := &url.URL{Scheme: "http", Host: "127.0.0.1:4580", Path: path, RawQuery: query}
		r, err := http.NewRequest(method, u.String(), strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		signS3(r, []byte(body), time.Now())
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w
	}
	errCode := func(w *httptest.ResponseRecorder) string {
		var e struct{ Code string }
		xml.Unmarshal(w.Body.Bytes(), &e)
		return e.Code
	}
	if w := do("GET", "/vbk", "versioning", ""); w.Code != 200 || strings.Contains(w.Body.String(), "Status") {
		t.Errorf("GetBucketVersioning of a new bucket = %d %s", w.Code, w.Body)
	}
	if w := do("PUT", "/vbk/k", "", "legacy"); w.Header().Get("X-Amz-Version-Id") != "" {
		t.Errorf("PUT to an unversioned bucket answers version %q", w.Header().Get("X-Amz-Version-Id"))
	}
	for body, code := range map[string]string{
		"<VersioningConfiguration><Status>Enabled</Status><MfaDelete>Enabled</MfaDelete></VersioningConfiguration>": "NotImplemented",
		"<VersioningConfiguration><Status>On</Status></VersioningConfiguration>":                                    "MalformedXML",
		"<VersioningConfiguration></VersioningConfiguration>":                                                       "IllegalVersioningConfigurationException",
		"<VersioningConfiguration": "MalformedXML",
	} {
		if w := do("PUT", "/vbk", "versioning", body); errCode(w) != code {
			t.Errorf("PutBucketVersioning(%s) = %d %s, want %s", body, w.Code, w.Body, code)
		}
	}
	if w := do("PUT", "/vbk", "versioning", "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>", "x-amz-mfa", "123 456"); errCode(w) != "NotImplemented" {
		t.Errorf("PutBucketVersioning with x-amz-mfa = %d %s", w.Code, w.Body)
	}
	if w := do("PUT", "/vbk", "versioning", `<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>`); w.Code != 200 {
		t.Fatalf("PutBucketVersioning = %d %s", w.Code, w.Body)
	}
	if w := do("GET", "/vbk", "versioning", ""); !strings.Contains(w.Body.String(), "<Status>Enabled</Status>") {
		t.Errorf("GetBucketVersioning = %s", w.Body)
	}
	v1 := do("PUT", "/vbk/k", "", "one").Header().Get("X-Amz-Version-Id")
	v2 := do("PUT", "/vbk/k", "", "two").Header().Get("X-Amz-Version-Id")
	if len(v1) != 32 || len(v2) != 32 || v1 == v2 {
		t.Fatalf("version ids %q %q", v1, v2)
	}
	for q, want := range map[string]string{"": "two", "versionId=" + v1: "one", "versionId=null": "legacy"} {
		w := do("GET", "/vbk/k", q, "")
		wantID := map[string]string{"": v2, "versionId=" + v1: v1, "versionId=null": "null"}[q]
		if w.Code != 200 || w.Body.String() != want || w.Header().Get("X-Amz-Version-Id") != wantID {
			t.Errorf("GET ?%s = %d %q version %q", q, w.Code, w.Body, w.Header().Get("X-Amz-Version-Id"))
		}
	}
	if w := do("GET", "/vbk/k", "versionId=0000000000000001ffffffffffffffff", ""); w.Code != 404 || errCode(w) != "NoSuchVersion" || !strings.Contains(w.Body.String(), "<VersionId>0000000000000001ffffffffffffffff</VersionId>") {
		t.Errorf("GET of a missing version = %d %s", w.Code, w.Body)
	}
	if w := do("HEAD", "/vbk/k", "versionId=bogus", ""); w.Code != 400 {
		t.Errorf("HEAD of a malformed version = %d", w.Code)
	}
	if w := do("GET", "/vbk/k", "versionId=bogus", ""); errCode(w) != "InvalidArgument" {
		t.Errorf("GET of a malformed version = %d %s", w.Code, w.Body)
	}

	// CopyObject from an older version, then a delete marker.
	w := do("PUT", "/vbk/copy", "", "", "x-amz-copy-source", "vbk/k?versionId="+v1)
	if w.Code != 200 || w.Header().Get("X-Amz-Copy-Source-Version-Id") != v1 || len(w.Header().Get("X-Amz-Version-Id")) != 32 {
		t.Errorf("CopyObject of a version = %d %v %s", w.Code, w.Header(), w.Body)
	}
	if w := do("GET", "/vbk/copy", "", ""); w.Body.String() != "one" {
		t.Errorf("copy of v1 holds %q", w.Body)
	}
	w = do("DELETE", "/vbk/k", "", "")
	marker := w.Header().Get("X-Amz-Version-Id")
	if w.Code != 204 || w.Header().Get("X-Amz-Delete-Marker") != "true" || len(marker) != 32 {
		t.Fatalf("DELETE = %d %v", w.Code, w.Header())
	}
	w = do("GET", "/vbk/k", "", "")
	if w.Code != 404 || errCode(w) != "NoSuchKey" || w.Header().Get("X-Amz-Delete-Marker") != "true" || w.Header().Get("X-Amz-Version-Id") != marker {
		t.Errorf("GET after DELETE = %d %v %s", w.Code, w.Header(), w.Body)
	}
	if w := do("HEAD", "/vbk/k", "versionId="+marker, ""); w.Code != 405 || w.Header().Get("X-Amz-Delete-Marker") != "true" {
		t.Errorf("HEAD of the marker = %d %v", w.Code, w.Header())
	}
	if w := do("PUT", "/vbk/c2", "", "", "x-amz-copy-source", "vbk/k?versionId="+marker); errCode(w) != "InvalidRequest" {
		t.Errorf("copy of a delete marker = %d %s", w.Code, w.Body)
	}
	if w := do("GET", "/vbk", "list-type=2", ""); strings.Contains(w.Body.String(), "<Key>k</Key>") {
		t.Errorf("ListObjectsV2 shows a deleted key: %s", w.Body)
	}

	// ListObjectVersions, in pages.
	var l struct {
		IsTruncated         bool
		NextKeyMarker       string
		NextVersionIdMarker string
		Entries             []struct {
			XMLName   xml.Name
			Key       string
			VersionId string
			IsLatest  bool
			Size      *int64
		} `xml:",any"`
	}
	w = do("GET", "/vbk", "versions&prefix=k", "")
	if err := xml.Unmarshal(w.Body.Bytes(), &l); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range l.Entries {
		if e.XMLName.Local == "Version" || e.XMLName.Local == "DeleteMarker" {
			got = append(got, e.XMLName.Local+":"+e.VersionId+map[bool]string{true: "+"}[e.IsLatest])
		}
	}
	want := []string{"DeleteMarker:" + marker + "+", "Version:" + v2, "Version:" + v1, "Version:null"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("ListObjectVersions = %v, want %v\n%s", got, want, w.Body)
	}
	var paged []string
	q := "versions&prefix=k&max-keys=3"
	for i := 0; ; i++ {
		if i > 5 {
			t.Fatal("no end")
		}
		w := do("GET", "/vbk", q, "")
		l.Entries = nil
		l.IsTruncated = false
		if err := xml.Unmarshal(w.Body.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		for _, e := range l.Entries {
			if e.VersionId != "" {
				paged = append(paged, e.VersionId)
			}
		}
		if !l.IsTruncated {
			break
		}
		q = "versions&prefix=k&max-keys=3&key-marker=" + url.QueryEscape(l.NextKeyMarker) + "&version-id-marker=" + l.NextVersionIdMarker
	}
	if strings.Join(paged, " ") != strings.Join([]string{marker, v2, v1, "null"}, " ") {
		t.Errorf("ListObjectVersions in pages = %v", paged)
	}
	if w := do("GET", "/vbk", "versions&version-id-marker="+v1, ""); errCode(w) != "InvalidArgument" {
		t.Errorf("version-id-marker without key-marker = %d %s", w.Code, w.Body)
	}

	// DeleteObjects with versions: the marker goes, and k is back.
	body := "<Delete><Object><Key>k</Key><VersionId>" + marker + "</VersionId></Object><Object><Key>k</Key><VersionId>" + v1 +
		"</VersionId></Object><Object><Key>copy</Key></Object><Object><Key>k</Key><VersionId>bad</VersionId></Object></Delete>"
	w = do("POST", "/vbk", "delete", body)
	var dr struct {
		Deleted []struct {
			Key, VersionId, DeleteMarkerVersionId string
			DeleteMarker                          bool
		}
		Error []struct{ Key, VersionId, Code string }
	}
	if err := xml.Unmarshal(w.Body.Bytes(), &dr); err != nil || len(dr.Deleted) != 3 || len(dr.Error) != 1 {
		t.Fatalf("DeleteObjects = %d %s", w.Code, w.Body)
	}
	if d := dr.Deleted[0]; d.VersionId != marker || !d.DeleteMarker || d.DeleteMarkerVersionId != marker {
		t.Errorf("Deleted marker = %+v", d)
	}
	if d := dr.Deleted[1]; d.VersionId != v1 || d.DeleteMarker {
		t.Errorf("Deleted version = %+v", d)
	}
	if d := dr.Deleted[2]; d.Key != "copy" || !d.DeleteMarker || len(d.DeleteMarkerVersionId) != 32 {
		t.Errorf("Deleted without version = %+v", d)
	}
	if e := dr.Error[0]; e.VersionId != "bad" || e.Code != "InvalidArgument" {
		t.Errorf("Error = %+v", e)
	}
	if w := do("GET", "/vbk/k", "", ""); w.Body.String() != "two" {
		t.Errorf("after removing the marker GET = %d %q", w.Code, w.Body)
	}
	if w := do("GET", "/vbk/k", "versionId="+v1, ""); errCode(w) != "NoSuchVersion" {
		t.Errorf("GET of a removed version = %d %s", w.Code, w.Body)
	}
	w = do("DELETE", "/vbk/k", "versionId="+v2, "")
	if w.Code != 204 || w.Header().Get("X-Amz-Version-Id") != v2 || w.Header().Get("X-Amz-Delete-Marker") != "" {
		t.Errorf("DELETE ?versionId = %d %v", w.Code, w.Header())
	}

	// Suspended: the null version is replaced.
	if w := do("PUT", "/vbk", "versioning", "<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>"); w.Code != 200 {
		t.Fatalf("suspend = %d %s", w.Code, w.Body)
	}
	if w := do("PUT", "/vbk/k", "", "three"); w.Header().Get("X-Amz-Version-Id") != "null" {
		t.Errorf("PUT while suspended: version %q", w.Header().Get("X-Amz-Version-Id"))
	}
	if w := do("GET", "/vbk/k", "versionId=null", ""); w.Body.String() != "three" {
		t.Errorf("null version after a suspended PUT = %q", w.Body)
	}
	if w := do("GET", "/vbk", "versions&prefix=k", ""); strings.Count(w.Body.String(), "<Version>") != 1 {
		t.Errorf("versions after a suspended PUT: %s", w.Body)
	}

	// Multipart uploads make versions too.
	do("PUT", "/vbk", "versioning", "<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>")
	var cu struct{ UploadId string }
	xml.Unmarshal(do("POST", "/vbk/mp", "uploads", "").Body.Bytes(), &cu)
	etag := do("PUT", "/vbk/mp", "partNumber=1&uploadId="+cu.UploadId, "part").Header().Get("ETag")
	w = do("POST", "/vbk/mp", "uploadId="+cu.UploadId, "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"+etag+"</ETag></Part></CompleteMultipartUpload>")
	if w.Code != 200 || len(w.Header().Get("X-Amz-Version-Id")) != 32 {
		t.Errorf("CompleteMultipartUpload = %d %v", w.Code, w.Header())
	}

}
