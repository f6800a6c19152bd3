// Package awsapi serves codeyard's AWS-compatible API: the awsJson1.1
// protocol (POST / with X-Amz-Target) of CodeBuild and CloudWatch Logs, on
// one port, with SigV4 authentication of every request and AWS-shaped
// errors, so the aws CLI, boto3 and the AWS SDKs work against codeyard by
// changing only the endpoint.
//
// Each service is one file: a table of operations, each a function from
// the operation's generated input shape to its output shape (see
// internal/awsapi/shape), registered with [Server.Register]. Request
// bodies are validated against the service's botocore model (see
// internal/awsapi/model) before a handler runs, so handlers only check
// what the model cannot say. An operation that is not in a service's table
// answers UnknownOperationException, as AWS answers a target it does not
// know.
package awsapi
