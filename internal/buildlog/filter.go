package buildlog

import (
	"cmp"
	"container/heap"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"strings"
	"time"
)

// scanBudget bounds the events (message bytes plus eventOverhead each) one
// FilterLogEvents call examines, and timeBudget the time it spends on them
// (a costly regular expression); past either, the call answers with what it
// has and a token.
const (
	scanBudget = 32 << 20
	timeBudget = time.Second
)

// FilterLogEvents returns the events of a log group's streams that match a
// pattern, merged in time order; see the package documentation.
func (s *Store) FilterLogEvents(ctx context.Context, in FilterLogEventsInput) (*FilterLogEventsOutput, error) {
	groupName, err := groupOf(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	limit, err := checkLimit(in.Limit, maxEvents)
	if err != nil {
		return nil, err
	}
	if err := checkTime("startTime", in.StartTime); err != nil {
		return nil, err
	}
	if err := checkTime("endTime", in.EndTime); err != nil {
		return nil, err
	}
	if in.LogStreamNames != nil && in.LogStreamNamePrefix != nil {
		return nil, invalidParam("You cannot specify both LogStreamNames and LogStreamNamePrefix.")
	}
	if in.LogStreamNames != nil {
		if n := len(in.LogStreamNames); n < 1 || n > 100 {
			return nil, validation(in.LogStreamNames, "logStreamNames", "have length between 1 and 100")
		}
		for _, name := range in.LogStreamNames {
			if err := checkStreamName("logStreamNames", name); err != nil {
				return nil, err
			}
		}
	}
	if in.LogStreamNamePrefix != nil {
		if err := checkStreamName("logStreamNamePrefix", *in.LogStreamNamePrefix); err != nil {
			return nil, err
		}
	}
	pat := &pattern{}
	if in.FilterPattern != nil {
		if pat, err = parsePattern(*in.FilterPattern); err != nil {
			return nil, err
		}
	}
	var tok *filterKey
	if in.NextToken != nil {
		k, err := parseFilterToken(*in.NextToken)
		if err != nil {
			return nil, err
		}
		tok = &k
	}
	g, err := s.group(groupName, false)
	if err != nil {
		return nil, err
	}
	names := slices.Clone(in.LogStreamNames)
	if names == nil {
		if names, err = g.streamNames(); err != nil {
			return nil, err
		}
		if in.LogStreamNamePrefix != nil {
			names = slices.DeleteFunc(names, func(n string) bool { return !strings.HasPrefix(n, *in.LogStreamNamePrefix) })
		}
	} else {
		slices.Sort(names)
		names = slices.Compact(names)
	}

	// Events stamped from the horizon on may still be joined by events of
	// other streams that are stamped earlier but not yet published: they
	// wait for a later call. The clock is read before the views are taken;
	// a Writer marks its stream before it reads the clock (markLocked).
	q := &filterQuery{start: in.StartTime, end: in.EndTime, tok: tok, horizon: s.now().UnixMilli()}
	defer q.close()
	views := make([]*view, 0, len(names))
	for _, name := range names {
		st, err := g.stream(name, false)
		if errors.Is(err, ErrStreamNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		v := st.view()
		views = append(views, v)
		if v.pending > 0 {
			q.horizon = min(q.horizon, v.pending)
		}
	}
	for _, v := range views {
		q.add(v)
	}

	started := time.Now()
	out := &FilterLogEventsOutput{}
	budget, scanned, examined := maxPageBytes, 0, 0
	last := filterKey{ts: -1, num: -1} // before every event
	if tok != nil {
		last = *tok
	}
	for len(q.h) > 0 {
		c := q.h[0]
		if !c.opened {
			if err := q.open(c); err != nil {
				return nil, err
			}
			if c.done {
				heap.Pop(&q.h)
			} else {
				heap.Fix(&q.h, 0)
			}
			continue
		}
		e := c.head
		if pat.match(e.msg) {
			size := len(e.msg) + eventOverhead
			if len(out.Events) >= limit || size > budget {
				break
			}
			budget -= size
			out.Events = append(out.Events, FilteredLogEvent{
				LogStreamName: c.name,
				Timestamp:     e.ts,
				Message:       string(e.msg),
				IngestionTime: e.ing,
				EventId:       eventID(e.ts, c.v.serial, e.num),
			})
		}
		last = filterKey{ts: e.ts, stream: c.name, num: e.num}
		scanned += len(e.msg) + eventOverhead
		examined++
		if err := q.advance(c); err != nil {
			return nil, err
		}
		if c.done {
			heap.Pop(&q.h)
		} else {
			heap.Fix(&q.h, 0)
		}
		if scanned >= scanBudget {
			break
		}
		if examined%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if time.Since(started) > timeBudget {
				break
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(q.h) > 0 {
		t := last.token()
		out.NextToken = &t
	}
	return out, nil
}

// eventID is a FilterLogEvents eventId: 56 digits, like CloudWatch's, made of
// the timestamp, the stream's serial and the event's number.
func eventID(ts int64, serial uint64, num int64) string {
	return fmt.Sprintf("%015d%020d%021d", ts, serial, num)
}

// filterKey orders FilterLogEvents' events, and is its token: the last event
// examined.
type filterKey struct {
	ts     int64
	stream string
	num    int64
}

func (a filterKey) compare(b filterKey) int {
	return cmp.Or(cmp.Compare(a.ts, b.ts), strings.Compare(a.stream, b.stream), cmp.Compare(a.num, b.num))
}

const filterTokenVersion = 1

// token encodes the key as base64url of a version byte, the timestamp and
// the event number as varints, the stream name, and a CRC-32C of all that.
func (a filterKey) token() string {
	b := []byte{filterTokenVersion}
	b = binary.AppendVarint(b, a.ts)
	b = binary.AppendVarint(b, a.num)
	b = append(b, a.stream...)
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseFilterToken(s string) (filterKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 1+1+1+4 || len(b) > 1+20+512+4 {
		return filterKey{}, ErrInvalidToken
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum || body[0] != filterTokenVersion {
		return filterKey{}, ErrInvalidToken
	}
	body = body[1:]
	ts, n1 := binary.Varint(body)
	if n1 <= 0 {
		return filterKey{}, ErrInvalidToken
	}
	num, n2 := binary.Varint(body[n1:])
	if n2 <= 0 || ts < -1 || num < -1 {
		return filterKey{}, ErrInvalidToken
	}
	return filterKey{ts: ts, num: num, stream: string(body[n1+n2:])}, nil
}

// filterQuery merges the streams of a FilterLogEvents call. Each stream's
// cursor enters the heap unopened, keyed by a lower bound of its first
// event's key; it is opened (its first event read) when it reaches the top,
// so only streams whose time ranges overlap have files open at once.
type filterQuery struct {
	start, end *int64
	tok        *filterKey
	horizon    int64 // no event from this timestamp on
	h          cursorHeap
	all        []*cursor
}

type cursor struct {
	v      *view
	name   string
	opened bool
	done   bool
	lb     int64 // before opening: no event is earlier
	it     *iter
	head   event
}

func (c *cursor) key() filterKey {
	if !c.opened {
		return filterKey{ts: c.lb, stream: c.name, num: -1}
	}
	return filterKey{ts: c.head.ts, stream: c.name, num: c.head.num}
}

func (q *filterQuery) add(v *view) {
	name := v.st.name
	c := &cursor{v: v, name: name}
	q.all = append(q.all, c)
	if v.count == 0 {
		return
	}
	lb := v.firstTS
	if q.start != nil {
		lb = max(lb, *q.start)
	}
	if t := q.tok; t != nil {
		switch strings.Compare(name, t.stream) {
		case -1:
			lb = max(lb, t.ts+1)
		case 0:
			if t.num+1 >= v.count {
				return
			}
			lb = max(lb, t.ts)
		case 1:
			lb = max(lb, t.ts)
		}
	}
	if lb > v.lastTS || lb >= q.horizon || q.end != nil && v.firstTS > *q.end {
		return
	}
	c.lb = lb
	heap.Push(&q.h, c)
}

// open finds the cursor's first event.
func (q *filterQuery) open(c *cursor) error {
	c.opened = true
	v := c.v
	start, end := int64(0), v.count
	var err error
	if q.start != nil {
		if start, err = v.lowerBound(*q.start); err != nil {
			return q.gone(c, err)
		}
	}
	if t := q.tok; t != nil {
		var from int64
		switch strings.Compare(c.name, t.stream) {
		case -1:
			from, err = v.lowerBound(t.ts + 1)
		case 0:
			from = t.num + 1
		case 1:
			from, err = v.lowerBound(t.ts)
		}
		if err != nil {
			return q.gone(c, err)
		}
		start = max(start, from)
	}
	endTS := q.horizon
	if q.end != nil && *q.end < endTS-1 {
		endTS = *q.end + 1
	}
	if endTS <= v.lastTS {
		if end, err = v.lowerBound(endTS); err != nil {
			return q.gone(c, err)
		}
	}
	c.it = v.iter(start, end)
	return q.advance(c)
}

// advance reads the cursor's next event.
func (q *filterQuery) advance(c *cursor) error {
	e, ok, err := c.it.next()
	if err != nil {
		return q.gone(c, err)
	}
	if !ok {
		c.done = true
		return nil
	}
	c.head = e
	return nil
}

// gone ends a cursor whose stream was deleted during the call.
func (q *filterQuery) gone(c *cursor, err error) error {
	if errors.Is(err, ErrStreamNotFound) {
		c.done = true
		return nil
	}
	return err
}

func (q *filterQuery) close() {
	for _, c := range q.all {
		if c.it != nil {
			c.it.close()
		}
		c.v.close()
	}
}

type cursorHeap []*cursor

func (h cursorHeap) Len() int           { return len(h) }
func (h cursorHeap) Less(i, j int) bool { return h[i].key().compare(h[j].key()) < 0 }
func (h cursorHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)        { *h = append(*h, x.(*cursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}
