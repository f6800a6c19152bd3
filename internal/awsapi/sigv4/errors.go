package sigv4

import (
	"fmt"
	"net/http"
)

// Kind classifies why a request failed verification.
type Kind int

// The kinds of verification failure.
const (
	// Missing: the request carries neither an Authorization header nor an
	// X-Amz-Algorithm query parameter.
	Missing Kind = iota + 1
	// Malformed: the authentication information cannot be used, e.g. a
	// missing Credential, SignedHeaders, Signature or X-Amz-Date, an
	// unparsable date, an unsupported algorithm, a credential without five
	// parts, or a host header that was not signed.
	Malformed
	// UnknownKey: the access key id is not known.
	UnknownKey
	// Mismatch: the signature differs from the one computed here, or a chunk
	// of an aws-chunked body has a wrong signature.
	Mismatch
	// Expired: the request time is further from now than the allowed skew,
	// or a presigned URL is past its X-Amz-Expires.
	Expired
	// Scope: the credential scope names another service, a malformed or
	// unexpected region, a wrong terminator, or a date other than the
	// request's.
	Scope
	// PayloadHash: the X-Amz-Content-Sha256 header differs from the SHA-256
	// of the body.
	PayloadHash
)

var kindNames = [...]string{
	Missing:     "missing",
	Malformed:   "malformed",
	UnknownKey:  "unknown key",
	Mismatch:    "mismatch",
	Expired:     "expired",
	Scope:       "scope",
	PayloadHash: "payload hash",
}

func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Code returns the error code and HTTP status that AWS services speaking the
// JSON protocols (CodeBuild, CloudWatch Logs, …) answer a failure of this
// kind with. [Error.Code] refines it for a few cases.
func (k Kind) Code() (code string, status int) {
	switch k {
	case Missing:
		return "MissingAuthenticationTokenException", http.StatusBadRequest
	case Malformed:
		return "IncompleteSignatureException", http.StatusBadRequest
	case UnknownKey:
		return "UnrecognizedClientException", http.StatusBadRequest
	case Mismatch, Expired, Scope, PayloadHash:
		return "InvalidSignatureException", http.StatusBadRequest
	}
	return "InternalFailure", http.StatusInternalServerError
}

// S3Code returns the error code and HTTP status S3's REST-XML protocol
// answers a failure of this kind with when the request was signed in its
// Authorization header. [Error.S3Code] also covers presigned URLs.
func (k Kind) S3Code() (code string, status int) {
	switch k {
	case Missing:
		return "AccessDenied", http.StatusForbidden
	case Malformed, Scope:
		return "AuthorizationHeaderMalformed", http.StatusBadRequest
	case UnknownKey:
		return "InvalidAccessKeyId", http.StatusForbidden
	case Mismatch:
		return "SignatureDoesNotMatch", http.StatusForbidden
	case Expired:
		return "RequestTimeTooSkewed", http.StatusForbidden
	case PayloadHash:
		return "XAmzContentSHA256Mismatch", http.StatusBadRequest
	}
	return "InternalError", http.StatusInternalServerError
}

// Error is a failed verification. Message is worded as AWS's JSON-protocol
// services word it and S3Message as S3 does; both are safe to send to the
// client.
type Error struct {
	Kind      Kind
	Message   string
	S3Message string
	// Presigned is set when the credentials came in the query string.
	Presigned bool
	// CanonicalRequest and StringToSign are what the server computed, set
	// for Mismatch. Services such as DynamoDB append both to the message;
	// they help whoever debugs a client and hold nothing secret.
	CanonicalRequest string
	StringToSign     string

	// code and s3code override the kind's codes for the few failures where
	// AWS answers differently.
	code, s3code     string
	status, s3status int
}

func (e *Error) Error() string {
	return "sigv4: " + e.Kind.String() + ": " + e.Message
}

// Code returns the error code and HTTP status for the JSON protocols.
func (e *Error) Code() (code string, status int) {
	if e.code != "" {
		return e.code, e.status
	}
	return e.Kind.Code()
}

// S3Code returns the error code and HTTP status for S3's REST-XML protocol.
func (e *Error) S3Code() (code string, status int) {
	if e.s3code != "" {
		return e.s3code, e.s3status
	}
	if e.Presigned && (e.Kind == Malformed || e.Kind == Scope) {
		return "AuthorizationQueryParametersError", http.StatusBadRequest
	}
	return e.Kind.S3Code()
}

// Messages used by AWS, collected from services' responses as recorded by
// AWS emulators (dynalite and kinesalite by Michael Hart, scratchstack) and
// S3 re-implementations (MinIO, versitygw), which copy them verbatim.
const (
	msgMissing          = "Missing Authentication Token"
	msgS3AccessDenied   = "Access Denied"
	msgUnknownKey       = "The security token included in the request is invalid."
	msgS3UnknownKey     = "The AWS Access Key Id you provided does not exist in our records."
	msgMismatch         = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgS3Mismatch       = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	msgS3Skewed         = "The difference between the request time and the current time is too large."
	msgS3Expired        = "Request has expired"
	msgS3NotYetValid    = "Request is not valid yet"
	msgPayloadHash      = "The provided 'x-amz-content-sha256' header does not match what was computed."
	msgHostNotSigned    = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	msgBothAuth         = "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
	msgS3BothAuth       = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"
	msgS3HeaderPrefix   = "The authorization header is malformed; "
	msgS3QueryCredPre   = "Error parsing the X-Amz-Credential parameter; "
	msgS3CredShape      = `the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`
	msgS3QueryParams    = "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
	msgS3BadMechanism   = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
	msgS3NeedDate       = "AWS authentication requires a valid Date or x-amz-date header"
	msgExpiresNumber    = "X-Amz-Expires should be a number"
	msgExpiresNegative  = "X-Amz-Expires must be non-negative"
	msgExpiresTooLarge  = "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"
	msgS3DateMismatch   = "Invalid credential date. Date is not the same as X-Amz-Date."
	msgNeedContentSHA   = "Missing required header for this request: x-amz-content-sha256"
	msgBadContentSHA    = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value."
	msgS3IncompleteBody = "The request body terminated unexpectedly"
)

func newError(k Kind, msg, s3msg string, presigned bool) *Error {
	return &Error{Kind: k, Message: msg, S3Message: s3msg, Presigned: presigned}
}

// withCode overrides the JSON-protocol code.
func (e *Error) withCode(code string, status int) *Error {
	e.code, e.status = code, status
	return e
}

// withS3Code overrides the S3 code.
func (e *Error) withS3Code(code string, status int) *Error {
	e.s3code, e.s3status = code, status
	return e
}
