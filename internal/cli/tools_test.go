package cli

import (
	"fmt"
	"slices"
	"testing"
)

func TestShard(t *testing.T) {
	t.Parallel()
	files := []string{"e.js", "a.js", "c.js", "b.js", "d.js", "a.js"}
	tests := []struct {
		strategy     string
		count, index int
		want         []string
	}{
		{"equal-distribution", 1, 0, []string{"a.js", "b.js", "c.js", "d.js", "e.js"}},
		{"equal-distribution", 2, 0, []string{"a.js", "b.js", "c.js"}},
		{"equal-distribution", 2, 1, []string{"d.js", "e.js"}},
		{"equal-distribution", 3, 2, []string{"e.js"}},
		{"equal-distribution", 7, 6, nil},
	}
	for _, tt := range tests {
		got := Shard(files, tt.index, tt.count, tt.strategy)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Shard(%s, %d of %d) = %v, want %v", tt.strategy, tt.index, tt.count, got, tt.want)
		}
	}
	// Every strategy gives every file to exactly one shard.
	for _, strategy := range []string{"equal-distribution", "stability"} {
		var all []string
		for i := range 3 {
			all = append(all, Shard(files, i, 3, strategy)...)
		}
		slices.Sort(all)
		if fmt.Sprint(all) != "[a.js b.js c.js d.js e.js]" {
			t.Errorf("%s: shards together hold %v", strategy, all)
		}
	}
	// stability: adding a file moves no other file.
	many := make([]string, 200)
	for i := range many {
		many[i] = fmt.Sprintf("test_%03d.py", i)
	}
	owner := func(fs []string) map[string]int {
		m := map[string]int{}
		for i := range 4 {
			for _, f := range Shard(fs, i, 4, "stability") {
				m[f] = i
			}
		}
		return m
	}
	before, after := owner(many), owner(append(slices.Clone(many), "test_new.py"))
	for f, s := range before {
		if after[f] != s {
			t.Errorf("stability moved %s from shard %d to %d when a file was added", f, s, after[f])
		}
	}
}
