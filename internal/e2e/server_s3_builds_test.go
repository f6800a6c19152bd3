package e2e_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codebuild"
	cbtypes "github.com/aws/aws-sdk-go-v2/service/codebuild/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// createBuckets makes buckets in the server's S3 store.
func createBuckets(t *testing.T, c *s3.Client, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(n)}); err != nil {
			t.Fatalf("CreateBucket(%s): %v", n, err)
		}
	}
}

// putObject stores an object through the SDK.
func putObject(t *testing.T, c *s3.Client, bucket, key string, body []byte) {
	t.Helper()
	if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("PutObject(%s/%s): %v", bucket, key, err)
	}
}

// zipOf returns a ZIP file holding files, by name; a name ending in .sh
// is executable.
func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o644)
		if strings.HasSuffix(name, ".sh") {
			h.SetMode(0o755)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, content)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// startAndWait starts a build and waits for its end.
func startAndWait(t *testing.T, cb *codebuild.Client, in *codebuild.StartBuildInput) cbtypes.Build {
	t.Helper()
	sb, err := cb.StartBuild(t.Context(), in)
	if err != nil {
		t.Fatalf("StartBuild(%s): %v", aws.ToString(in.ProjectName), err)
	}
	return waitBuild(t, cb, aws.ToString(sb.Build.Id), time.Minute)
}

// phaseContext returns a phase's status and its first context.
func phaseContext(b cbtypes.Build, typ cbtypes.BuildPhaseType) (status, code, msg string) {
	p := phase(b, typ)
	if p == nil {
		return "", "", ""
	}
	if len(p.Contexts) > 0 {
		code, msg = aws.ToString(p.Contexts[0].StatusCode), aws.ToString(p.Contexts[0].Message)
	}
	return string(p.PhaseStatus), code, msg
}

var hostEnv = &cbtypes.ProjectEnvironment{Type: cbtypes.EnvironmentTypeLinuxContainer, Image: aws.String("aws/codebuild/standard:7.0"), ComputeType: cbtypes.ComputeTypeBuildGeneral1Small}

