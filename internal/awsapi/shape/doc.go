// Package shape holds what the generated wire types of codeyard's AWS APIs
// share, such as Time. The types themselves are in one package per
// service, named as the botocore model (shape/codebuild, shape/logs), and
// are generated from the models in internal/awsapi/model by shape/gen:
// run go generate in this directory after adding or updating a model.
//
// The generated types follow the wire, not Go habits: a struct per
// structure shape reachable from an operation's input or output (error
// shapes excepted), named as the shape (StartBuildInput, Build), with a
// field per member tagged with the member's exact name and omitempty.
// Strings and enums are string, integers *int64, booleans *bool, doubles
// *float64, timestamps *Time, blobs []byte, nested structures pointers,
// lists slices of values and maps map[string] of values. An enum shape
// also gets its values, as in codebuild.ComputeTypeValues.
package shape

//go:generate go run ./gen -out .
