package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// xmlDoc reads an XML report as a stream of tokens. Its Decoder does the
// namespace handling and decodes elements into structs, while the
// tokenizer underneath checks what encoding/xml leaves to its callers:
// nesting depth, end tags that match (with line numbers), and content
// after the root element. encoding/xml expands only the five predefined
// entities and character references, so a document that declares its own
// entities (billion laughs, external entities) fails at the first
// reference.
type xmlDoc struct {
	*xml.Decoder
	tok *tokenizer
}

// newXMLDoc returns a document reading r.
func newXMLDoc(r io.Reader) *xmlDoc {
	raw := xml.NewDecoder(r)
	raw.Strict = true
	raw.CharsetReader = charsetReader
	t := &tokenizer{raw: raw}
	return &xmlDoc{Decoder: xml.NewTokenDecoder(t), tok: t}
}

// tokenizer is the xml.TokenReader under an xmlDoc's Decoder.
type tokenizer struct {
	raw   *xml.Decoder
	stack []xml.Name
	ended bool // the root element has ended
}

func (d *tokenizer) Token() (xml.Token, error) {
	t, err := d.raw.RawToken()
	if err != nil {
		if err == io.EOF && len(d.stack) > 0 {
			return nil, d.syntaxError(fmt.Sprintf("unexpected end of file inside <%s>", qname(d.stack[len(d.stack)-1])))
		}
		return nil, err
	}
	switch t := t.(type) {
	case xml.StartElement:
		if d.ended {
			return nil, d.syntaxError(fmt.Sprintf("element <%s> after the root element", qname(t.Name)))
		}
		if len(d.stack) >= MaxDepth {
			return nil, d.syntaxError(fmt.Sprintf("elements nested more than %d deep", MaxDepth))
		}
		d.stack = append(d.stack, t.Name)
	case xml.EndElement:
		if len(d.stack) == 0 {
			return nil, d.syntaxError(fmt.Sprintf("unexpected end element </%s>", qname(t.Name)))
		}
		open := d.stack[len(d.stack)-1]
		if open != t.Name {
			return nil, d.syntaxError(fmt.Sprintf("element <%s> closed by </%s>", qname(open), qname(t.Name)))
		}
		d.stack = d.stack[:len(d.stack)-1]
		if len(d.stack) == 0 {
			d.ended = true
		}
	case xml.CharData:
		if len(d.stack) == 0 && len(bytes.TrimSpace(bytes.TrimPrefix(t, []byte("\ufeff")))) > 0 {
			if d.ended {
				return nil, d.syntaxError("text after the root element")
			}
			return nil, d.syntaxError("text before the root element; not an XML document")
		}
	}
	return t, nil
}

func (d *tokenizer) syntaxError(msg string) error {
	line, _ := d.raw.InputPos()
	return &xml.SyntaxError{Msg: msg, Line: line}
}

func qname(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

// root reads up to the root element and checks its local name against
// want. The returned element is the root's start tag.
func (d *xmlDoc) root(want ...string) (xml.StartElement, error) {
	for {
		t, err := d.Token()
		if err == io.EOF {
			return xml.StartElement{}, errors.New("no root element; want " + tags(want))
		}
		if err != nil {
			return xml.StartElement{}, err
		}
		if se, ok := t.(xml.StartElement); ok {
			for _, w := range want {
				if se.Name.Local == w {
					return se, nil
				}
			}
			return xml.StartElement{}, fmt.Errorf("root element is <%s>, want %s", se.Name.Local, tags(want))
		}
	}
}

func tags(names []string) string {
	s := make([]string, len(names))
	for i, n := range names {
		s[i] = "<" + n + ">"
	}
	return strings.Join(s, " or ")
}

// walk reads the rest of the document after root. It calls start for
// every start tag below the root element, with the number of open
// elements above it (1 for a child of the root), and end for every end
// tag, including the root's, with the number of elements still open. A
// start function that decodes its element with DecodeElement returns
// true, so walk does not see the element's end tag.
func (d *xmlDoc) walk(start func(se xml.StartElement, depth int) (bool, error), end func(name string, depth int) error) error {
	depth := 1
	for {
		t, err := d.Token()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			consumed, err := start(t, depth)
			if err != nil {
				return err
			}
			if !consumed {
				depth++
			}
		case xml.EndElement:
			depth--
			if end != nil {
				if err := end(t.Name.Local, depth); err != nil {
					return err
				}
			}
			if d.tok.ended {
				return d.finish()
			}
		}
	}
}

