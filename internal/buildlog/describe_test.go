package buildlog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// describeFixture makes 23 streams; stream i's last event is at a time that
// does not follow its name's order, and two streams share a last time.
func describeFixture(t *testing.T) (*Store, []string) {
	t.Helper()
	s, c := newStore(t, 0)
	var names []string
	for i := range 23 {
		name := fmt.Sprintf("build-%02d", i)
		if i%4 == 3 {
			name = fmt.Sprintf("other-%02d", i)
		}
		names = append(names, name)
		c.Set(t0 + int64(i))
		last := t0 + 1000 + int64((i*7)%23)
		if i == 5 {
			last = t0 + 1000 + int64((4*7)%23) // the same as stream 4's
		}
		writeEvents(t, s, c, tgroup, name, []ev{{t0 + 500 + int64(i), "first"}, {last, "last"}})
	}
	slices.Sort(names)
	return s, names
}

func describeAll(t *testing.T, s *Store, in DescribeLogStreamsInput) []LogStream {
	t.Helper()
	in.LogGroupName = ptr(tgroup)
	var all []LogStream
	for calls := 0; calls < 100; calls++ {
		out, err := s.DescribeLogStreams(t.Context(), in)
		if err != nil {
			t.Fatalf("DescribeLogStreams: %v", err)
		}
		if in.Limit != nil && len(out.LogStreams) > int(*in.Limit) {
			t.Fatalf("%d streams, limit %d", len(out.LogStreams), *in.Limit)
		}
		all = append(all, out.LogStreams...)
		if out.NextToken == nil {
			return all
		}
		in.NextToken = out.NextToken
	}
	t.Fatal("DescribeLogStreams never ends")
	return nil
}

