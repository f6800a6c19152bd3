package buildlog

import (
	"bytes"
	"regexp"
	"strings"
)

// pattern is a parsed filter pattern: it matches an event when any of its
// groups does, and a group matches when all its terms do. No groups match
// everything.
type pattern struct {
	groups [][]term
}

// term is a literal or a regular expression that must (or, with not, must
// not) occur in the message.
type term struct {
	lit []byte
	re  *regexp.Regexp
	not bool
}

func (p *pattern) match(msg []byte) bool {
	if len(p.groups) == 0 {
		return true
	}
	for _, g := range p.groups {
		ok := true
		for _, t := range g {
			var found bool
			if t.re != nil {
				found = t.re.Match(msg)
			} else {
				found = bytes.Contains(msg, t.lit)
			}
			if found == t.not {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// maxPatternLen is the model's limit on filterPattern.
const maxPatternLen = 1024

// parsePattern parses the unstructured-log subset of CloudWatch's filter
// pattern syntax; see FilterLogEventsInput.FilterPattern.
func parsePattern(s string) (*pattern, error) {
	if len(s) > maxPatternLen {
		return nil, validation(s, "filterPattern", "have length less than or equal to 1024")
	}
	t := strings.TrimSpace(s)
	p := &pattern{}
	if t == "" {
		return p, nil
	}
	switch t[0] {
	case '{':
		return nil, invalidParam("JSON filter patterns are not supported by codeyard: %s", s)
	case '[':
		return nil, invalidParam("Space-delimited filter patterns are not supported by codeyard: %s", s)
	}
	for i := 0; ; {
		for i < len(t) && isSpace(t[i]) {
			i++
		}
		if i == len(t) {
			return p, nil
		}
		newGroup := t[i] == '?'
		if newGroup {
			i++
		}
		var tm term
		if i < len(t) && t[i] == '-' {
			tm.not = true
			i++
		}
		if i == len(t) || isSpace(t[i]) {
			return nil, invalidParam("Invalid filter pattern: an operator without a term at offset %d: %s", i, s)
		}
		start := i
		switch t[i] {
		case '"':
			var lit []byte
			for i++; ; i++ {
				if i == len(t) {
					return nil, invalidParam("Invalid filter pattern: unterminated quoted term at offset %d: %s", start, s)
				}
				c := t[i]
				if c == '"' {
					i++
					break
				}
				if c == '\\' && i+1 < len(t) && (t[i+1] == '"' || t[i+1] == '\\') {
					i++
					c = t[i]
				}
				lit = append(lit, c)
			}
			tm.lit = lit
		case '%':
			end := strings.IndexByte(t[i+1:], '%')
			if end < 0 {
				return nil, invalidParam("Invalid filter pattern: unterminated regular expression at offset %d: %s", start, s)
			}
			expr := t[i+1 : i+1+end]
			if expr == "" {
				return nil, invalidParam("Invalid filter pattern: empty regular expression at offset %d: %s", start, s)
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, invalidParam("Invalid filter pattern: regular expression %q: %v", expr, err)
			}
			tm.re = re
			i += end + 2
		default:
			for i < len(t) && !isSpace(t[i]) {
				if t[i] == '"' {
					return nil, invalidParam("Invalid filter pattern: a quote inside a term at offset %d: %s", i, s)
				}
				i++
			}
			tm.lit = []byte(t[start:i])
		}
		if i < len(t) && !isSpace(t[i]) {
			return nil, invalidParam("Invalid filter pattern: no space after the term at offset %d: %s", start, s)
		}
		if newGroup || len(p.groups) == 0 {
			p.groups = append(p.groups, nil)
		}
		p.groups[len(p.groups)-1] = append(p.groups[len(p.groups)-1], tm)
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}
