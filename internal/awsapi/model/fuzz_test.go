package model

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzValidate checks that Validate never panics, and agrees with
// encoding/json on what is JSON: it accepts only a JSON object, and reports
// anything that is not JSON as a SerializationError.
func FuzzValidate(f *testing.F) {
	var ops []*Operation
	for _, name := range Names() {
		svc, err := Load(name)
		if err != nil {
			f.Fatal(err)
		}
		ops = append(ops, svc.Operations()...)
	}
	test, err := parse([]byte(testModel))
	if err != nil {
		f.Fatal(err)
	}
	ops = append(ops, test.Operations()...)
	index := func(name string) uint16 {
		for i, op := range ops {
			if op.Name == name {
				return uint16(i)
			}
		}
		f.Fatalf("no operation %s", name)
		return 0
	}
	seeds := []struct{ op, body string }{
		{"StartBuild", startBuildBody},
		{"StartBuild", `{"projectName":"p","environmentVariablesOverride":[{"name":"","value":"v","type":"X"}]}`},
		{"CreateProject", `{"name":"x","tags":[{"key":"k","value":"v"}],"environment":{"computeType":"BUILD_GENERAL1_SMALL"}}`},
		{"BatchGetBuilds", `{"ids":["a:1",null,""]}`},
		{"GetLogEvents", `{"logStreamName":"s","limit":1.5e1,"startTime":-1}`},
		{"FilterLogEvents", `{"logStreamNames":["a\u0000"],"filterPattern":"\ud83d\ude00"}`},
		{"CreateLogGroup", `{"logGroupName":"g","tags":{"":"x","a":null}}`},
		{"Put", `{"Data":"AAE=","Ratio":1e400,"Conditions":{"a":{}},"Matrix":[[{}]],"Doc":[1],"Secrets":[""]}`},
		{"StartBuild", `[]`},
		{"StartBuild", `{"projectName":"p"} x`},
	}
	for _, s := range seeds {
		f.Add(index(s.op), []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, i uint16, body []byte) {
		op := ops[int(i)%len(ops)]
		err := op.Validate(body)
		var se *SerializationError
		var ve *ValidationError
		switch {
		case err == nil, errors.As(err, &ve):
			var v map[string]json.RawMessage
			if json.Unmarshal(body, &v) != nil || v == nil {
				t.Errorf("%s.Validate(%q) = %v, but the body is not a JSON object", op.Name, body, err)
			}
			if ve != nil && (len(ve.Violations) == 0 || ve.Message() == "") {
				t.Errorf("%s.Validate(%q) returned an empty ValidationError", op.Name, body)
			}
		case errors.As(err, &se):
			// A value of the wrong type can be reported before the
			// malformed rest of a body, so any message goes.
		default:
			t.Errorf("%s.Validate(%q) = %T %v", op.Name, body, err, err)
		}
		if !json.Valid(body) && se == nil {
			t.Errorf("%s.Validate(%q) = %v for a body that is not JSON", op.Name, body, err)
		}
	})
}
