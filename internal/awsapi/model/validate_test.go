package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// startBuildBody is a StartBuild request as the aws CLI sends it for a
// build with overrides.
const startBuildBody = `{"projectName": "codeyard-main", "sourceVersion": "refs/heads/main",
 "environmentVariablesOverride": [{"name": "STAGE", "value": "prod", "type": "PLAINTEXT"},
  {"name": "DB_PASSWORD", "value": "/prod/db", "type": "PARAMETER_STORE"}],
 "computeTypeOverride": "BUILD_GENERAL1_MEDIUM", "timeoutInMinutesOverride": 60,
 "privilegedModeOverride": false, "buildspecOverride": "version: 0.2\nphases:\n  build:\n    commands:\n      - make test\n",
 "logsConfigOverride": {"cloudWatchLogs": {"status": "ENABLED", "groupName": "/codeyard/builds"}},
 "idempotencyToken": "3f1c9a7e-6c4b-4b8e-9d2a-0f5e7c1b2a3d"}`

// null is a violation of a missing required member.
func null(path string) Violation {
	return Violation{Path: path, Constraint: "Member must not be null", Null: true}
}

func invalid(code string, v ...Violation) error { return &ValidationError{Code: code, Violations: v} }

func serialization(msg string) error { return &SerializationError{Message: msg} }

