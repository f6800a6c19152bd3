package sigv4

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
)

// maxChunkLine bounds a chunk header or trailer line.
const maxChunkLine = 4096

// ChunkReader decodes an S3 body sent with Content-Encoding aws-chunked.
//
// With the payload hashes StreamingPayload and StreamingPayloadTrailer every
// chunk carries a signature chained to the request's, which Read checks at
// the end of the chunk. Read hands out a chunk's bytes before it has seen the
// whole chunk, so a caller must discard everything it read when Read returns
// an error; io.EOF comes only after the last signature checked out. A wrong
// signature is an *Error of Kind Mismatch, broken framing one of Kind
// Malformed.
//
// With StreamingUnsignedPayloadTrailer the chunks carry no signatures.
//
// Trailing headers, such as x-amz-checksum-crc32, are available from Trailer
// once Read has returned io.EOF. Checking them, and the decoded length
// against X-Amz-Decoded-Content-Length, is up to the caller.
type ChunkReader struct {
	r       *bufio.Reader
	res     *Result
	signed  bool
	trailer bool

	prevSig   string    // signature of the previous chunk, or the seed
	chunkSig  string    // signature the current chunk claims
	remaining int64     // bytes of the current chunk still to read
	h         hash.Hash // SHA-256 of the current chunk
	trailers  http.Header
	err       error // sticky
}

// NewChunkReader returns a reader of the decoded body, verifying the chunks
// against res, the result of verifying the request. res.PayloadHash must be
// one of the Streaming… payload hashes; for any other the reader fails.
func NewChunkReader(body io.Reader, res *Result) *ChunkReader {
	c := &ChunkReader{r: bufio.NewReaderSize(body, 64<<10), res: res, prevSig: res.Signature, h: sha256.New()}
	switch res.PayloadHash {
	case StreamingPayload:
		c.signed = true
	case StreamingPayloadTrailer:
		c.signed, c.trailer = true, true
	case StreamingUnsignedPayloadTrailer:
		c.trailer = true
	default:
		msg := "the payload " + res.PayloadHash + " is not aws-chunked"
		c.err = newError(Malformed, msg, msg, res.Presigned)
	}
	return c
}

// Trailer returns the trailing headers but x-amz-trailer-signature, once Read
// has returned io.EOF.
func (c *ChunkReader) Trailer() http.Header {
	return c.trailers
}

func (c *ChunkReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.remaining == 0 {
		if err := c.nextChunk(); err != nil {
			c.err = err
			return 0, err
		}
		if c.err != nil { // the last chunk
			return 0, c.err
		}
	}
	if int64(len(p)) > c.remaining {
		p = p[:c.remaining]
	}
	n, err := c.r.Read(p)
	if c.signed { // an unsigned chunk has no signature to check its hash against
		c.h.Write(p[:n])
	}
	c.remaining -= int64(n)
	if c.remaining == 0 {
		if err := c.endChunk(); err != nil {
			c.err = err
			return n, err
		}
	}
	if err == io.EOF {
		err = truncated()
	}
	if err != nil {
		c.err = err
	}
	return n, err
}

// nextChunk reads a chunk header, "<hex size>;chunk-signature=<sig>" or, for
// unsigned payloads, "<hex size>". After the zero-size last chunk it reads
// the trailers and sets c.err to io.EOF.
func (c *ChunkReader) nextChunk() error {
	line, err := c.line()
	if err == io.EOF {
		return truncated()
	}
	if err != nil {
		return err
	}
	size, ext, _ := strings.Cut(line, ";")
	n, perr := strconv.ParseInt(strings.TrimSpace(size), 16, 64)
	if perr != nil || n < 0 || len(size) > 16 {
		return malformedChunk("invalid chunk size " + strconv.Quote(size))
	}
	c.remaining = n
	c.h.Reset()
	if c.signed {
		sig, ok := strings.CutPrefix(ext, "chunk-signature=")
		if !ok || !isSHA256(sig) {
			return malformedChunk("chunk without chunk-signature")
		}
		c.chunkSig = sig
	}
	if n > 0 {
		return nil
	}
	if c.signed {
		if err := c.checkChunk(); err != nil {
			return err
		}
	}
	if c.trailer {
		if err := c.readTrailers(); err != nil {
			return err
		}
	} else if err := c.blankLine(); err != nil {
		return err
	}
	if _, err := c.r.Peek(1); err == nil {
		return malformedChunk("data after the last chunk")
	} else if err != io.EOF {
		return err
	}
	c.err = io.EOF
	return nil
}

