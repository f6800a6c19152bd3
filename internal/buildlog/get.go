package buildlog

import (
	"context"
	"fmt"
	"strconv"
)

const (
	// maxEvents is the most events a GetLogEvents or FilterLogEvents page
	// holds, and the default limit (model: EventsLimit, max 10000).
	maxEvents = 10000
	// maxPageBytes is the most a page's events may weigh, counted as
	// message bytes plus eventOverhead each ("up to 1 MB of log events").
	maxPageBytes = 1 << 20
)

// GetLogEvents returns events of one log stream, a page at a time; see the
// package documentation for the paging rules.
func (s *Store) GetLogEvents(ctx context.Context, in GetLogEventsInput) (*GetLogEventsOutput, error) {
	groupName, err := groupOf(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if err := checkStreamName("logStreamName", in.LogStreamName); err != nil {
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
	var tok getToken
	if in.NextToken != nil {
		if tok, err = parseGetToken(*in.NextToken); err != nil {
			return nil, err
		}
	}
	st, err := s.stream(groupName, in.LogStreamName)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v := st.view()
	defer v.close()
	if in.NextToken != nil && (tok.serial != v.serial || tok.pos > v.count) {
		return nil, ErrInvalidToken
	}
	lo, hi := int64(0), v.count
	if in.StartTime != nil {
		if lo, err = v.lowerBound(*in.StartTime); err != nil {
			return nil, err
		}
	}
	if in.EndTime != nil {
		if hi, err = v.lowerBound(*in.EndTime); err != nil {
			return nil, err
		}
	}
	hi = max(hi, lo)

	forward := in.StartFromHead != nil && *in.StartFromHead
	pos := hi
	if forward {
		pos = lo
	}
	if in.NextToken != nil {
		forward, pos = tok.forward, tok.pos
	}
	var events []OutputLogEvent
	var first, end int64 // the events are [first, end)
	if forward {
		first = max(pos, lo)
		if events, err = v.readForward(ctx, first, hi, limit, maxPageBytes); err != nil {
			return nil, err
		}
		end = first + int64(len(events))
	} else {
		end = min(pos, hi)
		if events, first, err = v.readBackward(ctx, lo, end, limit, maxPageBytes); err != nil {
			return nil, err
		}
	}
	out := &GetLogEventsOutput{Events: events}
	if len(events) == 0 && in.NextToken != nil {
		// The end in the token's direction: the same token back, and the
		// other one at the same place.
		first, end = pos, pos
	}
	out.NextForwardToken = getToken{forward: true, serial: v.serial, pos: end}.String()
	out.NextBackwardToken = getToken{forward: false, serial: v.serial, pos: first}.String()
	return out, nil
}

// getToken is a GetLogEvents token: a position between two events (pos is
// the number of the event after it) and the way to go from there.
type getToken struct {
	forward bool
	serial  uint64
	pos     int64
}

// String formats the token as CloudWatch does: "f/" or "b/", 56 digits,
// "/s". The digits are the stream's serial (20) and the position (36).
func (t getToken) String() string {
	d := "b"
	if t.forward {
		d = "f"
	}
	return fmt.Sprintf("%s/%020d%036d/s", d, t.serial, t.pos)
}

func parseGetToken(s string) (getToken, error) {
	var t getToken
	if len(s) != 2+56+2 || s[1] != '/' || s[58:] != "/s" {
		return t, ErrInvalidToken
	}
	switch s[0] {
	case 'f':
		t.forward = true
	case 'b':
	default:
		return t, ErrInvalidToken
	}
	digits := s[2:58]
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return t, ErrInvalidToken
		}
	}
	serial, err1 := strconv.ParseUint(digits[:20], 10, 64)
	// A position has at most 19 significant digits.
	pos, err2 := strconv.ParseInt(digits[37:], 10, 64)
	if err1 != nil || err2 != nil || digits[20:37] != "00000000000000000" {
		return t, ErrInvalidToken
	}
	t.serial, t.pos = serial, pos
	return t, nil
}

// stream looks up a stream for reading.
func (s *Store) stream(groupName, streamName string) (*stream, error) {
	g, err := s.group(groupName, false)
	if err != nil {
		return nil, err
	}
	return g.stream(streamName, false)
}
