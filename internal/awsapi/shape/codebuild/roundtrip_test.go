package codebuild_test

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
)

// TestBatchGetBuildsRoundTrip decodes a BatchGetBuilds response as CodeBuild
// sends it and encodes it again: nothing may be lost or changed.
// Timestamps come back as epoch seconds, whatever their notation.
func TestBatchGetBuildsRoundTrip(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/batch-get-builds.json")
	if err != nil {
		t.Fatal(err)
	}
	var out codebuild.BatchGetBuildsOutput
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	again, err := json.Marshal(out)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var want, got any
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(again, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("BatchGetBuilds response round trip mismatch (-want +got):\n%s", diff)
	}

	b := out.Builds[0]
	if got, want := b.StartTime.Time, time.UnixMilli(1732701234567).UTC(); !got.Equal(want) {
		t.Errorf("startTime = %v, want %v", got, want)
	}
	if b.BuildNumber == nil || *b.BuildNumber != 42 || b.Environment.PrivilegedMode == nil || !*b.Environment.PrivilegedMode {
		t.Errorf("build = %+v", b)
	}
	if b.DebugSession.SessionEnabled == nil || *b.DebugSession.SessionEnabled {
		t.Errorf("debugSession.sessionEnabled = %v, want a false that survives omitempty", b.DebugSession.SessionEnabled)
	}
}
