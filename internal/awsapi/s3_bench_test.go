package awsapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/codeyard/codeyard/internal/blob"
)

// benchPartSize is the part size of the aws CLI's uploads and downloads.
const benchPartSize = 8 << 20

// benchS3 serves a store over loopback TCP, as codeyard serve does, with a
// bucket "bench".
func benchS3(b *testing.B) (*httptest.Server, *blob.Disk) {
	b.Helper()
	s, d := newTestS3(b, nil)
	if err := d.CreateBucket(context.Background(), "bench", "us-east-1"); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s)
	b.Cleanup(srv.Close)
	return srv, d
}

// benchRequest makes a request signed as the aws CLI signs it over HTTP:
// the body's SHA-256 signed, its CRC32 in a header.
func benchRequest(b *testing.B, method, url string, body []byte, payloadHash, crc string) *http.Request {
	r, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	if crc != "" {
		r.Header.Set("X-Amz-Checksum-Crc32", crc)
		r.Header.Set("X-Amz-Sdk-Checksum-Algorithm", "CRC32")
	}
	r.Header.Set("X-Amz-Content-Sha256", payloadHash)
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	if err := signer.SignHTTP(context.Background(), creds, r, payloadHash, "s3", "us-east-1", time.Now()); err != nil {
		b.Fatal(err)
	}
	return r
}

func benchDo(b *testing.B, r *http.Request, w io.Writer) {
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(resp.Body)
		b.Fatalf("%s %s: %s %s", r.Method, r.URL, resp.Status, msg)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkS3UploadPart sends 8 MiB parts as the aws CLI does, from as
// many clients as there are CPUs: it measures the server's cost of a byte
// uploaded (hashes, copies, syncs), without the CLI's.
func BenchmarkS3UploadPart(b *testing.B) {
	srv, d := benchS3(b)
	id, err := d.CreateUpload(context.Background(), "bench", "big", blob.PutOptions{})
	if err != nil {
		b.Fatal(err)
	}
	body := make([]byte, benchPartSize)
	rand.Read(body)
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	crc := base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(body)))
	var n atomic.Int64
	b.SetBytes(benchPartSize)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			part := n.Add(1)%blob.MaxParts + 1
			url := fmt.Sprintf("%s/bench/big?partNumber=%d&uploadId=%s", srv.URL, part, id)
			benchDo(b, benchRequest(b, http.MethodPut, url, body, payloadHash, crc), io.Discard)
		}
	})
}

// BenchmarkS3GetRange reads an object of 128 parts of 8 MiB in ranges of
// 8 MiB that straddle the parts, as the aws CLI's downloads do when the
// parts are not of its size.
func BenchmarkS3GetRange(b *testing.B) {
	srv, d := benchS3(b)
	ctx := context.Background()
	id, err := d.CreateUpload(ctx, "bench", "big", blob.PutOptions{})
	if err != nil {
		b.Fatal(err)
	}
	body := make([]byte, benchPartSize)
	rand.Read(body)
	const parts = 128
	var refs []blob.PartRef
	for i := 1; i <= parts; i++ {
		p, err := d.PutPart(ctx, "bench", "big", id, i, bytes.NewReader(body), nil)
		if err != nil {
			b.Fatal(err)
		}
		refs = append(refs, blob.PartRef{Number: i, ETag: p.ETag})
	}
	if _, err := d.CompleteUpload(ctx, "bench", "big", id, refs); err != nil {
		b.Fatal(err)
	}
	const emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	var n atomic.Int64
	b.SetBytes(benchPartSize)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			off := (n.Add(1)%(parts-1))*benchPartSize + benchPartSize/2
			r := benchRequest(b, http.MethodGet, srv.URL+"/bench/big", nil, emptyHash, "")
			r.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", off, off+benchPartSize-1))
			benchDo(b, r, io.Discard)
		}
	})
}
