package e2e_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

func (s *server) s3(opts ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{Region: "eu-west-1", Credentials: s.creds(), BaseEndpoint: aws.String(s.endpoint), UsePathStyle: true}, opts...)
}

// apiCode returns the error code of an SDK error, or "" for nil.
func apiCode(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return err.Error()
}

// TestServerS3SDK drives the S3 API with aws-sdk-go-v2's S3 client:
// buckets, objects with odd keys, listings, conditionals, copies,
// multipart uploads, presigned URLs and S3's errors.
func TestServerS3SDK(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := t.Context()
	c := srv.s3()

	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("sdk-bucket"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: "eu-west-1"}}); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("sdk-bucket")})
	if got := apiCode(err); got != "BucketAlreadyOwnedByYou" {
		t.Errorf("CreateBucket(again) error = %q, want BucketAlreadyOwnedByYou", got)
	}
	_, err = c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("Bad_Name")})
	if got := apiCode(err); got != "InvalidBucketName" {
		t.Errorf("CreateBucket(Bad_Name) error = %q, want InvalidBucketName", got)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("sdk-bucket")}); err != nil {
		t.Errorf("HeadBucket: %v", err)
	}
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("no-such-bucket")})
	if got := apiCode(err); got != "NotFound" {
		t.Errorf("HeadBucket(missing) error = %q, want NotFound", got)
	}
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("sdk-bucket")})
	if err != nil || loc.LocationConstraint != "eu-west-1" {
		t.Errorf("GetBucketLocation = %+v, %v; want eu-west-1", loc, err)
	}
	lb, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(lb.Buckets) != 1 || aws.ToString(lb.Buckets[0].Name) != "sdk-bucket" {
		t.Fatalf("ListBuckets = %+v, %v", lb, err)
	}

	put := func(key, body string, mod ...func(*s3.PutObjectInput)) (*s3.PutObjectOutput, error) {
		in := &s3.PutObjectInput{Bucket: aws.String("sdk-bucket"), Key: aws.String(key), Body: strings.NewReader(body)}
		for _, m := range mod {
			m(in)
		}
		return c.PutObject(ctx, in)
	}
	get := func(key string, mod ...func(*s3.GetObjectInput)) (string, *s3.GetObjectOutput, error) {
		in := &s3.GetObjectInput{Bucket: aws.String("sdk-bucket"), Key: aws.String(key)}
		for _, m := range mod {
			m(in)
		}
		out, err := c.GetObject(ctx, in)
		if err != nil {
			return "", nil, err
		}
		defer out.Body.Close()
		data, err := io.ReadAll(out.Body)
		return string(data), out, err
	}

	// Keys that a naive key-to-path mapping gets wrong all round-trip.
	keys := []string{"a", "a/b", "a/b/c", "../../../../etc/passwd", "./x/../y", "dir/", "with space+plus&amp=%41",
		"ünïcödé/日本語/🎉", "nul\x00byte", "back\\slash", "//double//slash", strings.Repeat("k", 1024), "tab\tnewline\n"}
	for i, k := range keys {
		body := fmt.Sprintf("body %d of %q", i, k)
		out, err := put(k, body)
		if err != nil {
			t.Fatalf("PutObject(%q): %v", k, err)
		}
		sum := md5.Sum([]byte(body))
		if got, want := aws.ToString(out.ETag), `"`+hex.EncodeToString(sum[:])+`"`; got != want {
			t.Errorf("PutObject(%q) ETag = %s, want %s", k, got, want)
		}
	}
	for i, k := range keys {
		got, _, err := get(k)
		if want := fmt.Sprintf("body %d of %q", i, k); err != nil || got != want {
			t.Errorf("GetObject(%q) = %q, %v; want %q", k, got, err, want)
		}
	}
	if _, err := put(strings.Repeat("k", 1025), "x"); apiCode(err) != "KeyTooLongError" {
		t.Errorf("PutObject(1025-byte key) error = %v, want KeyTooLongError", err)
	}
	// Nothing escaped the store's directory.
	filepath.WalkDir(srv.dataDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.Contains(p, "passwd") || strings.Contains(p, "kkkk")) {
			t.Errorf("a key became a path: %s", p)
		}
		return nil
	})

	// Listings: v2 with a delimiter, pages of 2, start-after and URL
	// encoding; v1 with markers.
	var listed []string
	var prefixes []string
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("sdk-bucket"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(2), EncodingType: s3types.EncodingTypeUrl})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListObjectsV2: %v", err)
		}
		pages++
		for _, o := range page.Contents {
			listed = append(listed, aws.ToString(o.Key))
		}
		for _, cp := range page.CommonPrefixes {
			prefixes = append(prefixes, aws.ToString(cp.Prefix))
		}
	}
	var wantTop, wantPrefixes []string
	for _, k := range keys {
		if i := strings.Index(k, "/"); i >= 0 {
			if !slices.Contains(wantPrefixes, k[:i+1]) {
				wantPrefixes = append(wantPrefixes, k[:i+1])
			}
		} else {
			wantTop = append(wantTop, k)
		}
	}
	slices.Sort(wantTop)
	slices.Sort(wantPrefixes)
	// The SDK does not decode URL-encoded keys itself.
	for i := range listed {
		listed[i] = urlDecode(t, listed[i])
	}
	for i := range prefixes {
		prefixes[i] = urlDecode(t, prefixes[i])
	}
	if !slices.Equal(listed, wantTop) || !slices.Equal(prefixes, wantPrefixes) {
		t.Errorf("ListObjectsV2(delimiter /) = %q + prefixes %q\nwant %q + %q", listed, prefixes, wantTop, wantPrefixes)
	}
	if want := (len(wantTop) + len(wantPrefixes) + 1) / 2; pages != want {
		t.Errorf("ListObjectsV2 took %d pages of 2, want %d", pages, want)
	}
	v2, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("sdk-bucket"), Prefix: aws.String("a/"), StartAfter: aws.String("a/b")})
	if err != nil || len(v2.Contents) != 1 || aws.ToString(v2.Contents[0].Key) != "a/b/c" || aws.ToInt32(v2.KeyCount) != 1 {
		t.Errorf("ListObjectsV2(prefix a/, start-after a/b) = %+v, %v; want a/b/c", v2, err)
	}
	var v1keys []string
	marker := ""
	for {
		out, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("sdk-bucket"), Marker: aws.String(marker), MaxKeys: aws.Int32(5), EncodingType: s3types.EncodingTypeUrl})
		if err != nil {
			t.Fatalf("ListObjects: %v", err)
		}
		for _, o := range out.Contents {
			v1keys = append(v1keys, urlDecode(t, aws.ToString(o.Key)))
		}
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		marker = v1keys[len(v1keys)-1]
	}
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	if !slices.Equal(v1keys, sorted) {
		t.Errorf("ListObjects pages = %q, want %q", v1keys, sorted)
	}

	// Metadata, ranges and conditional requests.
	if _, err := put("meta.txt", "0123456789", func(in *s3.PutObjectInput) {
		in.ContentType = aws.String("text/x-test")
		in.Metadata = map[string]string{"Color": "blue", "build-arn": "arn:aws:codebuild:x"}
		in.CacheControl = aws.String("max-age=60")
	}); err != nil {
		t.Fatalf("PutObject(meta.txt): %v", err)
	}
	body, out, err := get("meta.txt")
	if err != nil || body != "0123456789" || aws.ToString(out.ContentType) != "text/x-test" || out.Metadata["color"] != "blue" ||
		out.Metadata["build-arn"] != "arn:aws:codebuild:x" || aws.ToString(out.CacheControl) != "max-age=60" {
		t.Errorf("GetObject(meta.txt) = %q %+v, %v", body, out, err)
	}
	etag := aws.ToString(out.ETag)
	for _, tt := range []struct {
		rng, want, contentRange string
	}{
		{"bytes=2-4", "234", "bytes 2-4/10"},
		{"bytes=7-", "789", "bytes 7-9/10"},
		{"bytes=-2", "89", "bytes 8-9/10"},
		{"bytes=5-100", "56789", "bytes 5-9/10"},
	} {
		got, out, err := get("meta.txt", func(in *s3.GetObjectInput) { in.Range = aws.String(tt.rng) })
		if err != nil || got != tt.want || aws.ToString(out.ContentRange) != tt.contentRange {
			t.Errorf("GetObject(Range %s) = %q, %v; want %q (%s)", tt.rng, got, err, tt.want, tt.contentRange)
		}
	}
	if _, _, err := get("meta.txt", func(in *s3.GetObjectInput) { in.Range = aws.String("bytes=10-") }); apiCode(err) != "InvalidRange" {
		t.Errorf("GetObject(Range bytes=10-) error = %v, want InvalidRange", err)
	}
	past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	for _, tt := range []struct {
		name string
		mod  func(*s3.GetObjectInput)
		want string // error code; "" for success
	}{
		{"If-Match ok", func(in *s3.GetObjectInput) { in.IfMatch = aws.String(etag) }, ""},
		{"If-Match other", func(in *s3.GetObjectInput) { in.IfMatch = aws.String(`"0000"`) }, "PreconditionFailed"},
		{"If-None-Match same", func(in *s3.GetObjectInput) { in.IfNoneMatch = aws.String(etag) }, "NotModified"},
		{"If-None-Match other", func(in *s3.GetObjectInput) { in.IfNoneMatch = aws.String(`"0000"`) }, ""},
		{"If-Modified-Since future", func(in *s3.GetObjectInput) { in.IfModifiedSince = aws.Time(future) }, "NotModified"},
		{"If-Modified-Since past", func(in *s3.GetObjectInput) { in.IfModifiedSince = aws.Time(past) }, ""},
		{"If-Unmodified-Since past", func(in *s3.GetObjectInput) { in.IfUnmodifiedSince = aws.Time(past) }, "PreconditionFailed"},
		{"If-Match wins over If-Unmodified-Since", func(in *s3.GetObjectInput) { in.IfMatch = aws.String(etag); in.IfUnmodifiedSince = aws.Time(past) }, ""},
	} {
		_, _, err := get("meta.txt", tt.mod)
		if got := apiCode(err); got != tt.want {
			t.Errorf("GetObject(%s) error = %q, want %q", tt.name, got, tt.want)
		}
	}
	if _, err := put("meta.txt", "x", func(in *s3.PutObjectInput) { in.IfNoneMatch = aws.String("*") }); apiCode(err) != "PreconditionFailed" {
		t.Errorf("PutObject(If-None-Match *, exists) error = %v, want PreconditionFailed", err)
	}

	// Content-MD5.
	good := md5.Sum([]byte("checked"))
	if _, err := put("md5", "checked", func(in *s3.PutObjectInput) { in.ContentMD5 = aws.String(base64.StdEncoding.EncodeToString(good[:])) }); err != nil {
		t.Errorf("PutObject(right Content-MD5): %v", err)
	}
	bad := md5.Sum([]byte("other"))
	if _, err := put("md5", "changed", func(in *s3.PutObjectInput) { in.ContentMD5 = aws.String(base64.StdEncoding.EncodeToString(bad[:])) }); apiCode(err) != "BadDigest" {
		t.Errorf("PutObject(wrong Content-MD5) error = %v, want BadDigest", err)
	}
	if _, err := put("md5", "changed", func(in *s3.PutObjectInput) { in.ContentMD5 = aws.String("not-base64!") }); apiCode(err) != "InvalidDigest" {
		t.Errorf("PutObject(invalid Content-MD5) error = %v, want InvalidDigest", err)
	}
	if got, _, _ := get("md5"); got != "checked" {
		t.Errorf("after failed puts, md5 = %q, want the first body", got)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("sdk-bucket"), Key: aws.String("missing")}); apiCode(err) != "NotFound" {
		t.Errorf("HeadObject(missing) error = %v, want NotFound", err)
	}
	if _, _, err := get("missing"); apiCode(err) != "NoSuchKey" {
		t.Errorf("GetObject(missing) error = %v, want NoSuchKey", err)
	}

	// Copies.
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("sdk-bucket"), Key: aws.String("copy/1"), CopySource: aws.String("sdk-bucket/meta.txt")}); err != nil {
		t.Fatalf("CopyObject: %v", err)
	}
	body, out, err = get("copy/1")
	if err != nil || body != "0123456789" || out.Metadata["color"] != "blue" || aws.ToString(out.ContentType) != "text/x-test" {
		t.Errorf("GetObject(copy) = %q %+v, %v", body, out.Metadata, err)
	}
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("sdk-bucket"), Key: aws.String("copy/2"), CopySource: aws.String("sdk-bucket/" + "%C3%BCn%C3%AFc%C3%B6d%C3%A9/%E6%97%A5%E6%9C%AC%E8%AA%9E/%F0%9F%8E%89"),
		MetadataDirective: s3types.MetadataDirectiveReplace, Metadata: map[string]string{"new": "1"}}); err != nil {
		t.Fatalf("CopyObject(REPLACE, unicode source): %v", err)
	}
	if _, out, err := get("copy/2"); err != nil || out.Metadata["new"] != "1" || len(out.Metadata) != 1 {
		t.Errorf("GetObject(copy REPLACE) metadata = %v, %v", out, err)
	}
	_, err = c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("sdk-bucket"), Key: aws.String("copy/1"), CopySource: aws.String("sdk-bucket/copy/1")})
	if apiCode(err) != "InvalidRequest" {
		t.Errorf("CopyObject(onto itself) error = %v, want InvalidRequest", err)
	}

	// Multipart.
	part1 := bytes.Repeat([]byte("1"), 5<<20)
	part2 := bytes.Repeat([]byte("2"), 5<<20)
	part3 := []byte("tail")
	mp, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("sdk-bucket"), Key: aws.String("mp/big"), ContentType: aws.String("application/x-big"), Metadata: map[string]string{"m": "p"}})
	if err != nil {
		t.Fatalf("CreateMultipartUpload: %v", err)
	}
	var etags []string
	var md5s []byte
	for i, data := range [][]byte{part1, part2, part3} {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("sdk-bucket"), Key: aws.String("mp/big"), UploadId: mp.UploadId, PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(data)})
		if err != nil {
			t.Fatalf("UploadPart(%d): %v", i+1, err)
		}
		etags = append(etags, aws.ToString(out.ETag))
		s := md5.Sum(data)
		md5s = append(md5s, s[:]...)
	}
	ups, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("sdk-bucket")})
	if err != nil || len(ups.Uploads) != 1 || aws.ToString(ups.Uploads[0].UploadId) != aws.ToString(mp.UploadId) {
		t.Errorf("ListMultipartUploads = %+v, %v", ups, err)
	}
	lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("sdk-bucket"), Key: aws.String("mp/big"), UploadId: mp.UploadId, MaxParts: aws.Int32(2)})
	if err != nil || len(lp.Parts) != 2 || !aws.ToBool(lp.IsTruncated) || aws.ToInt64(lp.Parts[1].Size) != 5<<20 {
		t.Errorf("ListParts(max 2) = %+v, %v", lp, err)
	}
	complete := func(nums []int32, tags []string) (*s3.CompleteMultipartUploadOutput, error) {
		var parts []s3types.CompletedPart
		for i, n := range nums {
			parts = append(parts, s3types.CompletedPart{PartNumber: aws.Int32(n), ETag: aws.String(tags[i])})
		}
		return c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("sdk-bucket"), Key: aws.String("mp/big"), UploadId: mp.UploadId,
			MultipartUpload: &s3types.CompletedMultipartUpload{Parts: parts}})
	}
	for _, tt := range []struct {
		name string
		nums []int32
		tags []string
		want string
	}{
		{"wrong etag", []int32{1, 2, 3}, []string{etags[0], etags[0], etags[2]}, "InvalidPart"},
		{"missing part", []int32{1, 2, 4}, []string{etags[0], etags[1], etags[2]}, "InvalidPart"},
		{"out of order", []int32{2, 1, 3}, []string{etags[1], etags[0], etags[2]}, "InvalidPartOrder"},
		{"small part not last", []int32{1, 3, 2}, []string{etags[0], etags[2], etags[1]}, "InvalidPartOrder"},
		{"small part in the middle", []int32{1, 3}, []string{etags[0], etags[2]}, ""},
	} {
		if tt.want == "" {
			continue
		}
		if _, err := complete(tt.nums, tt.tags); apiCode(err) != tt.want {
			t.Errorf("CompleteMultipartUpload(%s) error = %v, want %s", tt.name, err, tt.want)
		}
	}
	if _, _, err := get("mp/big"); apiCode(err) != "NoSuchKey" {
		t.Errorf("GetObject after failed completes: %v, want NoSuchKey", err)
	}
	done, err := complete([]int32{1, 2, 3}, etags)
	if err != nil {
		t.Fatalf("CompleteMultipartUpload: %v", err)
	}
	sum := md5.Sum(md5s)
	if got, want := aws.ToString(done.ETag), `"`+hex.EncodeToString(sum[:])+`-3"`; got != want {
		t.Errorf("CompleteMultipartUpload ETag = %s, want %s", got, want)
	}
	body, out, err = get("mp/big")
	if want := string(part1) + string(part2) + string(part3); err != nil || body != want || out.Metadata["m"] != "p" || aws.ToString(out.ContentType) != "application/x-big" {
		t.Errorf("GetObject(mp/big) = %d bytes, %v, %v; want %d bytes", len(body), out, err, len(want))
	}
	if _, err := complete([]int32{1, 2, 3}, etags); apiCode(err) != "NoSuchUpload" {
		t.Errorf("CompleteMultipartUpload(again) error = %v, want NoSuchUpload", err)
	}
	small, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("sdk-bucket"), Key: aws.String("mp/small")})
	if err != nil {
		t.Fatal(err)
	}
	var smallParts []s3types.CompletedPart
	for i := range 2 {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("sdk-bucket"), Key: aws.String("mp/small"), UploadId: small.UploadId, PartNumber: aws.Int32(int32(i + 1)), Body: strings.NewReader("tiny")})
		if err != nil {
			t.Fatal(err)
		}
		smallParts = append(smallParts, s3types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag})
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("sdk-bucket"), Key: aws.String("mp/small"), UploadId: small.UploadId, MultipartUpload: &s3types.CompletedMultipartUpload{Parts: smallParts}})
	if apiCode(err) != "EntityTooSmall" {
		t.Errorf("CompleteMultipartUpload(two 4-byte parts) error = %v, want EntityTooSmall", err)
	}
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("sdk-bucket"), Key: aws.String("mp/small"), UploadId: small.UploadId}); err != nil {
		t.Errorf("AbortMultipartUpload: %v", err)
	}
	if _, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("sdk-bucket"), Key: aws.String("mp/small"), UploadId: small.UploadId}); apiCode(err) != "NoSuchUpload" {
		t.Errorf("ListParts(aborted) error = %v, want NoSuchUpload", err)
	}

	// Presigned URLs, fetched without the SDK.
	ps := s3.NewPresignClient(c)
	pg, err := ps.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("sdk-bucket"), Key: aws.String("meta.txt")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(data) != "0123456789" {
		t.Errorf("GET presigned URL = %d %q", resp.StatusCode, data)
	}
	pp, err := ps.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sdk-bucket"), Key: aws.String("presigned-put")}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPut, pp.URL, strings.NewReader("via presigned PUT"))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, _, err := get("presigned-put"); resp.StatusCode != 200 || got != "via presigned PUT" {
		t.Errorf("PUT presigned URL = %d; object = %q, %v", resp.StatusCode, got, err)
	}
	tampered := strings.Replace(pg.URL, "meta.txt", "md5", 1)
	resp, err = http.Get(tampered)
	if err != nil {
		t.Fatal(err)
	}
	data, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !strings.Contains(string(data), "<Code>SignatureDoesNotMatch</Code>") || !strings.Contains(string(data), "<RequestId>") {
		t.Errorf("GET tampered presigned URL = %d %s, want 403 SignatureDoesNotMatch with a RequestId", resp.StatusCode, data)
	}

	// Virtual-hosted-style requests: <bucket>.localhost, dialled to the server.
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, srv.addr)
	}
	_, port, _ := net.SplitHostPort(srv.addr)
	vh := s3.New(s3.Options{Region: "eu-west-1", Credentials: srv.creds(), BaseEndpoint: aws.String("http://localhost:" + port),
		HTTPClient: &http.Client{Transport: &http.Transport{DialContext: dial}}})
	if _, err := vh.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sdk-bucket"), Key: aws.String("vhost/key"), Body: strings.NewReader("virtual")}); err != nil {
		t.Fatalf("PutObject(virtual-hosted): %v", err)
	}
	if got, _, err := get("vhost/key"); got != "virtual" {
		t.Errorf("object put virtual-hosted-style = %q, %v", got, err)
	}
	if out, err := vh.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("sdk-bucket"), Prefix: aws.String("vhost/")}); err != nil || len(out.Contents) != 1 {
		t.Errorf("ListObjectsV2(virtual-hosted) = %+v, %v", out, err)
	}

	// Wrong credentials.
	wrong := srv.s3(func(o *s3.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider(srv.keyID, "wrong-secret", "")
	})
	if _, err := wrong.ListBuckets(ctx, &s3.ListBucketsInput{}); apiCode(err) != "SignatureDoesNotMatch" {
		t.Errorf("ListBuckets(wrong secret) error = %v, want SignatureDoesNotMatch", err)
	}
	unknown := srv.s3(func(o *s3.Options) {
		o.Credentials = credentials.NewStaticCredentialsProvider("AKIANOSUCHKEY0000000", "x", "")
	})
	if _, err := unknown.ListBuckets(ctx, &s3.ListBucketsInput{}); apiCode(err) != "InvalidAccessKeyId" {
		t.Errorf("ListBuckets(unknown key) error = %v, want InvalidAccessKeyId", err)
	}

	// Deletes.
	_, err = c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("sdk-bucket")})
	if apiCode(err) != "BucketNotEmpty" {
		t.Errorf("DeleteBucket(not empty) error = %v, want BucketNotEmpty", err)
	}
	// XML 1.0 cannot carry a NUL, so DeleteObjects cannot name that key.
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("sdk-bucket"), Key: aws.String("nul\x00byte")}); err != nil {
		t.Errorf("DeleteObject(NUL key): %v", err)
	}
	var all []s3types.ObjectIdentifier
	for _, k := range append(keys, "meta.txt", "md5", "copy/1", "copy/2", "mp/big", "presigned-put", "vhost/key", "never-existed") {
		all = append(all, s3types.ObjectIdentifier{Key: aws.String(k)})
	}
	del, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("sdk-bucket"), Delete: &s3types.Delete{Objects: all}})
	if err != nil || len(del.Deleted) != len(all) || len(del.Errors) != 0 {
		t.Fatalf("DeleteObjects = %d deleted, %+v errors, %v; want %d deleted", len(del.Deleted), del.Errors, err, len(all))
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("sdk-bucket"), Key: aws.String("already-gone")}); err != nil {
		t.Errorf("DeleteObject(missing): %v", err)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("sdk-bucket")}); err != nil {
		t.Errorf("DeleteBucket: %v", err)
	}
	if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("sdk-bucket")}); apiCode(err) != "NoSuchBucket" {
		t.Errorf("ListObjectsV2(deleted bucket) error = %v, want NoSuchBucket", err)
	}
}

