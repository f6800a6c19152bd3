// Package parameter is codeyard's Parameter Store: named configuration
// values of type String, StringList or SecureString, kept in a hierarchy
// of slash-separated paths, with a version per change and labels on
// versions, as the SSM API (PutParameter, GetParameter, ...) serves them.
//
// Every value is sealed before it reaches the Store, SecureStrings and
// plain strings alike, so the database holds no parameter value in clear
// text. A sealed value is bound to its parameter's name and version, so it
// cannot be moved to another record. A SecureString read without
// decryption answers the sealed value in base64, as SSM answers the KMS
// ciphertext.
//
// Parameters live in one namespace per server: the region of a request
// only appears in the ARNs answered to it. Writes to a parameter are
// serialized by the Service (one server owns a data directory), so the
// read-modify-write of a new version needs no transaction of its own.
package parameter