// finish reads what follows the root element, which may only be comments,
// processing instructions and white space.
func (d *xmlDoc) finish() error {
	for {
		if _, err := d.Token(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// attr returns the value of the attribute with the local name name.
func attr(se xml.StartElement, name string) string {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// charsetReader lets the decoder read the single-byte encodings report
// writers still declare now and then. UTF-8 needs no reader.
func charsetReader(label string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii":
		return &byteReader{r: input}, nil
	case "windows-1252", "cp1252":
		return &byteReader{r: input, table: &cp1252}, nil
	}
	return nil, fmt.Errorf("unsupported character encoding %q; write the report in UTF-8", label)
}

// byteReader decodes a single-byte encoding to UTF-8: bytes below 0x80 are
// ASCII, the others are Latin-1 unless table maps 0x80-0x9F.
type byteReader struct {
	r     io.Reader
	table *[32]rune
	buf   []byte // encoded UTF-8 not yet returned
	in    [4096]byte
}

func (b *byteReader) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		n, err := b.r.Read(b.in[:])
		for _, c := range b.in[:n] {
			r := rune(c)
			if b.table != nil && c >= 0x80 && c < 0xA0 {
				r = b.table[c-0x80]
			}
			b.buf = utf8.AppendRune(b.buf, r)
		}
		if len(b.buf) == 0 {
			if err == nil {
				continue
			}
			return 0, err
		}
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

// cp1252 maps the bytes 0x80-0x9F of windows-1252; unassigned bytes map to
// U+FFFD.
var cp1252 = [32]rune{
	0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
	0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0xFFFD,
}

// maxSeconds is the longest duration in seconds that fits in an int64 of
// nanoseconds.
const maxSeconds = math.MaxInt64 / 1_000_000_000

// seconds parses a duration in decimal seconds ("0.094", "12", "1.5E-4")
// into nanoseconds. Report writers are not careful with this attribute:
// a grouping comma ("1,234.5", old Surefire) is dropped and a lone decimal
// comma ("0,5") is read as a point. The bool is false for a missing,
// unreadable, negative or absurdly large value.
func seconds(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if strings.Contains(s, ",") {
		if strings.Contains(s, ".") {
			s = strings.ReplaceAll(s, ",", "")
		} else {
			s = strings.Replace(s, ",", ".", 1)
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > maxSeconds {
		return 0, false
	}
	return int64(math.Round(f * 1e9)), true
}

// milliseconds parses a duration in whole or decimal milliseconds into
// nanoseconds.
func milliseconds(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > maxSeconds*1e3 {
		return 0, false
	}
	return int64(math.Round(f * 1e6)), true
}

// count parses a non-negative count attribute. Missing means 0.
func count(name, s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > maxCount {
		return 0, fmt.Errorf("%s=%q is not a count", name, s)
	}
	return int(n), nil
}

// maxCount bounds the counts coverage files give, so sums cannot
// overflow.
const maxCount = 1 << 40

// message joins the non-empty parts of a failure (message, stack trace),
// each trimmed, with newlines.
func message(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p)
	}
	return b.String()
}

// suiteTimer works out the run time of a file whose suites nest: a suite
// lasts the time it records, or else the sum of its children's times.
type suiteTimer struct {
	frames []suiteFrame
	total  int64
}

type suiteFrame struct {
	own      int64
	hasOwn   bool
	children int64
}

// push opens a suite whose recorded time, if any, is own.
func (t *suiteTimer) push(own int64, hasOwn bool) {
	t.frames = append(t.frames, suiteFrame{own: own, hasOwn: hasOwn})
}

// add counts a test case's time in the innermost open suite.
func (t *suiteTimer) add(d int64) {
	if len(t.frames) == 0 {
		t.total = addDuration(t.total, d)
		return
	}
	f := &t.frames[len(t.frames)-1]
	f.children = addDuration(f.children, d)
}

// pop closes the innermost suite.
func (t *suiteTimer) pop() {
	if len(t.frames) == 0 {
		return
	}
	f := t.frames[len(t.frames)-1]
	t.frames = t.frames[:len(t.frames)-1]
	d := f.children
	if f.hasOwn {
		d = f.own
	}
	t.add(d)
}
