package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// readJSON reads a whole JSON report and checks it before decoding: it
// must not be empty, must be valid JSON and must not nest deeper than
// MaxDepth. first is the first byte of the top-level value.
func readJSON(r io.Reader) (data []byte, first byte, err error) {
	data, err = io.ReadAll(r)
	if err != nil {
		return nil, 0, err
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, 0, errors.New("empty file")
	}
	if err := jsonDepth(data); err != nil {
		return nil, 0, err
	}
	if !json.Valid(data) {
		// Decode to get encoding/json's description of the problem.
		var v any
		err := json.Unmarshal(data, &v)
		if err == nil {
			err = errors.New("invalid JSON")
		}
		return nil, 0, fmt.Errorf("not a JSON document: %w", err)
	}
	return data, trimmed[0], nil
}

// jsonDepth fails when arrays and objects nest deeper than MaxDepth. It
// only counts brackets outside strings; json.Valid checks the rest.
func jsonDepth(data []byte) error {
	depth := 0
	inString, escaped := false, false
	for _, c := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			depth++
			if depth > MaxDepth {
				return fmt.Errorf("JSON nested more than %d deep", MaxDepth)
			}
		case ']', '}':
			depth--
		}
	}
	return nil
}

// jsonType names the JSON type of a value's first byte, for errors.
func jsonType(first byte) string {
	switch first {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// jsonCount reads a non-negative count or duration from a JSON number.
// The bool is false for anything else, including a missing value.
func jsonCount(n json.Number) (int64, bool) {
	if n == "" {
		return 0, false
	}
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, i >= 0
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f >= math.MaxInt64 {
		return 0, false
	}
	return int64(math.Round(f)), true
}

// The functions below walk JSON that json.Valid has accepted, without
// copying it: values are sub-slices of the input. They never index out of
// range, whatever the input, but only give meaningful results for valid
// JSON.

// skipSpace returns the index of the first non-space byte at or after i.
func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// valueEnd returns the index just after the value that starts at i.
func valueEnd(data []byte, i int) int {
	if i >= len(data) {
		return len(data)
	}
	switch data[i] {
	case '"':
		return stringEnd(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				i = stringEnd(data, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(data)
	}
	for i < len(data) {
		switch data[i] {
		case ',', ']', '}', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// stringEnd returns the index just after the string that starts at i.
func stringEnd(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(data)
}

// eachElement calls fn with every element of the array value.
func eachElement(value []byte, fn func(elem []byte) error) error {
	i := skipSpace(value, 0)
	if i >= len(value) || value[i] != '[' {
		return fmt.Errorf("want an array, not %s", jsonTypeOf(value))
	}
	i = skipSpace(value, i+1)
	for i < len(value) && value[i] != ']' {
		end := max(valueEnd(value, i), i+1)
		if err := fn(value[i:end]); err != nil {
			return err
		}
		i = skipSpace(value, end)
		if i < len(value) && value[i] == ',' {
			i = skipSpace(value, i+1)
		}
	}
	return nil
}

// eachMember calls fn with the raw key (quotes and escapes included) and
// the value of every member of the object value.
func eachMember(value []byte, fn func(key, val []byte) error) error {
	i := skipSpace(value, 0)
	if i >= len(value) || value[i] != '{' {
		return fmt.Errorf("want an object, not %s", jsonTypeOf(value))
	}
	i = skipSpace(value, i+1)
	for i < len(value) && value[i] == '"' {
		kend := stringEnd(value, i)
		key := value[i:kend]
		i = skipSpace(value, kend)
		if i < len(value) && value[i] == ':' {
			i = skipSpace(value, i+1)
		}
		end := valueEnd(value, i)
		if err := fn(key, value[i:end]); err != nil {
			return err
		}
		i = skipSpace(value, end)
		if i < len(value) && value[i] == ',' {
			i = skipSpace(value, i+1)
		}
	}
	return nil
}

// jsonString decodes a raw JSON string; anything else is "". Like
// encoding/json, it replaces invalid UTF-8 with U+FFFD.
func jsonString(raw []byte) string {
	if len(raw) < 2 || raw[0] != '"' {
		return ""
	}
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// jsonTypeOf names the JSON type of a raw value, for errors.
func jsonTypeOf(value []byte) string {
	i := skipSpace(value, 0)
	if i >= len(value) {
		return "nothing"
	}
	return jsonType(value[i])
}

// isNull reports whether a raw value is null or missing.
func isNull(raw []byte) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}
