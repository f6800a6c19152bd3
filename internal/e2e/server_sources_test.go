package e2e_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestServerSecondarySourcesAndCache builds a project with a secondary
// git source, secondary artifacts and a LOCAL cache: the secondary source
// is at CODEBUILD_SRC_DIR_<id>, each artifact lands in its own bucket, and
// the second build restores what the first cached.
func TestServerSecondarySourcesAndCache(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := context.Background()
	cb := srv.codebuild()
	spec := `version: 0.2
phases:
  build:
    commands:
      - cat "$CODEBUILD_SRC_DIR_lib/lib.txt"
      - test -f "$CODEBUILD_SRC_DIR/buildspec.yml"
      - 'mkdir -p deps && if [ -f deps/cached.txt ]; then echo "cache hit: $(cat deps/cached.txt)"; else echo "cache miss"; echo "from build $CODEBUILD_BUILD_NUMBER" > deps/cached.txt; fi'
      - echo main > main.txt
cache:
  paths:
    - deps/**/*
artifacts:
  files: [main.txt]
  secondary-artifacts:
    lib_out:
      files: [lib.txt]
      base-directory: $CODEBUILD_SRC_DIR_lib
`
	mainRepo, _ := gitRepo(t, map[string]string{"buildspec.yml": spec})
	libRepo, libCommit := gitRepo(t, map[string]string{"lib.txt": "library source\n"})
	for _, b := range []string{"main-bucket", "lib-bucket"} {
		if _, err := srv.s3().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("CreateBucket(%s): %v", b, err)
		}
	}
	_, err := cb.CreateProject(ctx, &codebuild.CreateProjectInput{
		Name:             aws.String("multi"),
		Source:           &cbtypes.ProjectSource{Type: cbtypes.SourceTypeGitlab, Location: aws.String(mainRepo)},
		SecondarySources: []cbtypes.ProjectSource{{Type: cbtypes.SourceTypeBitbucket, Location: aws.String(libRepo), SourceIdentifier: aws.String("lib")}},
		Artifacts:        &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeS3, Location: aws.String("main-bucket"), Name: aws.String("main")},
		SecondaryArtifacts: []cbtypes.ProjectArtifacts{{Type: cbtypes.ArtifactsTypeS3, Location: aws.String("lib-bucket"),
			ArtifactIdentifier: aws.String("lib_out"), Name: aws.String("lib")}},
		Cache:       &cbtypes.ProjectCache{Type: cbtypes.CacheTypeLocal, Modes: []cbtypes.CacheMode{cbtypes.CacheModeLocalCustomCache}},
		Environment: &cbtypes.ProjectEnvironment{Type: cbtypes.EnvironmentTypeLinuxContainer, Image: aws.String("aws/codebuild/standard:7.0"), ComputeType: cbtypes.ComputeTypeBuildGeneral1Small},
		ServiceRole: aws.String("r"),
	})
	if err != nil {
		t.Fatalf("CreateProject: %v", err)
	}
	var logs []string
	for i := range 2 {
		sb, err := cb.StartBuild(ctx, &codebuild.StartBuildInput{ProjectName: aws.String("multi"),
			SecondarySourcesVersionOverride: []cbtypes.ProjectSourceVersion{{SourceIdentifier: aws.String("lib"), SourceVersion: aws.String(libCommit)}}})
		if err != nil {
			t.Fatalf("StartBuild %d: %v", i, err)
		}
		b := waitBuild(t, cb, aws.ToString(sb.Build.Id), time.Minute)
		log := logText(t, srv.logs(), b)
		logs = append(logs, log)
		if b.BuildStatus != cbtypes.StatusTypeSucceeded {
			t.Fatalf("build %d: %s\n%s", i, b.BuildStatus, log)
		}
		if i == 0 {
			if b.Artifacts == nil || aws.ToString(b.Artifacts.Location) != "arn:aws:s3:::main-bucket/main" {
				t.Errorf("primary artifact = %+v, want arn:aws:s3:::main-bucket/main", b.Artifacts)
			}
			if len(b.SecondaryArtifacts) != 1 || aws.ToString(b.SecondaryArtifacts[0].Location) != "arn:aws:s3:::lib-bucket/lib" ||
				aws.ToString(b.SecondaryArtifacts[0].ArtifactIdentifier) != "lib_out" {
				t.Errorf("secondary artifacts = %+v, want lib_out at arn:aws:s3:::lib-bucket/lib", b.SecondaryArtifacts)
			}
		}
	}
	if !strings.Contains(logs[0], "library source") || !strings.Contains(logs[0], "cache miss") {
		t.Errorf("first build's log lacks the secondary source or the cache miss:\n%s", logs[0])
	}
	if !strings.Contains(logs[1], "cache hit: from build 1") {
		t.Errorf("second build did not restore the cache:\n%s", logs[1])
	}
}