func TestDescribeLogStreams(t *testing.T) {
	t.Parallel()
	s, names := describeFixture(t)
	byTime := slices.Clone(names)
	lastOf := map[string]int64{}
	for _, ls := range describeAll(t, s, DescribeLogStreamsInput{}) {
		lastOf[ls.LogStreamName] = *ls.LastEventTimestamp
	}
	slices.SortStableFunc(byTime, func(a, b string) int {
		return int(lastOf[a] - lastOf[b])
	})
	reversed := func(s []string) []string { s = slices.Clone(s); slices.Reverse(s); return s }
	var builds []string
	for _, n := range names {
		if strings.HasPrefix(n, "build-") {
			builds = append(builds, n)
		}
	}
	tests := []struct {
		name string
		in   DescribeLogStreamsInput
		want []string
	}{
		{"by name", DescribeLogStreamsInput{}, names},
		{"by name, limit 1", DescribeLogStreamsInput{Limit: ptr[int32](1)}, names},
		{"by name, limit 5", DescribeLogStreamsInput{Limit: ptr[int32](5), OrderBy: ptr(OrderByLogStreamName)}, names},
		{"by name descending, limit 4", DescribeLogStreamsInput{Limit: ptr[int32](4), Descending: ptr(true)}, reversed(names)},
		{"by time", DescribeLogStreamsInput{OrderBy: ptr(OrderByLastEventTime)}, byTime},
		{"by time, limit 3", DescribeLogStreamsInput{OrderBy: ptr(OrderByLastEventTime), Limit: ptr[int32](3)}, byTime},
		{"by time descending, limit 2", DescribeLogStreamsInput{OrderBy: ptr(OrderByLastEventTime), Descending: ptr(true), Limit: ptr[int32](2)}, reversed(byTime)},
		{"prefix, limit 4", DescribeLogStreamsInput{LogStreamNamePrefix: ptr("build-"), Limit: ptr[int32](4)}, builds},
		{"prefix, descending", DescribeLogStreamsInput{LogStreamNamePrefix: ptr("build-"), Descending: ptr(true)}, reversed(builds)},
		{"prefix matching nothing", DescribeLogStreamsInput{LogStreamNamePrefix: ptr("zzz")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, ls := range describeAll(t, s, tt.in) {
				got = append(got, ls.LogStreamName)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("streams (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDescribeLogStreamsFields(t *testing.T) {
	t.Parallel()
	s, c := newStore(t, 0)
	s.Region, s.Account = "eu-west-1", "123456789012"
	c.Set(t0 - 5)
	writeEvents(t, s, c, tgroup, tstream, []ev{{t0, "a"}, {t0 + 7, "b"}})
	w, err := s.Create(tgroup, "empty")
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	out, err := s.DescribeLogStreams(t.Context(), DescribeLogStreamsInput{LogGroupName: ptr(tgroup)})
	if err != nil {
		t.Fatal(err)
	}
	stored := s.groups[tgroup].streams[tstream].stored
	want := []LogStream{
		{
			LogStreamName:       tstream,
			CreationTime:        t0 - 5,
			FirstEventTimestamp: ptr(int64(t0)),
			LastEventTimestamp:  ptr(int64(t0 + 7)),
			LastIngestionTime:   ptr(int64(t0 + 7)),
			Arn:                 "arn:aws:logs:eu-west-1:123456789012:log-group:" + tgroup + ":log-stream:" + tstream,
			StoredBytes:         stored,
		},
		{
			LogStreamName: "empty",
			CreationTime:  t0 + 7,
			Arn:           "arn:aws:logs:eu-west-1:123456789012:log-group:" + tgroup + ":log-stream:empty",
		},
	}
	slices.SortFunc(want, func(a, b LogStream) int { return strings.Compare(a.LogStreamName, b.LogStreamName) })
	if diff := cmp.Diff(want, out.LogStreams); diff != "" {
		t.Errorf("DescribeLogStreams (-want +got):\n%s", diff)
	}
	// The 8-byte magic and two records of 1 byte of length, 4 of CRC, 1
	// and 1 of times and 1 of message.
	if stored != 8+2*8 {
		t.Errorf("storedBytes = %d, want 24", stored)
	}
}

func TestDescribeLogStreamsErrors(t *testing.T) {
	t.Parallel()
	s, _ := describeFixture(t)
	byName, err := s.DescribeLogStreams(t.Context(), DescribeLogStreamsInput{LogGroupName: ptr(tgroup), Limit: ptr[int32](1)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   DescribeLogStreamsInput
		want error
	}{
		{"no group", DescribeLogStreamsInput{LogGroupName: ptr("/none")}, ErrGroupNotFound},
		{"prefix by time", DescribeLogStreamsInput{LogGroupName: ptr(tgroup), LogStreamNamePrefix: ptr("b"), OrderBy: ptr(OrderByLastEventTime)}, ErrInvalidParameter},
		{"bad order", DescribeLogStreamsInput{LogGroupName: ptr(tgroup), OrderBy: ptr("Size")}, ErrInvalidParameter},
		{"limit 51", DescribeLogStreamsInput{LogGroupName: ptr(tgroup), Limit: ptr[int32](51)}, ErrInvalidParameter},
		{"bad token", DescribeLogStreamsInput{LogGroupName: ptr(tgroup), NextToken: ptr("!")}, ErrInvalidToken},
		{"name token by time", DescribeLogStreamsInput{LogGroupName: ptr(tgroup), NextToken: byName.NextToken, OrderBy: ptr(OrderByLastEventTime)}, ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := s.DescribeLogStreams(t.Context(), tt.in); !errors.Is(err, tt.want) {
				t.Errorf("DescribeLogStreams error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDescribeLogGroups(t *testing.T) {
	t.Parallel()
	s, c := newStore(t, 0)
	var names []string
	for i := range 12 {
		name := fmt.Sprintf("/aws/codebuild/project-%02d", i)
		if i%3 == 0 {
			name = fmt.Sprintf("/other/Data-%02d", i)
		}
		names = append(names, name)
		writeEvents(t, s, c, name, "s", []ev{{t0, "x"}})
	}
	slices.Sort(names)
	tests := []struct {
		name string
		in   DescribeLogGroupsInput
		want []string
	}{
		{"all", DescribeLogGroupsInput{}, names},
		{"limit 1", DescribeLogGroupsInput{Limit: ptr[int32](1)}, names},
		{"limit 5", DescribeLogGroupsInput{Limit: ptr[int32](5)}, names},
		{"prefix", DescribeLogGroupsInput{LogGroupNamePrefix: ptr("/aws/codebuild/"), Limit: ptr[int32](3)}, names[:8]},
		{"pattern", DescribeLogGroupsInput{LogGroupNamePattern: ptr("Data"), Limit: ptr[int32](3)}, names[8:]},
		{"pattern is case-sensitive", DescribeLogGroupsInput{LogGroupNamePattern: ptr("data")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := tt.in
			var got []string
			for calls := 0; calls < 100; calls++ {
				out, err := s.DescribeLogGroups(t.Context(), in)
				if err != nil {
					t.Fatal(err)
				}
				for _, g := range out.LogGroups {
					got = append(got, g.LogGroupName)
					if (g.StoredBytes == nil) != (in.LogGroupNamePattern != nil) {
						t.Errorf("group %s: storedBytes %v with pattern %v", g.LogGroupName, g.StoredBytes, in.LogGroupNamePattern)
					}
				}
				if out.NextToken == nil {
					break
				}
				in.NextToken = out.NextToken
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
		})
	}
	out, err := s.DescribeLogGroups(t.Context(), DescribeLogGroupsInput{LogGroupNamePrefix: ptr(names[0])})
	if err != nil {
		t.Fatal(err)
	}
	g := out.LogGroups[0]
	stored := s.groups[names[0]].streams["s"].stored
	want := LogGroup{
		LogGroupName:      names[0],
		CreationTime:      t0,
		Arn:               "arn:aws:logs:us-east-1:000000000000:log-group:" + names[0] + ":*",
		LogGroupArn:       "arn:aws:logs:us-east-1:000000000000:log-group:" + names[0],
		StoredBytes:       &stored,
		MetricFilterCount: ptr[int32](0),
		LogGroupClass:     "STANDARD",
	}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("log group (-want +got):\n%s", diff)
	}
	if _, err := s.DescribeLogGroups(t.Context(), DescribeLogGroupsInput{LogGroupNamePrefix: ptr("/a"), LogGroupNamePattern: ptr("a")}); !errors.Is(err, ErrInvalidParameter) {
		t.Errorf("prefix and pattern: error %v, want ErrInvalidParameter", err)
	}
	if _, err := s.DescribeLogGroups(t.Context(), DescribeLogGroupsInput{NextToken: ptr("???")}); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("bad token: error %v, want ErrInvalidToken", err)
	}
}

// TestDelete checks DeleteStream and DeleteGroup, a Writer of a deleted
// stream, and that a stream created again under the same name refuses the
// old one's tokens.
func TestDelete(t *testing.T) {
	t.Parallel()
	s, c := newStore(t, 0)
	writeEvents(t, s, c, tgroup, "a", manyEvents(5))
	writeEvents(t, s, c, tgroup, "b", manyEvents(5))
	old, err := s.GetLogEvents(t.Context(), GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: "a"})
	if err != nil {
		t.Fatal(err)
	}
	w, err := s.Create(tgroup, "a")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteStream(tgroup, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteStream(tgroup, "a"); !errors.Is(err, ErrStreamNotFound) {
		t.Errorf("second DeleteStream error = %v, want ErrStreamNotFound", err)
	}
	if _, err := w.Write([]byte("x\n")); err == nil {
		if err := w.Flush(); !errors.Is(err, ErrStreamNotFound) {
			t.Errorf("Writer of a deleted stream: Flush error = %v, want ErrStreamNotFound", err)
		}
	}
	w.Close()
	if _, err := s.GetLogEvents(t.Context(), GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: "a"}); !errors.Is(err, ErrStreamNotFound) {
		t.Errorf("GetLogEvents after DeleteStream: error %v, want ErrStreamNotFound", err)
	}
	writeEvents(t, s, c, tgroup, "a", manyEvents(5))
	if _, err := s.GetLogEvents(t.Context(), GetLogEventsInput{LogGroupName: ptr(tgroup), LogStreamName: "a", NextToken: &old.NextBackwardToken}); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("old token on the new stream: error %v, want ErrInvalidToken", err)
	}

	if err := s.DeleteGroup(tgroup); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DescribeLogStreams(t.Context(), DescribeLogStreamsInput{LogGroupName: ptr(tgroup)}); !errors.Is(err, ErrGroupNotFound) {
		t.Errorf("DescribeLogStreams after DeleteGroup: error %v, want ErrGroupNotFound", err)
	}
	if err := s.DeleteGroup(tgroup); !errors.Is(err, ErrGroupNotFound) {
		t.Errorf("second DeleteGroup error = %v, want ErrGroupNotFound", err)
	}
	entries, _ := os.ReadDir(filepath.Join(s.dir, "tmp"))
	groups, _ := os.ReadDir(filepath.Join(s.dir, "groups"))
	if len(entries)+len(groups) != 0 {
		t.Errorf("left behind: tmp %v, groups %v", entries, groups)
	}
	// A new stream in the deleted group's name starts afresh.
	writeEvents(t, s, c, tgroup, "b", manyEvents(2))
	if got := len(getAll(t, s, tgroup, "b")); got != 2 {
		t.Errorf("%d events in the new stream, want 2", got)
	}
}

// TestNames checks that any valid name maps to a safe directory, comes back
// from the Describe operations, and does not collide with another.
func TestNames(t *testing.T) {
	t.Parallel()
	s, c := newStore(t, 0)
	streams := []string{
		".", "..", "../../etc/passwd", "a/b", "a%2Fb", "A", "a", "with space", "tab\there", "ünïcödé", "%", "~x",
		"\x00nul", strings.Repeat("/", 512), strings.Repeat("x", 512), strings.Repeat("x", 511) + "y", strings.Repeat("é", 256),
	}
	groups := []string{"/aws/codebuild/p", ".", "..", "#/..", strings.Repeat("/", 512), strings.Repeat("/", 511) + "."}
	for _, g := range groups {
		for _, st := range streams {
			writeEvents(t, s, c, g, st, []ev{{t0, g + " " + st}})
		}
	}
	for _, name := range append(slices.Clone(streams), groups...) {
		e := escapeName(name)
		if len(e) > maxDirName || strings.ContainsAny(e, "/\x00") || e == "." || e == ".." {
			t.Errorf("escapeName(%.30q) = %q, not a safe file name", name, e)
		}
	}
	s2, err := Open(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s2.DescribeLogGroups(t.Context(), DescribeLogGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var gotGroups []string
	for _, g := range out.LogGroups {
		gotGroups = append(gotGroups, g.LogGroupName)
	}
	wantGroups := slices.Sorted(slices.Values(groups))
	if diff := cmp.Diff(wantGroups, gotGroups); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	for _, g := range groups {
		var got []string
		for _, ls := range describeAllIn(t, s2, g) {
			got = append(got, ls.LogStreamName)
			evs := getAll(t, s2, g, ls.LogStreamName)
			if len(evs) != 1 || evs[0].Msg != g+" "+ls.LogStreamName {
				t.Errorf("stream %.30q of %.30q holds %v", ls.LogStreamName, g, evs)
			}
		}
		if diff := cmp.Diff(slices.Sorted(slices.Values(streams)), got); diff != "" {
			t.Errorf("streams of %.30q (-want +got):\n%s", g, diff)
		}
	}
}

func describeAllIn(t *testing.T, s *Store, group string) []LogStream {
	t.Helper()
	in := DescribeLogStreamsInput{LogGroupName: &group}
	var all []LogStream
	for {
		out, err := s.DescribeLogStreams(t.Context(), in)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, out.LogStreams...)
		if out.NextToken == nil {
			return all
		}
		in.NextToken = out.NextToken
	}
}
