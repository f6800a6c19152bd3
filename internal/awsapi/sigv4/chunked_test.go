package sigv4_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/codeyard/codeyard/internal/awsapi/sigv4"
)

// docResult verifies the request of AWS's aws-chunked example ("Transferring
// Payload in Multiple Chunks", Amazon S3 API Reference) and returns the
// result that signs its chunks.
func docResult(t testing.TB) *sigv4.Result {
	t.Helper()
	v := &sigv4.Verifier{
		Secret: func(context.Context, string) (string, bool, error) {
			return "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", true, nil
		},
		Now: func() time.Time { return time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC) },
	}
	r := httptest.NewRequest(http.MethodPut, "/examplebucket/chunkObject.txt", nil)
	r.Host = "s3.amazonaws.com"
	for k, val := range map[string]string{
		"Content-Encoding":             "aws-chunked",
		"Content-Length":               "66824",
		"X-Amz-Content-Sha256":         sigv4.StreamingPayload,
		"X-Amz-Date":                   "20130524T000000Z",
		"X-Amz-Decoded-Content-Length": "66560",
		"X-Amz-Storage-Class":          "REDUCED_REDUNDANCY",
		"Authorization": "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request," +
			"SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class," +
			"Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
	} {
		r.Header.Set(k, val)
	}
	res, err := v.Verify(r, nil, "s3")
	if err != nil {
		t.Fatalf("Verify(documented aws-chunked PUT) error = %v", err)
	}
	return res
}

// docBody frames 66560 bytes of 'a' as AWS's examples do: chunks of 65536,
// 1024 and 0 bytes.
func docBody(sigs [3]string, trailer string) string {
	return fmt.Sprintf("10000;chunk-signature=%s\r\n%s\r\n400;chunk-signature=%s\r\n%s\r\n0;chunk-signature=%s\r\n%s\r\n",
		sigs[0], strings.Repeat("a", 65536), sigs[1], strings.Repeat("a", 1024), sigs[2], trailer)
}

var (
	docSigs = [3]string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	}
	// From "Signature calculation when using trailing headers".
	docTrailerSeed = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
	docTrailerSigs = [3]string{
		"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
		"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
		"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
	}
	docTrailer = "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n"
)

// sdkChunked signs a PUT with aws-sdk-go-v2, verifies it, and frames data in
// chunks of size, each signed by the SDK's stream signer.
func sdkChunked(t testing.TB, data string, size int) (*sigv4.Result, string) {
	t.Helper()
	q := request{service: "s3", method: http.MethodPut, path: "/b/k", payload: sigv4.StreamingPayload,
		header: http.Header{
			"X-Amz-Content-Sha256":         {sigv4.StreamingPayload},
			"Content-Encoding":             {"aws-chunked"},
			"X-Amz-Decoded-Content-Length": {fmt.Sprint(len(data))},
		}}
	res, err := newVerifier(signTime).Verify(q.build(t, "http://example.com"), nil, "s3")
	if err != nil {
		t.Fatalf("Verify() error = %v", err)
	}
	seed, err := hex.DecodeString(res.Signature)
	if err != nil {
		t.Fatal(err)
	}
	signer := v4.NewStreamSigner(aws.Credentials{AccessKeyID: akid, SecretAccessKey: secret}, "s3", region, seed)
	var b strings.Builder
	for {
		n := min(size, len(data))
		sig, err := signer.GetSignature(context.Background(), nil, []byte(data[:n]), signTime)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%x;chunk-signature=%x\r\n%s\r\n", n, sig, data[:n])
		data = data[n:]
		if n == 0 {
			break
		}
	}
	return res, b.String()
}

