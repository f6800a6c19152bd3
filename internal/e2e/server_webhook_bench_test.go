package e2e_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
)

// The webhook target: a delivery answered and its build's first command
// running within 100 ms.

// BenchmarkWebhookFirstCommand measures a signed GitHub push delivery,
// from its POST to the answer and to the first buildspec command of the
// build it starts running; the build clones a file:// repository at the
// pushed commit first. The command writes the time it starts, in
// nanoseconds, to a file.
func BenchmarkWebhookFirstCommand(b *testing.B) {
	srv := startServer(b)
	cb := srv.codebuild()
	marks := b.TempDir()
	repo := newForgeRepo(b, "version: 0.2\nphases:\n  build:\n    commands:\n      - date +%s%N > "+marks+"/$CODEBUILD_BUILD_NUMBER\n")
	createHookProject(b, cb, "bench", repo.url, cbtypes.SourceTypeGithub)
	ctx := context.Background()
	out, err := cb.CreateWebhook(ctx, &codebuild.CreateWebhookInput{ProjectName: aws.String("bench"),
		FilterGroups: [][]cbtypes.WebhookFilter{{{Type: cbtypes.WebhookFilterTypeEvent, Pattern: aws.String("PUSH")},
			{Type: cbtypes.WebhookFilterTypeHeadRef, Pattern: aws.String("^refs/heads/main$")}}}})
	if err != nil {
		b.Fatal(err)
	}
	url, secret := aws.ToString(out.Webhook.PayloadUrl), aws.ToString(out.Webhook.Secret)
	body := repo.payload(b, "github_push.json")
	n := 0
	benchFirstCommand(b, cb, marks, func() string {
		n++
		code, a := deliver(b, url, delivery{forge: "github", event: "push", id: "bench-" + strconv.Itoa(n), body: body, secret: secret})
		if code != http.StatusAccepted {
			b.Fatalf("delivery: %d %+v", code, a)
		}
		return a.Build
	})
}

// BenchmarkGitSourceFirstCommand is BenchmarkWebhookFirstCommand with
// StartBuild at the commit instead of a delivery: what the same build
// takes without the webhook.
func BenchmarkGitSourceFirstCommand(b *testing.B) {
	srv := startServer(b)
	cb := srv.codebuild()
	marks := b.TempDir()
	repo := newForgeRepo(b, "version: 0.2\nphases:\n  build:\n    commands:\n      - date +%s%N > "+marks+"/$CODEBUILD_BUILD_NUMBER\n")
	createHookProject(b, cb, "bench", repo.url, cbtypes.SourceTypeGithub)
	benchFirstCommand(b, cb, marks, func() string {
		out, err := cb.StartBuild(context.Background(), &codebuild.StartBuildInput{ProjectName: aws.String("bench"), SourceVersion: aws.String(repo.push)})
		if err != nil {
			b.Fatal(err)
		}
		return aws.ToString(out.Build.Id)
	})
}

// benchFirstCommand times start, which starts a build whose first
// command writes the time to marks/<build number>, to its answer and to
// that command.
func benchFirstCommand(b *testing.B, cb *codebuild.Client, marks string, start func() string) {
	ctx := context.Background()
	var answer, first []time.Duration
	for b.Loop() {
		t0 := time.Now()
		id := start()
		answer = append(answer, time.Since(t0))
		bs, err := cb.BatchGetBuilds(ctx, &codebuild.BatchGetBuildsInput{Ids: []string{id}})
		if err != nil || len(bs.Builds) != 1 {
			b.Fatal(err)
		}
		mark := filepath.Join(marks, strconv.FormatInt(aws.ToInt64(bs.Builds[0].BuildNumber), 10))
		var data []byte
		deadline := time.Now().Add(time.Minute)
		for {
			if data, err = os.ReadFile(mark); err == nil && len(data) > 0 && data[len(data)-1] == '\n' {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("no first command of %s", id)
			}
			time.Sleep(200 * time.Microsecond)
		}
		ns, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		first = append(first, time.Unix(0, ns).Sub(t0))
		waitBuild(b, cb, id, time.Minute)
	}
	slices.Sort(answer)
	slices.Sort(first)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(answer[len(answer)/2]), "ms-to-answer(median)")
	b.ReportMetric(ms(first[len(first)/2]), "ms-to-first-command(median)")
	b.ReportMetric(ms(first[len(first)*95/100]), "ms-to-first-command(p95)")
	b.ReportMetric(ms(first[len(first)-1]), "ms-to-first-command(max)")
}
