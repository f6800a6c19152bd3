package blob

import (
	"errors"
	"fmt"
	"net"
	"time"
	"unicode/utf8"
)

// Errors the store returns, wrapped with the name they concern.
var (
	ErrNoSuchBucket     = errors.New("no such bucket")
	ErrNoSuchKey        = errors.New("no such key")
	ErrBucketExists     = errors.New("bucket already exists")
	ErrBucketNotEmpty   = errors.New("bucket not empty")
	ErrInvalidBucket    = errors.New("invalid bucket name")
	ErrInvalidKey       = errors.New("invalid key")
	ErrKeyTooLong       = errors.New("key too long")
	ErrNoSuchUpload     = errors.New("no such upload")
	ErrInvalidPart      = errors.New("invalid part")
	ErrInvalidPartOrder = errors.New("parts not in ascending order")
	ErrPartTooSmall     = errors.New("part too small")
	ErrNoSuchVersion    = errors.New("no such version")
	ErrInvalidVersion   = errors.New("invalid version id")
	ErrDeleteMarker     = errors.New("version is a delete marker")
	ErrInvalidState     = errors.New("invalid versioning state")
)

// MaxKeyLen is the longest key in bytes, as S3 allows.
const MaxKeyLen = 1024

// MinPartSize is the smallest size of a multipart upload's parts but the
// last.
const MinPartSize = 5 << 20

// MaxParts is the highest part number.
const MaxParts = 10000

// Bucket describes a bucket.
type Bucket struct {
	Name    string
	Region  string
	Created time.Time
}

// Object describes an object. Headers and Meta are nil when empty.
type Object struct {
	Key  string `json:"key"`
	Size int64  `json:"size"`
	// ETag is the hex MD5 of the bytes, or for an object from a multipart
	// upload the hex MD5 of its parts' MD5s, a dash and the part count.
	// It carries no quotes.
	ETag     string    `json:"etag"`
	Modified time.Time `json:"modified"`
	// ContentType is the Content-Type given when it was stored.
	ContentType string `json:"content_type,omitempty"`
	// Headers are the other standard headers stored with it, by canonical
	// name: Cache-Control, Content-Disposition, Content-Encoding,
	// Content-Language, Expires.
	Headers map[string]string `json:"headers,omitempty"`
	// Meta is the user metadata, by lower-case name without x-amz-meta-.
	Meta map[string]string `json:"meta,omitempty"`
	// Checksums are the object's checksums by algorithm (CRC32, CRC32C,
	// CRC64NVME, SHA1, SHA256), each base64 as S3 shows them.
	Checksums map[string]string `json:"checksums,omitempty"`
	// Parts is the number of parts of a multipart upload; 0 otherwise.
	Parts int `json:"parts,omitempty"`
	// VersionID is the object's version id: "null" for the version a
	// bucket keeps while versioning is off or suspended, "" when the
	// bucket has never had versioning on (S3 then names no version).
	VersionID string `json:"version_id,omitempty"`
	// DeleteMarker is set for a delete marker: a version without bytes
	// that makes its key look deleted while it is the latest.
	DeleteMarker bool `json:"delete_marker,omitempty"`
	// IsLatest is set, in a listing of versions, for each key's latest.
	IsLatest bool `json:"-"`
}

