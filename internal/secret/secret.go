package secret

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Staging labels that Secrets Manager moves itself.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
)

// MaxVersions is how many versions a secret keeps: beyond it, the oldest
// versions without a staging label are removed.
const MaxVersions = 100

// Sentinel errors. The API maps each to its Secrets Manager error code; an
// *Error carries the message to answer with.
var (
	ErrNotFound         = errors.New("secret not found")      // ResourceNotFoundException
	ErrExists           = errors.New("secret already exists") // ResourceExistsException
	ErrInvalidRequest   = errors.New("invalid request")       // InvalidRequestException
	ErrInvalidParameter = errors.New("invalid parameter")     // InvalidParameterException
	ErrInvalid          = errors.New("invalid input")         // ValidationException
	ErrBadToken         = errors.New("invalid next token")    // InvalidNextTokenException
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

const (
	msgNotFound = "Secrets Manager can't find the specified secret."
	msgDeleted  = "You can't perform this operation on the secret because it was marked for deletion."
)

// Tag is a key and value attached to a secret.
type Tag struct{ Key, Value string }

// Secret is a stored secret, without its values.
type Secret struct {
	ARN         string
	Name        string
	Description string
	KmsKeyID    string
	Tags        []Tag
	Created     time.Time
	Changed     time.Time
	Accessed    time.Time // the day of the last GetSecretValue, UTC midnight
	// Deleted is when DeleteSecret scheduled the deletion, and Deletion
	// when it happens; both zero for a secret that is not scheduled.
	Deleted  time.Time
	Deletion time.Time
	// Versions are oldest first.
	Versions []Version
}

// Version is a version of a secret.
type Version struct {
	ID      string
	Stages  []string
	Created time.Time
}

// Staged returns the id of the version a staging label is on, or "".
func (s *Secret) Staged(stage string) string {
	for _, v := range s.Versions {
		if slices.Contains(v.Stages, stage) {
			return v.ID
		}
	}
	return ""
}

func (s *Secret) version(id string) *Version {
	for i := range s.Versions {
		if s.Versions[i].ID == id {
			return &s.Versions[i]
		}
	}
	return nil
}

// Store keeps secrets. Methods that find nothing return an error that
// wraps ErrNotFound.
type Store interface {
	SecretByName(ctx context.Context, name string) (*Secret, error)
	SecretByARN(ctx context.Context, arn string) (*Secret, error)
	// Secrets returns every secret.
	Secrets(ctx context.Context) ([]*Secret, error)
	// CreateSecret stores a new secret, and its first version when v is
	// not nil. It returns an error wrapping ErrExists when the name is
	// taken.
	CreateSecret(ctx context.Context, s *Secret, v *Version, value []byte) error
	// UpdateSecret writes a secret's own fields (not its versions).
	UpdateSecret(ctx context.Context, s *Secret) error
	// PutVersion adds version v (when not nil) with its sealed value, then
	// points each staging label of stages at its version id (removing the
	// label where the id is empty), deletes the versions of drop and sets
	// the secret's Changed time, in one transaction.
	PutVersion(ctx context.Context, arn string, v *Version, value []byte, stages map[string]string, drop []string, changed time.Time) error
	// TouchSecret sets a secret's Accessed day.
	TouchSecret(ctx context.Context, arn string, day time.Time) error
	// SecretValue returns the sealed value of a version.
	SecretValue(ctx context.Context, arn, versionID string) ([]byte, error)
	// DeleteSecret deletes a secret and its versions.
	DeleteSecret(ctx context.Context, arn string) error
}

// Sealer seals values at rest; *seal.Key is one.
type Sealer interface {
	Seal(plaintext, aad []byte) []byte
	Open(sealed, aad []byte) ([]byte, error)
}

// Service is Secrets Manager.
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

// Value is a secret's value: a string or binary.
type Value struct {
	String string
	Binary []byte
}

func (v Value) empty() bool { return v.String == "" && len(v.Binary) == 0 }

// A sealed value is one byte of kind, then the value.
func (s *Service) seal(arn, id string, v Value) []byte {
	p := append([]byte{'s'}, v.String...)
	if v.String == "" {
		p = append([]byte{'b'}, v.Binary...)
	}
	return s.key.Seal(p, aad(arn, id))
}

func (s *Service) open(arn, id string, sealed []byte) (Value, error) {
	p, err := s.key.Open(sealed, aad(arn, id))
	if err != nil || len(p) == 0 {
		return Value{}, fmt.Errorf("secret %s version %s: %w", arn, id, err)
	}
	if p[0] == 's' {
		return Value{String: string(p[1:])}, nil
	}
	return Value{Binary: p[1:]}, nil
}

func aad(arn, id string) []byte { return []byte("secretsmanager:" + arn + ":" + id) }

var nameChars = regexp.MustCompile(`^[a-zA-Z0-9/_+=.@-]+$`)

const suffixChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// ARN returns the ARN of a new secret: region, account, the name and six
// random characters.
func ARN(region, account, name string) string {
	var b [6]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = suffixChars[int(b[i])%len(suffixChars)]
	}
	return "arn:aws:secretsmanager:" + region + ":" + account + ":secret:" + name + "-" + string(b[:])
}

