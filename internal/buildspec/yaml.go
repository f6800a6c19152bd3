package buildspec

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// maxDepth bounds how deeply collections may nest. The YAML parser slows
// down quadratically with nesting depth; real buildspecs nest less than 15
// levels.
const maxDepth = 200

// maxShapeCost bounds the sum of the squares of the number of entries of
// each mapping and flow collection; see checkShape.
const maxShapeCost = 10_000_000

type kind uint8

const (
	nullKind kind = iota
	scalarKind
	mapKind
	seqKind
)

// node is a YAML node with anchors, aliases, tags and merge keys resolved.
// An alias shares the node of its anchor, so nodes are read-only once
// built.
type node struct {
	kind kind
	line int // 1-based; 0 when unknown
	col  int // 1-based, in characters
	// text is the scalar's value: the source text of a plain scalar (so
	// "1.10" stays "1.10"), the decoded content of a quoted or block one.
	// For a null it is the text written ("~", "null" or "").
	text  string
	pairs []pair  // mapKind, in source order with merged keys in place
	items []*node // seqKind
}

type pair struct {
	key *node // a scalar or null node; key.text is the key
	val *node
}

// describe names the kind of n the way CodeBuild's messages do ("found
// subkeys instead").
func (n *node) describe() string {
	switch n.kind {
	case mapKind:
		return "subkeys"
	case seqKind:
		return "list"
	case nullKind:
		return "null"
	}
	return "string"
}

// loader turns goccy's AST into nodes. The AST comes from a copy of the
// source whose inner tabs are masked (see maskTabs), so scalars are decoded
// from the unmasked source, src, at the positions the AST gives.
type loader struct {
	src       string
	masked    string
	lineStart []int // byte offset of each line (index 0 is line 1)
	anchors   map[string]*node
	defining  map[string]bool
	errs      []Diagnostic
	warns     []Diagnostic
	budget    *int
	exhausted bool
}

// load parses text, a prepared buildspec, into a node tree: the body of its
// single document.
func load(text string, budget *int) (root *node, errs, warns []Diagnostic) {
	l := &loader{
		src:      text,
		masked:   maskTabs(text),
		anchors:  map[string]*node{},
		defining: map[string]bool{},
		budget:   budget,
	}
	l.lineStart = append(l.lineStart, 0)
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			l.lineStart = append(l.lineStart, i+1)
		}
	}

	file, d := parseYAML(l.masked)
	if d != nil {
		return nil, []Diagnostic{*d}, nil
	}
	var doc *ast.DocumentNode
	for _, dn := range file.Docs {
		if dn == nil || dn.Body == nil {
			continue
		}
		if _, ok := dn.Body.(*ast.DirectiveNode); ok {
			// %YAML and %TAG directives precede a document; goccy
			// returns them as a document of their own.
			continue
		}
		if doc != nil {
			line, col := l.position(dn.Body)
			return nil, []Diagnostic{{Line: line, Column: col, Message: fmt.Sprintf(
				"multiple YAML documents: a buildspec is a single document, found another at line %d, column %d", line, col)}}, nil
		}
		doc = dn
	}
	if doc == nil {
		return nil, []Diagnostic{{Message: msgEmpty}}, nil
	}
	root = l.convert(doc.Body, -1)
	return root, l.errs, l.warns
}

// parseYAML lexes and parses src with goccy/go-yaml, refusing before the
// parser sees them the shapes it would take too long over (see checkShape).
func parseYAML(src string) (file *ast.File, d *Diagnostic) {
	defer func() {
		// goccy/go-yaml is not written to be fed hostile input; a panic
		// in it must not take the caller down.
		if r := recover(); r != nil {
			file, d = nil, &Diagnostic{Message: fmt.Sprintf("could not parse YAML: %v", r)}
		}
	}()
	tokens := lexer.Tokenize(src)
	if tk := tokens.InvalidToken(); tk != nil {
		return nil, syntaxDiagnostic(tk.Error, tk)
	}
	if d := checkShape(tokens); d != nil {
		return nil, d
	}
	f, err := parser.Parse(tokens, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		var ye interface {
			GetToken() *token.Token
			GetMessage() string
		}
		if errors.As(err, &ye) {
			return nil, syntaxDiagnostic(ye.GetMessage(), ye.GetToken())
		}
		return nil, &Diagnostic{Message: "could not parse YAML: " + err.Error()}
	}
	return f, nil
}