func TestValidate(t *testing.T) {
	t.Parallel()
	const (
		cb   = "InvalidInputException"
		logs = "InvalidParameterException"
	)
	tooLong := strings.Repeat("k", 128)
	ids101 := `["` + strings.Repeat(`b:1","`, 100) + `b:1"]`
	tests := []struct {
		name    string
		service string
		op      string
		body    string
		want    error
	}{
		{"start build", "codebuild", "StartBuild", startBuildBody, nil},
		{"start build minimal", "codebuild", "StartBuild", `{"projectName":"p"}`, nil},
		{"start build no project", "codebuild", "StartBuild", `{}`, invalid(cb, null("projectName"))},
		{"start build null project", "codebuild", "StartBuild", `{"projectName":null}`, invalid(cb, null("projectName"))},
		{"start build empty project", "codebuild", "StartBuild", `{"projectName":""}`,
			invalid(cb, Violation{Path: "projectName", Value: "", Constraint: "Member must have length greater than or equal to 1"})},
		{"start build unknown members", "codebuild", "StartBuild",
			`{"projectName":"p","fromTheFuture":{"deep":[1,2,{"x":null}]},"other":"x"}`, nil},
		{"start build escaped key and value", "codebuild", "StartBuild", `{"project\u004eame":"caf\u00e9"}`, nil},
		{"start build fraction truncated", "codebuild", "StartBuild", `{"projectName":"p","timeoutInMinutesOverride":4.9}`,
			invalid(cb, Violation{Path: "timeoutInMinutesOverride", Value: "4", Constraint: "Member must have value greater than or equal to 5"})},
		{"start build timeout too long", "codebuild", "StartBuild", `{"projectName":"p","timeoutInMinutesOverride":2161}`,
			invalid(cb, Violation{Path: "timeoutInMinutesOverride", Value: "2161", Constraint: "Member must have value less than or equal to 2160"})},
		{"start build env var", "codebuild", "StartBuild",
			`{"projectName":"p","environmentVariablesOverride":[{"name":"A","value":""},{"value":"v","type":"SECRET"}]}`,
			invalid(cb,
				null("environmentVariablesOverride.2.member.name"),
				Violation{Path: "environmentVariablesOverride.2.member.type", Value: "SECRET",
					Constraint: "Member must satisfy enum value set: [PLAINTEXT, PARAMETER_STORE, SECRETS_MANAGER]"})},
		{"create project", "codebuild", "CreateProject",
			`{"name":"codeyard","source":{"type":"NO_SOURCE","buildspec":"version: 0.2"},"artifacts":{"type":"NO_ARTIFACTS"},
			  "environment":{"type":"LINUX_CONTAINER","image":"aws/codebuild/standard:7.0","computeType":"BUILD_GENERAL1_SMALL"},
			  "serviceRole":"arn:aws:iam::123456789012:role/build","tags":[{"key":"team","value":"ci"}]}`, nil},
		{"create project empty", "codebuild", "CreateProject", `{}`,
			invalid(cb, null("name"), null("source"), null("artifacts"), null("environment"), null("serviceRole"))},
		{"create project short name", "codebuild", "CreateProject",
			`{"name":"x","source":{"type":"NO_SOURCE"},"artifacts":{"type":"NO_ARTIFACTS"},"serviceRole":"r",
			  "environment":{"type":"LINUX_CONTAINER","image":"i","computeType":"BUILD_GENERAL1_TINY"}}`,
			invalid(cb,
				Violation{Path: "name", Value: "x", Constraint: "Member must satisfy regular expression pattern: [A-Za-z0-9][A-Za-z0-9\\-_]{1,149}"},
				Violation{Path: "name", Value: "x", Constraint: "Member must have length greater than or equal to 2"},
				Violation{Path: "environment.computeType", Value: "BUILD_GENERAL1_TINY",
					Constraint: "Member must satisfy enum value set: [BUILD_GENERAL1_SMALL, BUILD_GENERAL1_MEDIUM, BUILD_GENERAL1_LARGE, " +
						"BUILD_GENERAL1_XLARGE, BUILD_GENERAL1_2XLARGE, BUILD_LAMBDA_1GB, BUILD_LAMBDA_2GB, BUILD_LAMBDA_4GB, BUILD_LAMBDA_8GB, " +
						"BUILD_LAMBDA_10GB, ATTRIBUTE_BASED_COMPUTE, CUSTOM_INSTANCE_TYPE]"})},
		{"create project tags", "codebuild", "CreateProject",
			`{"name":"pp","source":{"type":"NO_SOURCE"},"artifacts":{"type":"NO_ARTIFACTS"},"serviceRole":"r",
			  "environment":{"type":"LINUX_CONTAINER","image":"i","computeType":"BUILD_GENERAL1_SMALL"},
			  "tags":[{"key":"ok","value":"v"},{"key":"` + tooLong + `","value":"a|b"}]}`,
			invalid(cb,
				Violation{Path: "tags.2.member.key", Value: tooLong, Constraint: "Member must have length less than or equal to 127"},
				Violation{Path: "tags.2.member.value", Value: "a|b",
					Constraint: `Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=@+\-]*)$`})},
		{"sensitive value left out", "codebuild", "ImportSourceCredentials",
			`{"token":"","serverType":"GITHUB","authType":"PERSONAL_ACCESS_TOKEN"}`,
			invalid(cb, Violation{Path: "token", Value: redacted, Hidden: true, Constraint: "Member must have length greater than or equal to 1"})},
		{"batch get builds", "codebuild", "BatchGetBuilds", `{"ids":["codeyard:1","codeyard:2"]}`, nil},
		{"batch get builds null element", "codebuild", "BatchGetBuilds", `{"ids":[null]}`, nil},
		{"batch get builds no ids", "codebuild", "BatchGetBuilds", `{"ids":[]}`,
			invalid(cb, Violation{Path: "ids", Value: "[]", Constraint: "Member must have length greater than or equal to 1"})},
		{"batch get builds too many", "codebuild", "BatchGetBuilds", `{"ids":` + ids101 + `}`,
			invalid(cb, Violation{Path: "ids", Value: "[" + strings.Repeat("b:1, ", 100) + "b:1]", Constraint: "Member must have length less than or equal to 100"})},
		{"batch get builds empty id", "codebuild", "BatchGetBuilds", `{"ids":["a:1", ""]}`,
			invalid(cb, Violation{Path: "ids", Value: "[a:1, ]", Constraint: "Member must satisfy constraint: [Member must have length greater than or equal to 1]"})},
		{"batch get builds number id", "codebuild", "BatchGetBuilds", `{"ids":[1]}`, serialization("NUMBER_VALUE can not be converted to a String")},
		{"batch get builds id string", "codebuild", "BatchGetBuilds", `{"ids":"a:1"}`, serialization("Expected list or null")},
		{"batch get builds id object", "codebuild", "BatchGetBuilds", `{"ids":{}}`, serialization("Start of structure or map found where not expected.")},
		{"list of lists", "codebuild", "BatchGetBuilds", `{"ids":[["a"]]}`, serialization("Start of list found where not expected")},
		{"string for structure", "codebuild", "CreateProject", `{"source":"x"}`, serialization("Expected null")},
		{"list for structure", "codebuild", "CreateProject", `{"source":[]}`, serialization("Start of list found where not expected")},
		{"boolean for string", "codebuild", "StartBuild", `{"projectName":true}`, serialization("TRUE_VALUE can not be converted to a String")},
		{"false for integer", "codebuild", "StartBuild", `{"projectName":"p","gitCloneDepthOverride":false}`,
			serialization("FALSE_VALUE can not be converted to an Integer")},
		{"string for integer", "codebuild", "StartBuild", `{"projectName":"p","timeoutInMinutesOverride":"60"}`,
			serialization("STRING_VALUE can not be converted to an Integer")},
		{"integer overflow", "codebuild", "StartBuild", `{"projectName":"p","autoRetryLimitOverride":99999999999}`, serialization("")},
		{"integer overflow caught by max", "codebuild", "StartBuild", `{"projectName":"p","timeoutInMinutesOverride":99999999999}`,
			invalid(cb, Violation{Path: "timeoutInMinutesOverride", Value: "99999999999", Constraint: "Member must have value less than or equal to 2160"})},
		{"serialization before validation", "codebuild", "StartBuild", `{"projectName":"","timeoutInMinutesOverride":"60"}`,
			serialization("STRING_VALUE can not be converted to an Integer")},
		{"string for boolean", "codebuild", "StartBuild", `{"projectName":"p","privilegedModeOverride":"true"}`,
			serialization("STRING_VALUE can not be converted to a Boolean")},

		{"get log events", "logs", "GetLogEvents",
			`{"logGroupName":"/codeyard/builds","logStreamName":"codeyard/1","startFromHead":true,"limit":100,"startTime":1732701234000}`, nil},
		{"get log events no stream", "logs", "GetLogEvents", `{"logGroupName":"g"}`, invalid(logs, null("logStreamName"))},
		{"get log events bad group", "logs", "GetLogEvents", `{"logGroupName":"C:/Program Files/Git/aws/x","logStreamName":"s"}`,
			invalid(logs, Violation{Path: "logGroupName", Value: "C:/Program Files/Git/aws/x",
				Constraint: `Member must satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`})},
		{"get log events limit", "logs", "GetLogEvents", `{"logStreamName":"s","limit":0}`,
			invalid(logs, Violation{Path: "limit", Value: "0", Constraint: "Member must have value greater than or equal to 1"})},
		{"get log events limit string", "logs", "GetLogEvents", `{"logStreamName":"s","limit":"10"}`,
			serialization("STRING_VALUE can not be converted to an Integer")},
		{"get log events time string", "logs", "GetLogEvents", `{"logStreamName":"s","startTime":"2024-01-01T00:00:00Z"}`,
			serialization("STRING_VALUE can not be converted to a Long")},
		{"filter log events", "logs", "FilterLogEvents",
			`{"logGroupName":"g","logStreamNames":["a","b"],"filterPattern":"ERROR","interleaved":true}`, nil},
		{"filter log events stream names", "logs", "FilterLogEvents", `{"logGroupName":"g","logStreamNames":["a","b:c"]}`,
			invalid(logs, Violation{Path: "logStreamNames", Value: "[a, b:c]", Constraint: "Member must satisfy constraint: [" +
				"Member must have length less than or equal to 512, Member must have length greater than or equal to 1, " +
				"Member must satisfy regular expression pattern: [^:*]*]"})},
		{"filter log events no stream names", "logs", "FilterLogEvents", `{"logStreamNames":[]}`,
			invalid(logs, Violation{Path: "logStreamNames", Value: "[]", Constraint: "Member must have length greater than or equal to 1"})},
		{"put log events", "logs", "PutLogEvents",
			`{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":1732701234567,"message":"hello"}]}`, nil},
		{"put log events empty message", "logs", "PutLogEvents",
			`{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":1,"message":"a"},{"timestamp":2,"message":""}]}`,
			invalid(logs, Violation{Path: "logEvents.2.member.message", Value: "", Constraint: "Member must have length greater than or equal to 1"})},
		{"create log group tags", "logs", "CreateLogGroup", `{"logGroupName":"g","tags":{"team":"ci","":"x"}}`,
			invalid(logs, Violation{Path: "tags", Value: "{team=ci, =x}", Constraint: "Map keys must satisfy constraint: [" +
				"Member must have length less than or equal to 128, Member must have length greater than or equal to 1, " +
				`Member must satisfy regular expression pattern: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]+)$]`})},
		{"create log group no tags", "logs", "CreateLogGroup", `{"logGroupName":"g","tags":{}}`,
			invalid(logs, Violation{Path: "tags", Value: "{}", Constraint: "Member must have length greater than or equal to 1"})},
		{"create log group tags not a map", "logs", "CreateLogGroup", `{"logGroupName":"g","tags":"x"}`, serialization("Expected map or null")},

		{"empty body", "codebuild", "StartBuild", ``, serialization("")},
		{"null body", "codebuild", "StartBuild", `null`, serialization("")},
		{"string body", "codebuild", "StartBuild", `"x"`, serialization("")},
		{"array body", "codebuild", "StartBuild", `[]`, serialization("Start of list found where not expected")},
		{"truncated", "codebuild", "StartBuild", `{"projectName":"p"`, serialization("")},
		{"trailing comma", "codebuild", "StartBuild", `{"projectName":"p",}`, serialization("")},
		{"trailing garbage", "codebuild", "StartBuild", `{"projectName":"p"} {}`, serialization("")},
		{"trailing space", "codebuild", "StartBuild", "{\"projectName\":\"p\"}\r\n ", nil},
		{"bad escape", "codebuild", "StartBuild", `{"projectName":"\x"}`, serialization("")},
		{"control character", "codebuild", "StartBuild", "{\"projectName\":\"a\tb\"}", serialization("")},
		{"bad literal", "codebuild", "StartBuild", `{"projectName":"p","privilegedModeOverride":tru}`, serialization("")},
		{"bad number", "codebuild", "StartBuild", `{"projectName":"p","timeoutInMinutesOverride":01}`, serialization("")},
		{"malformed before mismatch", "codebuild", "StartBuild", `{"projectName":tru}`, serialization("")},
		{"deep unknown member", "codebuild", "StartBuild", `{"projectName":"p","x":` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + `}`, serialization("")},
		{"no input", "codebuild", "ListCuratedEnvironmentImages", `{"anything":[1,{"x":true}]}`, nil},
		{"no input malformed", "codebuild", "ListCuratedEnvironmentImages", `{"anything":}`, serialization("")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			op := operation(t, tt.service, tt.op)
			got := op.Validate([]byte(tt.body))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s.Validate(%.80s) mismatch (-want +got):\n%s", tt.op, tt.body, diff)
			}
		})
	}
}