// TestServerS3Artifacts builds a project whose artifacts are of type S3 and
// reads them back from the server's S3 store with the SDK and the aws CLI:
// a ZIP file below the buildspec's s3-prefix and the build id, a secondary
// artifact of packaging NONE in its own bucket, a folder of files from an
// artifacts override, each object with the build's ARN as metadata; and an
// artifact bucket that does not exist.
func TestServerS3Artifacts(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := context.Background()
	cb, s3c := srv.codebuild(), srv.s3()
	createBuckets(t, s3c, "art-zip", "art-files", "art-second")
	spec := `version: 0.2
phases:
  build:
    commands:
      - mkdir -p out/sub
      - echo hello > out/a.txt
      - echo '{"x":1}' > out/sub/b.json
      - echo lib > lib.txt
artifacts:
  files: ['**/*']
  base-directory: out
  s3-prefix: pre
  secondary-artifacts:
    second:
      files: [lib.txt]
`
	_, err := cb.CreateProject(ctx, &codebuild.CreateProjectInput{
		Name:   aws.String("arts"),
		Source: &cbtypes.ProjectSource{Type: cbtypes.SourceTypeNoSource, Buildspec: aws.String(spec)},
		Artifacts: &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeS3, Location: aws.String("art-zip"), Path: aws.String("builds"),
			NamespaceType: cbtypes.ArtifactNamespaceBuildId, Name: aws.String("app.zip"), Packaging: cbtypes.ArtifactPackagingZip},
		SecondaryArtifacts: []cbtypes.ProjectArtifacts{{Type: cbtypes.ArtifactsTypeS3, Location: aws.String("art-second"), ArtifactIdentifier: aws.String("second"),
			Path: aws.String("p"), Name: aws.String("lib"), Packaging: cbtypes.ArtifactPackagingNone}},
		Environment: hostEnv,
		ServiceRole: aws.String("r"),
	})
	if err != nil {
		t.Fatalf("CreateProject: %v", err)
	}

	b := startAndWait(t, cb, &codebuild.StartBuildInput{ProjectName: aws.String("arts")})
	if b.BuildStatus != cbtypes.StatusTypeSucceeded {
		t.Fatalf("build: %s\n%s", b.BuildStatus, logText(t, srv.logs(), b))
	}
	_, uuid, _ := strings.Cut(aws.ToString(b.Id), ":")
	zipKey := "pre/" + uuid + "/app.zip"
	if got, want := aws.ToString(b.Artifacts.Location), "arn:aws:s3:::art-zip/"+zipKey; got != want {
		t.Errorf("artifacts location = %s, want %s", got, want)
	}
	if len(b.SecondaryArtifacts) != 1 || aws.ToString(b.SecondaryArtifacts[0].Location) != "arn:aws:s3:::art-second/p/lib" {
		t.Errorf("secondary artifacts = %+v, want second at arn:aws:s3:::art-second/p/lib", b.SecondaryArtifacts)
	}
	head, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("art-zip"), Key: aws.String(zipKey)})
	if err != nil {
		t.Fatalf("HeadObject(%s): %v", zipKey, err)
	}
	if got := head.Metadata["codebuild-buildarn"]; got != aws.ToString(b.Arn) {
		t.Errorf("ZIP metadata codebuild-buildarn = %q, want %q (all: %v)", got, aws.ToString(b.Arn), head.Metadata)
	}
	if got := aws.ToString(head.ContentType); got != "application/zip" {
		t.Errorf("ZIP content type = %q, want application/zip", got)
	}
	obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("art-zip"), Key: aws.String(zipKey)})
	if err != nil {
		t.Fatalf("GetObject(%s): %v", zipKey, err)
	}
	data, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != aws.ToString(b.Artifacts.Sha256sum) {
		t.Errorf("ZIP sha256 = %x, build reports %s", sum, aws.ToString(b.Artifacts.Sha256sum))
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("the artifact is no ZIP file: %v", err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if !slices.Contains(names, "a.txt") || !slices.Contains(names, "sub/b.json") {
		t.Errorf("ZIP entries = %v, want a.txt and sub/b.json", names)
	}
	lib, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("art-second"), Key: aws.String("p/lib/lib.txt")})
	if err != nil {
		t.Fatalf("GetObject(p/lib/lib.txt): %v", err)
	}
	body, _ := io.ReadAll(lib.Body)
	lib.Body.Close()
	if string(body) != "lib\n" || lib.Metadata["codebuild-buildarn"] != aws.ToString(b.Arn) {
		t.Errorf("secondary artifact object = %q with metadata %v, want \"lib\\n\" with the build ARN", body, lib.Metadata)
	}

	// Packaging NONE, no namespace, through an override: one object per file.
	nb := startAndWait(t, cb, &codebuild.StartBuildInput{ProjectName: aws.String("arts"),
		ArtifactsOverride: &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeS3, Location: aws.String("art-files"), Name: aws.String("files"),
			NamespaceType: cbtypes.ArtifactNamespaceNone, Packaging: cbtypes.ArtifactPackagingNone}})
	if nb.BuildStatus != cbtypes.StatusTypeSucceeded {
		t.Fatalf("NONE build: %s\n%s", nb.BuildStatus, logText(t, srv.logs(), nb))
	}
	if got := aws.ToString(nb.Artifacts.Location); got != "arn:aws:s3:::art-files/files" {
		t.Errorf("NONE artifacts location = %s, want arn:aws:s3:::art-files/files", got)
	}
	jh, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("art-files"), Key: aws.String("files/sub/b.json")})
	if err != nil {
		t.Fatalf("HeadObject(files/sub/b.json): %v", err)
	}
	if aws.ToString(jh.ContentType) != "application/json" || jh.Metadata["codebuild-buildarn"] != aws.ToString(nb.Arn) {
		t.Errorf("files/sub/b.json: content type %q, metadata %v; want application/json and the build ARN", aws.ToString(jh.ContentType), jh.Metadata)
	}

	// The same objects through the aws CLI.
	if _, err := exec.LookPath("aws"); err == nil {
		out, err := awsCLI(t, srv, "s3", "ls", "--recursive", "s3://art-files/")
		if err != nil || !strings.Contains(out, "files/a.txt") || !strings.Contains(out, "files/sub/b.json") {
			t.Errorf("aws s3 ls --recursive s3://art-files/: %v\n%s", err, out)
		}
		out, err = awsCLI(t, srv, "s3", "ls", "--recursive", "s3://art-zip/")
		if err != nil || !strings.Contains(out, zipKey) {
			t.Errorf("aws s3 ls --recursive s3://art-zip/: %v\n%s, want %s", err, out, zipKey)
		}
		dst := filepath.Join(t.TempDir(), "app.zip")
		if out, err := awsCLI(t, srv, "s3", "cp", "s3://art-zip/"+zipKey, dst); err != nil {
			t.Errorf("aws s3 cp: %v\n%s", err, out)
		} else if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
			t.Errorf("aws s3 cp fetched %d bytes, want the %d of the artifact", len(got), len(data))
		}
		out, err = awsCLI(t, srv, "s3api", "head-object", "--bucket", "art-zip", "--key", zipKey)
		if err != nil || !strings.Contains(out, `"codebuild-buildarn": "`+aws.ToString(b.Arn)+`"`) {
			t.Errorf("aws s3api head-object: %v\n%s, want the build ARN in its metadata", err, out)
		}
	} else {
		t.Log("the aws CLI is not installed: its part is skipped")
	}

	// An artifact bucket that does not exist.
	fb := startAndWait(t, cb, &codebuild.StartBuildInput{ProjectName: aws.String("arts"),
		ArtifactsOverride: &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeS3, Location: aws.String("no-such-bucket"), Name: aws.String("x.zip"), Packaging: cbtypes.ArtifactPackagingZip}})
	st, code, msg := phaseContext(fb, cbtypes.BuildPhaseTypeUploadArtifacts)
	if fb.BuildStatus != cbtypes.StatusTypeFailed || st != "FAILED" || code != "CLIENT_ERROR" || !strings.HasPrefix(msg, "NoSuchBucket: The specified bucket does not exist") {
		t.Errorf("missing bucket: build %s, UPLOAD_ARTIFACTS %s %s %q; want FAILED, FAILED CLIENT_ERROR NoSuchBucket", fb.BuildStatus, st, code, msg)
	}
}

