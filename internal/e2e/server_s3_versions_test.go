package e2e_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
)

// TestServerS3Versions turns versioning on for a bucket with the aws CLI,
// writes an object twice, lists, reads and deletes its versions, survives
// a crash of the server with them, and builds a CodeBuild project whose
// S3 source is a ZIP file at its older version.
func TestServerS3Versions(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	dir := t.TempDir()
	run, fail := awsRunners(t, srv)
	jsonOf := func(out string, v any) {
		t.Helper()
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("%v in %s", err, out)
		}
	}
	run("s3", "mb", "s3://ver-bucket")
	if out := run("s3api", "get-bucket-versioning", "--bucket", "ver-bucket"); strings.TrimSpace(out) != "" {
		t.Errorf("get-bucket-versioning of a new bucket = %q", out)
	}
	if out := fail("s3api", "put-bucket-versioning", "--bucket", "ver-bucket", "--versioning-configuration", "Status=Enabled,MFADelete=Enabled", "--mfa", "arn:aws:iam::000000000000:mfa/root 123456"); !strings.Contains(out, "NotImplemented") {
		t.Errorf("put-bucket-versioning with MFA delete: %s", out)
	}
	run("s3api", "put-bucket-versioning", "--bucket", "ver-bucket", "--versioning-configuration", "Status=Enabled")
	if out := run("s3api", "get-bucket-versioning", "--bucket", "ver-bucket", "--query", "Status", "--output", "text"); strings.TrimSpace(out) != "Enabled" {
		t.Errorf("get-bucket-versioning = %q", out)
	}

	spec := "version: 0.2\nphases:\n  build:\n    commands:\n      - echo \"version=$CODEBUILD_SOURCE_VERSION\"\n      - cat release.txt\n"
	var ids []string
	for _, release := range []string{"release one", "release two"} {
		zp := filepath.Join(dir, "src.zip")
		os.WriteFile(zp, zipOf(t, map[string]string{"buildspec.yml": spec, "release.txt": release + "\n"}), 0o644)
		var put struct{ VersionId string }
		jsonOf(run("s3api", "put-object", "--bucket", "ver-bucket", "--key", "app/src.zip", "--body", zp), &put)
		if put.VersionId == "" {
			t.Fatalf("put-object answered no VersionId")
		}
		ids = append(ids, put.VersionId)
	}
	if ids[0] == ids[1] {
		t.Fatalf("two puts, one version id %s", ids[0])
	}

	type version struct {
		Key, VersionId string
		IsLatest       bool
		Size           int64
	}
	var listed struct {
		Versions      []version
		DeleteMarkers []version
	}
	jsonOf(run("s3api", "list-object-versions", "--bucket", "ver-bucket", "--prefix", "app/"), &listed)
	if len(listed.Versions) != 2 || listed.Versions[0].VersionId != ids[1] || !listed.Versions[0].IsLatest ||
		listed.Versions[1].VersionId != ids[0] || listed.Versions[1].IsLatest || len(listed.DeleteMarkers) != 0 {
		t.Errorf("list-object-versions = %+v, want %v latest first", listed, ids)
	}

	old := filepath.Join(dir, "old.zip")
	var got struct{ VersionId string }
	jsonOf(run("s3api", "get-object", "--bucket", "ver-bucket", "--key", "app/src.zip", "--version-id", ids[0], old), &got)
	if data, _ := os.ReadFile(old); got.VersionId != ids[0] || !strings.Contains(string(data), "release.txt") {
		t.Errorf("get-object --version-id %s: version %s, %d bytes", ids[0], got.VersionId, len(data))
	}
	if out := fail("s3api", "get-object", "--bucket", "ver-bucket", "--key", "app/src.zip", "--version-id", "0000000000000001ffffffffffffffff", old); !strings.Contains(out, "NoSuchVersion") {
		t.Errorf("get-object of a missing version: %s", out)
	}
	if out := fail("s3api", "get-object", "--bucket", "ver-bucket", "--key", "app/src.zip", "--version-id", "not-a-version", old); !strings.Contains(out, "InvalidArgument") {
		t.Errorf("get-object of a malformed version: %s", out)
	}

	// A delete marker hides the key, and its removal brings it back.
	run("s3api", "put-object", "--bucket", "ver-bucket", "--key", "doomed", "--body", old)
	var del struct {
		DeleteMarker bool
		VersionId    string
	}
	jsonOf(run("s3api", "delete-object", "--bucket", "ver-bucket", "--key", "doomed"), &del)
	if !del.DeleteMarker || del.VersionId == "" {
		t.Errorf("delete-object = %+v, want a delete marker", del)
	}
	if out := fail("s3api", "head-object", "--bucket", "ver-bucket", "--key", "doomed"); !strings.Contains(out, "404") {
		t.Errorf("head-object behind a delete marker: %s", out)
	}
	if out := fail("s3api", "get-object", "--bucket", "ver-bucket", "--key", "doomed", old); !strings.Contains(out, "NoSuchKey") {
		t.Errorf("get-object behind a delete marker: %s", out)
	}
	if out := run("s3", "ls", "s3://ver-bucket/"); strings.Contains(out, "doomed") {
		t.Errorf("ls shows a deleted key:\n%s", out)
	}
	listed.DeleteMarkers = nil
	jsonOf(run("s3api", "list-object-versions", "--bucket", "ver-bucket", "--prefix", "doomed"), &listed)
	if len(listed.DeleteMarkers) != 1 || listed.DeleteMarkers[0].VersionId != del.VersionId || !listed.DeleteMarkers[0].IsLatest {
		t.Errorf("list-object-versions after delete-object = %+v", listed)
	}

	// The versions survive a crash of the server.
	srv.kill9()
	srv.start()
	jsonOf(run("s3api", "list-object-versions", "--bucket", "ver-bucket", "--prefix", "app/"), &listed)
	if len(listed.Versions) != 2 || listed.Versions[0].VersionId != ids[1] {
		t.Errorf("list-object-versions after a restart = %+v", listed)
	}
	jsonOf(run("s3api", "delete-object", "--bucket", "ver-bucket", "--key", "doomed", "--version-id", del.VersionId), &del)
	if out := run("s3api", "head-object", "--bucket", "ver-bucket", "--key", "doomed"); !strings.Contains(out, "VersionId") {
		t.Errorf("head-object once the marker is gone: %s", out)
	}

	// A build at the older version of the ZIP file.
	cb := srv.codebuild()
	if _, err := cb.CreateProject(t.Context(), &codebuild.CreateProjectInput{
		Name:        aws.String("versioned"),
		Source:      &cbtypes.ProjectSource{Type: cbtypes.SourceTypeS3, Location: aws.String("ver-bucket/app/src.zip")},
		Artifacts:   &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
		Environment: hostEnv,
		ServiceRole: aws.String("r"),
	}); err != nil {
		t.Fatalf("CreateProject: %v", err)
	}
	b := startAndWait(t, cb, &codebuild.StartBuildInput{ProjectName: aws.String("versioned"), SourceVersion: aws.String(ids[0])})
	log := logText(t, srv.logs(), b)
	if b.BuildStatus != cbtypes.StatusTypeSucceeded {
		t.Fatalf("build at %s: %s\n%s", ids[0], b.BuildStatus, log)
	}
	if !strings.Contains(log, "version="+ids[0]) || !strings.Contains(log, "release one") || strings.Contains(log, "release two") {
		t.Errorf("build at the older version: log\n%s", log)
	}
	if aws.ToString(b.SourceVersion) != ids[0] || b.ResolvedSourceVersion != nil {
		t.Errorf("build's sourceVersion %q, resolvedSourceVersion %q; want %s and none, as CodeBuild for S3", aws.ToString(b.SourceVersion), aws.ToString(b.ResolvedSourceVersion), ids[0])
	}
	latest := startAndWait(t, cb, &codebuild.StartBuildInput{ProjectName: aws.String("versioned")})
	if log := logText(t, srv.logs(), latest); !strings.Contains(log, "release two") {
		t.Errorf("build without a version did not read the latest:\n%s", log)
	}
	b = startAndWait(t, cb, &codebuild.StartBuildInput{ProjectName: aws.String("versioned"), SourceVersion: aws.String("0000000000000001ffffffffffffffff")})
	st, code, msg := phaseContext(b, cbtypes.BuildPhaseTypeDownloadSource)
	want := "NoSuchVersion: The specified version does not exist.\n\tstatus code: 404 for primary source and source version 0000000000000001ffffffffffffffff"
	if b.BuildStatus != cbtypes.StatusTypeFailed || st != "FAILED" || code != "CLIENT_ERROR" || msg != want {
		t.Errorf("build at a missing version: %s, DOWNLOAD_SOURCE %s %s %q; want FAILED CLIENT_ERROR %q", b.BuildStatus, st, code, msg, want)
	}
}