func operation(t testing.TB, service, name string) *Operation {
	t.Helper()
	svc, err := Load(service)
	if err != nil {
		t.Fatal(err)
	}
	op, ok := svc.Operation(name)
	if !ok {
		t.Fatalf("%s has no operation %s", service, name)
	}
	return op
}

func TestValidationErrorMessage(t *testing.T) {
	t.Parallel()
	op := operation(t, "codebuild", "CreateProject")
	err := op.Validate([]byte(`{"name":"pp","source":{"type":"NO_SOURCE"},"artifacts":{"type":"NO_ARTIFACTS"},
		"environment":{"type":"LINUX_CONTAINER","image":"i","computeType":"TINY"}}`))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate = %v, want a *ValidationError", err)
	}
	const want = "2 validation errors detected: " +
		"Value null at 'serviceRole' failed to satisfy constraint: Member must not be null; " +
		"Value 'TINY' at 'environment.computeType' failed to satisfy constraint: Member must satisfy enum value set: [BUILD_GENERAL1_SMALL"
	if got := ve.Message(); !strings.HasPrefix(got, want) {
		t.Errorf("Message() = %q, want prefix %q", got, want)
	}
	if got, want := ve.ErrorCode(), "InvalidInputException"; got != want {
		t.Errorf("ErrorCode() = %q, want %q", got, want)
	}
	ve.Code = "ValidationException"
	ve.HideValues = true
	if got, want := ve.Error(), "ValidationException: 2 validation errors detected: Value null at 'serviceRole' failed to satisfy constraint: "+
		"Member must not be null; Value at 'environment.computeType' failed"; !strings.HasPrefix(got, want) {
		t.Errorf("Error() with HideValues = %q, want prefix %q", got, want)
	}

	one := &ValidationError{Code: "ValidationException", Violations: []Violation{
		{Path: "name", Value: "x", Constraint: "Member must have length greater than or equal to 2"}}}
	if got, want := one.Message(), "1 validation error detected: Value 'x' at 'name' failed to satisfy constraint: "+
		"Member must have length greater than or equal to 2"; got != want {
		t.Errorf("Message() = %q, want %q", got, want)
	}
}

