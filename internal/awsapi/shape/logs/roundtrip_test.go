package logs_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/codeyard/codeyard/internal/awsapi/shape/logs"
)

func TestGetLogEventsRoundTrip(t *testing.T) {
	t.Parallel()
	const data = `{"events":[{"timestamp":1732701234567,"message":"[Container] 2024/11/27 09:53:54 Running command make test","ingestionTime":1732701235001},
		{"timestamp":1732701234600,"message":"ok  \tgithub.com/codeyard/codeyard\t0.4s","ingestionTime":1732701235001}],
		"nextForwardToken":"f/38539101720345123456789012345678901234567890123456789012","nextBackwardToken":"b/38539101720345123456789012345678901234567890123456789011"}`
	var out logs.GetLogEventsResponse
	if err := json.Unmarshal([]byte(data), &out); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	again, err := json.Marshal(out)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var want, got any
	if err := json.Unmarshal([]byte(data), &want); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(again, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetLogEvents response round trip mismatch (-want +got):\n%s", diff)
	}
}