// PutOptions are what is stored with an object besides its bytes.
type PutOptions struct {
	ContentType string            `json:"content_type,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	Meta        map[string]string `json:"meta,omitempty"`
	// Check, when set, runs once the body has been read whole and before
	// the object becomes visible, with the object as it will be stored and
	// the MD5 of the bytes. It may set the object's Checksums. An error
	// discards the upload and is returned as is.
	Check func(o *Object, md5 []byte) error `json:"-"`
}

// Part is one part of a multipart upload.
type Part struct {
	Number    int
	Size      int64
	ETag      string // hex MD5, no quotes
	Modified  time.Time
	Checksums map[string]string
}

// PartRef names a part in a CompleteUpload request.
type PartRef struct {
	Number int
	ETag   string // with or without quotes
}

// Upload is a multipart upload in progress.
type Upload struct {
	ID        string
	Key       string
	Initiated time.Time
	Options   PutOptions
}

// ListQuery selects the objects List returns.
type ListQuery struct {
	Prefix string
	// Delimiter, when set, rolls the keys that contain it after Prefix up
	// into one common prefix each: the key up to and including the first
	// Delimiter after Prefix.
	Delimiter string
	// After skips the keys, and the common prefixes, up to and including
	// it.
	After string
	// Max is the most objects and prefixes returned together; 0 means
	// 1000.
	Max int
}

// ListResult is one page of a listing, in ascending order of key.
type ListResult struct {
	Objects  []Object // Headers and Meta are not filled in
	Prefixes []string
	// Truncated is set when more keys follow; Next is then the last key or
	// prefix of this page, to pass as the next query's After.
	Truncated bool
	Next      string
}

// The versioning states of a bucket, as S3 names them. A bucket that
// never had versioning on has the state "".
const (
	VersioningEnabled   = "Enabled"
	VersioningSuspended = "Suspended"
)

// NullVersion is the version id of the one version a key has in a bucket
// whose versioning is off or suspended.
const NullVersion = "null"

// VersionQuery selects the versions ListVersions returns.
type VersionQuery struct {
	Prefix    string
	Delimiter string // as in ListQuery
	// KeyMarker skips the keys up to it, and it too unless
	// VersionIDMarker is set: then the versions of KeyMarker up to and
	// including that one are skipped.
	KeyMarker       string
	VersionIDMarker string
	// Max is the most versions and prefixes returned together; 0 means
	// 1000.
	Max int
}

// VersionResult is one page of a listing of versions, in ascending order
// of key and, for each key, from the latest version to the oldest.
type VersionResult struct {
	Versions []Object // with VersionID, IsLatest and DeleteMarker; no Headers or Meta
	Prefixes []string
	// Truncated is set when more follow; NextKeyMarker and
	// NextVersionIDMarker then name the last version or prefix of this
	// page (NextVersionIDMarker is empty for a prefix).
	Truncated           bool
	NextKeyMarker       string
	NextVersionIDMarker string
}

// MarkerError is the error for a read that meets a delete marker: when
// Latest, the key's latest version is one (it wraps ErrNoSuchKey);
// otherwise the version asked for is one (ErrDeleteMarker).
type MarkerError struct {
	Key       string
	VersionID string
	Modified  time.Time
	Latest    bool
}

func (e *MarkerError) Error() string {
	return fmt.Sprintf("object %s: version %s: %v", e.Key, e.VersionID, e.Unwrap())
}

func (e *MarkerError) Unwrap() error {
	if e.Latest {
		return ErrNoSuchKey
	}
	return ErrDeleteMarker
}

// CheckVersionID returns an error wrapping ErrInvalidVersion for a
// version id no object of this store can have: one is "null" or 32
// lower-case hex digits.
func CheckVersionID(id string) error {
	if id == NullVersion || validVersionID(id) {
		return nil
	}
	return fmt.Errorf("version id %q: %w", id, ErrInvalidVersion)
}

// PartError is an error about one part of a CompleteUpload request.
type PartError struct {
	Part int
	Err  error // ErrInvalidPart, ErrInvalidPartOrder, ErrPartTooSmall
}

func (e *PartError) Error() string { return fmt.Sprintf("part %d: %v", e.Part, e.Err) }
func (e *PartError) Unwrap() error { return e.Err }

// ValidBucketName reports whether name follows S3's rules for bucket
// names: 3 to 63 lower-case letters, digits, dots and hyphens, beginning
// and ending with a letter or digit, without "..", and not shaped like an
// IPv4 address.
func ValidBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '.' || c == '-':
			if i == 0 || i == len(name)-1 {
				return false
			}
			if c == '.' && (name[i-1] == '.' || name[i-1] == '-' || name[i+1] == '-') {
				return false
			}
		default:
			return false
		}
	}
	return net.ParseIP(name) == nil
}

// CheckKey returns an error for a key S3 would not store: an empty one,
// one longer than MaxKeyLen bytes, or one that is not UTF-8.
func CheckKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("empty key: %w", ErrInvalidKey)
	case len(key) > MaxKeyLen:
		return fmt.Errorf("key of %d bytes: %w", len(key), ErrKeyTooLong)
	case !utf8.ValidString(key):
		return fmt.Errorf("key %q is not UTF-8: %w", key, ErrInvalidKey)
	}
	return nil
}

// PrefixEnd returns the least string greater than every string that starts
// with prefix, or "" when there is none (prefix is empty or all 0xff).
func PrefixEnd(prefix string) string {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}
