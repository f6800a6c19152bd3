package e2e_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
)

// The server's targets, measured (bench/server runs these):
//   - StartBuild answered to the first buildspec command running: ≤ 50 ms;
//   - 100 StartBuild calls at once, all SUCCEEDED: ≤ 3 s;
//   - BatchGetBuilds from 8 concurrent clients: ≥ 3,000 signed requests/s;
//   - an idle server: ≤ 60 MB of memory.

// BenchmarkServerFirstCommand measures the time from StartBuild's answer
// to the first buildspec command running: the command writes the time it
// starts, in nanoseconds, to a file.
func BenchmarkServerFirstCommand(b *testing.B) {
	srv := startServer(b)
	cb := srv.codebuild()
	marks := b.TempDir()
	noSourceProject(b, cb, "first", "version: 0.2\nphases:\n  build:\n    commands:\n      - date +%s%N > "+marks+"/$CODEBUILD_BUILD_NUMBER\n", 0)
	ctx := context.Background()
	var lat []time.Duration
	for b.Loop() {
		out, err := cb.StartBuild(ctx, &codebuild.StartBuildInput{ProjectName: aws.String("first")})
		answered := time.Now()
		if err != nil {
			b.Fatal(err)
		}
		mark := filepath.Join(marks, strconv.FormatInt(aws.ToInt64(out.Build.BuildNumber), 10))
		var data []byte
		for {
			if data, err = os.ReadFile(mark); err == nil && len(data) > 0 && data[len(data)-1] == '\n' {
				break
			}
			time.Sleep(200 * time.Microsecond)
		}
		ns, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Unix(0, ns).Sub(answered))
		waitBuild(b, cb, aws.ToString(out.Build.Id), time.Minute)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "ms-to-first-command(median)")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "ms-to-first-command(max)")
}

// BenchmarkServerHundredBuilds starts 100 trivial builds at once and
// waits for all of them to succeed.
func BenchmarkServerHundredBuilds(b *testing.B) {
	srv := startServer(b)
	cb := srv.codebuild()
	noSourceProject(b, cb, "hundred", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n", 0)
	ctx := context.Background()
	for b.Loop() {
		ids := make([]string, 100)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				out, err := cb.StartBuild(ctx, &codebuild.StartBuildInput{ProjectName: aws.String("hundred")})
				if err != nil {
					b.Error(err)
					return
				}
				ids[i] = aws.ToString(out.Build.Id)
			})
		}
		wg.Wait()
		pending := slices.Clone(ids)
		for len(pending) > 0 {
			out, err := cb.BatchGetBuilds(ctx, &codebuild.BatchGetBuildsInput{Ids: pending})
			if err != nil {
				b.Fatal(err)
			}
			pending = pending[:0]
			for _, bd := range out.Builds {
				switch {
				case !bd.BuildComplete:
					pending = append(pending, aws.ToString(bd.Id))
				case bd.BuildStatus != cbtypes.StatusTypeSucceeded:
					b.Fatalf("build %s: %s", aws.ToString(bd.Id), bd.BuildStatus)
				}
			}
			if len(out.BuildsNotFound) > 0 {
				b.Fatalf("builds lost: %v", out.BuildsNotFound)
			}
			if len(pending) > 0 {
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/100-builds")
}

// BenchmarkServerBatchGetBuilds sends signed BatchGetBuilds requests from
// 8 concurrent clients.
func BenchmarkServerBatchGetBuilds(b *testing.B) {
	srv := startServer(b)
	cb := srv.codebuild()
	noSourceProject(b, cb, "get", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n", 0)
	out, err := cb.StartBuild(context.Background(), &codebuild.StartBuildInput{ProjectName: aws.String("get")})
	if err != nil {
		b.Fatal(err)
	}
	id := aws.ToString(out.Build.Id)
	waitBuild(b, cb, id, time.Minute)
	clients := make(chan *codebuild.Client, 8)
	for range 8 {
		clients <- srv.codebuild()
	}
	b.SetParallelism((8 + 1) / 2) // 8 goroutines on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := <-clients
		for pb.Next() {
			got, err := c.BatchGetBuilds(context.Background(), &codebuild.BatchGetBuildsInput{Ids: []string{id}})
			if err != nil || len(got.Builds) != 1 {
				b.Errorf("BatchGetBuilds: %v", err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
}

// BenchmarkServerIdleMemory reports the resident memory of a server that
// has run a few builds and then sits idle.
func BenchmarkServerIdleMemory(b *testing.B) {
	srv := startServer(b)
	cb := srv.codebuild()
	noSourceProject(b, cb, "idle", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n", 0)
	for range 10 {
		out, err := cb.StartBuild(context.Background(), &codebuild.StartBuildInput{ProjectName: aws.String("idle")})
		if err != nil {
			b.Fatal(err)
		}
		waitBuild(b, cb, aws.ToString(out.Build.Id), time.Minute)
	}
	var rss float64
	for b.Loop() {
		time.Sleep(500 * time.Millisecond)
		rss = residentMB(b, srv.cmd.Process.Pid)
	}
	b.ReportMetric(rss, "idle-RSS-MB")
}

func residentMB(tb testing.TB, pid int) float64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		tb.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}
