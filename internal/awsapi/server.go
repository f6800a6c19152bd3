package awsapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/codeyard/codeyard/internal/awsapi/model"
	"github.com/codeyard/codeyard/internal/awsapi/sigv4"
)

// Principal is who signed a request: the user an access key belongs to.
type Principal struct {
	AccessKeyID string
	UserName    string
	// ReadOnly principals may only call operations that read (Batch*Get*,
	// Get*, List*, Describe*, Filter*).
	ReadOnly bool
}

// Keys finds access keys for the verifier.
type Keys interface {
	// AccessKey returns the secret and the principal of an access key id,
	// and ok false when there is no such key.
	AccessKey(ctx context.Context, id string) (secret string, p Principal, ok bool, err error)
}

// Call is what a handler knows about the request it serves.
type Call struct {
	Service   string // the model's name: codebuild, logs
	Op        string // the operation: StartBuild
	Region    string // from the request's credential scope
	Account   string // the server's account id
	Principal Principal
	RequestID string
}

// ARN returns an ARN of the service in the call's region and account.
func (c *Call) ARN(service, resource string) string {
	return "arn:aws:" + service + ":" + c.Region + ":" + c.Account + ":" + resource
}

// UserARN is the ARN of the principal, as CodeBuild's initiator and AWS's
// access-denied messages name it.
func (c *Call) UserARN() string {
	return "arn:aws:iam::" + c.Account + ":user/" + c.Principal.UserName
}

// Handler serves one operation: body is the request's JSON, already
// validated against the operation's input shape. It returns the value to
// answer with (marshalled as JSON) or an error.
type Handler func(ctx context.Context, c *Call, body []byte) (any, error)

// Op adapts a typed operation function to a Handler: the body is decoded
// into In, and Out is the answer.
func Op[In, Out any](f func(ctx context.Context, c *Call, in *In) (*Out, error)) Handler {
	return func(ctx context.Context, c *Call, body []byte) (any, error) {
		in := new(In)
		if len(body) > 0 {
			if err := json.Unmarshal(body, in); err != nil {
				return nil, Errorf(CodeSerialization, "%s", serializationMessage(err))
			}
		}
		out, err := f(ctx, c, in)
		if err != nil {
			return nil, err
		}
		if out == nil {
			return struct{}{}, nil
		}
		return out, nil
	}
}

func serializationMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("Cannot deserialize value at '%s': expected %s", te.Field, te.Type)
	}
	return "The request body could not be parsed: " + err.Error()
}

// Service is one AWS service the server speaks.
type Service struct {
	// Model is the name of the service's botocore model (codebuild, logs).
	Model string
	// Ops are the operations the service serves, by name. Operations of
	// the model that are not here answer UnknownOperationException.
	Ops map[string]Handler
	// MapError maps the domain's errors to the service's AWS errors; nil
	// for what it does not know.
	MapError func(error) *Error
	// ValidationCode is the code of the error for a request that breaks
	// the model's constraints: ValidationException unless the service
	// answers otherwise (CodeBuild: InvalidInputException).
	ValidationCode string
}

type service struct {
	Service
	model *model.Service
}

// Config configures a Server.
type Config struct {
	// Account is the account id in ARNs.
	Account string
	Keys    Keys
	Log     *slog.Logger
	// MaxBody is the largest request body accepted; 0 means 10 MiB.
	MaxBody int64
	// Now is the clock requests are checked against; nil: time.Now.
	Now func() time.Time
}

// Server serves the registered services' operations over HTTP.
type Server struct {
	cfg      Config
	log      *slog.Logger
	verifier *sigv4.Verifier
	targets  map[string]*service // by X-Amz-Target prefix
	// Fallback serves requests that carry no X-Amz-Target (REST
	// protocols); nil: they answer UnknownOperationException.
	Fallback http.Handler
}

// NewServer returns a Server with no services.
func NewServer(cfg Config) *Server {
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 10 << 20
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: cfg.Log, targets: map[string]*service{}}
	s.verifier = &sigv4.Verifier{
		Now: cfg.Now,
		Secret: func(ctx context.Context, id string) (string, bool, error) {
			secret, _, ok, err := cfg.Keys.AccessKey(ctx, id)
			return secret, ok, err
		},
	}
	return s
}

// Register adds a service. It fails when the model is unknown or names
// no operation the table has.
func (s *Server) Register(svc Service) error {
	m, err := model.Load(svc.Model)
	if err != nil {
		return err
	}
	for name := range svc.Ops {
		if _, ok := m.Operation(name); !ok {
			return fmt.Errorf("service %s: operation %s is not in the model", svc.Model, name)
		}
	}
	if svc.ValidationCode == "" {
		svc.ValidationCode = "ValidationException"
	}
	s.targets[m.TargetPrefix()] = &service{Service: svc, model: m}
	return nil
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := requestID()
	w.Header().Set("x-amzn-RequestId", id)
	target := r.Header.Get("X-Amz-Target")
	if target == "" && s.Fallback != nil {
		s.Fallback.ServeHTTP(w, r)
		return
	}
	start := time.Now()
	log := s.log.With("request_id", id)
	defer func() {
		if v := recover(); v != nil {
			log.ErrorContext(r.Context(), "panic serving request", "target", target, "panic", v, "stack", string(debug.Stack()))
			s.writeError(w, &Error{Code: CodeInternalFailure, Message: "An internal error occurred.", Status: http.StatusInternalServerError})
		}
	}()
	e := s.serve(w, r, id, target, log)
	if e != nil {
		s.writeError(w, e)
	}
	log.DebugContext(r.Context(), "request", "target", target, "duration", time.Since(start), "error", errCode(e))
}

