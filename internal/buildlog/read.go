package buildlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// view is a snapshot of a stream for one request: the events published when
// it was taken, whatever the Writer adds meanwhile.
type view struct {
	st      *stream
	serial  uint64
	count   int64
	firstTS int64
	lastTS  int64
	pending int64       // stream.pending
	chunks  []chunkView // the chunks with events
	files   []*os.File  // opened on demand, by chunk
}

type chunkView struct {
	c     *chunk
	first int64
	base  int64
	count int64
	size  int64
	idx   []checkpoint
}

func (st *stream) view() *view {
	st.mu.RLock()
	defer st.mu.RUnlock()
	v := &view{st: st, serial: st.serial, count: st.count, firstTS: st.firstTS, lastTS: st.lastTS, pending: st.pending}
	for _, c := range st.chunks {
		if c.count > 0 {
			v.chunks = append(v.chunks, chunkView{c: c, first: c.first, base: c.base, count: c.count, size: c.size, idx: c.idx[:len(c.idx):len(c.idx)]})
		}
	}
	v.files = make([]*os.File, len(v.chunks))
	return v
}

func (v *view) close() {
	for i, f := range v.files {
		if f != nil {
			f.Close()
			v.files[i] = nil
		}
	}
}

func (v *view) path(ci int) string { return filepath.Join(v.st.dir, v.chunks[ci].c.name) }

func (v *view) file(ci int) (*os.File, error) {
	if f := v.files[ci]; f != nil {
		return f, nil
	}
	f, err := os.Open(v.path(ci))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrStreamNotFound // deleted meanwhile
	}
	if err != nil {
		return nil, err
	}
	v.files[ci] = f
	return f, nil
}

func (v *view) corrupt(ci int, err error) error {
	return fmt.Errorf("log stream %q: chunk %s: %w", v.st.name, v.chunks[ci].c.name, err)
}

// index returns chunk ci's sparse index, building it on first use.
func (v *view) index(ci int) ([]checkpoint, error) {
	cv := &v.chunks[ci]
	if cv.idx != nil {
		return cv.idx, nil
	}
	res, err := scanChunk(v.path(ci), cv.base, cv.size)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrStreamNotFound
	}
	if err != nil {
		return nil, err
	}
	if res.count != cv.count {
		return nil, v.corrupt(ci, fmt.Errorf("%d events, want %d", res.count, cv.count))
	}
	v.st.mu.Lock()
	if cv.c.idx == nil {
		cv.c.idx = res.idx
	}
	v.st.mu.Unlock()
	cv.idx = res.idx
	return cv.idx, nil
}

// chunkOf returns the index of the chunk holding event n (< v.count).
func (v *view) chunkOf(n int64) int {
	return sort.Search(len(v.chunks), func(i int) bool { return v.chunks[i].first+v.chunks[i].count > n })
}

// reader returns a reader positioned at event n (< v.count) and the index of
// its chunk.
func (v *view) reader(n int64) (*recReader, int, error) {
	ci := v.chunkOf(n)
	if ci == len(v.chunks) {
		return nil, 0, fmt.Errorf("log stream %q: event %d not in any chunk", v.st.name, n)
	}
	cv := v.chunks[ci]
	f, err := v.file(ci)
	if err != nil {
		return nil, 0, err
	}
	if n == cv.first {
		return newRecReader(f, int64(chunkHeader), cv.size, cv.base), ci, nil
	}
	idx, err := v.index(ci)
	if err != nil {
		return nil, 0, err
	}
	rel := n - cv.first
	k := sort.Search(len(idx), func(j int) bool { return int64(idx[j].num) > rel }) - 1
	r := newRecReader(f, int64(idx[k].off), cv.size, cv.base)
	for skip := rel - int64(idx[k].num); skip > 0; skip-- {
		if _, err := r.next(); err != nil {
			r.release()
			return nil, 0, v.corrupt(ci, err)
		}
	}
	return r, ci, nil
}

// event is a record with its number. msg aliases a reader's buffer.
type event struct {
	num int64
	record
}

// iter reads events [num, end) in order.
type iter struct {
	v   *view
	r   *recReader
	ci  int
	num int64
	end int64
}

func (v *view) iter(from, end int64) *iter {
	return &iter{v: v, num: from, end: min(end, v.count)}
}

func (it *iter) close() {
	if it.r != nil {
		it.r.release()
		it.r = nil
	}
}

