package cli

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
)

// BenchmarkBatchGetBuilds serves signed BatchGetBuilds requests from the
// SDK client in process, for profiling the request path (the end-to-end
// number comes from internal/e2e's BenchmarkServerBatchGetBuilds).
func BenchmarkBatchGetBuilds(b *testing.B) {
	hs, srv, key := testServer(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.svc.Run(ctx)
	c := codebuild.New(codebuild.Options{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL), Credentials: credentials.NewStaticCredentialsProvider(key.id, key.secret, "")})
	_, err := c.CreateProject(ctx, &codebuild.CreateProjectInput{
		Name: aws.String("pp"), Source: &cbtypes.ProjectSource{Type: cbtypes.SourceTypeNoSource, Buildspec: aws.String("version: 0.2\nphases:\n  build:\n    commands:\n      - echo hi\n")},
		Artifacts:   &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
		Environment: &cbtypes.ProjectEnvironment{Type: cbtypes.EnvironmentTypeLinuxContainer, Image: aws.String("i"), ComputeType: cbtypes.ComputeTypeBuildGeneral1Small},
		ServiceRole: aws.String("r"),
	})
	if err != nil {
		b.Fatal(err)
	}
	out, err := c.StartBuild(ctx, &codebuild.StartBuildInput{ProjectName: aws.String("pp")})
	if err != nil {
		b.Fatal(err)
	}
	id := aws.ToString(out.Build.Id)
	for {
		got, err := c.BatchGetBuilds(ctx, &codebuild.BatchGetBuildsInput{Ids: []string{id}})
		if err != nil {
			b.Fatal(err)
		}
		if got.Builds[0].BuildComplete {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.BatchGetBuilds(ctx, &codebuild.BatchGetBuildsInput{Ids: []string{id}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "requests/s")
}
