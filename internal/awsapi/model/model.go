package model

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

//go:embed data/*.json.gz
var files embed.FS

// models holds one loader per embedded file. It is filled once from the
// embedded directory and never changes after that; each loader parses its
// file on first use.
var models = func() map[string]func() (*Service, error) {
	entries, err := fs.ReadDir(files, "data")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	m := make(map[string]func() (*Service, error), len(entries))
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json.gz")
		if !ok {
			continue
		}
		m[name] = sync.OnceValues(func() (*Service, error) { return load(name) })
	}
	return m
}()

// validationCodes names the error code a service answers for a request that
// breaks its model's constraints, where that is not ValidationException.
// The package doc says where each comes from.
var validationCodes = map[string]string{
	"codebuild": "InvalidInputException",
	"logs":      "InvalidParameterException",
}

// Names returns the names of the embedded models, sorted: the botocore
// service names, such as "codebuild" and "logs".
func Names() []string {
	names := make([]string, 0, len(models))
	for n := range models {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Load returns the model of the named service. The first call for a name
// parses the embedded file; later calls return the same *Service. It is
// safe to call from several goroutines.
func Load(name string) (*Service, error) {
	fn, ok := models[name]
	if !ok {
		return nil, fmt.Errorf("model: no service %q", name)
	}
	return fn()
}

// A Service is one botocore service model. It is immutable once loaded and
// shared by every caller of Load: its operations and shapes must not be
// modified.
type Service struct {
	name           string
	meta           metadata
	validationCode string
	ops            map[string]*Operation
	opList         []*Operation
	shapes         map[string]*Shape
}

// metadata is the part of a model's metadata the API needs.
type metadata struct {
	apiVersion, endpointPrefix, jsonVersion, protocol string
	fullName, serviceID, signingName, targetPrefix    string
}

// Name returns the service's botocore name, which is also its file name in
// data/: "codebuild", "logs".
func (s *Service) Name() string { return s.name }

// ServiceID returns metadata.serviceId: "CodeBuild", "CloudWatch Logs".
func (s *Service) ServiceID() string { return s.meta.serviceID }

// FullName returns metadata.serviceFullName: "AWS CodeBuild".
func (s *Service) FullName() string { return s.meta.fullName }

// APIVersion returns the API version: "2016-10-06".
func (s *Service) APIVersion() string { return s.meta.apiVersion }

// Protocol returns the wire protocol: "json" (awsJson), "rest-json",
// "query" or "rest-xml".
func (s *Service) Protocol() string { return s.meta.protocol }

// JSONVersion returns the awsJson version, "1.0" or "1.1", of a json
// protocol service.
func (s *Service) JSONVersion() string { return s.meta.jsonVersion }

// TargetPrefix returns the prefix of the X-Amz-Target header of an awsJson
// service: "CodeBuild_20161006", "Logs_20140328".
func (s *Service) TargetPrefix() string { return s.meta.targetPrefix }

// EndpointPrefix returns the endpoint prefix: "codebuild", "logs".
func (s *Service) EndpointPrefix() string { return s.meta.endpointPrefix }

// SigningName returns the service name in SigV4 credential scopes:
// metadata.signingName, else the endpoint prefix.
func (s *Service) SigningName() string {
	if s.meta.signingName != "" {
		return s.meta.signingName
	}
	return s.meta.endpointPrefix
}

// ValidationCode returns the error code the service answers when a request
// breaks a constraint of its model: ValidationException for most services,
// InvalidInputException for CodeBuild and InvalidParameterException for
// CloudWatch Logs (see the package doc). It is the Code of the
// ValidationErrors that Validate returns.
func (s *Service) ValidationCode() string { return s.validationCode }

// Operation returns the named operation, such as "StartBuild".
func (s *Service) Operation(name string) (*Operation, bool) {
	op, ok := s.ops[name]
	return op, ok
}

// Operations returns the service's operations sorted by name.
func (s *Service) Operations() []*Operation { return slices.Clone(s.opList) }

// Shape returns the named shape, such as "Build".
func (s *Service) Shape(name string) (*Shape, bool) {
	sh, ok := s.shapes[name]
	return sh, ok
}

// PatternsSkipped returns the distinct patterns of the service's shapes
// that Go's regexp cannot compile, sorted. Validate does not check them.
// It compiles every pattern, so it is for tests and diagnostics.
func (s *Service) PatternsSkipped() []string {
	var skipped []string
	for _, sh := range s.shapes {
		if sh.Pattern != "" && sh.regexp() == nil && !slices.Contains(skipped, sh.Pattern) {
			skipped = append(skipped, sh.Pattern)
		}
	}
	slices.Sort(skipped)
	return skipped
}

// An Operation is one API action of a service.
type Operation struct {
	Name       string
	HTTP       HTTP
	Input      *Shape   // nil when the operation takes no input
	Output     *Shape   // nil when it returns nothing
	Errors     []string // names of the error shapes it declares
	Deprecated bool
	Service    *Service
}

// HTTP is the HTTP binding of an operation. Every awsJson1.1 operation is a
// POST to /.
type HTTP struct {
	Method       string
	RequestURI   string
	ResponseCode int // 0 when the model leaves it at 200
}

// A Shape is a type in a model: a structure, list, map or scalar.
type Shape struct {
	Name string
	// Type is botocore's type name: structure, list, map, string, integer,
	// long, float, double, boolean, timestamp or blob.
	Type    string
	Members []Member // structure members, in model order
	Elem    *Shape   // list element
	Key     *Shape   // map key
	Value   *Shape   // map value
	Enum    []string // allowed values of a string
	// Pattern is the Java regular expression a string must match as a whole.
	Pattern string
	// Min and Max bound a string's or blob's length, a list's or map's size,
	// or a number's value.
	Min, Max        *float64
	Required        []string // names of required members, in model order
	Sensitive       bool
	Exception       bool
	Union           bool
	Document        bool
	EventStream     bool
	Event           bool
	Deprecated      bool
	TimestampFormat string

	kind   kind
	sorted []uint16    // indexes of Members sorted by JSONName
	re     *lazyRegexp // nil without a Pattern
}

// A Member is a structure member.
type Member struct {
	Name             string // name in the model
	JSONName         string // key on the wire: the member's locationName, else Name
	Shape            *Shape
	Required         bool
	Deprecated       bool
	IdempotencyToken bool

	path   string // segment in validation messages: JSONName with a lower-case first letter
	target string // shape name, until the shapes are linked
}

// member returns the index of the member whose JSON name is key, or -1.
func (s *Shape) member(key []byte) int {
	lo, hi := 0, len(s.sorted)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		i := s.sorted[mid]
		switch n := s.Members[i].JSONName; {
		case n == string(key):
			return int(i)
		case n < string(key):
			lo = mid + 1
		default:
			hi = mid
		}
	}
	return -1
}

// regexp returns the shape's pattern compiled as a whole-string match, or
// nil when Go's regexp cannot compile it (see PatternsSkipped).
func (s *Shape) regexp() *regexp.Regexp {
	if s.re == nil {
		return nil
	}
	s.re.once.Do(func() {
		s.re.re, _ = regexp.Compile(`^(?:` + s.Pattern + `)$`)
	})
	return s.re.re
}

type lazyRegexp struct {
	once sync.Once
	re   *regexp.Regexp
}

type kind uint8

const (
	kindString kind = iota + 1
	kindInteger
	kindLong
	kindFloat
	kindDouble
	kindBoolean
	kindTimestamp
	kindBlob
	kindList
	kindMap
	kindStructure
)

var kinds = map[string]kind{
	"string": kindString, "integer": kindInteger, "long": kindLong, "float": kindFloat,
	"double": kindDouble, "boolean": kindBoolean, "timestamp": kindTimestamp, "blob": kindBlob,
	"list": kindList, "map": kindMap, "structure": kindStructure,
}

// load decompresses and parses the embedded model of the named service.
func load(name string) (*Service, error) {
	gz, err := files.ReadFile(path.Join("data", name+".json.gz"))
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	data, err := gunzip(gz)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	svc, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	svc.name = name
	svc.validationCode = "ValidationException"
	if c, ok := validationCodes[name]; ok {
		svc.validationCode = c
	}
	return svc, nil
}

// gunzip decompresses a gzip file into a buffer sized from its trailer.
func gunzip(gz []byte) ([]byte, error) {
	if len(gz) < 4 {
		return nil, errors.New("gzip file too short")
	}
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	size := binary.LittleEndian.Uint32(gz[len(gz)-4:]) // ISIZE: the length mod 2^32
	buf := bytes.NewBuffer(make([]byte, 0, int(size)+bytes.MinRead))
	if _, err := io.Copy(buf, r); err != nil {
		return nil, err
	}
	return buf.Bytes(), r.Close()
}

// parser turns a botocore service-2.json file into a Service. Every string
// it keeps is copied out of the file, so the file can be dropped after.
type parser struct {
	lexer
	svc     *Service
	pending []opRefs
	refs    []shapeRefs
}

func parse(data []byte) (*Service, error) {
	p := &parser{lexer: lexer{data: data}, svc: &Service{
		ops:    map[string]*Operation{},
		shapes: map[string]*Shape{},
	}}
	ok := p.object(func(key []byte) bool {
		switch string(key) {
		case "metadata":
			return p.metadata()
		case "operations":
			return p.object(func(name []byte) bool { return p.operation(string(name)) })
		case "shapes":
			return p.object(func(name []byte) bool { return p.shape(string(name)) })
		}
		return p.skip(1)
	})
	if !ok || !p.atEnd() {
		return nil, fmt.Errorf("malformed JSON at offset %d", p.pos)
	}
	if err := p.link(); err != nil {
		return nil, err
	}
	return p.svc, nil
}

// string reads a string value.
func (p *parser) string() (string, bool) {
	if p.peek() != '"' {
		return "", false
	}
	raw, esc, ok := p.str()
	if esc {
		raw = unescape(raw)
	}
	return string(raw), ok
}

func (p *parser) bool() (bool, bool) {
	switch p.peek() {
	case 't':
		return true, p.literal("true")
	case 'f':
		return false, p.literal("false")
	}
	return false, false
}

func (p *parser) float() (*float64, bool) {
	if c := p.peek(); c != '-' && !isDigit(c) {
		return nil, false
	}
	raw, _, ok := p.number()
	if !ok {
		return nil, false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	return &f, err == nil
}

func (p *parser) strings() ([]string, bool) {
	var list []string
	ok := p.array(func() bool {
		s, ok := p.string()
		list = append(list, s)
		return ok
	})
	return list, ok
}

// target reads a shape reference, {"shape": "Name", ...}.
func (p *parser) target() (name string, ok bool) {
	ok = p.object(func(key []byte) bool {
		if string(key) == "shape" {
			name, ok = p.string()
			return ok
		}
		return p.skip(2)
	})
	return name, ok
}

func (p *parser) metadata() bool {
	m := &p.svc.meta
	return p.object(func(key []byte) bool {
		var dst *string
		switch string(key) {
		case "apiVersion":
			dst = &m.apiVersion
		case "endpointPrefix":
			dst = &m.endpointPrefix
		case "jsonVersion":
			dst = &m.jsonVersion
		case "protocol":
			dst = &m.protocol
		case "serviceFullName":
			dst = &m.fullName
		case "serviceId":
			dst = &m.serviceID
		case "signingName":
			dst = &m.signingName
		case "targetPrefix":
			dst = &m.targetPrefix
		default:
			return p.skip(1)
		}
		v, ok := p.string()
		*dst = v
		return ok
	})
}

// opRefs holds an operation's shape names until the shapes are linked.
type opRefs struct {
	op            *Operation
	input, output string
}

func (p *parser) operation(name string) bool {
	op := &Operation{Name: name, Service: p.svc}
	var refs opRefs
	ok := p.object(func(key []byte) bool {
		var ok bool
		switch string(key) {
		case "http":
			return p.object(func(key []byte) bool {
				switch string(key) {
				case "method":
					op.HTTP.Method, ok = p.string()
				case "requestUri":
					op.HTTP.RequestURI, ok = p.string()
				case "responseCode":
					var f *float64
					f, ok = p.float()
					if ok {
						op.HTTP.ResponseCode = int(*f)
					}
				default:
					return p.skip(3)
				}
				return ok
			})
		case "input":
			refs.input, ok = p.target()
		case "output":
			refs.output, ok = p.target()
		case "errors":
			ok = p.array(func() bool {
				e, ok := p.target()
				op.Errors = append(op.Errors, e)
				return ok
			})
		case "deprecated":
			op.Deprecated, ok = p.bool()
		default:
			return p.skip(2)
		}
		return ok
	})
	refs.op = op
	p.svc.ops[name] = op
	p.svc.opList = append(p.svc.opList, op)
	p.pending = append(p.pending, refs)
	return ok
}

func (p *parser) shape(name string) bool {
	s := &Shape{Name: name}
	var elem, key, value string
	ok := p.object(func(k []byte) bool {
		var ok bool
		switch string(k) {
		case "type":
			s.Type, ok = p.string()
		case "members":
			ok = p.object(func(mname []byte) bool {
				m := Member{Name: string(mname)}
				ok := p.object(func(k []byte) bool {
					var ok bool
					switch string(k) {
					case "shape":
						m.target, ok = p.string()
					case "locationName":
						m.JSONName, ok = p.string()
					case "deprecated":
						m.Deprecated, ok = p.bool()
					case "idempotencyToken":
						m.IdempotencyToken, ok = p.bool()
					default:
						return p.skip(4)
					}
					return ok
				})
				s.Members = append(s.Members, m)
				return ok
			})
		case "required":
			s.Required, ok = p.strings()
		case "enum":
			s.Enum, ok = p.strings()
		case "pattern":
			s.Pattern, ok = p.string()
		case "min":
			s.Min, ok = p.float()
		case "max":
			s.Max, ok = p.float()
		case "member":
			elem, ok = p.target()
		case "key":
			key, ok = p.target()
		case "value":
			value, ok = p.target()
		case "timestampFormat":
			s.TimestampFormat, ok = p.string()
		case "sensitive":
			s.Sensitive, ok = p.bool()
		case "exception":
			s.Exception, ok = p.bool()
		case "union":
			s.Union, ok = p.bool()
		case "document":
			s.Document, ok = p.bool()
		case "eventstream":
			s.EventStream, ok = p.bool()
		case "event":
			s.Event, ok = p.bool()
		case "deprecated":
			s.Deprecated, ok = p.bool()
		default:
			return p.skip(3)
		}
		return ok
	})
	p.svc.shapes[name] = s
	p.refs = append(p.refs, shapeRefs{s, elem, key, value})
	return ok
}

// shapeRefs holds a shape's list and map shape names until they are linked.
type shapeRefs struct {
	s                *Shape
	elem, key, value string
}

// link resolves shape names to shapes and fills what the rest of the
// package derives from the model.
func (p *parser) link() error {
	svc := p.svc
	ref := func(name, from string) (*Shape, error) {
		if name == "" {
			return nil, nil
		}
		s, ok := svc.shapes[name]
		if !ok {
			return nil, fmt.Errorf("%s refers to unknown shape %q", from, name)
		}
		return s, nil
	}
	var err error
	for _, r := range p.pending {
		if r.op.Input, err = ref(r.input, r.op.Name); err != nil {
			return err
		}
		if r.op.Output, err = ref(r.output, r.op.Name); err != nil {
			return err
		}
	}
	for _, r := range p.refs {
		s := r.s
		k, ok := kinds[s.Type]
		if !ok {
			return fmt.Errorf("shape %s has unknown type %q", s.Name, s.Type)
		}
		s.kind = k
		if s.Elem, err = ref(r.elem, s.Name); err != nil {
			return err
		}
		if s.Key, err = ref(r.key, s.Name); err != nil {
			return err
		}
		if s.Value, err = ref(r.value, s.Name); err != nil {
			return err
		}
		if (k == kindList) != (s.Elem != nil) || (k == kindMap) != (s.Key != nil && s.Value != nil) {
			return fmt.Errorf("shape %s: %s without its element shapes", s.Name, s.Type)
		}
		if s.Pattern != "" {
			s.re = &lazyRegexp{}
		}
		if len(s.Members) > 1<<16 {
			return fmt.Errorf("shape %s has too many members", s.Name)
		}
		s.sorted = make([]uint16, len(s.Members))
		for i := range s.Members {
			m := &s.Members[i]
			if m.Shape, err = ref(m.target, s.Name+"."+m.Name); err != nil {
				return err
			}
			if m.Shape == nil {
				return fmt.Errorf("member %s.%s has no shape", s.Name, m.Name)
			}
			m.target = ""
			if m.JSONName == "" {
				m.JSONName = m.Name
			}
			m.path = lowerFirst(m.JSONName)
			m.Required = slices.Contains(s.Required, m.Name)
			s.sorted[i] = uint16(i)
		}
		slices.SortFunc(s.sorted, func(a, b uint16) int {
			return strings.Compare(s.Members[a].JSONName, s.Members[b].JSONName)
		})
	}
	slices.SortFunc(svc.opList, func(a, b *Operation) int { return strings.Compare(a.Name, b.Name) })
	return nil
}

// lowerFirst lower-cases the first letter of an ASCII name, as the Java
// front ends name members in validation messages ("QueryExecutionId" is
// 'queryExecutionId').
func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}