// next returns the next event, or false at the end.
func (it *iter) next() (event, bool, error) {
	if it.num >= it.end {
		it.close()
		return event{}, false, nil
	}
	if it.r == nil {
		r, ci, err := it.v.reader(it.num)
		if err != nil {
			return event{}, false, err
		}
		it.r, it.ci = r, ci
	}
	rec, err := it.r.next()
	if err == io.EOF {
		it.close()
		if it.ci+1 < len(it.v.chunks) && it.v.chunks[it.ci+1].first == it.num {
			return it.next()
		}
		return event{}, false, it.v.corrupt(it.ci, fmt.Errorf("ends before event %d", it.num))
	}
	if err != nil {
		return event{}, false, it.v.corrupt(it.ci, err)
	}
	e := event{num: it.num, record: rec}
	it.num++
	return e, true, nil
}

// lowerBound returns the number of the first event with a timestamp at or
// after t, or v.count if there is none.
func (v *view) lowerBound(t int64) (int64, error) {
	if len(v.chunks) == 0 || t <= v.chunks[0].base {
		return 0, nil
	}
	if t > v.lastTS {
		return v.count, nil
	}
	ci := sort.Search(len(v.chunks), func(i int) bool { return v.chunks[i].base >= t }) - 1
	cv := v.chunks[ci]
	idx, err := v.index(ci)
	if err != nil {
		return 0, err
	}
	k := sort.Search(len(idx), func(j int) bool { return idx[j].ts >= t }) - 1
	f, err := v.file(ci)
	if err != nil {
		return 0, err
	}
	r := newRecReader(f, int64(idx[k].off), cv.size, cv.base)
	defer r.release()
	for n := cv.first + int64(idx[k].num); ; n++ {
		rec, err := r.next()
		if err == io.EOF {
			return cv.first + cv.count, nil
		}
		if err != nil {
			return 0, v.corrupt(ci, err)
		}
		if rec.ts >= t {
			return n, nil
		}
	}
}

// readForward returns events from start on, before end, at most limit of
// them and budget bytes (counted as CloudWatch counts).
func (v *view) readForward(ctx context.Context, start, end int64, limit, budget int) ([]OutputLogEvent, error) {
	it := v.iter(start, end)
	defer it.close()
	var out []OutputLogEvent
	for len(out) < limit {
		e, ok, err := it.next()
		if err != nil || !ok {
			return out, err
		}
		size := len(e.msg) + eventOverhead
		if size > budget {
			break
		}
		budget -= size
		out = append(out, OutputLogEvent{Timestamp: e.ts, Message: string(e.msg), IngestionTime: e.ing})
		if len(out)%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// readBackward returns the newest events before end, from lo on, at most
// limit of them and budget bytes, oldest first, and the number of the first.
// It reads chunk by chunk from the end; in each it starts at the index entry
// of the first event it may return, or later where the bytes from there to
// the end could not fit in the budget.
func (v *view) readBackward(ctx context.Context, lo, end int64, limit, budget int) ([]OutputLogEvent, int64, error) {
	var parts [][]OutputLogEvent
	first := end
	for first > lo && limit > 0 {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		ci := v.chunkOf(first - 1)
		cv := v.chunks[ci]
		from := max(lo, cv.first, first-int64(limit))
		idx, err := v.index(ci)
		if err != nil {
			return nil, 0, err
		}
		k := sort.Search(len(idx), func(j int) bool { return cv.first+int64(idx[j].num) > from }) - 1
		endOff := cv.size
		if j := sort.Search(len(idx), func(j int) bool { return cv.first+int64(idx[j].num) >= first }); j < len(idx) {
			endOff = int64(idx[j].off)
		}
		window := 2*int64(budget) + 2*(cpBytes+maxRecord)
		if k2 := sort.Search(len(idx), func(j int) bool { return int64(idx[j].off) > endOff-window }) - 1; k2 > k {
			k = k2
		}
		f, err := v.file(ci)
		if err != nil {
			return nil, 0, err
		}
		r := newRecReader(f, int64(idx[k].off), cv.size, cv.base)
		var seg []OutputLogEvent
		for n := cv.first + int64(idx[k].num); n < first; n++ {
			rec, err := r.next()
			if err != nil {
				r.release()
				return nil, 0, v.corrupt(ci, err)
			}
			if n >= from {
				seg = append(seg, OutputLogEvent{Timestamp: rec.ts, Message: string(rec.msg), IngestionTime: rec.ing})
			}
		}
		r.release()
		i, used := len(seg), 0
		for i > 0 && used+len(seg[i-1].Message)+eventOverhead <= budget {
			i--
			used += len(seg[i].Message) + eventOverhead
		}
		seg = seg[i:]
		parts = append(parts, seg)
		limit -= len(seg)
		budget -= used
		full := first-int64(len(seg)) > from
		first -= int64(len(seg))
		if full {
			break
		}
	}
	var out []OutputLogEvent
	for i := len(parts) - 1; i >= 0; i-- {
		out = append(out, parts[i]...)
	}
	return out, first, nil
}
