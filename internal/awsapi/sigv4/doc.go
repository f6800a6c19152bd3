// Package sigv4 verifies requests signed with AWS Signature Version 4, the
// way AWS services do on their side of the wire.
//
// A [Verifier] checks either form of SigV4 authentication:
//
//   - the Authorization header ("AWS4-HMAC-SHA256 Credential=…,
//     SignedHeaders=…, Signature=…") that the aws CLI, boto3 and
//     aws-sdk-go-v2 send on every call, and
//   - query-string (presigned) authentication with X-Amz-Algorithm,
//     X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders and
//     X-Amz-Signature.
//
// The canonical request is built here from the request as it arrived: the
// path as sent on the wire (URI-encoded once more for every service but S3),
// the query parameters sorted after encoding, the signed headers with their
// values trimmed, and the payload hash. Derived signing keys are cached per
// secret, date, region and service, so verifying a request costs two SHA-256
// digests and one HMAC.
//
// A failed check returns an [*Error] whose [Kind] says what went wrong. Each
// error carries the message AWS's JSON-protocol services use and the one S3
// uses, and reports the matching error codes and HTTP statuses through
// [Error.Code] and [Error.S3Code].
//
// S3 uploads may stream their body in the aws-chunked encoding, where every
// chunk is signed with a signature chained to the request's.
// [NewChunkReader] decodes such a body and checks each chunk as it goes.
//
// The package is pure: it imports nothing else from codeyard and keeps no
// global state.
package sigv4
