package model

import (
	"encoding/base64"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A SerializationError reports a request body that the service cannot read
// as the operation's input: malformed JSON, or a value of the wrong JSON
// type. AWS answers it with the code SerializationException. Message is
// the text AWS sends, which is empty for malformed JSON.
type SerializationError struct {
	Message string
}

// CodeSerialization is the AWS error code of a SerializationError.
const CodeSerialization = "SerializationException"

func (e *SerializationError) Error() string {
	if e.Message == "" {
		return CodeSerialization
	}
	return CodeSerialization + ": " + e.Message
}

// ErrorCode returns the AWS error code, SerializationException.
func (e *SerializationError) ErrorCode() string { return CodeSerialization }

// ErrorMessage returns the message AWS sends with the error.
func (e *SerializationError) ErrorMessage() string { return e.Message }

// A ValidationError reports the constraints of the model that a request
// breaks, all of them, as AWS's Java front ends (Coral) report them.
type ValidationError struct {
	// Code is the AWS error code to answer with. Validate sets it to the
	// service's ValidationCode; a caller may change it.
	Code       string
	Violations []Violation
	// HideValues prints "Value at 'name'" instead of "Value 'x' at 'name'"
	// for every value but null, as newer AWS front ends do.
	HideValues bool
}

func (e *ValidationError) Error() string { return e.Code + ": " + e.Message() }

// ErrorCode returns Code.
func (e *ValidationError) ErrorCode() string { return e.Code }

// ErrorMessage returns Message().
func (e *ValidationError) ErrorMessage() string { return e.Message() }

// Message returns the message AWS sends, such as "2 validation errors
// detected: Value null at 'projectName' failed to satisfy constraint:
// Member must not be null; Value 'x' at 'environment.computeType' failed
// to satisfy constraint: Member must satisfy enum value set: [...]".
func (e *ValidationError) Message() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(len(e.Violations)))
	if len(e.Violations) == 1 {
		b.WriteString(" validation error detected: ")
	} else {
		b.WriteString(" validation errors detected: ")
	}
	for i, v := range e.Violations {
		if i > 0 {
			b.WriteString("; ")
		}
		v.write(&b, e.HideValues)
	}
	return b.String()
}

// A Violation is one broken constraint.
type Violation struct {
	// Path names the value: member names from the input down, with
	// ".N.member" for the Nth element of a list (from 1) and ".KEY.member"
	// for the value of map key KEY, as in 'tags.1.member.key'.
	Path string
	// Constraint is the rule it breaks, such as "Member must not be null".
	Constraint string
	// Value is the value as Java prints it: a string without quotes, a
	// list as [a, b], a map or structure as {k=v}.
	Value string
	// Null is set when the value is missing or null.
	Null bool
	// Hidden is set for a sensitive value, which the message leaves out.
	Hidden bool
}

// String returns the violation as the message of a ValidationError shows
// it.
func (v Violation) String() string {
	var b strings.Builder
	v.write(&b, false)
	return b.String()
}

func (v Violation) write(b *strings.Builder, hide bool) {
	switch {
	case v.Null:
		b.WriteString("Value null at '")
	case v.Hidden || hide:
		b.WriteString("Value at '")
	default:
		b.WriteString("Value '")
		b.WriteString(v.Value)
		b.WriteString("' at '")
	}
	b.WriteString(v.Path)
	b.WriteString("' failed to satisfy constraint: ")
	b.WriteString(v.Constraint)
}

// Messages of SerializationErrors, as AWS sends them.
const (
	msgList   = "Start of list found where not expected"
	msgObject = "Start of structure or map found where not expected."
)

// javaTypes completes "STRING_VALUE can not be converted to ..." for each
// scalar kind.
var javaTypes = [...]string{
	kindString:    "a String",
	kindInteger:   "an Integer",
	kindLong:      "a Long",
	kindFloat:     "a Float",
	kindDouble:    "a Double",
	kindBoolean:   "a Boolean",
	kindTimestamp: "a Date",
	kindBlob:      "a ByteBuffer",
}

// Constraint failures of one value, as a bit set.
const (
	failPattern uint8 = 1 << iota
	failMin
	failMax
	failEnum
)

