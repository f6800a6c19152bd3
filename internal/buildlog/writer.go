package buildlog

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
	"unicode/utf8"
)

const (
	// flushSize is how much the Writer buffers before it writes at once.
	flushSize = 256 << 10
	// flushDelay bounds how long an event waits in the buffer.
	flushDelay = 10 * time.Millisecond
	// partialDelay is how long a line may stay incomplete before the
	// Writer stores what it has as an event.
	partialDelay = time.Second
)

// Writer appends a byte stream to a log stream as events; see the package
// documentation for how it cuts lines. Write, Flush and Close may be called
// from any goroutine; they are serialised. The Writer must be closed, which
// releases the stream for the next Create.
type Writer struct {
	st        *stream
	now       func() time.Time
	chunkSize int64

	mu           sync.Mutex // guards the fields below
	f            *os.File   // the active chunk, nil before its first record
	ch           *chunk
	buf          []byte // records not yet written to f
	pend         pending
	sinceN       int   // records since ch's last index entry
	sinceOff     int64 // offset of ch's last index entry
	lastTS       int64
	lastIng      int64
	line         []byte    // the incomplete line
	lineStart    time.Time // when line became non-empty
	flushArmed   bool
	flushTimer   *time.Timer
	partialArmed bool
	partialTimer *time.Timer
	marked       bool  // st.pending is set
	err          error // sticky: the first write or create error
	closed       bool
}

// pending describes the records in buf, published to readers once written.
type pending struct {
	count   int64
	firstTS int64
	lastTS  int64
	lastIng int64
	idx     []checkpoint
}

// openWriter prepares the stream for appending: it truncates a torn tail,
// drops trailing chunks without events and reopens the last chunk.
func (st *stream) openWriter() (*Writer, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.deleted {
		return nil, ErrStreamNotFound
	}
	if st.writer != nil {
		return nil, ErrStreamBusy
	}
	w := &Writer{st: st, now: st.g.s.now, chunkSize: st.g.s.chunkSize, lastTS: st.lastTS, lastIng: st.lastIng}
	for len(st.chunks) > 0 {
		c := st.chunks[len(st.chunks)-1]
		path := filepath.Join(st.dir, c.name)
		if c.idx == nil && c.count > 0 {
			res, err := scanChunk(path, c.base, c.size)
			if err != nil {
				return nil, err
			}
			if res.count != c.count {
				return nil, fmt.Errorf("chunk %s: %d events, want %d", path, res.count, c.count)
			}
			c.idx = res.idx
		}
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if c.count == 0 {
			if err := os.Remove(path); err != nil {
				return nil, err
			}
			st.stored -= c.size
			st.chunks = st.chunks[:len(st.chunks)-1]
			continue
		}
		if fi.Size() > c.size {
			if err := os.Truncate(path, c.size); err != nil {
				return nil, err
			}
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return nil, err
		}
		w.f, w.ch = f, c
		last := c.idx[len(c.idx)-1]
		w.sinceN, w.sinceOff = int(c.count)-int(last.num), int64(last.off)
		break
	}
	os.Remove(filepath.Join(st.dir, "summary.json"))
	st.writer = w
	return w, nil
}

// Write stores the complete lines in p as events, and keeps an incomplete
// last line for later. It returns len(p) unless the stream cannot be written
// (a full disk, a deleted stream, a closed Writer).
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, errWriterClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	n := len(p)
	w.markLocked()
	now := w.now()
	ts := max(now.UnixMilli(), w.lastTS)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(w.line) == 0 {
				w.lineStart = now
			}
			w.line = append(w.line, p...)
			for len(w.line) > MaxMessageSize {
				k := cutUTF8(w.line, MaxMessageSize)
				w.appendLocked(w.line[:k], ts)
				w.line = append(w.line[:0], w.line[k:]...)
			}
			break
		}
		if len(w.line) > 0 {
			w.line = append(w.line, p[:i]...)
			w.emitLocked(w.line, ts)
			w.line = w.line[:0]
		} else {
			w.emitLocked(p[:i], ts)
		}
		p = p[i+1:]
	}
	if len(w.buf) == 0 {
		w.unmarkLocked()
	}
	w.armLocked()
	if w.err != nil {
		return 0, w.err
	}
	return n, nil
}