var cannotStart = regexp.MustCompile(`^found character '.*' that cannot start any token$`)

// syntaxDiagnostic reports a YAML syntax error. CodeBuild reports these as
// the YAML library's message followed by " at line N", for example
// "found character that cannot start any token at line 3" for a tab
// (awsdocs/aws-codebuild-user-guide#25) or "did not find expected ',' or
// ']' at line 19" (aws-samples/bedrock-chat#441). goccy's wording differs
// from libyaml's; the one that users meet most, a tab, is translated.
func syntaxDiagnostic(msg string, tk *token.Token) *Diagnostic {
	if cannotStart.MatchString(msg) {
		msg = "found character that cannot start any token"
	}
	if tk == nil || tk.Position == nil {
		return &Diagnostic{Message: msg}
	}
	line, col := tk.Position.Line, tk.Position.Column
	return &Diagnostic{Line: line, Column: col, Message: fmt.Sprintf("%s at line %d", msg, line)}
}

// checkShape refuses, before goccy/go-yaml parses them, tokens that would
// make the parser slow: nesting deeper than maxDepth, and mappings and flow
// collections with many entries, which the parser handles in time
// quadratic in their number of entries (a block mapping of 35,000 keys
// takes a second, a flow list of 90,000 entries most of a minute). The
// sum of the squares of the entry counts is bounded by maxShapeCost; real
// buildspecs stay far below it, and block sequences, the shape of long
// command lists, are linear and not counted.
func checkShape(tokens token.Tokens) *Diagnostic {
	type level struct {
		col  int // column of the level's lines
		keys int // block mapping keys at that column
		at   *token.Token
	}
	type flowLevel struct {
		entries int
		empty   bool
		at      *token.Token
	}
	var (
		levels []level
		flows  []flowLevel
		cost   int
		line   int
		onLine int // tokens seen on the current line
		inds   int // block indicators seen on the current line
	)
	tooBig := func(tk *token.Token) *Diagnostic {
		l, c := tokenPosition(tk)
		return &Diagnostic{Line: l, Column: c, Message: fmt.Sprintf(
			"the buildspec's mappings and flow collections have too many entries to parse in reasonable time (at line %d, column %d)", l, c)}
	}
	closeLevel := func(lv level) bool {
		cost += lv.keys * lv.keys
		return cost > maxShapeCost
	}
	for _, tk := range tokens {
		if tk.Position == nil || tk.Type == token.CommentType {
			continue
		}
		if tk.Position.Line != line {
			line, onLine, inds = tk.Position.Line, 0, 0
			if len(flows) == 0 {
				c := tk.Position.Column
				for len(levels) > 0 && levels[len(levels)-1].col >= c {
					lv := levels[len(levels)-1]
					levels = levels[:len(levels)-1]
					if lv.col == c {
						// The same level goes on.
						levels = append(levels, lv)
						break
					}
					if closeLevel(lv) {
						return tooBig(lv.at)
					}
				}
				if len(levels) == 0 || levels[len(levels)-1].col < c {
					levels = append(levels, level{col: c, at: tk})
				}
			}
		}
		onLine++
		switch tk.Type {
		case token.SequenceStartType, token.MappingStartType:
			flows = append(flows, flowLevel{empty: true, at: tk})
		case token.SequenceEndType, token.MappingEndType:
			if n := len(flows); n > 0 {
				f := flows[n-1]
				flows = flows[:n-1]
				if !f.empty {
					f.entries++
				}
				cost += f.entries * f.entries
				if cost > maxShapeCost {
					return tooBig(f.at)
				}
			}
		case token.CollectEntryType:
			if n := len(flows); n > 0 {
				flows[n-1].entries++
			}
		case token.MappingValueType:
			if len(flows) == 0 && onLine == 2 && len(levels) > 0 {
				levels[len(levels)-1].keys++
			}
		}
		switch tk.Type {
		case token.SequenceEntryType, token.MappingKeyType, token.MappingValueType:
			if len(flows) == 0 {
				inds++
			}
		}
		if n := len(flows); n > 0 && tk.Type != token.SequenceStartType && tk.Type != token.MappingStartType {
			flows[n-1].empty = false
		}
		depth := len(flows) + len(levels) + inds
		if depth > maxDepth {
			l, c := tokenPosition(tk)
			return &Diagnostic{Line: l, Column: c, Message: fmt.Sprintf(
				"the buildspec nests more than %d levels deep at line %d, column %d", maxDepth, l, c)}
		}
	}
	for len(levels) > 0 {
		lv := levels[len(levels)-1]
		levels = levels[:len(levels)-1]
		if closeLevel(lv) {
			return tooBig(lv.at)
		}
	}
	return nil
}