func TestSerializationError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err       *SerializationError
		wantError string
	}{
		{&SerializationError{}, "SerializationException"},
		{&SerializationError{Message: msgList}, "SerializationException: Start of list found where not expected"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.wantError {
			t.Errorf("Error() = %q, want %q", got, tt.wantError)
		}
		if got := tt.err.ErrorCode(); got != "SerializationException" {
			t.Errorf("ErrorCode() = %q, want SerializationException", got)
		}
		if got := tt.err.ErrorMessage(); got != tt.err.Message {
			t.Errorf("ErrorMessage() = %q, want %q", got, tt.err.Message)
		}
	}
}

// testModel exercises what the CodeBuild and CloudWatch Logs inputs do
// not: blobs, doubles, timestamps, maps of structures, nested lists,
// documents, sensitive lists and a pattern Go cannot compile.
const testModel = `{
 "version": "2.0",
 "metadata": {"apiVersion": "2024-01-01", "endpointPrefix": "test", "jsonVersion": "1.0", "protocol": "json",
  "serviceId": "Test", "signingName": "testsign", "targetPrefix": "Test_20240101"},
 "operations": {
  "Put": {"name": "Put", "http": {"method": "POST", "requestUri": "/", "responseCode": 201},
   "input": {"shape": "PutInput"}, "errors": [{"shape": "Bad"}], "deprecated": true}
 },
 "shapes": {
  "PutInput": {"type": "structure", "members": {
   "Data": {"shape": "Data"}, "Ratio": {"shape": "Ratio"}, "At": {"shape": "At"},
   "Conditions": {"shape": "Conditions"}, "Matrix": {"shape": "Matrix"}, "Doc": {"shape": "Doc"},
   "Secrets": {"shape": "Secrets"}, "Java": {"shape": "Java"}, "Renamed": {"shape": "Name", "locationName": "wire"}}},
  "Data": {"type": "blob", "min": 2, "max": 4},
  "Ratio": {"type": "double", "min": 0.5, "max": 100},
  "At": {"type": "timestamp"},
  "Conditions": {"type": "map", "key": {"shape": "Name"}, "value": {"shape": "Condition"}},
  "Condition": {"type": "structure", "required": ["Op"], "members": {"Op": {"shape": "Name"}}},
  "Matrix": {"type": "list", "member": {"shape": "Row"}},
  "Row": {"type": "list", "member": {"shape": "Cell"}, "max": 2},
  "Cell": {"type": "structure", "members": {"V": {"shape": "Name"}}},
  "Doc": {"type": "structure", "members": {}, "document": true},
  "Secrets": {"type": "list", "member": {"shape": "Secret"}},
  "Secret": {"type": "string", "min": 1, "sensitive": true},
  "Java": {"type": "string", "pattern": "a++"},
  "Name": {"type": "string", "min": 1, "max": 3},
  "Bad": {"type": "structure", "members": {}, "exception": true}
 }
}`