func errCode(e *Error) string {
	if e == nil {
		return ""
	}
	return e.Code
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, id, target string, log *slog.Logger) *Error {
	if r.Method != http.MethodPost {
		return &Error{Code: CodeUnknownOperation, Message: "", Status: http.StatusBadRequest}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return &Error{Code: CodeTooLarge, Message: fmt.Sprintf("Request body exceeds the maximum size of %d bytes.", s.cfg.MaxBody), Status: http.StatusRequestEntityTooLarge}
		}
		return Errorf(CodeSerialization, "The request body could not be read.")
	}
	prefix, opName, _ := strings.Cut(target, ".")
	svc := s.targets[prefix]
	if svc == nil {
		// No service here by that name: nothing to authenticate for.
		return &Error{Code: CodeUnknownOperation, Status: http.StatusBadRequest}
	}
	signing := svc.model.SigningName()
	res, err := s.verifier.Verify(r, body, signing)
	if err != nil {
		var ve *sigv4.Error
		if errors.As(err, &ve) {
			code, status := ve.Code()
			return &Error{Code: code, Message: ve.Message, Status: status}
		}
		log.ErrorContext(r.Context(), "verify request", "err", err)
		return &Error{Code: CodeInternalFailure, Message: "An internal error occurred.", Status: http.StatusInternalServerError}
	}
	h, ok := svc.Ops[opName]
	if !ok {
		return &Error{Code: CodeUnknownOperation, Status: http.StatusBadRequest}
	}
	_, p, ok, err := s.cfg.Keys.AccessKey(r.Context(), res.AccessKeyID)
	if err != nil {
		log.ErrorContext(r.Context(), "look up access key", "err", err)
		return &Error{Code: CodeInternalFailure, Message: "An internal error occurred.", Status: http.StatusInternalServerError}
	}
	if !ok {
		// Deleted since the signature was checked.
		return &Error{Code: "UnrecognizedClientException", Message: "The security token included in the request is invalid.", Status: http.StatusBadRequest}
	}
	c := &Call{Service: svc.Model, Op: opName, Region: res.Region, Account: s.cfg.Account, Principal: p, RequestID: id}
	if p.ReadOnly && !readOnlyOp(opName) {
		return &Error{Code: CodeAccessDenied, Status: http.StatusBadRequest,
			Message: fmt.Sprintf("User: %s is not authorized to perform: %s:%s", c.UserARN(), signing, opName)}
	}
	op, _ := svc.model.Operation(opName)
	if err := op.Validate(body); err != nil {
		var ve *model.ValidationError
		if errors.As(err, &ve) {
			return Errorf(svc.ValidationCode, "%s", ve.Message())
		}
		var se *model.SerializationError
		if errors.As(err, &se) {
			return Errorf(CodeSerialization, "%s", se.Message)
		}
		return Errorf(svc.ValidationCode, "%s", err.Error())
	}
	out, err := h(r.Context(), c, body)
	if err != nil {
		e, known := asError(err, svc.MapError)
		if !known {
			log.ErrorContext(r.Context(), "operation failed", "target", target, "err", err)
		}
		return e
	}
	data, err := json.Marshal(out)
	if err != nil {
		log.ErrorContext(r.Context(), "marshal response", "target", target, "err", err)
		return &Error{Code: CodeInternalFailure, Message: "An internal error occurred.", Status: http.StatusInternalServerError}
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Write(data)
	return nil
}

// readOnlyOp reports whether an operation only reads.
func readOnlyOp(op string) bool {
	for _, p := range []string{"BatchGet", "Get", "List", "Describe", "Filter"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

func (s *Server) writeError(w http.ResponseWriter, e *Error) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	h.Set("X-Amzn-ErrorType", e.Code+":")
	w.WriteHeader(e.Status)
	body := map[string]string{"__type": e.Code}
	if e.Message != "" {
		body["message"] = e.Message
	}
	data, _ := json.Marshal(body)
	w.Write(data)
}

// requestID returns a new request id in the UUID form AWS uses.
func requestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Operations returns the X-Amz-Target of every operation the server
// serves, sorted.
func (s *Server) Operations() []string {
	var out []string
	for prefix, svc := range s.targets {
		for op := range svc.Ops {
			out = append(out, prefix+"."+op)
		}
	}
	slices.Sort(out)
	return out
}

// SigningName returns the signing name of the service a target belongs
// to.
func (s *Server) SigningName(target string) string {
	prefix, _, _ := strings.Cut(target, ".")
	if svc := s.targets[prefix]; svc != nil {
		return svc.model.SigningName()
	}
	return ""
}