func urlDecode(t *testing.T, s string) string {
	t.Helper()
	d, err := url.QueryUnescape(s)
	if err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return d
}

// awsRunners returns run, which runs the aws CLI against srv and fails the
// test if the command fails, and fail, which fails it if it succeeds;
// both return the command's output.
func awsRunners(t *testing.T, srv *server) (run, fail func(args ...string) string) {
	run = func(args ...string) string {
		t.Helper()
		out, err := awsCLI(t, srv, args...)
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	fail = func(args ...string) string {
		t.Helper()
		out, err := awsCLI(t, srv, args...)
		if err == nil {
			t.Fatalf("aws %s succeeded, want an error:\n%s", strings.Join(args, " "), out)
		}
		return out
	}
	return run, fail
}

// TestServerS3CLI drives the S3 API with the aws CLI's s3 and s3api
// commands: mb, cp (a multipart upload and download), sync, ls, rm, rb,
// and s3api's metadata, ranges, conditionals and errors.
func TestServerS3CLI(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	dir := t.TempDir()
	run, fail := awsRunners(t, srv)
	run("s3", "mb", "s3://cli-bucket")
	if out := fail("s3", "mb", "s3://cli-bucket"); !strings.Contains(out, "BucketAlreadyOwnedByYou") {
		t.Errorf("second mb: %s", out)
	}
	// 20 MB: the CLI uploads it in 8 MB parts and downloads it in ranges.
	big := filepath.Join(dir, "big.bin")
	data := make([]byte, 20<<20)
	for i := range data {
		data[i] = byte(i*7 + i>>12)
	}
	os.WriteFile(big, data, 0o644)
	run("s3", "cp", big, "s3://cli-bucket/big/big.bin", "--no-progress")
	head := run("s3api", "head-object", "--bucket", "cli-bucket", "--key", "big/big.bin")
	if !strings.Contains(head, `-3\"`) || !strings.Contains(head, `"ContentLength": 20971520`) {
		t.Errorf("head-object of a multipart upload: %s", head)
	}
	back := filepath.Join(dir, "back.bin")
	run("s3", "cp", "s3://cli-bucket/big/big.bin", back, "--no-progress")
	if got, _ := os.ReadFile(back); !bytes.Equal(got, data) {
		t.Errorf("downloaded %d bytes differ from the uploaded %d", len(got), len(data))
	}

	tree := filepath.Join(dir, "tree")
	for name, content := range map[string]string{"index.html": "<h1>hi</h1>", "css/site.css": "body{}", "js/app.js": "x()", "deep/a/b/c.txt": "c"} {
		os.MkdirAll(filepath.Dir(filepath.Join(tree, name)), 0o755)
		os.WriteFile(filepath.Join(tree, name), []byte(content), 0o644)
	}
	if out := run("s3", "sync", tree, "s3://cli-bucket/site", "--no-progress"); strings.Count(out, "upload:") != 4 {
		t.Errorf("first sync uploaded:\n%s", out)
	}
	if out := run("s3", "sync", tree, "s3://cli-bucket/site", "--no-progress"); strings.Contains(out, "upload:") {
		t.Errorf("second sync uploaded again:\n%s", out)
	}
	if out := run("s3", "ls", "s3://cli-bucket/site/"); !strings.Contains(out, "PRE css/") || !strings.Contains(out, "index.html") || strings.Contains(out, "site.css") {
		t.Errorf("ls site/:\n%s", out)
	}
	if out := run("s3", "ls", "--recursive", "s3://cli-bucket/"); strings.Count(out, "\n") != 5 || !strings.Contains(out, "site/deep/a/b/c.txt") {
		t.Errorf("ls --recursive:\n%s", out)
	}
	if out := run("s3", "cp", "s3://cli-bucket/site/index.html", "-"); out != "<h1>hi</h1>" {
		t.Errorf("cp to stdout = %q", out)
	}
	if ct := run("s3api", "head-object", "--bucket", "cli-bucket", "--key", "site/css/site.css", "--query", "ContentType", "--output", "text"); strings.TrimSpace(ct) != "text/css" {
		t.Errorf("sync's content type for site.css = %q, want text/css", ct)
	}

	src := filepath.Join(dir, "small.txt")
	os.WriteFile(src, []byte("hello, s3api"), 0o644)
	run("s3api", "put-object", "--bucket", "cli-bucket", "--key", "meta", "--body", src, "--metadata", "owner=team-a,stage=dev", "--content-type", "text/plain")
	if out := run("s3api", "head-object", "--bucket", "cli-bucket", "--key", "meta"); !strings.Contains(out, `"owner": "team-a"`) || !strings.Contains(out, `"stage": "dev"`) {
		t.Errorf("head-object metadata:\n%s", out)
	}
	rng := filepath.Join(dir, "range.out")
	run("s3api", "get-object", "--bucket", "cli-bucket", "--key", "meta", "--range", "bytes=7-11", rng)
	if got, _ := os.ReadFile(rng); string(got) != "s3api" {
		t.Errorf("get-object --range bytes=7-11 = %q", got)
	}
	etag := strings.TrimSpace(run("s3api", "head-object", "--bucket", "cli-bucket", "--key", "meta", "--query", "ETag", "--output", "text"))
	if out := fail("s3api", "get-object", "--bucket", "cli-bucket", "--key", "meta", "--if-none-match", etag, rng); !strings.Contains(out, "304") {
		t.Errorf("get-object --if-none-match <etag>: %s", out)
	}
	if out := fail("s3api", "get-object", "--bucket", "cli-bucket", "--key", "meta", "--if-match", `"nope"`, rng); !strings.Contains(out, "PreconditionFailed") {
		t.Errorf("get-object --if-match nope: %s", out)
	}
	if out := fail("s3api", "get-object", "--bucket", "cli-bucket", "--key", "nope", rng); !strings.Contains(out, "NoSuchKey") {
		t.Errorf("get-object of a missing key: %s", out)
	}
	if out := fail("s3", "ls", "s3://no-such-bucket/"); !strings.Contains(out, "NoSuchBucket") {
		t.Errorf("ls of a missing bucket: %s", out)
	}
	if out := fail("s3", "rb", "s3://cli-bucket"); !strings.Contains(out, "BucketNotEmpty") {
		t.Errorf("rb of a full bucket: %s", out)
	}
	run("s3", "rm", "--recursive", "s3://cli-bucket/site")
	run("s3", "rm", "s3://cli-bucket/meta")
	run("s3", "rb", "--force", "s3://cli-bucket")
	if out := run("s3", "ls"); strings.Contains(out, "cli-bucket") {
		t.Errorf("ls after rb:\n%s", out)
	}
}
