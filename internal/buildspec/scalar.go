package buildspec

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// The functions in this file decode scalar content from the source text
// following the YAML 1.2 specification (chapters 6 to 8); where the
// specification leaves room, they do what libyaml does, which CodeBuild's
// YAML parser is ported from.

// isWhite reports whether c is YAML white space (s-white).
func isWhite(c byte) bool { return c == ' ' || c == '\t' }

// foldPlain folds a plain scalar written over several lines: each line is
// stripped of surrounding white space, a single line break becomes a space
// and n empty lines become n line breaks.
func foldPlain(raw string) string {
	if strings.IndexByte(raw, '\n') < 0 {
		return strings.TrimRight(raw, " \t")
	}
	var b strings.Builder
	empty := 0
	for i, ln := range strings.Split(raw, "\n") {
		ln = strings.Trim(ln, " \t")
		switch {
		case i == 0:
			b.WriteString(ln)
		case ln == "":
			empty++
		default:
			if empty == 0 {
				b.WriteByte(' ')
			} else {
				b.WriteString(strings.Repeat("\n", empty))
			}
			empty = 0
			b.WriteString(ln)
		}
	}
	return b.String()
}

// quotedRaw returns the text between the quote at src[off] and its closing
// quote.
func quotedRaw(src string, off int) (string, bool) {
	if off < 0 || off >= len(src) || (src[off] != '\'' && src[off] != '"') {
		return "", false
	}
	q := src[off]
	for i := off + 1; i < len(src); i++ {
		switch {
		case q == '"' && src[i] == '\\':
			i++
		case src[i] == q:
			if q == '\'' && i+1 < len(src) && src[i+1] == '\'' {
				i++
				continue
			}
			return src[off+1 : i], true
		}
	}
	return "", false
}

// decodeQuoted decodes the content of a single- or double-quoted scalar:
// line folding, doubled quotes in single quotes, escapes in double quotes. A non-empty
// problem is the message for an invalid escape, in libyaml's words.
func decodeQuoted(raw string, single bool) (text, problem string) {
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case single && c == '\'' && i+1 < len(raw) && raw[i+1] == '\'':
			b.WriteByte('\'')
			i += 2
		case !single && c == '\\' && i+1 < len(raw) && raw[i+1] == '\n':
			// An escaped line break joins the lines without a space;
			// empty lines after it still count.
			i += 2
			for {
				i = skipWhite(raw, i)
				if i < len(raw) && raw[i] == '\n' {
					b.WriteByte('\n')
					i++
					continue
				}
				break
			}
		case !single && c == '\\':
			r, n, msg := unescape(raw[i:])
			if msg != "" && problem == "" {
				problem = msg
			}
			b.WriteString(r)
			i += n
		case isWhite(c):
			j := skipWhite(raw, i)
			if j < len(raw) && raw[j] == '\n' {
				i = j // white space before a line break is not content
				continue
			}
			b.WriteString(raw[i:j])
			i = j
		case c == '\n':
			i++
			empty := 0
			for {
				i = skipWhite(raw, i)
				if i < len(raw) && raw[i] == '\n' {
					empty++
					i++
					continue
				}
				break
			}
			if empty == 0 {
				b.WriteByte(' ')
			} else {
				b.WriteString(strings.Repeat("\n", empty))
			}
		default:
			_, n := utf8.DecodeRuneInString(raw[i:])
			b.WriteString(raw[i : i+n])
			i += n
		}
	}
	return b.String(), problem
}

func skipWhite(s string, i int) int {
	for i < len(s) && isWhite(s[i]) {
		i++
	}
	return i
}