func TestChunkReader(t *testing.T) {
	t.Parallel()
	doc := docResult(t)
	trailerRes := *doc
	trailerRes.Signature = docTrailerSeed
	trailerRes.PayloadHash = sigv4.StreamingPayloadTrailer
	unsigned := *doc
	unsigned.PayloadHash = sigv4.StreamingUnsignedPayloadTrailer
	sdkRes, sdkBody := sdkChunked(t, strings.Repeat("0123456789", 1000), 4096)
	tests := []struct {
		name    string
		res     *sigv4.Result
		body    string
		want    string
		trailer http.Header
	}{
		{
			name: "AWS example", res: doc, body: docBody(docSigs, ""),
			want: strings.Repeat("a", 66560),
		},
		{
			name: "AWS example with trailer", res: &trailerRes, body: docBody(docTrailerSigs, docTrailer),
			want: strings.Repeat("a", 66560), trailer: http.Header{"X-Amz-Checksum-Crc32c": {"sOO8/Q=="}},
		},
		{
			name: "AWS example with trailer, checksum line ending in LF",
			res:  &trailerRes,
			body: docBody(docTrailerSigs, strings.Replace(docTrailer, "\r\nx-amz-trailer-signature:", "\n\r\nx-amz-trailer-signature:", 1)),
			want: strings.Repeat("a", 66560), trailer: http.Header{"X-Amz-Checksum-Crc32c": {"sOO8/Q=="}},
		},
		{
			name: "AWS example without the final CRLF", res: doc, body: strings.TrimSuffix(docBody(docSigs, ""), "\r\n"),
			want: strings.Repeat("a", 66560),
		},
		{
			name: "signed by aws-sdk-go-v2", res: sdkRes, body: sdkBody,
			want: strings.Repeat("0123456789", 1000),
		},
		{
			name: "unsigned with trailer", res: &unsigned,
			body: "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n",
			want: "hello world", trailer: http.Header{"X-Amz-Checksum-Crc32": {"DUoRhQ=="}},
		},
		{
			name: "unsigned, body ends after the trailer", res: &unsigned,
			body: "b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n",
			want: "hello world", trailer: http.Header{"X-Amz-Checksum-Crc32": {"DUoRhQ=="}},
		},
		{
			name: "unsigned without trailer", res: &unsigned,
			body: "0\r\n\r\n",
			want: "", trailer: http.Header{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := sigv4.NewChunkReader(strings.NewReader(tt.body), tt.res)
			got, err := io.ReadAll(c)
			if err != nil {
				t.Fatalf("ReadAll(NewChunkReader()) error = %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("ReadAll(NewChunkReader()) = %d bytes %.20q…, want %d bytes %.20q…", len(got), got, len(tt.want), tt.want)
			}
			if diff := cmp.Diff(tt.trailer, c.Trailer()); diff != "" {
				t.Errorf("Trailer() mismatch (-want +got):\n%s", diff)
			}
			// Reading in small and odd pieces gives the same bytes.
			for _, r := range []func(io.Reader) io.Reader{iotest.OneByteReader, iotest.HalfReader, iotest.DataErrReader} {
				if err := iotest.TestReader(sigv4.NewChunkReader(r(strings.NewReader(tt.body)), tt.res), []byte(tt.want)); err != nil {
					t.Errorf("TestReader() error = %v", err)
				}
			}
		})
	}
}

func TestChunkReaderRejects(t *testing.T) {
	t.Parallel()
	doc := docResult(t)
	trailerRes := *doc
	trailerRes.Signature = docTrailerSeed
	trailerRes.PayloadHash = sigv4.StreamingPayloadTrailer
	unsigned := *doc
	unsigned.PayloadHash = sigv4.StreamingUnsignedPayloadTrailer
	good := docBody(docSigs, "")
	notChunked := *doc
	notChunked.PayloadHash = sigv4.UnsignedPayload
	tests := []struct {
		name   string
		res    *sigv4.Result
		body   string
		kind   sigv4.Kind
		s3code string
	}{
		{"changed data", doc, strings.Replace(good, "\r\naaaa", "\r\nbaaa", 1), sigv4.Mismatch, "SignatureDoesNotMatch"},
		{"changed signature", doc, strings.Replace(good, docSigs[1], docSigs[0], 1), sigv4.Mismatch, "SignatureDoesNotMatch"},
		{"chunks swapped seed", &trailerRes, docBody(docSigs, docTrailer), sigv4.Mismatch, "SignatureDoesNotMatch"},
		{"last chunk signature wrong", doc, strings.Replace(good, docSigs[2], docSigs[1], 1), sigv4.Mismatch, "SignatureDoesNotMatch"},
		{"trailer changed", &trailerRes, docBody(docTrailerSigs, strings.Replace(docTrailer, "sOO8", "xOO8", 1)), sigv4.Mismatch, "SignatureDoesNotMatch"},
		{"trailer without signature", &trailerRes, docBody(docTrailerSigs, "x-amz-checksum-crc32c:sOO8/Q==\r\n"), sigv4.Malformed, "IncompleteBody"},
		{"trailer signature not a hash", &trailerRes, docBody(docTrailerSigs, "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:abc\r\n"), sigv4.Malformed, "InvalidRequest"},
		{"trailer not a header", &unsigned, "0\r\nnot a header\r\n\r\n", sigv4.Malformed, "InvalidRequest"},
		{"truncated in data", doc, good[:1000], sigv4.Malformed, "IncompleteBody"},
		{"truncated before the last chunk", doc, good[:strings.LastIndex(good, "0;chunk")], sigv4.Malformed, "IncompleteBody"},
		{"truncated in a chunk header", doc, good[:strings.LastIndex(good, "0;chunk")+5], sigv4.Malformed, "IncompleteBody"},
		{"empty body", doc, "", sigv4.Malformed, "IncompleteBody"},
		{"no chunk signature", doc, "5\r\nhello\r\n0\r\n\r\n", sigv4.Malformed, "InvalidRequest"},
		{"size not hex", &unsigned, "5x\r\nhello\r\n0\r\n\r\n", sigv4.Malformed, "InvalidRequest"},
		{"negative size", &unsigned, "-5\r\nhello\r\n0\r\n\r\n", sigv4.Malformed, "InvalidRequest"},
		{"huge size", &unsigned, "ffffffffffffffffff\r\nhello\r\n0\r\n\r\n", sigv4.Malformed, "InvalidRequest"},
		{"data longer than its size", &unsigned, "3\r\nhello\r\n0\r\n\r\n", sigv4.Malformed, "InvalidRequest"},
		{"data after the last chunk", doc, good + "extra\r\n", sigv4.Malformed, "InvalidRequest"},
		{"endless header line", &unsigned, strings.Repeat("1", 10000), sigv4.Malformed, "InvalidRequest"},
		{"not aws-chunked", &notChunked, good, sigv4.Malformed, "AuthorizationHeaderMalformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := io.ReadAll(sigv4.NewChunkReader(strings.NewReader(tt.body), tt.res))
			var e *sigv4.Error
			if !errors.As(err, &e) {
				t.Fatalf("ReadAll(NewChunkReader()) = %d bytes, error %v; want an *Error", len(got), err)
			}
			if code, _ := e.S3Code(); e.Kind != tt.kind || code != tt.s3code {
				t.Errorf("ReadAll(NewChunkReader()) error = %v (%s); want kind %v, S3 code %s", err, code, tt.kind, tt.s3code)
			}
		})
	}
}