// Validate checks a request body against the operation's input shape, as
// the AWS front end does before the operation runs. It returns nil, a
// *SerializationError when the body is not JSON or a value has the wrong
// JSON type, or a *ValidationError listing every broken constraint
// (required members, lengths, ranges, enums and patterns). Members the
// model does not know are ignored and a null member counts as absent. It
// is safe to call from several goroutines.
func (op *Operation) Validate(body []byte) error {
	v := validator{l: lexer{data: body}}
	var buf [128]byte
	v.path = buf[:0]
	switch v.l.peek() {
	case '{':
	case '[':
		return &SerializationError{Message: msgList}
	default:
		return &SerializationError{}
	}
	var ok bool
	if op.Input == nil {
		ok = v.l.skip(0) || v.malformed()
	} else {
		ok = v.structure(op.Input)
	}
	if ok && !v.l.atEnd() {
		ok = v.malformed()
	}
	if !ok {
		return v.err
	}
	if len(v.viol) > 0 {
		return &ValidationError{Code: op.Service.validationCode, Violations: v.viol}
	}
	return nil
}

// validator walks a request body and its shape together.
type validator struct {
	l     lexer
	depth int
	path  []byte      // path of the current value
	viol  []Violation // constraints broken so far
	err   *SerializationError
}

// malformed records that the body is not JSON, and returns false.
func (v *validator) malformed() bool {
	v.err = &SerializationError{}
	return false
}

// mismatch records a value the input shape cannot hold, and returns false.
func (v *validator) mismatch(msg string) bool {
	v.err = &SerializationError{Message: msg}
	return false
}

func (v *validator) add(s *Shape, constraint string, span []byte) {
	v.viol = append(v.viol, Violation{
		Path:       string(v.path),
		Constraint: constraint,
		Value:      render(span, s),
		Hidden:     s.Sensitive,
	})
}

func (v *validator) pushName(name string) {
	if len(v.path) > 0 {
		v.path = append(v.path, '.')
	}
	v.path = append(v.path, name...)
}

// structure reads the object at pos as the structure s.
func (v *validator) structure(s *Shape) bool {
	if v.depth++; v.depth > maxDepth {
		return v.malformed()
	}
	v.l.pos++ // '{'
	first := len(v.viol)
	var small [4]uint64
	seen := small[:]
	if n := (len(s.Members) + 63) / 64; n > len(small) {
		seen = make([]uint64, n)
	}
	if v.l.peek() == '}' {
		v.l.pos++
	} else {
		for {
			if v.l.peek() != '"' {
				return v.malformed()
			}
			key, esc, ok := v.l.str()
			if !ok || v.l.peek() != ':' {
				return v.malformed()
			}
			v.l.pos++
			if esc {
				key = unescape(key)
			}
			switch i := s.member(key); {
			case i < 0:
				if !v.l.skip(v.depth) {
					return v.malformed()
				}
			case v.l.peek() == 'n':
				if !v.l.literal("null") {
					return v.malformed()
				}
			default:
				seen[i/64] |= 1 << (i % 64)
				m := &s.Members[i]
				mark := len(v.path)
				v.pushName(m.path)
				start := v.l.pos
				fails, ok := v.value(m.Shape)
				if !ok {
					return false
				}
				if fails != 0 {
					v.report(m.Shape, fails, v.l.data[start:v.l.pos])
				}
				v.path = v.path[:mark]
			}
			c := v.l.peek()
			if c == '}' {
				v.l.pos++
				break
			}
			if c != ',' {
				return v.malformed()
			}
			v.l.pos++
		}
	}
	v.depth--
	// Missing members go before what the present members broke.
	var missing []Violation
	for i := range s.Members {
		if m := &s.Members[i]; m.Required && seen[i/64]&(1<<(i%64)) == 0 {
			mark := len(v.path)
			v.pushName(m.path)
			missing = append(missing, Violation{Path: string(v.path), Constraint: "Member must not be null", Null: true})
			v.path = v.path[:mark]
		}
	}
	if len(missing) > 0 {
		v.viol = slices.Insert(v.viol, first, missing...)
	}
	return true
}

