package parameter

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Parameter types, tiers and data types, as SSM names them.
const (
	TypeString       = "String"
	TypeStringList   = "StringList"
	TypeSecureString = "SecureString"

	TierStandard    = "Standard"
	TierAdvanced    = "Advanced"
	TierIntelligent = "Intelligent-Tiering"

	DataTypeText = "text"

	// DefaultKeyID is the KMS key a SecureString names when PutParameter
	// gives none.
	DefaultKeyID = "alias/aws/ssm"
)

// Limits of Parameter Store, as SSM documents them.
const (
	MaxVersions       = 100
	MaxLabels         = 10
	MaxLevels         = 15
	MaxStandardValue  = 4096
	MaxAdvancedValue  = 8192
	MaxStandardParams = 10000
	MaxAdvancedParams = 100000
)

// Sentinel errors. The API maps each to its SSM error code; an *Error
// carries the message to answer with.
var (
	ErrNotFound        = errors.New("parameter not found")              // ParameterNotFound
	ErrVersionNotFound = errors.New("parameter version not found")      // ParameterVersionNotFound
	ErrExists          = errors.New("parameter already exists")         // ParameterAlreadyExists
	ErrInvalid         = errors.New("invalid request")                  // ValidationException
	ErrReserved        = errors.New("reserved parameter name")          // AccessDeniedException
	ErrLimit           = errors.New("too many parameters")              // ParameterLimitExceeded
	ErrVersionLimit    = errors.New("too many versions")                // ParameterMaxVersionLimitExceeded
	ErrLabelLimit      = errors.New("too many labels")                  // ParameterVersionLabelLimitExceeded
	ErrHierarchyLimit  = errors.New("hierarchy too deep")               // HierarchyLevelLimitExceededException
	ErrPatternMismatch = errors.New("value does not match the pattern") // ParameterPatternMismatchException
	ErrBadPattern      = errors.New("invalid allowed pattern")          // InvalidAllowedPatternException
	ErrFilterKey       = errors.New("invalid filter key")               // InvalidFilterKey
	ErrFilterOption    = errors.New("invalid filter option")            // InvalidFilterOption
	ErrFilterValue     = errors.New("invalid filter value")             // InvalidFilterValue
	ErrBadToken        = errors.New("invalid next token")               // InvalidNextToken
)

// Error is a refused request: Kind is one of the sentinel errors, Message
// what the API answers.
type Error struct {
	Kind    error
	Message string
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Kind }

func fail(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Tag is a key and value attached to a parameter.
type Tag struct{ Key, Value string }

// Version is one version of a parameter. Value is sealed. Tags are the
// parameter's, the same on every version.
type Version struct {
	Name           string
	Version        int64
	Type           string
	Value          []byte
	KeyID          string
	Description    string
	AllowedPattern string
	Tier           string
	DataType       string
	Labels         []string
	Tags           []Tag
	Modified       time.Time
	ModifiedBy     string // the user's ARN
}

// Store keeps parameters. Methods that find nothing return an error that
// wraps ErrNotFound.
type Store interface {
	// Parameter returns a version of a parameter, the latest when version
	// is 0.
	Parameter(ctx context.Context, name string, version int64) (*Version, error)
	// ParameterByLabel returns the version of a parameter that carries a
	// label.
	ParameterByLabel(ctx context.Context, name, label string) (*Version, error)
	// Parameters returns the latest versions of the parameters whose names
	// start with prefix and sort after after, by name, at most limit.
	Parameters(ctx context.Context, prefix, after string, limit int) ([]*Version, error)
	// History returns the versions of a parameter after version after, in
	// version order, at most limit.
	History(ctx context.Context, name string, after int64, limit int) ([]*Version, error)
	// PutParameter stores v as the latest version of v.Name, with tags when
	// it is the first. When drop is not 0 it deletes that version in the
	// same transaction.
	PutParameter(ctx context.Context, v *Version, tags []Tag, drop int64) error
	// LabelParameter moves labels to a version of a parameter.
	LabelParameter(ctx context.Context, name string, version int64, labels []string) error
	// DeleteParameter deletes a parameter and all its versions.
	DeleteParameter(ctx context.Context, name string) error
	// CountParameters counts the parameters whose latest version is of a
	// tier.
	CountParameters(ctx context.Context, tier string) (int, error)
}

// Sealer seals values at rest; *seal.Key is one.
type Sealer interface {
	Seal(plaintext, aad []byte) []byte
	Open(sealed, aad []byte) ([]byte, error)
}

// Service is Parameter Store.
type Service struct {
	store Store
	key   Sealer
	now   func() time.Time

	mu sync.Mutex // serializes writes
}

// New returns a Service. now may be nil: time.Now.
func New(st Store, key Sealer, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, key: key, now: now}
}