// TestServerS3Sources builds from a ZIP file and from a folder in the
// server's S3 store, with a secondary S3 source, and checks the failures
// of a missing object, a missing bucket and a source version.
func TestServerS3Sources(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := context.Background()
	cb, s3c := srv.codebuild(), srv.s3()
	createBuckets(t, s3c, "sources")
	zipSpec := `version: 0.2
phases:
  build:
    commands:
      - echo "url=$CODEBUILD_SOURCE_REPO_URL version=$CODEBUILD_SOURCE_VERSION"
      - cat hello.txt
      - ./bin/run.sh
      - cat "$CODEBUILD_SRC_DIR_tree/sub/data.txt"
`
	putObject(t, s3c, "sources", "app/src.zip", zipOf(t, map[string]string{
		"buildspec.yml": zipSpec, "hello.txt": "hello from the zip\n", "bin/run.sh": "#!/bin/sh\necho ran the script\n",
	}))
	treeSpec := "version: 0.2\nphases:\n  build:\n    commands:\n      - cat sub/data.txt\n      - echo \"url=$CODEBUILD_SOURCE_REPO_URL\"\n"
	putObject(t, s3c, "sources", "tree/", nil) // a folder object, as the console makes
	putObject(t, s3c, "sources", "tree/buildspec.yml", []byte(treeSpec))
	putObject(t, s3c, "sources", "tree/sub/data.txt", []byte("data from the folder\n"))
	putObject(t, s3c, "sources", "treeish", []byte("not in the folder\n"))

	_, err := cb.CreateProject(ctx, &codebuild.CreateProjectInput{
		Name:             aws.String("zipsrc"),
		Source:           &cbtypes.ProjectSource{Type: cbtypes.SourceTypeS3, Location: aws.String("sources/app/src.zip")},
		SecondarySources: []cbtypes.ProjectSource{{Type: cbtypes.SourceTypeS3, Location: aws.String("sources/tree/"), SourceIdentifier: aws.String("tree")}},
		Artifacts:        &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
		Environment:      hostEnv,
		ServiceRole:      aws.String("r"),
	})
	if err != nil {
		t.Fatalf("CreateProject(zipsrc): %v", err)
	}
	_, err = cb.CreateProject(ctx, &codebuild.CreateProjectInput{
		Name:        aws.String("foldersrc"),
		Source:      &cbtypes.ProjectSource{Type: cbtypes.SourceTypeS3, Location: aws.String("sources/tree/")},
		Artifacts:   &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
		Environment: hostEnv,
		ServiceRole: aws.String("r"),
	})
	if err != nil {
		t.Fatalf("CreateProject(foldersrc): %v", err)
	}

	zb := startAndWait(t, cb, &codebuild.StartBuildInput{ProjectName: aws.String("zipsrc")})
	log := logText(t, srv.logs(), zb)
	if zb.BuildStatus != cbtypes.StatusTypeSucceeded {
		t.Fatalf("zip build: %s\n%s", zb.BuildStatus, log)
	}
	for _, want := range []string{"url=s3://sources/app/src.zip version=arn:aws:s3:::sources/app/src.zip", "hello from the zip", "ran the script", "data from the folder"} {
		if !strings.Contains(log, want) {
			t.Errorf("zip build's log lacks %q:\n%s", want, log)
		}
	}

	fb := startAndWait(t, cb, &codebuild.StartBuildInput{ProjectName: aws.String("foldersrc")})
	log = logText(t, srv.logs(), fb)
	if fb.BuildStatus != cbtypes.StatusTypeSucceeded {
		t.Fatalf("folder build: %s\n%s", fb.BuildStatus, log)
	}
	if !strings.Contains(log, "data from the folder") || !strings.Contains(log, "url=s3://sources/tree") {
		t.Errorf("folder build's log lacks the folder's file or its URL:\n%s", log)
	}

	// "null" is the version of every object of an unversioned bucket.
	if nb := startAndWait(t, cb, &codebuild.StartBuildInput{ProjectName: aws.String("zipsrc"), SourceVersion: aws.String("null")}); nb.BuildStatus != cbtypes.StatusTypeSucceeded {
		t.Errorf("build at version null: %s", nb.BuildStatus)
	}

	for _, tt := range []struct {
		name string
		in   *codebuild.StartBuildInput
		want string
	}{
		{"missing object", &codebuild.StartBuildInput{ProjectName: aws.String("zipsrc"), SourceLocationOverride: aws.String("sources/app/missing.zip")},
			"NoSuchKey: The specified key does not exist.\n\tstatus code: 404 for primary source and source version arn:aws:s3:::sources/app/missing.zip"},
		{"missing bucket", &codebuild.StartBuildInput{ProjectName: aws.String("zipsrc"), SourceLocationOverride: aws.String("no-such-bucket/src.zip")},
			"NoSuchBucket: The specified bucket does not exist\n\tstatus code: 404 for primary source and source version arn:aws:s3:::no-such-bucket/src.zip"},
		{"object version", &codebuild.StartBuildInput{ProjectName: aws.String("zipsrc"), SourceVersion: aws.String("3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY")},
			"NoSuchVersion: The specified version does not exist."},
		{"version of a folder", &codebuild.StartBuildInput{ProjectName: aws.String("foldersrc"), SourceVersion: aws.String("v1")},
			"Source version should be empty for S3 folder source location for primary source and source version v1"},
		{"missing secondary object", &codebuild.StartBuildInput{ProjectName: aws.String("zipsrc"),
			SecondarySourcesOverride: []cbtypes.ProjectSource{{Type: cbtypes.SourceTypeS3, Location: aws.String("sources/gone.zip"), SourceIdentifier: aws.String("tree")}}},
			"NoSuchKey: The specified key does not exist.\n\tstatus code: 404 for secondary source tree and source version arn:aws:s3:::sources/gone.zip"},
	} {
		b := startAndWait(t, cb, tt.in)
		st, code, msg := phaseContext(b, cbtypes.BuildPhaseTypeDownloadSource)
		if b.BuildStatus != cbtypes.StatusTypeFailed || st != "FAILED" || code != "CLIENT_ERROR" || !strings.HasPrefix(msg, tt.want) {
			t.Errorf("%s: build %s, DOWNLOAD_SOURCE %s %s %q; want FAILED, FAILED CLIENT_ERROR %q", tt.name, b.BuildStatus, st, code, msg, tt.want)
		}
	}
}

