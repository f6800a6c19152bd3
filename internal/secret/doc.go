// Package secret is codeyard's Secrets Manager: named secrets whose values
// (a string or binary) are kept in versions, with staging labels
// (AWSCURRENT, AWSPREVIOUS, AWSPENDING or any other) that each point at
// one version, and deletion after a recovery window, as the Secrets
// Manager API serves them.
//
// Values are sealed before they reach the Store and bound to their
// secret's ARN and version id. A secret's ARN carries the region of the
// request that created it and six random characters after its name, as
// AWS makes them; secrets live in one namespace per server, found by name
// or by ARN (full or without the random suffix).
//
// A secret scheduled for deletion answers InvalidRequestException to
// everything but DescribeSecret, ListSecrets (with IncludePlannedDeletion),
// DeleteSecret with ForceDeleteWithoutRecovery, and RestoreSecret. It is
// removed for good the first time it is looked at after its deletion
// date. Writes are serialized by the Service (one server owns a data
// directory).
package secret
