package model

import (
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNames(t *testing.T) {
	t.Parallel()
	if diff := cmp.Diff([]string{"codebuild", "logs", "secretsmanager", "ssm"}, Names()); diff != "" {
		t.Errorf("Names() mismatch (-want +got):\n%s", diff)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	type meta struct {
		Name, ServiceID, APIVersion, Protocol, JSONVersion, TargetPrefix, SigningName, ValidationCode string
		Operations                                                                                    int
	}
	tests := []meta{
		{"codebuild", "CodeBuild", "2016-10-06", "json", "1.1", "CodeBuild_20161006", "codebuild", "InvalidInputException", 59},
		{"logs", "CloudWatch Logs", "2014-03-28", "json", "1.1", "Logs_20140328", "logs", "InvalidParameterException", 113},
		{"ssm", "SSM", "2014-11-06", "json", "1.1", "AmazonSSM", "ssm", "ValidationException", 146},
		{"secretsmanager", "Secrets Manager", "2017-10-17", "json", "1.1", "secretsmanager", "secretsmanager", "ValidationException", 23},
	}
	for _, want := range tests {
		svc, err := Load(want.Name)
		if err != nil {
			t.Fatalf("Load(%q): %v", want.Name, err)
		}
		got := meta{svc.Name(), svc.ServiceID(), svc.APIVersion(), svc.Protocol(), svc.JSONVersion(), svc.TargetPrefix(),
			svc.SigningName(), svc.ValidationCode(), len(svc.Operations())}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Load(%q) metadata mismatch (-want +got):\n%s", want.Name, diff)
		}
		if again, _ := Load(want.Name); again != svc {
			t.Errorf("Load(%q) twice returned two models", want.Name)
		}
		ops := svc.Operations()
		if !slices.IsSortedFunc(ops, func(a, b *Operation) int { return cmpString(a.Name, b.Name) }) {
			t.Errorf("%s Operations() is not sorted by name", want.Name)
		}
		for _, op := range ops {
			if op.HTTP.Method != "POST" || op.HTTP.RequestURI != "/" || op.Service != svc {
				t.Errorf("%s %s: HTTP %+v, service %p; want POST / of %p", want.Name, op.Name, op.HTTP, op.Service, svc)
			}
		}
	}
	if _, err := Load("nope"); err == nil {
		t.Error(`Load("nope") succeeded`)
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestOperation(t *testing.T) {
	t.Parallel()
	op := operation(t, "codebuild", "StartBuild")
	if op.Input == nil || op.Input.Name != "StartBuildInput" || op.Output == nil || op.Output.Name != "StartBuildOutput" {
		t.Fatalf("StartBuild input %v, output %v", op.Input, op.Output)
	}
	if diff := cmp.Diff([]string{"InvalidInputException", "ResourceNotFoundException", "AccountLimitExceededException"}, op.Errors); diff != "" {
		t.Errorf("StartBuild Errors mismatch (-want +got):\n%s", diff)
	}
	in := op.Input
	if len(in.Members) < 30 || in.Members[0].Name != "projectName" || !in.Members[0].Required || in.Members[1].Required {
		t.Errorf("StartBuildInput members %d, first %+v", len(in.Members), in.Members[0])
	}
	env := in.Members[in.member([]byte("environmentVariablesOverride"))].Shape
	if env.Type != "list" || env.Elem.Name != "EnvironmentVariable" || env.Elem.Type != "structure" {
		t.Errorf("environmentVariablesOverride is %s of %v", env.Type, env.Elem)
	}
	ct, _ := op.Service.Shape("ComputeType")
	if ct.Type != "string" || !slices.Contains(ct.Enum, "BUILD_GENERAL1_SMALL") {
		t.Errorf("ComputeType = %+v", ct)
	}
	name, _ := op.Service.Shape("ProjectName")
	if name.Min == nil || *name.Min != 2 || name.Max == nil || *name.Max != 150 || name.Pattern == "" {
		t.Errorf("ProjectName = %+v", name)
	}

	logs := operation(t, "logs", "DeleteLogGroup")
	if logs.Output != nil {
		t.Errorf("DeleteLogGroup output = %v, want none", logs.Output)
	}
	tags, _ := logs.Service.Shape("Tags")
	if tags.Type != "map" || tags.Key.Name != "TagKey" || tags.Value.Name != "TagValue" {
		t.Errorf("Tags = %+v", tags)
	}
	if s, ok := logs.Service.Shape("SessionTimeoutException"); !ok || !s.Exception {
		t.Errorf("SessionTimeoutException = %+v", s)
	}
}

// TestPatternsSkipped lists the patterns Go's regexp cannot compile. When a
// model update changes the count, look at the list: a Java construct Go
// lacks (possessive quantifiers, lookaround, \p{Alnum}) leaves the
// constraint unchecked.
func TestPatternsSkipped(t *testing.T) {
	t.Parallel()
	want := map[string]int{"codebuild": 0, "logs": 0, "secretsmanager": 0, "ssm": 4}
	for _, name := range Names() {
		svc, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		skipped := svc.PatternsSkipped()
		total := 0
		for _, s := range svc.shapes {
			if s.Pattern != "" {
				total++
			}
		}
		t.Logf("%s: %d of %d patterns skipped: %q", name, len(skipped), total, skipped)
		if len(skipped) != want[name] {
			t.Errorf("%s: %d patterns skipped, want %d: %q", name, len(skipped), want[name], skipped)
		}
	}
	svc, err := parse([]byte(testModel))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a++"}, svc.PatternsSkipped()); diff != "" {
		t.Errorf("test model PatternsSkipped() mismatch (-want +got):\n%s", diff)
	}
}

func TestParseTestModel(t *testing.T) {
	t.Parallel()
	svc, err := parse([]byte(testModel))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := svc.SigningName(), "testsign"; got != want {
		t.Errorf("SigningName() = %q, want %q", got, want)
	}
	op, _ := svc.Operation("Put")
	if diff := cmp.Diff(HTTP{Method: "POST", RequestURI: "/", ResponseCode: 201}, op.HTTP); diff != "" {
		t.Errorf("Put HTTP mismatch (-want +got):\n%s", diff)
	}
	if !op.Deprecated || op.Output != nil || len(op.Errors) != 1 {
		t.Errorf("Put = %+v", op)
	}
	m := op.Input.Members[op.Input.member([]byte("wire"))]
	if m.Name != "Renamed" || m.JSONName != "wire" || m.path != "wire" {
		t.Errorf("member wire = %+v", m)
	}
	for _, bad := range []string{
		`{"shapes":{"A":{"type":"structure","members":{"b":{"shape":"Missing"}}}}}`,
		`{"shapes":{"A":{"type":"tuple"}}}`,
		`{"shapes":{"A":{"type":"list"}}}`,
		`{"operations":{"Op":{"input":{"shape":"Missing"}}}}`,
		`{"shapes":`,
		`{} []`,
	} {
		if _, err := parse([]byte(bad)); err == nil {
			t.Errorf("parse(%s) succeeded", bad)
		}
	}
}

// TestLoadCost checks that the parsed models stay small: the server loads
// them at start and must idle in little memory. (How long parsing takes
// is BenchmarkLoad's to measure; it is logged here.)
func TestLoadCost(t *testing.T) {
	if testing.Short() {
		t.Skip("measures time and memory")
	}
	best := time.Hour
	for range 5 {
		start := time.Now()
		for _, name := range Names() {
			if _, err := load(name); err != nil {
				t.Fatal(err)
			}
		}
		best = min(best, time.Since(start))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var keep []*Service
	for _, name := range Names() {
		svc, _ := load(name)
		keep = append(keep, svc)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	retained := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	runtime.KeepAlive(keep)
	t.Logf("parsing both models: %v; retained heap %d KiB", best, retained/1024)
	if retained > 4<<20 {
		t.Errorf("both models retain %d KiB of heap, want under 4 MiB", retained/1024)
	}
}

func BenchmarkLoad(b *testing.B) {
	for _, name := range Names() {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := load(name); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