// maskTabs replaces every tab that follows the first non-blank character of
// its line with a space. goccy/go-yaml mishandles such tabs (it drops them
// from plain scalars and loses the line break after a double-quoted scalar
// that contains one), while YAML treats a tab there like a space or keeps
// it as content. The masked copy has the same length and line structure,
// so positions carry over; content is decoded from the unmasked source.
// Tabs in indentation are left alone: YAML forbids them and the parser
// says so.
func maskTabs(s string) string {
	if strings.IndexByte(s, '\t') < 0 {
		return s
	}
	b := []byte(s)
	lineStart := true
	for i, c := range b {
		switch c {
		case '\n':
			lineStart = true
		case ' ':
		case '\t':
			if !lineStart {
				b[i] = ' '
			}
		default:
			lineStart = false
		}
	}
	return string(b)
}

// offset returns the byte offset of a 1-based line and character column,
// or -1.
func (l *loader) offset(line, col int) int {
	if line < 1 || line > len(l.lineStart) || col < 1 {
		return -1
	}
	off := l.lineStart[line-1]
	for c := 1; c < col; c++ {
		if off >= len(l.src) || l.src[off] == '\n' {
			return -1
		}
		_, size := utf8.DecodeRuneInString(l.src[off:])
		off += size
	}
	return off
}

// position returns where an AST node starts.
func (l *loader) position(n ast.Node) (int, int) {
	switch n := n.(type) {
	case *ast.MappingNode:
		if len(n.Values) > 0 && !n.IsFlowStyle {
			return l.position(n.Values[0])
		}
	case *ast.MappingValueNode:
		if n.Key != nil {
			return l.position(n.Key)
		}
	case *ast.TagNode:
		return tokenPosition(n.Start)
	case *ast.AnchorNode:
		return tokenPosition(n.Start)
	}
	if n == nil {
		return 0, 0
	}
	return tokenPosition(n.GetToken())
}

func tokenPosition(tk *token.Token) (int, int) {
	if tk == nil || tk.Position == nil {
		return 0, 0
	}
	return tk.Position.Line, tk.Position.Column
}

// errorf records an error. Once the budget is exhausted, the tree is
// incomplete and further errors would be noise.
func (l *loader) errorf(line, col int, format string, args ...any) {
	if l.exhausted {
		return
	}
	l.errs = append(l.errs, Diagnostic{Line: line, Column: col, Message: fmt.Sprintf(format, args...)})
}

// spend takes n units from the budget and reports whether any were left.
func (l *loader) spend(n int) bool {
	if l.exhausted {
		return false
	}
	*l.budget -= n
	if *l.budget < 0 {
		l.errorf(0, 0, msgExhausted)
		l.exhausted = true
		return false
	}
	return true
}

// convert converts an AST node. indent is the 0-based indentation of the
// block collection holding it (-1 at the top), which a block scalar needs to
// find its content.
func (l *loader) convert(an ast.Node, indent int) *node {
	if !l.spend(1) {
		return &node{kind: nullKind}
	}
	switch n := an.(type) {
	case nil:
		return &node{kind: nullKind}
	case *ast.DocumentNode:
		return l.convert(n.Body, indent)
	case *ast.MappingNode:
		line, col := l.position(n)
		return l.mapping(n.Values, line, col)
	case *ast.MappingValueNode:
		line, col := l.position(n)
		return l.mapping([]*ast.MappingValueNode{n}, line, col)
	case *ast.SequenceNode:
		return l.sequence(n)
	case *ast.AnchorNode:
		name := anchorName(n.Name)
		l.defining[name] = true
		var v *node
		if n.Value == nil {
			line, col := tokenPosition(n.Start)
			v = &node{kind: nullKind, line: line, col: col}
		} else {
			v = l.convert(n.Value, indent)
		}
		delete(l.defining, name)
		l.anchors[name] = v
		return v
	case *ast.AliasNode:
		name := anchorName(n.Value)
		line, col := tokenPosition(n.Start)
		if l.defining[name] {
			// yaml.v3's wording.
			l.errorf(line, col, "anchor '%s' value contains itself at line %d, column %d", name, line, col)
			return &node{kind: nullKind, line: line, col: col}
		}
		v, ok := l.anchors[name]
		if !ok {
			// yaml.v2 and yaml.v3's wording.
			l.errorf(line, col, "unknown anchor '%s' referenced at line %d, column %d", name, line, col)
			return &node{kind: nullKind, line: line, col: col}
		}
		return v
	case *ast.TagNode:
		return l.tagged(n, indent)
	case *ast.LiteralNode:
		return l.block(n, indent)
	case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode,
		*ast.NullNode, *ast.InfinityNode, *ast.NanNode, *ast.MergeKeyNode:
		return l.scalar(an.GetToken(), an.Type() == ast.NullType)
	case *ast.MappingKeyNode:
		// An explicit key, "? key".
		return l.convert(n.Value, indent)
	default:
		line, col := l.position(an)
		l.errorf(line, col, "unexpected YAML %s at line %d, column %d", an.Type(), line, col)
		return &node{kind: nullKind, line: line, col: col}
	}
}