// report adds one violation for each constraint of s that a member's value
// breaks.
func (v *validator) report(s *Shape, fails uint8, span []byte) {
	for _, f := range [...]uint8{failPattern, failMin, failMax, failEnum} {
		if fails&f != 0 {
			v.add(s, constraint(s, f), span)
		}
	}
}

// value reads one value as the shape s and returns the constraints of s it
// breaks. Constraints of nested values are recorded as violations.
func (v *validator) value(s *Shape) (fails uint8, ok bool) {
	c := v.l.peek()
	if s.Document {
		return 0, v.l.skip(v.depth) || v.malformed()
	}
	switch c {
	case '[':
		if s.kind == kindList {
			return v.list(s)
		}
		return 0, v.mismatch(msgList)
	case '{':
		switch s.kind {
		case kindStructure:
			return 0, v.structure(s)
		case kindMap:
			return v.mapValue(s)
		}
		return 0, v.mismatch(msgObject)
	case 'n':
		// A null element of a list or map: Coral takes it as no value.
		return 0, v.l.literal("null") || v.malformed()
	}
	switch s.kind {
	case kindString:
		if c == '"' {
			raw, esc, ok := v.l.str()
			if !ok {
				return 0, v.malformed()
			}
			if esc {
				raw = unescape(raw)
			}
			return checkString(s, raw), true
		}
	case kindInteger, kindLong, kindFloat, kindDouble, kindTimestamp:
		if c == '-' || isDigit(c) {
			return v.number(s)
		}
	case kindBoolean:
		switch c {
		case 't':
			return 0, v.l.literal("true") || v.malformed()
		case 'f':
			return 0, v.l.literal("false") || v.malformed()
		}
	case kindBlob:
		if c == '"' {
			return v.blob(s)
		}
	}
	// A scalar of the wrong type; Coral reads the token before it objects.
	var tok string
	switch {
	case c == '"':
		if _, _, ok := v.l.str(); ok {
			tok = "STRING_VALUE"
		}
	case c == 't':
		if v.l.literal("true") {
			tok = "TRUE_VALUE"
		}
	case c == 'f':
		if v.l.literal("false") {
			tok = "FALSE_VALUE"
		}
	case c == '-' || isDigit(c):
		if _, _, ok := v.l.number(); ok {
			tok = "NUMBER_VALUE"
		}
	}
	switch {
	case tok == "":
		return 0, v.malformed()
	case s.kind == kindList:
		return 0, v.mismatch("Expected list or null")
	case s.kind == kindMap:
		return 0, v.mismatch("Expected map or null")
	case s.kind == kindStructure:
		return 0, v.mismatch("Expected null")
	}
	return 0, v.mismatch(tok + " can not be converted to " + javaTypes[s.kind])
}

// checkString returns the constraints of s that the string breaks.
func checkString(s *Shape, str []byte) uint8 {
	var fails uint8
	if s.Min != nil || s.Max != nil {
		fails = bounds(s, float64(utf8.RuneCount(str)))
	}
	if s.re != nil {
		if re := s.regexp(); re != nil && !re.Match(str) {
			fails |= failPattern
		}
	}
	if len(s.Enum) > 0 {
		found := false
		for _, e := range s.Enum {
			if e == string(str) {
				found = true
				break
			}
		}
		if !found {
			fails |= failEnum
		}
	}
	return fails
}

// bounds checks a length or value against the shape's Min and Max.
func bounds(s *Shape, x float64) uint8 {
	var fails uint8
	if s.Min != nil && x < *s.Min {
		fails |= failMin
	}
	if s.Max != nil && x > *s.Max {
		fails |= failMax
	}
	return fails
}

// number reads a number as the numeric or timestamp shape s. Coral
// truncates a fraction given for an integer. An integer too large for its
// type that no constraint catches cannot be read.
func (v *validator) number(s *Shape) (uint8, bool) {
	raw, isInt, ok := v.l.number()
	if !ok {
		return 0, v.malformed()
	}
	switch s.kind {
	case kindTimestamp:
		return 0, true
	case kindFloat, kindDouble:
		f, _ := strconv.ParseFloat(string(raw), 64) // ±Inf when out of range
		return bounds(s, f), true
	}
	var x float64
	fits := false
	if n, ok := parseInt(raw); isInt && ok {
		x = float64(n)
		fits = s.kind == kindLong || n >= math.MinInt32 && n <= math.MaxInt32
	} else {
		f, _ := strconv.ParseFloat(string(raw), 64)
		x = math.Trunc(f)
		if s.kind == kindLong {
			fits = x >= math.MinInt64 && x < math.MaxInt64
		} else {
			fits = x >= math.MinInt32 && x <= math.MaxInt32
		}
	}
	fails := bounds(s, x)
	if !fits && fails == 0 {
		return 0, v.mismatch("")
	}
	return fails, true
}