func aad(name string, version int64) []byte {
	return []byte("ssm-parameter:" + name + ":" + strconv.FormatInt(version, 10))
}

// Value returns the value of a version: decrypted, or for a SecureString
// read without decryption the sealed value in base64.
func (s *Service) Value(v *Version, decrypt bool) (string, error) {
	if v.Type == TypeSecureString && !decrypt {
		return base64.StdEncoding.EncodeToString(v.Value), nil
	}
	p, err := s.key.Open(v.Value, aad(v.Name, v.Version))
	if err != nil {
		return "", fmt.Errorf("parameter %s version %d: %w", v.Name, v.Version, err)
	}
	return string(p), nil
}

var nameChars = regexp.MustCompile(`^[a-zA-Z0-9_.\-/]+$`)

const pathNameRule = `Parameter name: can't be prefixed with "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_`

// checkName checks a parameter name as PutParameter does.
func checkName(name string) error {
	lower := strings.ToLower(strings.TrimPrefix(name, "/"))
	isPath := strings.Contains(name, "/")
	if strings.HasPrefix(lower, "aws") || strings.HasPrefix(lower, "ssm") {
		if strings.HasPrefix(strings.ToLower(name), "/aws/") {
			return fail(ErrReserved, "No access to reserved parameter name: %s.", name)
		}
		if !isPath {
			return fail(ErrInvalid, `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive).`)
		}
		return fail(ErrInvalid, "%s", pathNameRule)
	}
	if !nameChars.MatchString(name) || strings.Contains(name, "//") || strings.HasSuffix(name, "/") {
		return fail(ErrInvalid, "%s", pathNameRule)
	}
	if isPath && !strings.HasPrefix(name, "/") {
		return fail(ErrInvalid, "Parameter name must be a fully qualified name.")
	}
	if strings.Count(name, "/") > MaxLevels {
		return fail(ErrHierarchyLimit, "A hierarchy can have a maximum of 15 levels. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html")
	}
	return nil
}

// Put is a PutParameter request.
type Put struct {
	Name, Value, Type, Description, KeyID, AllowedPattern, Tier, DataType, Policies string
	// Description and AllowedPattern are set when the request names them,
	// even empty.
	HasDescription, HasAllowedPattern bool
	Overwrite                         bool
	Tags                              []Tag
	By                                string // the user's ARN
}

