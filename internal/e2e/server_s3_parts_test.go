package e2e_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestServerS3PartNumber reads a multipart object part by part with
// GetObject/HeadObject's PartNumber, as the SDKs' transfer managers do:
// each part comes alone as a 206 with its Content-Range and the parts
// count; a part past the last one is InvalidPartNumber.
func TestServerS3PartNumber(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := t.Context()
	c := srv.s3()
	createBuckets(t, c, "parts")
	parts := [][]byte{bytes.Repeat([]byte("a"), 5<<20), bytes.Repeat([]byte("b"), 5<<20+7), []byte("the last part")}
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("parts"), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	var done []s3types.CompletedPart
	for i, p := range parts {
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("parts"), Key: aws.String("big"), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, s3types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag})
	}
	if _, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("parts"), Key: aws.String("big"),
		UploadId: up.UploadId, MultipartUpload: &s3types.CompletedMultipartUpload{Parts: done}}); err != nil {
		t.Fatal(err)
	}
	total := len(parts[0]) + len(parts[1]) + len(parts[2])
	off := 0
	for i, p := range parts {
		out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("parts"), Key: aws.String("big"), PartNumber: aws.Int32(int32(i + 1))})
		if err != nil {
			t.Fatalf("GetObject part %d: %v", i+1, err)
		}
		body, err := io.ReadAll(out.Body)
		out.Body.Close()
		wantRange := fmt.Sprintf("bytes %d-%d/%d", off, off+len(p)-1, total)
		if err != nil || !bytes.Equal(body, p) || aws.ToString(out.ContentRange) != wantRange || aws.ToInt32(out.PartsCount) != 3 {
			t.Errorf("GetObject part %d: %d bytes (want %d), range %q (want %q), parts %d, %v", i+1, len(body), len(p),
				aws.ToString(out.ContentRange), wantRange, aws.ToInt32(out.PartsCount), err)
		}
		head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("parts"), Key: aws.String("big"), PartNumber: aws.Int32(int32(i + 1))})
		if err != nil || aws.ToInt64(head.ContentLength) != int64(len(p)) || aws.ToInt32(head.PartsCount) != 3 {
			t.Errorf("HeadObject part %d: %+v, %v", i+1, head, err)
		}
		off += len(p)
	}
	_, err = c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("parts"), Key: aws.String("big"), PartNumber: aws.Int32(4)})
	if got := apiCode(err); got != "InvalidPartNumber" {
		t.Errorf("GetObject part 4 of 3: %q, want InvalidPartNumber", got)
	}
	// A whole GET is still the whole object.
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("parts"), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if len(body) != total || out.ContentRange != nil {
		t.Errorf("GetObject whole: %d bytes, range %v; want %d, none", len(body), aws.ToString(out.ContentRange), total)
	}
}