func anchorName(n ast.Node) string {
	if n == nil || n.GetToken() == nil {
		return ""
	}
	return n.GetToken().Value
}

// tagged resolves a tag. The standard tags change nothing here, since every
// scalar is taken as the text written; !!str turns a null into an empty
// string. Other tags mean nothing to CodeBuild.
func (l *loader) tagged(n *ast.TagNode, indent int) *node {
	tag := ""
	if n.Start != nil {
		tag = n.Start.Value
	}
	var v *node
	if n.Value == nil {
		line, col := tokenPosition(n.Start)
		v = &node{kind: nullKind, line: line, col: col}
	} else {
		v = l.convert(n.Value, indent)
	}
	switch tag {
	case "!!str", "tag:yaml.org,2002:str":
		if v.kind == nullKind {
			c := *v
			c.kind, c.text = scalarKind, ""
			return &c
		}
	case "!!int", "!!float", "!!bool", "!!null", "!!map", "!!seq", "!!binary", "!!timestamp", "!!omap", "!!set":
	default:
		line, col := tokenPosition(n.Start)
		l.warns = append(l.warns, Diagnostic{Line: line, Column: col, Message: fmt.Sprintf("tag %s has no meaning in a buildspec and is ignored", tag)})
	}
	return v
}

func (l *loader) mapping(values []*ast.MappingValueNode, line, col int) *node {
	m := &node{kind: mapKind, line: line, col: col}
	type entry struct {
		p      pair
		merged []*node // the maps of a merge key
	}
	var entries []entry
	own := map[string]int{} // key → line it is first defined on
	for _, mv := range values {
		if mv == nil {
			continue
		}
		if mv.Key != nil && mv.Key.IsMergeKey() {
			src := l.convert(mv.Value, -1)
			var maps []*node
			switch src.kind {
			case mapKind:
				maps = []*node{src}
			case seqKind:
				for _, it := range src.items {
					if it.kind != mapKind {
						maps = nil
						break
					}
					maps = append(maps, it)
				}
			}
			if maps == nil {
				kl, kc := l.position(mv.Key)
				// yaml.v3's wording.
				l.errorf(kl, kc, "map merge requires map or sequence of maps as the value at line %d, column %d", kl, kc)
				continue
			}
			entries = append(entries, entry{merged: maps})
			continue
		}
		k := l.convert(mv.Key, -1)
		if k.kind == mapKind || k.kind == seqKind {
			l.errorf(k.line, k.col, "a mapping key must be a scalar, found %s at line %d, column %d", k.describe(), k.line, k.col)
			continue
		}
		if k.line == 0 {
			k.line, k.col = l.position(mv.Key)
		}
		if first, dup := own[k.text]; dup {
			// yaml.v3's wording: mapping key "x" already defined at line N.
			l.errorf(k.line, k.col, "mapping key %q already defined at line %d", k.text, first)
			continue
		}
		own[k.text] = k.line
		// The key's indentation counts from its first token, which is an
		// anchor or a tag if it has one.
		_, kc := l.position(mv.Key)
		v := l.convert(mv.Value, kc-1)
		if v.line == 0 {
			v = &node{kind: v.kind, text: v.text, pairs: v.pairs, items: v.items, line: k.line, col: k.col}
		}
		entries = append(entries, entry{p: pair{key: k, val: v}})
	}

	// Merged keys go where their merge key stands; keys written in the map
	// win over merged ones, and earlier merged maps over later ones.
	merged := map[string]bool{}
	for _, e := range entries {
		if e.merged == nil {
			m.pairs = append(m.pairs, e.p)
			continue
		}
		for _, src := range e.merged {
			for _, p := range src.pairs {
				if _, mine := own[p.key.text]; mine || merged[p.key.text] {
					continue
				}
				if !l.spend(1) {
					return m
				}
				merged[p.key.text] = true
				m.pairs = append(m.pairs, p)
			}
		}
	}
	return m
}