// Put stores a new parameter or, with Overwrite, a new version of one. It
// returns the version and its tier.
func (s *Service) Put(ctx context.Context, in Put) (int64, string, error) {
	if err := checkName(in.Name); err != nil {
		return 0, "", err
	}
	if in.Value == "" {
		return 0, "", fail(ErrInvalid, "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1.")
	}
	if in.Overwrite && len(in.Tags) > 0 {
		return 0, "", fail(ErrInvalid, "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
	}
	if in.Policies != "" {
		return 0, "", fail(ErrInvalid, "Parameter policies are not supported by this server.")
	}
	switch in.DataType {
	case "", DataTypeText, "aws:ec2:image", "aws:ssm:integration":
	default:
		return 0, "", fail(ErrInvalid, "The following data type is not supported: %s (Data type names are all lowercase.)", in.DataType)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.store.Parameter(ctx, in.Name, 0)
	if errors.Is(err, ErrNotFound) {
		cur, err = nil, nil
	}
	if err != nil {
		return 0, "", err
	}
	if cur != nil && !in.Overwrite {
		return 0, "", fail(ErrExists, "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
	}
	v := &Version{Name: in.Name, Version: 1, Type: in.Type, KeyID: in.KeyID, Description: in.Description,
		AllowedPattern: in.AllowedPattern, DataType: in.DataType, Modified: s.now(), ModifiedBy: in.By}
	if cur != nil {
		v.Version = cur.Version + 1
		if v.Type == "" {
			v.Type = cur.Type
		}
		if !in.HasDescription {
			v.Description = cur.Description
		}
		if !in.HasAllowedPattern {
			v.AllowedPattern = cur.AllowedPattern
		}
		if v.DataType == "" {
			v.DataType = cur.DataType
		}
		if v.KeyID == "" && v.Type == TypeSecureString && cur.Type == TypeSecureString {
			v.KeyID = cur.KeyID
		}
	}
	if v.Type == "" {
		return 0, "", fail(ErrInvalid, "A parameter type is required when you create a parameter.")
	}
	if v.DataType == "" {
		v.DataType = DataTypeText
	}
	if v.Type == TypeSecureString && v.KeyID == "" {
		v.KeyID = DefaultKeyID
	}
	if v.Type != TypeSecureString {
		v.KeyID = ""
	}
	if v.Tier, err = tier(in.Tier, cur, in.Value); err != nil {
		return 0, "", err
	}
	if v.AllowedPattern != "" {
		re, err := regexp.Compile(`^(?:` + v.AllowedPattern + `)$`)
		if err != nil {
			return 0, "", fail(ErrBadPattern, "The request does not meet the regular expression requirement. %s", v.AllowedPattern)
		}
		if !re.MatchString(in.Value) {
			return 0, "", fail(ErrPatternMismatch, "Parameter value, cannot be validated against allowedPattern: %s", v.AllowedPattern)
		}
	}
	var drop int64
	if cur == nil {
		limit := MaxStandardParams
		if v.Tier == TierAdvanced {
			limit = MaxAdvancedParams
		}
		n, err := s.store.CountParameters(ctx, v.Tier)
		if err != nil {
			return 0, "", err
		}
		if n >= limit {
			return 0, "", fail(ErrLimit, "You have exceeded the number of parameters for this AWS account. Delete unnecessary parameters and try again.")
		}
	} else {
		oldest, err := s.store.History(ctx, in.Name, 0, 1)
		if err != nil {
			return 0, "", err
		}
		if len(oldest) == 1 && cur.Version-oldest[0].Version+1 >= MaxVersions {
			if len(oldest[0].Labels) > 0 {
				return 0, "", fail(ErrVersionLimit, "You attempted to create a new version of %s by calling the PutParameter API with the overwrite flag. Version %d, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.", in.Name, oldest[0].Version)
			}
			drop = oldest[0].Version
		}
	}
	v.Value = s.key.Seal([]byte(in.Value), aad(v.Name, v.Version))
	if err := s.store.PutParameter(ctx, v, in.Tags, drop); err != nil {
		return 0, "", err
	}
	return v.Version, v.Tier, nil
}

// tier returns the tier of a new version: the one asked for, the current
// one when none is, and never a downgrade from Advanced.
func tier(asked string, cur *Version, value string) (string, error) {
	n := utf8.RuneCountInString(value)
	t := asked
	switch {
	case t == "" && cur != nil:
		t = cur.Tier
	case t == "":
		t = TierStandard
	case t == TierIntelligent:
		t = TierStandard
		if n > MaxStandardValue || (cur != nil && cur.Tier == TierAdvanced) {
			t = TierAdvanced
		}
	}
	if t == TierStandard && cur != nil && cur.Tier == TierAdvanced {
		return "", fail(ErrInvalid, "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.")
	}
	if t == TierStandard && n > MaxStandardValue {
		return "", fail(ErrInvalid, "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html")
	}
	if n > MaxAdvancedValue {
		return "", fail(ErrInvalid, "Advanced tier parameters support a maximum parameter value of 8192 characters.")
	}
	return t, nil
}

// Get returns the version of a parameter a name selects: name, name:version
// or name:label. The selector is returned as SSM answers it (":3").
func (s *Service) Get(ctx context.Context, ref string) (*Version, string, error) {
	name, sel, hasSel := strings.Cut(ref, ":")
	if !hasSel {
		v, err := s.store.Parameter(ctx, name, 0)
		return v, "", notFound(err)
	}
	if sel == "" || strings.Contains(sel, ":") {
		return nil, "", fail(ErrNotFound, "")
	}
	if n, err := strconv.ParseInt(sel, 10, 64); err == nil {
		v, err := s.store.Parameter(ctx, name, n)
		if errors.Is(err, ErrNotFound) {
			if _, err := s.store.Parameter(ctx, name, 0); err != nil {
				return nil, "", notFound(err)
			}
			return nil, "", fail(ErrVersionNotFound, "Systems Manager could not find version %s of %s. Verify the version and try again.", sel, name)
		}
		return v, ":" + sel, err
	}
	v, err := s.store.ParameterByLabel(ctx, name, sel)
	return v, ":" + sel, notFound(err)
}

// notFound gives a store's not-found error SSM's empty message.
func notFound(err error) error {
	if errors.Is(err, ErrNotFound) {
		var e *Error
		if errors.As(err, &e) {
			return err
		}
		return fail(ErrNotFound, "")
	}
	return err
}

// Found is a parameter GetParameters found, with the name it was asked by.
type Found struct {
	Ref      string
	Version  *Version
	Selector string
}

// GetMany returns the parameters that refs select, and the refs that
// select none.
func (s *Service) GetMany(ctx context.Context, refs []string) ([]Found, []string, error) {
	var found []Found
	var invalid []string
	seen := map[string]bool{}
	for _, ref := range refs {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		v, sel, err := s.Get(ctx, ref)
		switch {
		case errors.Is(err, ErrNotFound), errors.Is(err, ErrVersionNotFound):
			invalid = append(invalid, ref)
		case err != nil:
			return nil, nil, err
		default:
			found = append(found, Found{Ref: ref, Version: v, Selector: sel})
		}
	}
	return found, invalid, nil
}

// Delete deletes a parameter.
func (s *Service) Delete(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return notFound(s.store.DeleteParameter(ctx, name))
}

// DeleteMany deletes parameters; it returns those deleted and those that
// did not exist.
func (s *Service) DeleteMany(ctx context.Context, names []string) (deleted, invalid []string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range names {
		if slices.Contains(deleted, n) || slices.Contains(invalid, n) {
			continue
		}
		err := s.store.DeleteParameter(ctx, n)
		switch {
		case errors.Is(err, ErrNotFound):
			invalid = append(invalid, n)
		case err != nil:
			return nil, nil, err
		default:
			deleted = append(deleted, n)
		}
	}
	return deleted, invalid, nil
}

var labelChars = regexp.MustCompile(`^[a-zA-Z0-9_.\-]+$`)

// Label moves labels to a version of a parameter, the latest when version
// is 0. It returns the labels it refused and the version labelled.
func (s *Service) Label(ctx context.Context, name string, version int64, labels []string) ([]string, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.store.Parameter(ctx, name, version)
	if errors.Is(err, ErrNotFound) && version != 0 {
		if _, err := s.store.Parameter(ctx, name, 0); err != nil {
			return nil, 0, notFound(err)
		}
		return nil, 0, fail(ErrVersionNotFound, "Systems Manager could not find version %d of %s. Verify the version and try again.", version, name)
	}
	if err != nil {
		return nil, 0, notFound(err)
	}
	var ok, invalid []string
	for _, l := range labels {
		lower := strings.ToLower(l)
		if !labelChars.MatchString(l) || strings.HasPrefix(lower, "aws") || strings.HasPrefix(lower, "ssm") || (l[0] >= '0' && l[0] <= '9') {
			invalid = append(invalid, l)
			continue
		}
		if !slices.Contains(ok, l) {
			ok = append(ok, l)
		}
	}
	all := slices.Clone(v.Labels)
	for _, l := range ok {
		if !slices.Contains(all, l) {
			all = append(all, l)
		}
	}
	if len(all) > MaxLabels {
		return nil, 0, fail(ErrLabelLimit, "A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.")
	}
	if len(ok) > 0 {
		if err := s.store.LabelParameter(ctx, name, v.Version, ok); err != nil {
			return nil, 0, err
		}
	}
	return invalid, v.Version, nil
}

// History returns a page of a parameter's versions, oldest first, and the
// token of the next page.
func (s *Service) History(ctx context.Context, name string, limit int, token string) ([]*Version, string, error) {
	if limit <= 0 {
		limit = 50
	}
	var after int64
	if token != "" {
		t, err := decodeToken(token)
		if err != nil {
			return nil, "", err
		}
		if after, err = strconv.ParseInt(t, 10, 64); err != nil {
			return nil, "", fail(ErrBadToken, "The specified token is not valid.")
		}
	}
	if _, err := s.store.Parameter(ctx, name, 0); err != nil {
		return nil, "", notFound(err)
	}
	vs, err := s.store.History(ctx, name, after, limit+1)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(vs) > limit {
		vs = vs[:limit]
		next = encodeToken(strconv.FormatInt(vs[limit-1].Version, 10))
	}
	return vs, next, nil
}

func encodeToken(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func decodeToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", fail(ErrBadToken, "The specified token is not valid.")
	}
	return string(b), nil
}
