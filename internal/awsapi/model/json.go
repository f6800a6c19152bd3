package model

import (
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds how deeply objects and arrays may nest in a request body,
// like Jackson's default nesting limit in the Java front ends.
const maxDepth = 1000

// lexer reads JSON text (RFC 8259) in place. Its methods report malformed
// input by returning false and leave pos somewhere inside the bad token.
// Strings are handed out as the bytes between their quotes, so the common
// case of a string without escapes costs no allocation.
type lexer struct {
	data []byte
	pos  int
}

// ws skips whitespace.
func (l *lexer) ws() {
	for l.pos < len(l.data) {
		switch l.data[l.pos] {
		case ' ', '\t', '\n', '\r':
			l.pos++
		default:
			return
		}
	}
}

// peek skips whitespace and returns the next byte, or 0 at the end of the
// input. A NUL byte in the input also reads as 0, which starts no token.
func (l *lexer) peek() byte {
	l.ws()
	if l.pos < len(l.data) {
		return l.data[l.pos]
	}
	return 0
}

// atEnd reports whether only whitespace is left.
func (l *lexer) atEnd() bool {
	l.ws()
	return l.pos == len(l.data)
}

// str reads the string whose opening quote is at pos. It returns the bytes
// between the quotes and whether they hold escapes (see unescape).
func (l *lexer) str() (raw []byte, escaped, ok bool) {
	start := l.pos + 1
	for i := start; i < len(l.data); {
		switch c := l.data[i]; {
		case c == '"':
			l.pos = i + 1
			return l.data[start:i], escaped, true
		case c == '\\':
			escaped = true
			if i+1 >= len(l.data) {
				return nil, false, false
			}
			switch l.data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(l.data) || !isHex4(l.data[i+2:i+6]) {
					return nil, false, false
				}
				i += 6
			default:
				return nil, false, false
			}
		case c < 0x20:
			return nil, false, false
		default:
			i++
		}
	}
	return nil, false, false
}

// number reads the number at pos. isInt is false when it has a fraction or
// an exponent.
func (l *lexer) number() (raw []byte, isInt, ok bool) {
	d, i := l.data, l.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	default:
		return nil, false, false
	}
	isInt = true
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || !isDigit(d[i]) {
			return nil, false, false
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
		isInt = false
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !isDigit(d[i]) {
			return nil, false, false
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
		isInt = false
	}
	raw = d[l.pos:i]
	l.pos = i
	return raw, isInt, true
}

// literal reads true, false or null.
func (l *lexer) literal(lit string) bool {
	if len(l.data)-l.pos < len(lit) || string(l.data[l.pos:l.pos+len(lit)]) != lit {
		return false
	}
	l.pos += len(lit)
	return true
}

// skip reads one value of any kind. depth is the nesting of the value.
func (l *lexer) skip(depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch c := l.peek(); {
	case c == '{':
		l.pos++
		if l.peek() == '}' {
			l.pos++
			return true
		}
		for {
			if l.peek() != '"' {
				return false
			}
			if _, _, ok := l.str(); !ok {
				return false
			}
			if l.peek() != ':' {
				return false
			}
			l.pos++
			if !l.skip(depth + 1) {
				return false
			}
			switch l.peek() {
			case ',':
				l.pos++
			case '}':
				l.pos++
				return true
			default:
				return false
			}
		}
	case c == '[':
		l.pos++
		if l.peek() == ']' {
			l.pos++
			return true
		}
		for {
			if !l.skip(depth + 1) {
				return false
			}
			switch l.peek() {
			case ',':
				l.pos++
			case ']':
				l.pos++
				return true
			default:
				return false
			}
		}
	case c == '"':
		_, _, ok := l.str()
		return ok
	case c == 't':
		return l.literal("true")
	case c == 'f':
		return l.literal("false")
	case c == 'n':
		return l.literal("null")
	case c == '-' || isDigit(c):
		_, _, ok := l.number()
		return ok
	}
	return false
}

// object reads the object at pos, calling fn with each key; fn reads the
// value. The key is only valid during the call.
func (l *lexer) object(fn func(key []byte) bool) bool {
	if l.peek() != '{' {
		return false
	}
	l.pos++
	if l.peek() == '}' {
		l.pos++
		return true
	}
	for {
		if l.peek() != '"' {
			return false
		}
		key, esc, ok := l.str()
		if !ok {
			return false
		}
		if esc {
			key = unescape(key)
		}
		if l.peek() != ':' {
			return false
		}
		l.pos++
		if !fn(key) {
			return false
		}
		switch l.peek() {
		case ',':
			l.pos++
		case '}':
			l.pos++
			return true
		default:
			return false
		}
	}
}

// array reads the array at pos, calling fn to read each element.
func (l *lexer) array(fn func() bool) bool {
	if l.peek() != '[' {
		return false
	}
	l.pos++
	if l.peek() == ']' {
		l.pos++
		return true
	}
	for {
		if !fn() {
			return false
		}
		switch l.peek() {
		case ',':
			l.pos++
		case ']':
			l.pos++
			return true
		default:
			return false
		}
	}
}

// unescape decodes the escapes of a string read by str. Like encoding/json,
// it turns a lone surrogate into U+FFFD.
func unescape(raw []byte) []byte {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		switch raw[i+1] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := hex4(raw[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if pair := utf16.DecodeRune(r, hex4(raw[i+2:i+6])); pair != utf8.RuneError {
						out = utf8.AppendRune(out, pair)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default: // '"', '\\', '/'
			out = append(out, raw[i+1])
		}
		i += 2
	}
	return out
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex4(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) && (c|0x20 < 'a' || c|0x20 > 'f') {
			return false
		}
	}
	return true
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		r <<= 4
		switch {
		case isDigit(c):
			r |= rune(c - '0')
		default:
			r |= rune(c|0x20-'a') + 10
		}
	}
	return r
}