// unescape decodes the escape sequence at the start of s, which begins with
// a backslash. It returns the decoded text, the length consumed and, for an
// invalid escape, libyaml's message.
func unescape(s string) (string, int, string) {
	if len(s) < 2 {
		return s, len(s), "found unknown escape character while parsing a quoted scalar"
	}
	simple := map[byte]string{
		'0': "\x00", 'a': "\a", 'b': "\b", 't': "\t", '\t': "\t", 'n': "\n",
		'v': "\v", 'f': "\f", 'r': "\r", 'e': "\x1b", ' ': " ", '"': "\"",
		'/': "/", '\\': "\\", 'N': "\u0085", '_': "\u00a0", 'L': "\u2028", 'P': "\u2029",
	}
	if r, ok := simple[s[1]]; ok {
		return r, 2, ""
	}
	digits := map[byte]int{'x': 2, 'u': 4, 'U': 8}[s[1]]
	if digits == 0 {
		_, n := utf8.DecodeRuneInString(s[1:])
		return s[:1+n], 1 + n, "found unknown escape character while parsing a quoted scalar"
	}
	if len(s) < 2+digits {
		return s, len(s), "did not find expected hexdecimal number"
	}
	v, err := strconv.ParseUint(s[2:2+digits], 16, 32)
	if err != nil || strings.ContainsAny(s[2:2+digits], "+-") {
		return s[:2+digits], 2 + digits, "did not find expected hexdecimal number"
	}
	if (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF {
		return s[:2+digits], 2 + digits, "found invalid Unicode character escape code"
	}
	return string(rune(v)), 2 + digits, ""
}

// decodeBlock decodes the block scalar whose header (for example "|", ">-"
// or "|2+") stands on the 1-based line headerLine of src. indent is the
// 0-based indentation of the collection holding the scalar, -1 at the top
// level. It follows libyaml's scan_block_scalar.
func decodeBlock(src string, lineStart []int, headerLine int, header string, indent int) (string, bool) {
	if header == "" || (header[0] != '|' && header[0] != '>') {
		return "", false
	}
	folded := header[0] == '>'
	const (
		clip = iota
		strip
		keep
	)
	chomp, increment := clip, 0
	for _, c := range header[1:] {
		switch {
		case c == '-':
			chomp = strip
		case c == '+':
			chomp = keep
		case c >= '1' && c <= '9':
			increment = int(c - '0')
		default:
			return "", false
		}
	}

	// line(i) is the text of source line headerLine+1+i without its line
	// break, and broken(i) says whether a line break ends it. n is the
	// number of such lines; a final line break leaves an empty, unbroken
	// "line" after it, which is the end of the input, not a line.
	nLines := len(lineStart) - headerLine
	if nLines > 0 && lineStart[len(lineStart)-1] == len(src) {
		nLines--
	}
	nLines = max(nLines, 0)
	lineEnd := func(i int) int {
		if ln := headerLine + i + 1; ln < len(lineStart) {
			return lineStart[ln] - 1
		}
		return len(src)
	}
	line := func(i int) string { return src[lineStart[headerLine+i]:lineEnd(i)] }
	broken := func(i int) bool { return lineEnd(i) < len(src) }

	spaces := func(s string) int {
		n := 0
		for n < len(s) && s[n] == ' ' {
			n++
		}
		return n
	}
	minIndent := indent + 1
	if minIndent < 1 {
		minIndent = 1
	}
	pos := 0
	breaks := 0
	var width int
	if increment == 0 {
		// Auto-detection: the leading empty lines and the first content
		// line decide, whichever is indented most.
		most := 0
		for ; pos < nLines; pos++ {
			n := spaces(line(pos))
			if n > most {
				most = n
			}
			if n < len(line(pos)) {
				break
			}
			breaks++
		}
		width = max(minIndent, most)
	} else {
		width = minIndent + increment - 1
	}
	// scanBreaks consumes empty lines: lines with no more than width
	// spaces and nothing else.
	scanBreaks := func() int {
		n := 0
		for ; pos < nLines; pos++ {
			sp := spaces(line(pos))
			if sp < len(line(pos)) || sp > width {
				break
			}
			n++
		}
		return n
	}
	if increment != 0 {
		breaks = scanBreaks()
	}

	var b strings.Builder
	lineBreak := ""
	for pos < nLines && spaces(line(pos)) >= width {
		b.WriteString(strings.Repeat("\n", breaks))
		text := line(pos)[width:]
		leadingNonBlank := text != "" && !isWhite(text[0])
		b.WriteString(text)
		lineBreak = ""
		if broken(pos) {
			lineBreak = "\n"
		}
		pos++
		breaks = scanBreaks()
		if pos >= nLines || spaces(line(pos)) < width {
			break
		}
		next := line(pos)[width:]
		if folded && lineBreak == "\n" && leadingNonBlank && next != "" && !isWhite(next[0]) {
			if breaks == 0 {
				b.WriteByte(' ')
			}
		} else {
			b.WriteString(lineBreak)
		}
	}
	if chomp != strip {
		b.WriteString(lineBreak)
	}
	if chomp == keep {
		b.WriteString(strings.Repeat("\n", breaks))
	}
	return b.String(), true
}