func (l *loader) sequence(n *ast.SequenceNode) *node {
	line, col := tokenPosition(n.Start)
	s := &node{kind: seqKind, line: line, col: col}
	indent := col - 1
	for i, v := range n.Values {
		it := l.convert(v, indent)
		if it.line == 0 || (it.kind == nullKind && it.text == "") {
			// An empty entry has no token of its own; point at its dash.
			el, ec := line, col
			if i < len(n.Entries) && n.Entries[i] != nil {
				el, ec = tokenPosition(n.Entries[i].Start)
			}
			c := *it
			c.line, c.col = el, ec
			it = &c
		}
		s.items = append(s.items, it)
	}
	return s
}

// scalar decodes a plain or quoted scalar from the unmasked source.
func (l *loader) scalar(tk *token.Token, isNull bool) *node {
	if tk == nil {
		return &node{kind: nullKind}
	}
	line, col := tokenPosition(tk)
	n := &node{kind: scalarKind, line: line, col: col, text: tk.Value}
	if isNull {
		n.kind = nullKind
		if tk.Type == token.ImplicitNullType {
			n.text = ""
		}
	}
	off := l.offset(line, col)
	switch tk.Type {
	case token.SingleQuoteType, token.DoubleQuoteType:
		raw, ok := quotedRaw(l.src, off)
		if !ok {
			return n
		}
		text, msg := decodeQuoted(raw, tk.Type == token.SingleQuoteType)
		if msg != "" {
			l.errorf(line, col, "%s at line %d, column %d", msg, line, col)
		}
		n.text = text
	case token.ImplicitNullType:
	default:
		l.plain(n, tk)
	}
	return n
}

// plain decodes a plain scalar from the unmasked source. goccy/go-yaml
// places a plain scalar followed by white space and a line break too far
// right, by the length of that white space, and its Origin drops such
// white space, so the scalar's extent is found again here: it starts at the
// last column not right of the reported one where its first line matches,
// and ends where its last line's text does. If the masked text of that
// extent does not fold to goccy's value, goccy's value is kept.
func (l *loader) plain(n *node, tk *token.Token) {
	origin := strings.Trim(tk.Origin, " \t\n")
	if origin == "" || tk.Position == nil {
		return
	}
	lines := strings.Split(origin, "\n")
	first := strings.TrimRight(lines[0], " \t")
	line, col := tk.Position.Line, tk.Position.Column
	start := -1
	for ; col >= 1; col-- {
		off := l.offset(line, col)
		if off >= 0 && strings.HasPrefix(l.masked[off:], first) {
			start = off
			break
		}
	}
	if start < 0 {
		return
	}
	end := start + len(first)
	if len(lines) > 1 {
		lastLine := line + len(lines) - 1
		if lastLine > len(l.lineStart) {
			return
		}
		cs := skipWhite(l.masked, l.lineStart[lastLine-1])
		last := strings.Trim(lines[len(lines)-1], " \t")
		if !strings.HasPrefix(l.masked[cs:], last) {
			return
		}
		end = cs + len(last)
	}
	if end <= start || foldPlain(l.masked[start:end]) != tk.Value {
		return
	}
	n.col = col
	n.text = foldPlain(l.src[start:end])
}

// block decodes a literal (|) or folded (>) block scalar from the unmasked
// source.
func (l *loader) block(n *ast.LiteralNode, indent int) *node {
	line, col := tokenPosition(n.Start)
	out := &node{kind: scalarKind, line: line, col: col}
	if n.Value != nil {
		out.text = n.Value.Value
	}
	if n.Start == nil || line < 1 {
		return out
	}
	text, ok := decodeBlock(l.src, l.lineStart, line, n.Start.Value, indent)
	if ok {
		out.text = text
	}
	return out
}