// TestServerS3Cache runs two builds of a project whose cache is of type
// S3: the first saves its cache as an object below the cache location,
// the second restores it.
func TestServerS3Cache(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	ctx := context.Background()
	cb, s3c := srv.codebuild(), srv.s3()
	createBuckets(t, s3c, "build-cache")
	spec := `version: 0.2
phases:
  build:
    commands:
      - 'mkdir -p deps && if [ -f deps/cached.txt ]; then echo "cache hit: $(cat deps/cached.txt)"; else echo "cache miss"; echo "from build $CODEBUILD_BUILD_NUMBER" > deps/cached.txt; fi'
cache:
  paths:
    - deps/**/*
`
	_, err := cb.CreateProject(ctx, &codebuild.CreateProjectInput{
		Name:        aws.String("s3cache"),
		Source:      &cbtypes.ProjectSource{Type: cbtypes.SourceTypeNoSource, Buildspec: aws.String(spec)},
		Artifacts:   &cbtypes.ProjectArtifacts{Type: cbtypes.ArtifactsTypeNoArtifacts},
		Cache:       &cbtypes.ProjectCache{Type: cbtypes.CacheTypeS3, Location: aws.String("build-cache/proj")},
		Environment: hostEnv,
		ServiceRole: aws.String("r"),
	})
	if err != nil {
		t.Fatalf("CreateProject: %v", err)
	}
	var logs []string
	for i := range 2 {
		b := startAndWait(t, cb, &codebuild.StartBuildInput{ProjectName: aws.String("s3cache")})
		log := logText(t, srv.logs(), b)
		if b.BuildStatus != cbtypes.StatusTypeSucceeded {
			t.Fatalf("build %d: %s\n%s", i+1, b.BuildStatus, log)
		}
		logs = append(logs, log)
		if i == 0 {
			l, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("build-cache"), Prefix: aws.String("proj/")})
			if err != nil || len(l.Contents) != 1 || !strings.HasSuffix(aws.ToString(l.Contents[0].Key), ".cache") {
				t.Errorf("objects below build-cache/proj/ after the first build: %v, %+v; want one .cache entry", err, l)
			}
		}
	}
	if !strings.Contains(logs[0], "cache miss") {
		t.Errorf("first build did not miss:\n%s", logs[0])
	}
	if !strings.Contains(logs[1], "cache hit: from build 1") {
		t.Errorf("second build did not restore the S3 cache:\n%s", logs[1])
	}
}

