package buildlog

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
)

const (
	// MaxMessageSize is the longest event message in bytes: CloudWatch
	// Logs' 1 MiB event size (PutLogEvents, since April 2025) less the 26
	// bytes it counts for each event.
	MaxMessageSize = 1<<20 - eventOverhead

	// eventOverhead is what CloudWatch adds to a message's length when it
	// counts batch and page sizes (PutLogEvents: "the sum of all event
	// messages in UTF-8, plus 26 bytes for each log event").
	eventOverhead = 26

	// defaultChunkSize is the size past which a stream starts a new chunk.
	defaultChunkSize = 4 << 20

	chunkMagic  = "CYLOG\x00\x00\x01"
	chunkHeader = len(chunkMagic)
	chunkSuffix = ".chunk"

	// A chunk's sparse index gets an entry at the first record after
	// cpEvery records or cpBytes bytes since the last entry.
	cpEvery = 512
	cpBytes = 64 << 10

	// maxBody bounds a record's body: a message of MaxMessageSize and two
	// 10-byte varints.
	maxBody = MaxMessageSize + 20
	// maxRecord bounds a whole record.
	maxRecord = maxBody + binary.MaxVarintLen64 + 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errTorn marks the end of a chunk's valid records: a record cut short or
// failing its checks.
var errTorn = errors.New("torn or corrupt record")

// checkpoint is an entry of a chunk's sparse index: record num (counted from
// the chunk's first) starts at byte off and has timestamp ts.
type checkpoint struct {
	num int32
	off int32
	ts  int64
}

// chunk is one chunk file of a stream. first and base never change; the
// other fields are guarded by the stream's mu and only grow while a Writer
// appends.
type chunk struct {
	name  string
	first int64 // number of the first event
	base  int64 // timestamp of the first event

	count   int64 // valid events
	size    int64 // valid bytes, the header included
	lastTS  int64 // of the last event, when count > 0
	lastIng int64
	idx     []checkpoint // nil until built; the Writer keeps the active chunk's
}

func chunkName(first, base int64) string {
	return fmt.Sprintf("%020d-%020d%s", first, base, chunkSuffix)
}

func parseChunkName(name string) (first, base int64, ok bool) {
	s, found := strings.CutSuffix(name, chunkSuffix)
	if !found {
		return 0, 0, false
	}
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	first, err1 := strconv.ParseInt(a, 10, 64)
	base, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || first < 0 || base < 0 {
		return 0, 0, false
	}
	return first, base, true
}

// appendRecord encodes one record to buf.
func appendRecord(buf []byte, base, ts, ing int64, msg []byte) []byte {
	tsd, ingd := uint64(ts-base), uint64(ing-ts)
	body := uvarintLen(tsd) + uvarintLen(ingd) + len(msg)
	buf = binary.AppendUvarint(buf, uint64(body))
	at := len(buf)
	buf = append(buf, 0, 0, 0, 0)
	buf = binary.AppendUvarint(buf, tsd)
	buf = binary.AppendUvarint(buf, ingd)
	buf = append(buf, msg...)
	binary.LittleEndian.PutUint32(buf[at:], crc32.Checksum(buf[at+4:], castagnoli))
	return buf
}

func recordLen(base, ts, ing int64, msg []byte) int {
	body := uvarintLen(uint64(ts-base)) + uvarintLen(uint64(ing-ts)) + len(msg)
	return uvarintLen(uint64(body)) + 4 + body
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// record is a decoded record. msg aliases the reader's buffer until its next
// call.
type record struct {
	ts, ing int64
	msg     []byte
}

var bufioPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

// recReader reads the records of one chunk from offset off up to limit.
type recReader struct {
	br    *bufio.Reader
	off   int64 // where the next record starts
	limit int64
	base  int64
	body  []byte
}

func newRecReader(f *os.File, off, limit, base int64) *recReader {
	br := bufioPool.Get().(*bufio.Reader)
	br.Reset(io.NewSectionReader(f, off, limit-off))
	return &recReader{br: br, off: off, limit: limit, base: base}
}

func (r *recReader) release() {
	if r.br != nil {
		r.br.Reset(nil)
		bufioPool.Put(r.br)
		r.br = nil
	}
}

// next returns the next record, io.EOF at limit, or errTorn (wrapped) for a
// record cut short or failing its checks; r.off stays at that record.
func (r *recReader) next() (record, error) {
	if r.off >= r.limit {
		return record{}, io.EOF
	}
	var n uint64
	hdr := 0
	for shift := uint(0); ; shift += 7 {
		c, err := r.br.ReadByte()
		if err != nil {
			return record{}, r.torn("length cut short")
		}
		hdr++
		if hdr > 4 {
			return record{}, r.torn("length too long")
		}
		n |= uint64(c&0x7f) << shift
		if c < 0x80 {
			break
		}
	}
	if n < 2 || n > maxBody {
		return record{}, r.torn(fmt.Sprintf("body length %d", n))
	}
	total := int64(hdr) + 4 + int64(n)
	if r.off+total > r.limit {
		return record{}, r.torn("cut short")
	}
	var crc [4]byte
	if _, err := io.ReadFull(r.br, crc[:]); err != nil {
		return record{}, r.torn("checksum cut short")
	}
	if cap(r.body) < int(n) {
		r.body = make([]byte, n, max(int(n), 4096))
	}
	body := r.body[:n]
	if _, err := io.ReadFull(r.br, body); err != nil {
		return record{}, r.torn("body cut short")
	}
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(crc[:]) {
		return record{}, r.torn("checksum mismatch")
	}
	tsd, k1 := binary.Uvarint(body)
	if k1 <= 0 {
		return record{}, r.torn("bad timestamp")
	}
	ingd, k2 := binary.Uvarint(body[k1:])
	if k2 <= 0 || tsd > 1<<62 || ingd > 1<<62 {
		return record{}, r.torn("bad ingestion time")
	}
	r.off += total
	ts := r.base + int64(tsd)
	return record{ts: ts, ing: ts + int64(ingd), msg: body[k1+k2:]}, nil
}

func (r *recReader) torn(why string) error {
	return fmt.Errorf("offset %d: %s: %w", r.off, why, errTorn)
}

// scanResult is what a full read of a chunk tells.
type scanResult struct {
	count   int64
	size    int64 // of the valid prefix; 0 when even the header is bad
	lastTS  int64
	lastIng int64
	idx     []checkpoint
}

// scanChunk reads a chunk's records up to limit bytes (or the end of the
// file when limit < 0), stopping at the first torn record.
func scanChunk(path string, base, limit int64) (scanResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return scanResult{}, err
	}
	defer f.Close()
	if limit < 0 {
		fi, err := f.Stat()
		if err != nil {
			return scanResult{}, err
		}
		limit = fi.Size()
	}
	var res scanResult
	var magic [chunkHeader]byte
	if _, err := f.ReadAt(magic[:], 0); err != nil || string(magic[:]) != chunkMagic || limit < int64(chunkHeader) {
		return res, nil
	}
	r := newRecReader(f, int64(chunkHeader), limit, base)
	defer r.release()
	res.size = int64(chunkHeader)
	var sinceN int
	var sinceOff int64
	for {
		off := r.off
		rec, err := r.next()
		if err != nil {
			if errors.Is(err, errTorn) || err == io.EOF {
				return res, nil
			}
			return res, err
		}
		if res.count == 0 || sinceN >= cpEvery || off-sinceOff >= cpBytes {
			res.idx = append(res.idx, checkpoint{num: int32(res.count), off: int32(off), ts: rec.ts})
			sinceN, sinceOff = 0, off
		}
		sinceN++
		res.count++
		res.size = r.off
		res.lastTS, res.lastIng = rec.ts, rec.ing
	}
}
