package shape_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/codeyard/codeyard/internal/awsapi/shape"
)

func TestTimeMarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.UnixMilli(1732701234567), "1732701234.567"},
		{time.UnixMilli(1732701234500), "1732701234.5"},
		{time.UnixMilli(1732701234050), "1732701234.05"},
		{time.Unix(1732701234, 0), "1732701234"},
		{time.Unix(1732701234, 999_999_999), "1732701234.999"}, // truncated to milliseconds
		{time.Unix(0, 0), "0"},
		{time.UnixMilli(-1500), "-1.5"},
		{time.UnixMilli(-1), "-0.001"},
	}
	for _, tt := range tests {
		got, err := json.Marshal(shape.NewTime(tt.in))
		if err != nil {
			t.Fatalf("Marshal(%v): %v", tt.in, err)
		}
		if string(got) != tt.want {
			t.Errorf("Marshal(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
	var s struct {
		T *shape.Time `json:"t,omitempty"`
	}
	if got, _ := json.Marshal(s); string(got) != "{}" {
		t.Errorf("Marshal of a nil *Time with omitempty = %s, want {}", got)
	}
}

func TestTimeUnmarshal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Time
	}{
		{"1732701234.567", time.UnixMilli(1732701234567)},
		{"1.732701234567E9", time.UnixMilli(1732701234567)},
		{"1732701234", time.Unix(1732701234, 0)},
		{"1732701234.123456789", time.Unix(1732701234, 123456789)},
		{"1732701234.1234567891", time.Unix(1732701234, 123456789)},
		{"-1.5", time.UnixMilli(-1500)},
		{"0", time.Unix(0, 0)},
		{`"2024-11-27T09:53:54.567Z"`, time.UnixMilli(1732701234567)},
		{`"2024-11-27T10:53:54+01:00"`, time.Unix(1732701234, 0)},
		{`"2024-11-27T09:53:54"`, time.Unix(1732701234, 0)},
	}
	for _, tt := range tests {
		var got shape.Time
		if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
			t.Errorf("Unmarshal(%s): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("Unmarshal(%s) = %v, want %v in UTC", tt.in, got.Time, tt.want.UTC())
		}
	}
	for _, bad := range []string{`"yesterday"`, `true`, `"1732701234"`, `1.2.3`, `1e999`, `.5`, `5.`, `1x`} {
		var got shape.Time
		if err := json.Unmarshal([]byte(bad), &got); err == nil {
			t.Errorf("Unmarshal(%s) = %v, want an error", bad, got.Time)
		}
	}
	got := shape.Time{Time: time.Unix(7, 0)}
	if err := json.Unmarshal([]byte("null"), &got); err != nil || !got.Equal(time.Unix(7, 0)) {
		t.Errorf("Unmarshal(null) = %v, %v; want the time unchanged", got.Time, err)
	}
}