// parseInt parses an integer of at most 18 digits, which cannot overflow.
func parseInt(raw []byte) (int64, bool) {
	neg := len(raw) > 0 && raw[0] == '-'
	if neg {
		raw = raw[1:]
	}
	if len(raw) == 0 || len(raw) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range raw {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// blob reads a base64 string as the blob shape s.
func (v *validator) blob(s *Shape) (uint8, bool) {
	raw, esc, ok := v.l.str()
	if !ok {
		return 0, v.malformed()
	}
	if esc {
		raw = unescape(raw)
	}
	enc := base64.StdEncoding
	if len(raw)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	n, err := enc.Decode(make([]byte, enc.DecodedLen(len(raw))), raw)
	if err != nil {
		return 0, v.mismatch("")
	}
	return bounds(s, float64(n)), true
}

// list reads the array at pos as the list s.
func (v *validator) list(s *Shape) (uint8, bool) {
	if v.depth++; v.depth > maxDepth {
		return 0, v.malformed()
	}
	start := v.l.pos
	v.l.pos++ // '['
	n := 0
	elemFails := false
	if v.l.peek() == ']' {
		v.l.pos++
	} else {
		for {
			n++
			mark := len(v.path)
			v.path = append(v.path, '.')
			v.path = strconv.AppendInt(v.path, int64(n), 10)
			v.path = append(v.path, ".member"...)
			f, ok := v.value(s.Elem)
			if !ok {
				return 0, false
			}
			v.path = v.path[:mark]
			elemFails = elemFails || f != 0
			c := v.l.peek()
			if c == ']' {
				v.l.pos++
				break
			}
			if c != ',' {
				return 0, v.malformed()
			}
			v.l.pos++
		}
	}
	v.depth--
	if elemFails {
		v.add(s, "Member must satisfy constraint: ["+constraints(s.Elem)+"]", v.l.data[start:v.l.pos])
		v.viol[len(v.viol)-1].Hidden = s.Elem.Sensitive
	}
	return bounds(s, float64(n)), true
}

// mapValue reads the object at pos as the map s.
func (v *validator) mapValue(s *Shape) (uint8, bool) {
	if v.depth++; v.depth > maxDepth {
		return 0, v.malformed()
	}
	start := v.l.pos
	v.l.pos++ // '{'
	n := 0
	keyFails, valueFails := false, false
	if v.l.peek() == '}' {
		v.l.pos++
	} else {
		for {
			if v.l.peek() != '"' {
				return 0, v.malformed()
			}
			key, esc, ok := v.l.str()
			if !ok || v.l.peek() != ':' {
				return 0, v.malformed()
			}
			v.l.pos++
			if esc {
				key = unescape(key)
			}
			n++
			if s.Key.kind == kindString {
				keyFails = keyFails || checkString(s.Key, key) != 0
			}
			mark := len(v.path)
			v.pushName(string(key))
			v.path = append(v.path, ".member"...)
			f, ok := v.value(s.Value)
			if !ok {
				return 0, false
			}
			v.path = v.path[:mark]
			valueFails = valueFails || f != 0
			c := v.l.peek()
			if c == '}' {
				v.l.pos++
				break
			}
			if c != ',' {
				return 0, v.malformed()
			}
			v.l.pos++
		}
	}
	v.depth--
	span := v.l.data[start:v.l.pos]
	if keyFails {
		v.add(s, "Map keys must satisfy constraint: ["+constraints(s.Key)+"]", span)
		v.viol[len(v.viol)-1].Hidden = s.Key.Sensitive || s.Value.Sensitive
	}
	if valueFails {
		v.add(s, "Map value must satisfy constraint: ["+constraints(s.Value)+"]", span)
		v.viol[len(v.viol)-1].Hidden = s.Key.Sensitive || s.Value.Sensitive
	}
	return bounds(s, float64(n)), true
}

// constraint returns the text of one constraint of s.
func constraint(s *Shape, f uint8) string {
	what := "length"
	switch s.kind {
	case kindInteger, kindLong, kindFloat, kindDouble:
		what = "value"
	}
	switch f {
	case failPattern:
		return "Member must satisfy regular expression pattern: " + s.Pattern
	case failMin:
		return "Member must have " + what + " greater than or equal to " + formatBound(*s.Min)
	case failMax:
		return "Member must have " + what + " less than or equal to " + formatBound(*s.Max)
	case failEnum:
		return "Member must satisfy enum value set: [" + strings.Join(s.Enum, ", ") + "]"
	}
	return ""
}

// constraints lists every constraint of s, as Coral does for the elements
// of a list and the keys and values of a map.
func constraints(s *Shape) string {
	var list []string
	if s.Max != nil {
		list = append(list, constraint(s, failMax))
	}
	if s.Min != nil {
		list = append(list, constraint(s, failMin))
	}
	if s.Pattern != "" {
		list = append(list, constraint(s, failPattern))
	}
	if len(s.Enum) > 0 {
		list = append(list, constraint(s, failEnum))
	}
	return strings.Join(list, ", ")
}

func formatBound(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// redacted stands for a sensitive value inside a rendered value, as the
// AWS SDK for Java prints one.
const redacted = "*** Sensitive Data Redacted ***"

// render prints a value that was read as the shape s (nil: unknown) the
// way Java prints it in validation messages.
func render(span []byte, s *Shape) string {
	l := lexer{data: span}
	return string(renderValue(&l, s, nil))
}

func renderValue(l *lexer, s *Shape, b []byte) []byte {
	if s != nil && s.Sensitive {
		l.skip(0)
		return append(b, redacted...)
	}
	switch c := l.peek(); c {
	case '"':
		raw, esc, _ := l.str()
		if esc {
			raw = unescape(raw)
		}
		return append(b, raw...)
	case '{':
		b = append(b, '{')
		n := 0
		l.object(func(key []byte) bool {
			var vs *Shape
			if s != nil {
				switch s.kind {
				case kindMap:
					vs = s.Value
				case kindStructure:
					i := s.member(key)
					if i < 0 {
						return l.skip(0)
					}
					vs = s.Members[i].Shape
				}
			}
			if n++; n > 1 {
				b = append(b, ", "...)
			}
			b = append(b, key...)
			b = append(b, '=')
			b = renderValue(l, vs, b)
			return true
		})
		return append(b, '}')
	case '[':
		var es *Shape
		if s != nil && s.kind == kindList {
			es = s.Elem
		}
		b = append(b, '[')
		n := 0
		l.array(func() bool {
			if n++; n > 1 {
				b = append(b, ", "...)
			}
			b = renderValue(l, es, b)
			return true
		})
		return append(b, ']')
	case 't', 'f', 'n':
		start := l.pos
		l.skip(0)
		return append(b, l.data[start:l.pos]...)
	}
	raw, isInt, _ := l.number()
	if s == nil {
		return append(b, raw...)
	}
	switch s.kind {
	case kindInteger, kindLong:
		if isInt {
			return append(b, raw...)
		}
		f, _ := strconv.ParseFloat(string(raw), 64)
		return strconv.AppendFloat(b, math.Trunc(f), 'f', -1, 64)
	case kindFloat, kindDouble:
		f, _ := strconv.ParseFloat(string(raw), 64)
		return append(b, javaDouble(f)...)
	}
	return append(b, raw...)
}

// javaDouble formats a double as Java's Double.toString does.
func javaDouble(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0 && math.Signbit(f):
		return "-0.0"
	case f == 0:
		return "0.0"
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	mant, exp, _ := strings.Cut(strconv.FormatFloat(f, 'e', -1, 64), "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	neg := strings.HasPrefix(exp, "-")
	exp = strings.TrimLeft(exp, "+-0")
	if neg {
		exp = "-" + exp
	}
	return mant + "E" + exp
}