// markLocked tells readers, before the Writer reads the clock for new
// events, that events are coming whose timestamps are at least the last
// one's; the mark stays until the buffer is empty again. FilterLogEvents
// returns no events of any stream from the mark on meanwhile: a follower
// that restarts from the newest timestamp it saw would miss these events.
func (w *Writer) markLocked() {
	if w.marked {
		return
	}
	w.marked = true
	w.st.mu.Lock()
	w.st.pending = max(w.lastTS, 1)
	w.st.mu.Unlock()
}

func (w *Writer) unmarkLocked() {
	if !w.marked {
		return
	}
	w.marked = false
	w.st.mu.Lock()
	w.st.pending = 0
	w.st.mu.Unlock()
}

// Flush stores an incomplete last line as an event and writes everything
// buffered to the chunk file, where readers see it.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return errWriterClosed
	}
	w.emitPartialLocked()
	err := w.flushLocked()
	w.unmarkLocked()
	return err
}

// Close flushes, syncs the chunk file, records the stream's summary and
// releases the stream. Closing a closed Writer does nothing.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	if w.flushTimer != nil {
		w.flushTimer.Stop()
	}
	if w.partialTimer != nil {
		w.partialTimer.Stop()
	}
	w.emitPartialLocked()
	err := w.flushLocked()
	w.unmarkLocked()
	if w.f != nil {
		if err == nil {
			err = w.f.Sync()
		}
		if cerr := w.f.Close(); err == nil {
			err = cerr
		}
	}
	st := w.st
	st.mu.Lock()
	st.writer = nil
	deleted := st.deleted
	var sum summary
	if w.ch != nil {
		sum = summary{Chunk: w.ch.name, Size: w.ch.size, Count: w.ch.count, LastTS: w.ch.lastTS, LastIng: w.ch.lastIng}
	}
	st.mu.Unlock()
	if deleted {
		return nil
	}
	if err == nil && sum.Count > 0 {
		err = writeJSON(filepath.Join(st.dir, "summary.json"), sum)
	}
	return err
}

// emitLocked stores one line (without its "\n") as events.
func (w *Writer) emitLocked(line []byte, ts int64) {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	for len(line) > 0 {
		k := len(line)
		if k > MaxMessageSize {
			k = cutUTF8(line, MaxMessageSize)
		}
		w.appendLocked(line[:k], ts)
		line = line[k:]
	}
}

func (w *Writer) emitPartialLocked() {
	if len(w.line) == 0 {
		return
	}
	w.markLocked()
	w.emitLocked(w.line, max(w.now().UnixMilli(), w.lastTS))
	w.line = w.line[:0]
}

// cutUTF8 returns where to cut b (longer than n) to at most n bytes: before
// the UTF-8 sequence that straddles n, if there is one, else at n.
func cutUTF8(b []byte, n int) int {
	for i := n; i > n-utf8.UTFMax && i > 0; i-- {
		if utf8.RuneStart(b[i]) {
			return i
		}
	}
	return n
}

// appendLocked encodes one event into the buffer, starting a new chunk when
// the record would take the active one past the chunk size.
func (w *Writer) appendLocked(msg []byte, ts int64) {
	if w.err != nil {
		return
	}
	ing := ts
	w.lastTS, w.lastIng = ts, ing
	if w.ch == nil || w.ch.size+int64(len(w.buf))+int64(recordLen(w.ch.base, ts, ing, msg)) > w.chunkSize && w.ch.count+w.pend.count > 0 {
		if err := w.rotateLocked(ts); err != nil {
			w.err = err
			return
		}
	}
	off := w.ch.size + int64(len(w.buf))
	n := w.ch.count + w.pend.count
	if n == 0 || w.sinceN >= cpEvery || off-w.sinceOff >= cpBytes {
		w.pend.idx = append(w.pend.idx, checkpoint{num: int32(n), off: int32(off), ts: ts})
		w.sinceN, w.sinceOff = 0, off
	}
	w.sinceN++
	w.buf = appendRecord(w.buf, w.ch.base, ts, ing, msg)
	if w.pend.count == 0 {
		w.pend.firstTS = ts
	}
	w.pend.count++
	w.pend.lastTS, w.pend.lastIng = ts, ing
	if len(w.buf) >= flushSize {
		w.flushLocked()
	}
}

