// Package model loads the botocore service models that codeyard serves and
// checks request bodies against them, as the AWS front ends do before an
// operation runs.
//
// # Models
//
// data/ holds botocore's service-2.json.gz files unchanged, one per
// service, named by botocore's service name: data/codebuild.json.gz,
// data/logs.json.gz, data/ssm.json.gz and data/secretsmanager.json.gz come
// from botocore 1.43.11 (botocore/data/codebuild/2016-10-06,
// logs/2014-03-28, ssm/2014-11-06 and secretsmanager/2017-10-17).
// Adding a service is adding its file; if the service answers constraint
// violations with a code other than ValidationException, add it to
// validationCodes too. [Load] parses a model on its first call, in a few
// milliseconds, and keeps only what the API needs: documentation is
// skipped, and patterns are compiled on first use.
//
// # Validation
//
// [Operation.Validate] reads a body in one pass, without building a tree,
// and answers as Coral, the Java framework behind the awsJson services,
// does:
//
//   - A body that is not JSON, is empty or is not an object is a
//     [SerializationError] with no message; a top-level array has the
//     message "Start of list found where not expected".
//   - A value of the wrong JSON type is a SerializationError: "Start of
//     list found where not expected", "Start of structure or map found
//     where not expected.", "NUMBER_VALUE can not be converted to a
//     String", "STRING_VALUE can not be converted to an Integer",
//     "TRUE_VALUE ..." and "FALSE_VALUE ..."; a scalar given for a list is
//     "Expected list or null" and one given for a structure "Expected
//     null". These were measured against a live Coral service (Athena, by
//     an emulator project's tests of 2026) and are what emulators of SQS and
//     DynamoDB send. Not measured, and chosen here by the same pattern: "a
//     Long", "a Double", "a Float", "a Boolean", "a Date" (timestamps take
//     epoch seconds, not strings), "a ByteBuffer" (blobs take base64
//     strings; bad base64 has no message) and "Expected map or null".
//     Serialization errors win over constraint violations.
//   - A null member is an absent one, and a null element of a list or map
//     is accepted. Members the model does not know are ignored. A fraction
//     given for an integer is truncated.
//   - Broken constraints make one [ValidationError] that lists them all in
//     Coral's words: "Member must not be null", "Member must have length
//     greater than or equal to N" (strings in code points, blobs in bytes,
//     lists and maps in elements), "Member must have value less than or
//     equal to N", "Member must satisfy enum value set: [A, B]" and "Member
//     must satisfy regular expression pattern: P", each a violation of its
//     own. An element of a list is named 'list.N.member' from N = 1, and
//     the value of a map key K 'map.K.member' (as DynamoDB names
//     'scanFilter.a.member.comparisonOperator'). A broken constraint of a
//     scalar element is reported once for the whole list as "Member must
//     satisfy constraint: [...]" listing all the element's constraints; map
//     keys and values likewise as "Map keys must satisfy constraint: [...]"
//     and "Map value must satisfy constraint: [...]". Member names start
//     lower-case ('queryExecutionId' for QueryExecutionId). Sensitive
//     values are left out ("Value at 'name'"); newer front ends leave out
//     every value but null, which [ValidationError.HideValues] selects. The
//     order of violations is not Coral's, which follows no model order:
//     missing members of a structure come first, then the others in body
//     order.
//
// Patterns are Java regular expressions, matched against the whole value.
// Each is compiled with Go's regexp once, on first use; one that does not
// compile is not checked ([Service.PatternsSkipped]; none of the patterns
// of the CodeBuild, CloudWatch Logs and Secrets Manager models is skipped,
// and the four of SSM's that use lookahead constrain OpsItem, document
// review, alarm and resource policy shapes, not Parameter Store's).
//
// # Error codes
//
// Coral answers broken constraints with ValidationException unless the
// service maps them to an error of its own; [Service.ValidationCode] names
// the code and [ValidationError.Code] carries it, for the caller to
// override.
//
// CodeBuild answers InvalidInputException, the only client error its model
// declares for bad input. Real CodeBuild errors quoted through
// CloudFormation show it for input that breaks the model: the source type
// "Github", outside the SourceType enum, was refused with "Invalid type
// provided: Project source type (Service: AWSCodeBuild; Status Code: 400;
// Error Code: InvalidInputException)", and moto's CodeBuild raises
// InvalidInputException for bad project names and types ("Only
// alphanumeric characters, dash, and underscore are supported"). No public
// trace shows CodeBuild answering ValidationException. CodeBuild words
// these messages itself where codeyard uses Coral's list; the SDKs match
// errors by code, not message.
//
// CloudWatch Logs answers InvalidParameterException with Coral's message,
// as in "1 validation error detected: Value 'C:/Program Files/Git/aws/...'
// at 'logGroupName' failed to satisfy constraint: Member must satisfy
// regular expression pattern: [\.\-_/#A-Za-z0-9]+" (quoted from aws CLI
// runs in public repositories, and asserted by moto's tests).
package model
