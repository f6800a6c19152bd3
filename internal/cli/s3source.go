package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/codeyard/codeyard/internal/blob"
	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/source"
)

// s3Objects reads a server's S3 store (or any S3 endpoint) through the
// aws-sdk-go-v2 S3 client, for `codeyard build --source s3://...`. Open
// downloads the object into a temporary file, which Close removes.
type s3Objects struct{ c *s3.Client }

var _ source.VersionedObjects = s3Objects{}

// newS3Objects makes the client from --endpoint-url (or AWS_ENDPOINT_URL)
// and the AWS_* credentials, as the aws CLI takes them.
func newS3Objects(endpoint, region string) (s3Objects, error) {
	if endpoint == "" {
		return s3Objects{}, errors.New("--source s3://... needs the server: set AWS_ENDPOINT_URL (or --endpoint-url) and an access key")
	}
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return s3Objects{}, errors.New("--source s3://... needs an access key: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	return s3Objects{s3.New(s3.Options{Region: region, BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN"))})}, nil
}

// s3Error maps S3's error codes to the store's errors.
func s3Error(err error, bucket, key string) error {
	var ae interface{ ErrorCode() string }
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchBucket":
			return fmt.Errorf("bucket %s: %w", bucket, blob.ErrNoSuchBucket)
		case "NoSuchKey", "NotFound":
			return fmt.Errorf("object %s: %w", key, blob.ErrNoSuchKey)
		case "NoSuchVersion":
			return fmt.Errorf("object %s: %w", key, blob.ErrNoSuchVersion)
		case "InvalidArgument":
			return fmt.Errorf("object %s: %w", key, blob.ErrInvalidVersion)
		case "MethodNotAllowed": // a GET of a delete marker's version
			return fmt.Errorf("object %s: %w", key, blob.ErrDeleteMarker)
		}
	}
	return err
}

func (o s3Objects) Open(ctx context.Context, bucket, key string) (blob.Reader, error) {
	return o.get(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
}

// OpenVersion reads one version of an object of a versioned bucket.
func (o s3Objects) OpenVersion(ctx context.Context, bucket, key, versionID string) (blob.Reader, error) {
	return o.get(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), VersionId: aws.String(versionID)})
}

func (o s3Objects) get(ctx context.Context, in *s3.GetObjectInput) (blob.Reader, error) {
	bucket, key := aws.ToString(in.Bucket), aws.ToString(in.Key)
	out, err := o.c.GetObject(ctx, in)
	if err != nil {
		return nil, s3Error(err, bucket, key)
	}
	defer out.Body.Close()
	f, err := os.CreateTemp("", "codeyard-s3-*")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name()) // the open file is all that is needed
	n, err := io.Copy(f, out.Body)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("download s3://%s/%s: %w", bucket, key, err)
	}
	return &fileReader{f: f, obj: blob.Object{Key: key, Size: n, ContentType: aws.ToString(out.ContentType), Meta: out.Metadata}}, nil
}

func (o s3Objects) List(ctx context.Context, bucket string, q blob.ListQuery) (blob.ListResult, error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(q.Prefix)}
	if q.Delimiter != "" {
		in.Delimiter = aws.String(q.Delimiter)
	}
	if q.After != "" {
		in.StartAfter = aws.String(q.After)
	}
	if q.Max > 0 {
		in.MaxKeys = aws.Int32(int32(q.Max))
	}
	out, err := o.c.ListObjectsV2(ctx, in)
	if err != nil {
		return blob.ListResult{}, s3Error(err, bucket, q.Prefix)
	}
	var res blob.ListResult
	for _, c := range out.Contents {
		res.Objects = append(res.Objects, blob.Object{Key: aws.ToString(c.Key), Size: aws.ToInt64(c.Size), ETag: strings.Trim(aws.ToString(c.ETag), `"`)})
	}
	for _, p := range out.CommonPrefixes {
		res.Prefixes = append(res.Prefixes, aws.ToString(p.Prefix))
	}
	if aws.ToBool(out.IsTruncated) && len(res.Objects) > 0 {
		res.Truncated, res.Next = true, res.Objects[len(res.Objects)-1].Key
	}
	return res, nil
}

// fileReader is a downloaded object as a blob.Reader.
type fileReader struct {
	f   *os.File
	obj blob.Object
}

func (r *fileReader) Object() blob.Object                     { return r.obj }
func (r *fileReader) Close() error                            { return r.f.Close() }
func (r *fileReader) ReadAt(p []byte, off int64) (int, error) { return r.f.ReadAt(p, off) }
func (r *fileReader) WriteRange(w io.Writer, off, n int64) (int64, error) {
	return io.Copy(w, io.NewSectionReader(r.f, off, n))
}

// s3Source is an S3 source fetched once, before the build, into a local
// directory (a batch build reads its buildspec there first): each build
// copies that directory and reports the S3 location and version.
type s3Source struct {
	dir  source.Dir
	info build.SourceInfo
}

func (s s3Source) Fetch(ctx context.Context, dst string) (build.SourceInfo, error) {
	if _, err := s.dir.Fetch(ctx, dst); err != nil {
		return s.info, err
	}
	return s.info, nil
}

// fetchS3Source downloads `--source s3://bucket/key` into a new temporary
// directory, which the caller removes.
func fetchS3Source(ctx context.Context, f buildFlags, region string) (dir string, info build.SourceInfo, err error) {
	objects, err := newS3Objects(f.endpoint, region)
	if err != nil {
		return "", info, err
	}
	dir, err = os.MkdirTemp("", "codeyard-s3src-")
	if err != nil {
		return "", info, err
	}
	info, err = source.S3{Objects: objects, Location: f.source, Version: f.sourceVersion}.Fetch(ctx, dir)
	if err != nil {
		os.RemoveAll(dir)
		var ce *build.ContextError
		if errors.As(err, &ce) {
			return "", info, fmt.Errorf("--source %s: %s", f.source, ce.Message)
		}
		return "", info, fmt.Errorf("--source %s: %w", f.source, err)
	}
	return dir, info, nil
}