func TestValidateTestModel(t *testing.T) {
	t.Parallel()
	svc, err := parse([]byte(testModel))
	if err != nil {
		t.Fatal(err)
	}
	svc.validationCode = "ValidationException"
	op, _ := svc.Operation("Put")
	const code = "ValidationException"
	tests := []struct {
		name string
		body string
		want error
	}{
		{"all valid", `{"Data":"AAE=","Ratio":1.5,"At":1732701234.567,"Conditions":{"a":{"Op":"eq"}},
			"Matrix":[[{"V":"x"}],[]],"Doc":{"any":[1,"two",{"three":null}]},"Secrets":["s"],"Java":"aaa","wire":"abc"}`, nil},
		{"blob too short", `{"Data":"AA=="}`,
			invalid(code, Violation{Path: "data", Value: "AA==", Constraint: "Member must have length greater than or equal to 2"})},
		{"blob unpadded", `{"Data":"AAE"}`, nil},
		{"blob not base64", `{"Data":"!!!!"}`, serialization("")},
		{"blob number", `{"Data":1}`, serialization("NUMBER_VALUE can not be converted to a ByteBuffer")},
		{"double too small", `{"Ratio":0.25}`,
			invalid(code, Violation{Path: "ratio", Value: "0.25", Constraint: "Member must have value greater than or equal to 0.5"})},
		{"double too large", `{"Ratio":1e9}`,
			invalid(code, Violation{Path: "ratio", Value: "1.0E9", Constraint: "Member must have value less than or equal to 100"})},
		{"double string", `{"Ratio":"1"}`, serialization("STRING_VALUE can not be converted to a Double")},
		{"timestamp string", `{"At":"2024-11-27T10:00:00Z"}`, serialization("STRING_VALUE can not be converted to a Date")},
		{"map of structures", `{"Conditions":{"a":{},"long":{"Op":"eq"}}}`,
			invalid(code,
				null("conditions.a.member.op"),
				Violation{Path: "conditions", Value: "{a={}, long={Op=eq}}", Constraint: "Map keys must satisfy constraint: [" +
					"Member must have length less than or equal to 3, Member must have length greater than or equal to 1]"})},
		{"nested lists", `{"Matrix":[[{"V":""}],[{},{},{}]]}`,
			invalid(code,
				Violation{Path: "matrix.1.member.1.member.v", Value: "", Constraint: "Member must have length greater than or equal to 1"},
				Violation{Path: "matrix", Value: "[[{V=}], [{}, {}, {}]]", Constraint: "Member must satisfy constraint: [" +
					"Member must have length less than or equal to 2]"})},
		{"document scalar", `{"Doc":"x"}`, nil},
		{"sensitive list", `{"Secrets":["a",""]}`,
			invalid(code, Violation{Path: "secrets", Value: "[" + redacted + ", " + redacted + "]", Hidden: true,
				Constraint: "Member must satisfy constraint: [Member must have length greater than or equal to 1]"})},
		{"java pattern skipped", `{"Java":"b"}`, nil},
		{"location name", `{"wire":"abcd","Renamed":"abcd"}`,
			invalid(code, Violation{Path: "wire", Value: "abcd", Constraint: "Member must have length less than or equal to 3"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := op.Validate([]byte(tt.body))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Put.Validate(%s) mismatch (-want +got):\n%s", tt.body, diff)
			}
		})
	}
}