// TestCLIBuildS3Source runs `codeyard build --source s3://...` against a
// server: the ZIP file is fetched through the S3 API with the AWS_*
// credentials and built on this machine.
func TestCLIBuildS3Source(t *testing.T) {
	t.Parallel()
	srv := startServer(t)
	s3c := srv.s3()
	createBuckets(t, s3c, "cli-src")
	spec := "version: 0.2\nphases:\n  build:\n    commands:\n      - echo \"url=$CODEBUILD_SOURCE_REPO_URL version=$CODEBUILD_SOURCE_VERSION\"\n      - cat hello.txt\n"
	putObject(t, s3c, "cli-src", "app.zip", zipOf(t, map[string]string{"buildspec.yml": spec, "hello.txt": "hello from s3\n"}))
	home := t.TempDir()
	run := func(args ...string) result {
		t.Helper()
		cmd := exec.Command(binary, args...)
		cmd.Env = append(os.Environ(), "CODEYARD_HOME="+home, "AWS_ENDPOINT_URL="+srv.endpoint,
			"AWS_ACCESS_KEY_ID="+srv.keyID, "AWS_SECRET_ACCESS_KEY="+srv.secret, "AWS_SESSION_TOKEN=")
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("run codeyard: %v", err)
		}
		return result{code, out.String(), errOut.String()}
	}
	r := run("build", "--source", "s3://cli-src/app.zip")
	if r.code != 0 || !strings.Contains(r.stdout, "url=s3://cli-src/app.zip version=arn:aws:s3:::cli-src/app.zip") || !strings.Contains(r.stdout, "hello from s3") {
		t.Errorf("codeyard build --source s3://cli-src/app.zip: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	r = run("build", "--source", "s3://cli-src/missing.zip")
	if r.code == 0 || !strings.Contains(r.stderr, "NoSuchKey") {
		t.Errorf("codeyard build --source of a missing object: exit %d, stderr:\n%s\nwant a failure naming NoSuchKey", r.code, r.stderr)
	}

	// A versioned bucket: --source-version picks the older ZIP file.
	createBuckets(t, s3c, "cli-ver")
	if _, err := s3c.PutBucketVersioning(t.Context(), &s3.PutBucketVersioningInput{Bucket: aws.String("cli-ver"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range []string{"one", "two"} {
		out, err := s3c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("cli-ver"), Key: aws.String("app.zip"),
			Body: bytes.NewReader(zipOf(t, map[string]string{"buildspec.yml": spec, "hello.txt": "hello " + v + "\n"}))})
		if err != nil || aws.ToString(out.VersionId) == "" {
			t.Fatalf("PutObject to a versioned bucket: %v, version %q", err, aws.ToString(out.VersionId))
		}
		ids = append(ids, aws.ToString(out.VersionId))
	}
	r = run("build", "--source", "s3://cli-ver/app.zip", "--source-version", ids[0])
	if r.code != 0 || !strings.Contains(r.stdout, "version="+ids[0]+"\n") || !strings.Contains(r.stdout, "\nhello one\n") {
		t.Errorf("codeyard build --source-version %s: exit %d\nstdout:\n%s\nstderr:\n%s", ids[0], r.code, r.stdout, r.stderr)
	}
	r = run("build", "--source", "s3://cli-ver/app.zip")
	if r.code != 0 || !strings.Contains(r.stdout, "\nhello two\n") {
		t.Errorf("codeyard build of the latest version: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	missing := strings.Repeat("0", 31) + "1"
	r = run("build", "--source", "s3://cli-ver/app.zip", "--source-version", missing)
	if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "NoSuchVersion") {
		t.Errorf("codeyard build --source-version of a missing version: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}