// NewVersionID returns a version id for a request that gave no token.
func NewVersionID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Create is a CreateSecret request.
type Create struct {
	Name, Region, Account string
	Token                 string // the first version's id
	Value                 Value
	Description, KmsKeyID string
	Tags                  []Tag
}

// Create stores a new secret; the version id is empty when it has no value.
func (s *Service) Create(ctx context.Context, in Create) (*Secret, string, error) {
	if !nameChars.MatchString(in.Name) {
		return nil, "", fail(ErrInvalid, "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
	}
	if in.Value.String != "" && len(in.Value.Binary) > 0 {
		return nil, "", fail(ErrInvalidParameter, "You can't specify both a binary secret value and a string secret value in the same secret.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := s.find(ctx, in.Name)
	switch {
	case err == nil && !old.Deleted.IsZero():
		return nil, "", fail(ErrInvalidRequest, "You can't create this secret because a secret with this name is already scheduled for deletion.")
	case err == nil:
		return nil, "", fail(ErrExists, "The operation failed because the secret %s already exists.", in.Name)
	case !errors.Is(err, ErrNotFound):
		return nil, "", err
	}
	now := s.now()
	sec := &Secret{ARN: ARN(in.Region, in.Account, in.Name), Name: in.Name, Description: in.Description,
		KmsKeyID: in.KmsKeyID, Tags: in.Tags, Created: now, Changed: now}
	var v *Version
	var sealed []byte
	if !in.Value.empty() {
		id := in.Token
		if id == "" {
			id = NewVersionID()
		}
		v = &Version{ID: id, Stages: []string{StageCurrent}, Created: now}
		sealed = s.seal(sec.ARN, id, in.Value)
		sec.Versions = []Version{*v}
	}
	if err := s.store.CreateSecret(ctx, sec, v, sealed); err != nil {
		if errors.Is(err, ErrExists) {
			return nil, "", fail(ErrExists, "The operation failed because the secret %s already exists.", in.Name)
		}
		return nil, "", err
	}
	if v == nil {
		return sec, "", nil
	}
	return sec, v.ID, nil
}

// find returns the secret an id (name, ARN or ARN without its random
// suffix) names, removing it first if its deletion date has passed.
func (s *Service) find(ctx context.Context, id string) (*Secret, error) {
	var sec *Secret
	var err error
	if strings.HasPrefix(id, "arn:") {
		sec, err = s.store.SecretByARN(ctx, id)
		if errors.Is(err, ErrNotFound) {
			// A partial ARN: arn:aws:secretsmanager:region:account:secret:name.
			parts := strings.SplitN(id, ":", 7)
			if len(parts) == 7 && parts[5] == "secret" {
				sec, err = s.store.SecretByName(ctx, parts[6])
				if err == nil && !strings.HasPrefix(sec.ARN, id+"-") {
					sec, err = nil, fmt.Errorf("secret %s: %w", id, ErrNotFound)
				}
			}
		}
	} else {
		sec, err = s.store.SecretByName(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	if !sec.Deletion.IsZero() && !s.now().Before(sec.Deletion) {
		if err := s.store.DeleteSecret(ctx, sec.ARN); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("secret %s: %w", id, ErrNotFound)
	}
	return sec, nil
}

// get finds a secret for an operation, with Secrets Manager's errors.
func (s *Service) get(ctx context.Context, id string, allowDeleted bool) (*Secret, error) {
	sec, err := s.find(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, fail(ErrNotFound, msgNotFound)
	}
	if err != nil {
		return nil, err
	}
	if !allowDeleted && !sec.Deleted.IsZero() {
		return nil, fail(ErrInvalidRequest, msgDeleted)
	}
	return sec, nil
}

// Get returns a secret's value: the version with versionID, else the one
// the stage is on, else AWSCURRENT.
func (s *Service) Get(ctx context.Context, id, versionID, stage string) (*Secret, *Version, Value, error) {
	sec, err := s.get(ctx, id, false)
	if err != nil {
		return nil, nil, Value{}, err
	}
	var v *Version
	switch {
	case versionID != "":
		if v = sec.version(versionID); v == nil {
			return nil, nil, Value{}, fail(ErrNotFound, "Secrets Manager can't find the specified secret value for VersionId: %s", versionID)
		}
		if stage != "" && !slices.Contains(v.Stages, stage) {
			return nil, nil, Value{}, fail(ErrInvalidRequest, "You provided a VersionStage that is not associated to the provided VersionId.")
		}
	default:
		if stage == "" {
			stage = StageCurrent
		}
		if v = sec.version(sec.Staged(stage)); v == nil {
			return nil, nil, Value{}, fail(ErrNotFound, "Secrets Manager can't find the specified secret value for staging label: %s", stage)
		}
	}
	sealed, err := s.store.SecretValue(ctx, sec.ARN, v.ID)
	if err != nil {
		return nil, nil, Value{}, err
	}
	val, err := s.open(sec.ARN, v.ID, sealed)
	if err != nil {
		return nil, nil, Value{}, err
	}
	if day := s.now().UTC().Truncate(24 * time.Hour); !sec.Accessed.Equal(day) {
		sec.Accessed = day
		if err := s.store.TouchSecret(ctx, sec.ARN, day); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, nil, Value{}, err
		}
	}
	return sec, v, val, nil
}

// Put is a PutSecretValue or UpdateSecret request.
type Put struct {
	ID     string
	Token  string // the new version's id; empty: a new one
	Value  Value
	Stages []string // empty: AWSCURRENT
}

// Put adds a version to a secret. A token that names an existing version
// with the same value changes nothing; with another value it fails.
func (s *Service) Put(ctx context.Context, in Put) (*Secret, *Version, error) {
	if in.Value.String != "" && len(in.Value.Binary) > 0 {
		return nil, nil, fail(ErrInvalidParameter, "You can't specify both a binary secret value and a string secret value in the same secret.")
	}
	if in.Value.empty() {
		return nil, nil, fail(ErrInvalidParameter, "You must provide either SecretString or SecretBinary.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, err := s.get(ctx, in.ID, false)
	if err != nil {
		return nil, nil, err
	}
	return s.putLocked(ctx, sec, in)
}

func (s *Service) putLocked(ctx context.Context, sec *Secret, in Put) (*Secret, *Version, error) {
	id := in.Token
	if id == "" {
		id = NewVersionID()
	}
	if old := sec.version(id); old != nil {
		sealed, err := s.store.SecretValue(ctx, sec.ARN, id)
		if err != nil {
			return nil, nil, err
		}
		val, err := s.open(sec.ARN, id, sealed)
		if err != nil {
			return nil, nil, err
		}
		if val.String != in.Value.String || !bytes.Equal(val.Binary, in.Value.Binary) {
			return nil, nil, fail(ErrExists, "You can't modify an existing version, you can only create new versions.")
		}
		return sec, old, nil
	}
	stages := in.Stages
	if len(stages) == 0 {
		stages = []string{StageCurrent}
	}
	now := s.now()
	moves := map[string]string{}
	for _, st := range stages {
		moves[st] = id
	}
	if slices.Contains(stages, StageCurrent) {
		if cur := sec.Staged(StageCurrent); cur != "" {
			moves[StagePrevious] = cur
		}
	}
	// Apply the moves to the in-memory secret to find what to answer and
	// which deprecated versions to drop.
	v := Version{ID: id, Created: now}
	sec.Versions = append(sec.Versions, v)
	for i := range sec.Versions {
		ver := &sec.Versions[i]
		ver.Stages = slices.DeleteFunc(ver.Stages, func(st string) bool { _, moved := moves[st]; return moved })
	}
	for st, to := range moves {
		if ver := sec.version(to); to != "" && ver != nil {
			ver.Stages = append(ver.Stages, st)
		}
	}
	var drop []string
	for i := 0; len(sec.Versions)-len(drop) > MaxVersions && i < len(sec.Versions); i++ {
		if len(sec.Versions[i].Stages) == 0 {
			drop = append(drop, sec.Versions[i].ID)
		}
	}
	sec.Versions = slices.DeleteFunc(sec.Versions, func(v Version) bool { return slices.Contains(drop, v.ID) })
	if err := s.store.PutVersion(ctx, sec.ARN, &v, s.seal(sec.ARN, id, in.Value), moves, drop, now); err != nil {
		return nil, nil, err
	}
	sec.Changed = now
	return sec, sec.version(id), nil
}

// Update is an UpdateSecret request; nil fields are left as they are.
type Update struct {
	ID          string
	Token       string
	Value       Value
	Description *string
	KmsKeyID    *string
}

// Update changes a secret's description or KMS key, and adds a version
// when a value is given. The version is nil when none was added.
func (s *Service) Update(ctx context.Context, in Update) (*Secret, *Version, error) {
	if in.Value.String != "" && len(in.Value.Binary) > 0 {
		return nil, nil, fail(ErrInvalidParameter, "You can't specify both a binary secret value and a string secret value in the same secret.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, err := s.get(ctx, in.ID, false)
	if err != nil {
		return nil, nil, err
	}
	if in.Description != nil || in.KmsKeyID != nil {
		if in.Description != nil {
			sec.Description = *in.Description
		}
		if in.KmsKeyID != nil {
			sec.KmsKeyID = *in.KmsKeyID
		}
		sec.Changed = s.now()
		if err := s.store.UpdateSecret(ctx, sec); err != nil {
			return nil, nil, err
		}
	}
	if in.Value.empty() {
		return sec, nil, nil
	}
	return s.putLocked(ctx, sec, Put{ID: in.ID, Token: in.Token, Value: in.Value})
}

// Describe returns a secret, also one scheduled for deletion.
func (s *Service) Describe(ctx context.Context, id string) (*Secret, error) {
	return s.get(ctx, id, true)
}

// Delete schedules a secret's deletion after window days (nil: 30), or
// deletes it at once with force. It returns the secret and the deletion
// date.
func (s *Service) Delete(ctx context.Context, id string, window *int64, force bool, region, account string) (*Secret, time.Time, error) {
	if window != nil && force {
		return nil, time.Time{}, fail(ErrInvalidParameter, "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
	}
	days := int64(30)
	if window != nil {
		days = *window
	}
	if days < 7 || days > 30 {
		return nil, time.Time{}, fail(ErrInvalidParameter, "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	sec, err := s.get(ctx, id, true)
	if errors.Is(err, ErrNotFound) && force && !strings.HasPrefix(id, "arn:") {
		// Forced deletion of a secret that does not exist succeeds.
		return &Secret{ARN: ARN(region, account, id), Name: id}, now, nil
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	if force {
		if err := s.store.DeleteSecret(ctx, sec.ARN); err != nil {
			return nil, time.Time{}, err
		}
		return sec, now, nil
	}
	if !sec.Deleted.IsZero() {
		return nil, time.Time{}, fail(ErrInvalidRequest, msgDeleted)
	}
	sec.Deleted = now
	sec.Deletion = now.Add(time.Duration(days) * 24 * time.Hour)
	if err := s.store.UpdateSecret(ctx, sec); err != nil {
		return nil, time.Time{}, err
	}
	return sec, sec.Deletion, nil
}

// Restore cancels a secret's scheduled deletion.
func (s *Service) Restore(ctx context.Context, id string) (*Secret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, err := s.get(ctx, id, true)
	if err != nil {
		return nil, err
	}
	if sec.Deleted.IsZero() {
		return sec, nil
	}
	sec.Deleted, sec.Deletion = time.Time{}, time.Time{}
	if err := s.store.UpdateSecret(ctx, sec); err != nil {
		return nil, err
	}
	return sec, nil
}