// rotateLocked flushes and closes the active chunk and starts a new one
// whose first event has timestamp ts.
func (w *Writer) rotateLocked(ts int64) error {
	if err := w.flushLocked(); err != nil {
		return err
	}
	st := w.st
	if w.f != nil {
		if err := w.f.Close(); err != nil {
			return err
		}
		w.f = nil
	}
	st.mu.RLock()
	first := st.count
	st.mu.RUnlock()
	c := &chunk{name: chunkName(first, ts), first: first, base: ts}
	f, err := os.OpenFile(filepath.Join(st.dir, c.name), os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	st.mu.Lock()
	if st.deleted {
		st.mu.Unlock()
		f.Close()
		return ErrStreamNotFound
	}
	st.chunks = append(st.chunks, c)
	st.mu.Unlock()
	w.f, w.ch = f, c
	w.buf = append(w.buf, chunkMagic...)
	w.sinceN, w.sinceOff = 0, 0
	return nil
}

// flushLocked writes the buffer and publishes its records to readers.
func (w *Writer) flushLocked() error {
	if w.err != nil {
		return w.err
	}
	if len(w.buf) == 0 {
		return nil
	}
	st := w.st
	st.mu.RLock()
	deleted := st.deleted
	st.mu.RUnlock()
	if deleted {
		w.err = ErrStreamNotFound
		w.unmarkLocked()
		return w.err
	}
	if _, err := w.f.Write(w.buf); err != nil {
		// Readers keep what was published; a torn record on disk is
		// dropped by the next Create.
		w.err = fmt.Errorf("write log stream %q: %w", st.name, err)
		w.unmarkLocked()
		return w.err
	}
	c, p := w.ch, &w.pend
	st.mu.Lock()
	c.size += int64(len(w.buf))
	st.stored += int64(len(w.buf))
	if p.count > 0 {
		c.count += p.count
		c.lastTS, c.lastIng = p.lastTS, p.lastIng
		c.idx = append(c.idx, p.idx...)
		if st.count == 0 {
			st.firstTS = p.firstTS
		}
		st.count += p.count
		st.lastTS, st.lastIng = p.lastTS, p.lastIng
	}
	st.mu.Unlock()
	w.buf = w.buf[:0]
	*p = pending{idx: p.idx[:0]}
	return nil
}

// armLocked starts the timers that flush the buffer and a lasting partial
// line.
func (w *Writer) armLocked() {
	if len(w.buf) > 0 && !w.flushArmed {
		w.flushArmed = true
		if w.flushTimer == nil {
			w.flushTimer = time.AfterFunc(flushDelay, w.timedFlush)
		} else {
			w.flushTimer.Reset(flushDelay)
		}
	}
	if len(w.line) > 0 && !w.partialArmed {
		w.partialArmed = true
		d := partialDelay - w.now().Sub(w.lineStart)
		if w.partialTimer == nil {
			w.partialTimer = time.AfterFunc(d, w.timedPartial)
		} else {
			w.partialTimer.Reset(d)
		}
	}
}

func (w *Writer) timedFlush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushArmed = false
	if !w.closed {
		w.flushLocked()
		if len(w.buf) == 0 {
			w.unmarkLocked()
		}
	}
}

func (w *Writer) timedPartial() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partialArmed = false
	if w.closed || len(w.line) == 0 {
		return
	}
	if w.now().Sub(w.lineStart) >= partialDelay {
		w.emitPartialLocked()
		w.flushLocked()
		w.unmarkLocked()
	}
	w.armLocked()
}

var _ io.WriteCloser = (*Writer)(nil)