func TestJavaDouble(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0.0"}, {1, "1.0"}, {0.5, "0.5"}, {-2.25, "-2.25"}, {1e7, "1.0E7"}, {1.5e-4, "1.5E-4"}, {123456.75, "123456.75"}, {1e-3, "0.001"},
	}
	for _, tt := range tests {
		if got := javaDouble(tt.in); got != tt.want {
			t.Errorf("javaDouble(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUnescape(t *testing.T) {
	t.Parallel()
	for _, s := range []string{`plain`, `a\"b\\c\/d`, `\b\f\n\r\t`, `caf\u00e9`, `\ud83d\ude00 smile`, `lone \ud83d high`, `lone \ude00 low`, `\u0000`} {
		var want string
		if err := json.Unmarshal([]byte(`"`+s+`"`), &want); err != nil {
			t.Fatal(err)
		}
		l := lexer{data: []byte(`"` + s + `"`)}
		raw, esc, ok := l.str()
		if !ok {
			t.Fatalf("str(%q) failed", s)
		}
		got := string(raw)
		if esc {
			got = string(unescape(raw))
		}
		if got != want {
			t.Errorf("unescape(%q) = %q, want %q as encoding/json", s, got, want)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	for _, bm := range []struct{ service, op, body string }{
		{"codebuild", "StartBuild", startBuildBody},
		{"codebuild", "BatchGetBuilds", `{"ids":["codeyard-main:3f1c9a7e-6c4b-4b8e-9d2a-0f5e7c1b2a3d"]}`},
		{"logs", "GetLogEvents", `{"logGroupName":"/codeyard/builds","logStreamName":"codeyard-main/3f1c9a7e","startFromHead":true,"nextToken":"f/3853"}`},
	} {
		b.Run(fmt.Sprint(bm.op), func(b *testing.B) {
			op := operation(b, bm.service, bm.op)
			body := []byte(bm.body)
			if err := op.Validate(body); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := op.Validate(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