// endChunk reads the CRLF after a chunk's data and checks its signature.
func (c *ChunkReader) endChunk() error {
	var crlf [2]byte
	if _, err := io.ReadFull(c.r, crlf[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return truncated()
		}
		return err
	}
	if crlf != [2]byte{'\r', '\n'} {
		return malformedChunk("chunk data not followed by CRLF")
	}
	if c.signed {
		return c.checkChunk()
	}
	return nil
}

// checkChunk verifies the signature of the chunk just read.
func (c *ChunkReader) checkChunk() error {
	s := c.stringToSign("AWS4-HMAC-SHA256-PAYLOAD")
	s = append(s, emptySHA256...)
	s = append(s, '\n')
	s = hex.AppendEncode(s, c.h.Sum(nil))
	return c.checkSig(s, c.chunkSig)
}

func (c *ChunkReader) stringToSign(algorithm string) []byte {
	s := make([]byte, 0, 256)
	s = append(s, algorithm...)
	s = append(s, '\n')
	s = append(s, c.res.Time.UTC().Format(timeFormat)...)
	s = append(s, '\n')
	s = append(s, c.res.scope()...)
	s = append(s, '\n')
	s = append(s, c.prevSig...)
	s = append(s, '\n')
	return s
}

func (c *ChunkReader) checkSig(stringToSign []byte, sig string) error {
	h := hmac.New(sha256.New, c.res.SigningKey)
	h.Write(stringToSign)
	want := hex.AppendEncode(make([]byte, 0, 64), h.Sum(nil))
	if !hmac.Equal(want, []byte(sig)) {
		e := newError(Mismatch, msgMismatch, msgS3Mismatch, c.res.Presigned)
		e.StringToSign = string(stringToSign)
		return e
	}
	c.prevSig = sig
	return nil
}

// readTrailers reads "name:value" lines up to a blank line or the end of the
// body, and checks x-amz-trailer-signature when the payload is signed.
func (c *ChunkReader) readTrailers() error {
	c.trailers = http.Header{}
	var canonical []byte
	var sig string
	for {
		line, err := c.line()
		if err == io.EOF {
			if c.signed {
				return truncated()
			}
			break // some clients omit the final CRLF
		}
		if err != nil {
			return err
		}
		if line == "" {
			if c.signed && sig == "" && len(canonical) > 0 {
				continue // a blank line between the checksums and their signature
			}
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" {
			return malformedChunk("invalid trailer " + strconv.Quote(line))
		}
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		if name == "x-amz-trailer-signature" {
			sig = value
			continue
		}
		c.trailers.Add(textproto.CanonicalMIMEHeaderKey(name), value)
		canonical = append(canonical, name...)
		canonical = append(canonical, ':')
		canonical = append(canonical, value...)
		canonical = append(canonical, '\n')
	}
	if !c.signed {
		return nil
	}
	if !isSHA256(sig) {
		return malformedChunk("trailer without x-amz-trailer-signature")
	}
	sum := sha256.Sum256(canonical)
	s := c.stringToSign("AWS4-HMAC-SHA256-TRAILER")
	s = hex.AppendEncode(s, sum[:])
	return c.checkSig(s, sig)
}

// blankLine reads the CRLF that ends the body. A body ending right after the
// last chunk is accepted too.
func (c *ChunkReader) blankLine() error {
	line, err := c.line()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return err
	}
	if line != "" {
		return malformedChunk("data after the last chunk")
	}
	return nil
}

// line reads one line without its CRLF (or bare LF). It returns io.EOF at
// the very end of the body and a Malformed error for a partial line.
func (c *ChunkReader) line() (string, error) {
	var buf []byte
	for {
		frag, err := c.r.ReadSlice('\n')
		buf = append(buf, frag...)
		if len(buf) > maxChunkLine {
			return "", malformedChunk("chunk header line too long")
		}
		if err == nil {
			break
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			if len(buf) == 0 {
				return "", io.EOF
			}
			return "", truncated()
		}
		return "", err
	}
	line := bytes.TrimSuffix(buf[:len(buf)-1], []byte("\r")) // some clients end trailers with a bare LF
	return string(line), nil
}

func malformedChunk(msg string) *Error {
	return newError(Malformed, "aws-chunked body: "+msg, "aws-chunked body: "+msg, false).
		withS3Code("InvalidRequest", http.StatusBadRequest)
}

func truncated() *Error {
	return newError(Malformed, msgS3IncompleteBody, msgS3IncompleteBody, false).
		withS3Code("IncompleteBody", http.StatusBadRequest)
}
