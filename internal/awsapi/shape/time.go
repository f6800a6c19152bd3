package shape

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Time is a timestamp of the AWS JSON protocols. It is written as epoch
// seconds with the milliseconds as a fraction, such as 1732701234.567, and
// read from such a number (any precision, exponent allowed) or from an
// ISO-8601 string such as "2024-11-27T09:53:54.567Z". It reads as UTC.
type Time struct{ time.Time }

// NewTime returns t as a *Time, for the fields of the generated types.
func NewTime(t time.Time) *Time { return &Time{t} }

// MarshalJSON writes the time in epoch seconds, truncated to milliseconds.
func (t Time) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	b := make([]byte, 0, 24)
	var u uint64
	if ms < 0 {
		b = append(b, '-')
		u = uint64(-(ms + 1)) + 1
	} else {
		u = uint64(ms)
	}
	b = strconv.AppendUint(b, u/1000, 10)
	if frac := u % 1000; frac != 0 {
		b = append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
		for b[len(b)-1] == '0' {
			b = b[:len(b)-1]
		}
	}
	return b, nil
}

// UnmarshalJSON reads epoch seconds or an ISO-8601 string. null leaves the
// time unchanged.
func (t *Time) UnmarshalJSON(data []byte) error {
	s := strings.TrimSpace(string(data))
	switch {
	case s == "null":
		return nil
	case strings.HasPrefix(s, `"`):
		var str string
		if err := json.Unmarshal(data, &str); err != nil {
			return err
		}
		v, err := parseISO(str)
		if err != nil {
			return err
		}
		t.Time = v
		return nil
	}
	v, err := parseEpoch(s)
	if err != nil {
		return fmt.Errorf("timestamp %s: %w", s, err)
	}
	t.Time = v
	return nil
}

var errTimestamp = errors.New("not epoch seconds")

// parseEpoch parses epoch seconds exactly, to the nanosecond, unless they
// have an exponent.
func parseEpoch(s string) (time.Time, error) {
	if strings.ContainsAny(s, "eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.Abs(f) > 1<<62/1e9 {
			return time.Time{}, errTimestamp
		}
		sec := math.Floor(f)
		nsec := math.Round((f-sec)*1e6) * 1e3 // a float64 holds microseconds of current times
		return time.Unix(int64(sec), int64(nsec)).UTC(), nil
	}
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	sec, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || whole == "" || strings.HasPrefix(whole, "+") {
		return time.Time{}, errTimestamp
	}
	var nsec int64
	for i := range 9 {
		nsec *= 10
		if i < len(frac) {
			if frac[i] < '0' || frac[i] > '9' {
				return time.Time{}, errTimestamp
			}
			nsec += int64(frac[i] - '0')
		}
	}
	if strings.Trim(frac, "0123456789") != "" || strings.Contains(s, ".") && frac == "" {
		return time.Time{}, errTimestamp
	}
	if neg {
		sec, nsec = -sec, -nsec
	}
	return time.Unix(sec, nsec).UTC(), nil
}

// parseISO parses an RFC 3339 time; one without a zone is taken as UTC.
func parseISO(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
		if v, err := time.Parse(layout, s); err == nil {
			return v.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q is not ISO 8601", s)
}
