package store_test

import (
	"slices"
	"sync/atomic"
	"testing"

	"github.com/codeyard/codeyard/internal/codebuild"
)

// BenchmarkBuilds looks up one build at a time, as BatchGetBuilds of one
// id does, from parallel readers.
func BenchmarkBuilds(b *testing.B) {
	s := open(b)
	createProjects(b, s, project("p", t0, t0))
	const n = 1000
	ids := createBuilds(b, s, nil, slices.Repeat([]string{"p"}, n)...)
	var next atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := ids[next.Add(1)%n]
			got, err := s.Builds(b.Context(), []string{id})
			if err != nil || len(got) != 1 {
				b.Errorf("Builds(%s) = %d builds, %v", id, len(got), err)
				return
			}
		}
	})
}

// BenchmarkCreateBuild creates queued builds in one project, one at a
// time and from parallel callers (who wait for the one writer).
func BenchmarkCreateBuild(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		s := open(b)
		createProjects(b, s, project("p", t0, t0))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.CreateBuild(b.Context(), "p", &codebuild.Queue{}, makeBuild("p")); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		s := open(b)
		createProjects(b, s, project("p", t0, t0))
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.CreateBuild(b.Context(), "p", &codebuild.Queue{}, makeBuild("p")); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
