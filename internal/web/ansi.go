package web

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// sgr is the graphic state of a terminal: the colours and styles SGR
// escape sequences (ESC [ ... m) set.
type sgr struct {
	fg, bg                     int // 0: default; 1-16: the 16 colours (+1)
	bold, dim, italic, underln bool
}

func (g sgr) class() string {
	var c []string
	if g.fg > 0 {
		c = append(c, "f"+strconv.Itoa(g.fg-1))
	}
	if g.bg > 0 {
		c = append(c, "b"+strconv.Itoa(g.bg-1))
	}
	if g.bold {
		c = append(c, "bo")
	}
	if g.dim {
		c = append(c, "di")
	}
	if g.italic {
		c = append(c, "it")
	}
	if g.underln {
		c = append(c, "un")
	}
	return strings.Join(c, " ")
}

// apply applies an SGR sequence's parameters.
func (g *sgr) apply(params string) {
	if params == "" {
		*g = sgr{}
		return
	}
	ps := strings.Split(strings.ReplaceAll(params, ":", ";"), ";")
	for i := 0; i < len(ps); i++ {
		n, err := strconv.Atoi(ps[i])
		if err != nil {
			if ps[i] == "" {
				n = 0
			} else {
				continue
			}
		}
		switch {
		case n == 0:
			*g = sgr{}
		case n == 1:
			g.bold = true
		case n == 2:
			g.dim = true
		case n == 3:
			g.italic = true
		case n == 4:
			g.underln = true
		case n == 22:
			g.bold, g.dim = false, false
		case n == 23:
			g.italic = false
		case n == 24:
			g.underln = false
		case n >= 30 && n <= 37:
			g.fg = n - 30 + 1
		case n >= 90 && n <= 97:
			g.fg = n - 90 + 8 + 1
		case n == 39:
			g.fg = 0
		case n >= 40 && n <= 47:
			g.bg = n - 40 + 1
		case n >= 100 && n <= 107:
			g.bg = n - 100 + 8 + 1
		case n == 49:
			g.bg = 0
		case n == 38 || n == 48:
			// 38;5;N (256 colours: the first 16 are kept) or 38;2;R;G;B
			// (true colour: dropped, the text keeps the default colour).
			if i+1 < len(ps) && ps[i+1] == "5" && i+2 < len(ps) {
				c, _ := strconv.Atoi(ps[i+2])
				v := 0
				if c >= 0 && c < 16 {
					v = c + 1
				}
				if n == 38 {
					g.fg = v
				} else {
					g.bg = v
				}
				i += 2
			} else if i+1 < len(ps) && ps[i+1] == "2" {
				i += 4
			}
		}
	}
}

// writeANSI writes a log line as HTML: text escaped, SGR colours as
// spans of fixed classes, every other escape sequence dropped, and other
// control characters shown as their Unicode control pictures. Nothing
// in a line can become markup. A carriage return starts the line over,
// as on a terminal, unless nothing follows it.
func writeANSI(b *bytes.Buffer, line string, g *sgr) {
	if i := strings.LastIndexByte(strings.TrimRight(line, "\r"), '\r'); i >= 0 {
		line = line[i+1:]
	}
	open := false
	start := func() {
		if c := g.class(); c != "" {
			b.WriteString(`<span class="`)
			b.WriteString(c)
			b.WriteString(`">`)
			open = true
		}
	}
	end := func() {
		if open {
			b.WriteString("</span>")
			open = false
		}
	}
	start()
	text := func(s string) {
		for len(s) > 0 {
			// Runs of printable ASCII but the HTML specials are copied
			// whole.
			i := 0
			for i < len(s) {
				c := s[i]
				if c < 0x20 && c != '\t' || c >= 0x7f || c == '<' || c == '>' || c == '&' || c == '"' || c == '\'' {
					break
				}
				i++
			}
			b.WriteString(s[:i])
			s = s[i:]
			if len(s) == 0 {
				return
			}
			r, n := utf8.DecodeRuneInString(s)
			switch {
			case r == utf8.RuneError && n == 1:
				b.WriteString("\uFFFD")
			case r < 0x20:
				b.WriteRune(0x2400 + r)
			case r == 0x7f:
				b.WriteRune(0x2421)
			case r == '<':
				b.WriteString("&lt;")
			case r == '>':
				b.WriteString("&gt;")
			case r == '&':
				b.WriteString("&amp;")
			case r == '"':
				b.WriteString("&#34;")
			case r == '\'':
				b.WriteString("&#39;")
			default:
				b.WriteString(s[:n])
			}
			s = s[n:]
		}
	}
	for len(line) > 0 {
		i := strings.IndexByte(line, 0x1b)
		if i < 0 {
			text(line)
			break
		}
		text(line[:i])
		line = line[i:]
		if len(line) >= 2 && line[1] == '[' {
			// CSI: parameters and intermediates, then a final byte.
			j := 2
			for j < len(line) && line[j] >= 0x20 && line[j] <= 0x3f {
				j++
			}
			for j < len(line) && line[j] >= 0x20 && line[j] <= 0x2f {
				j++
			}
			if j >= len(line) {
				line = ""
				break
			}
			if line[j] == 'm' {
				end()
				g.apply(line[2:j])
				start()
			}
			line = line[j+1:]
			continue
		}
		if len(line) >= 2 && line[1] == ']' {
			// OSC, ended by BEL or ST (ESC \): a title or a hyperlink,
			// dropped.
			j := 2
			for j < len(line) && line[j] != 0x07 && !(line[j] == 0x1b && j+1 < len(line) && line[j+1] == '\\') {
				j++
			}
			switch {
			case j >= len(line):
				line = ""
			case line[j] == 0x07:
				line = line[j+1:]
			default:
				line = line[j+2:]
			}
			continue
		}
		if len(line) >= 2 {
			// A two-byte escape (ESC c, ESC 7, ...): dropped.
			line = line[2:]
			continue
		}
		line = ""
	}
	end()
}

// writeLine writes one numbered log line with its permalink anchor.
func writeLine(b *bytes.Buffer, n int, msg string, g *sgr) {
	num := strconv.Itoa(n)
	b.WriteString(`<div class="l" id="L`)
	b.WriteString(num)
	b.WriteString(`"><a class="n" href="#L`)
	b.WriteString(num)
	b.WriteString(`" aria-label="line `)
	b.WriteString(num)
	b.WriteString(`">`)
	b.WriteString(num)
	b.WriteString(`</a><span class="t">`)
	writeANSI(b, msg, g)
	b.WriteString("</span></div>")
}
