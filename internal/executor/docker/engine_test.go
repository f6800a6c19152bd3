package docker_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/cache"
	"github.com/codeyard/codeyard/internal/executor/docker"
)

// engineBuild runs a whole build of the inline buildspec spec in a
// container and returns it with its log.
func engineBuild(t *testing.T, x build.Executor, spec string, edit func(*build.Request)) (*build.Build, string) {
	t.Helper()
	scratch := t.TempDir()
	uuid := strconv.FormatInt(time.Now().UnixNano(), 10)
	req := &build.Request{
		UUID: uuid, Project: "p", Region: "us-east-1", Account: "123456789012",
		Image:     testImage(),
		Workspace: filepath.Join(scratch, "src"),
		SrcDir:    srcDir(""),
		Buildspec: spec,
		CacheRoot: filepath.Join(scratch, "root"),
	}
	os.MkdirAll(req.Workspace, 0o755)
	if edit != nil {
		edit(req)
	}
	var log bytes.Buffer
	b := build.NewEngine(x, nil).Run(t.Context(), req, &log)
	return b, log.String()
}

func TestAbsoluteCachePath(t *testing.T) {
	t.Parallel()
	x := engine(t, docker.Options{Network: "none"})
	store, err := cache.Open(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	withCache := func(r *build.Request) { r.Cache = store }
	// The first build fills /root/.m2 (and a file the image's /root had
	// nothing of); the second finds it there before INSTALL.
	first := `version: 0.2
phases:
  build:
    commands:
      - mkdir -p /root/.m2/repository/org/x
      - echo jar > /root/.m2/repository/org/x/x-1.jar
      - ln -s repository/org /root/.m2/org-link
      - echo settings > /root/.m2/settings.xml
cache:
  paths:
    - /root/.m2/**/*
`
	b, log := engineBuild(t, x, first, withCache)
	if b.Status != build.StatusSucceeded || !strings.Contains(log, "/root/.m2/**/*") {
		t.Fatalf("first build: %s\n%s", b.Status, log)
	}
	second := `version: 0.2
phases:
  build:
    commands:
      - cat /root/.m2/repository/org/x/x-1.jar /root/.m2/settings.xml
      - cat /root/.m2/org-link/x/x-1.jar
      - ls -ld /root | cut -c1-10
cache:
  paths:
    - /root/.m2/**/*
`
	b, log = engineBuild(t, x, second, withCache)
	if b.Status != build.StatusSucceeded || !strings.Contains(log, "\njar\nsettings\n") || strings.Count(log, "\njar\n") != 2 {
		t.Fatalf("second build did not find the first one's cache: %s\n%s", b.Status, log)
	}
	// /root itself is the image's, not the cache's.
	if !strings.Contains(log, "\ndrwxr-xr-x\n") {
		t.Errorf("the image's /root changed mode:\n%s", log)
	}
}

func TestSecondarySource(t *testing.T) {
	t.Parallel()
	x := engine(t, docker.Options{Network: "none"})
	arts := t.TempDir()
	spec := `version: 0.2
phases:
  build:
    commands:
      - echo "two=$CODEBUILD_SRC_DIR_two"
      - cat "$CODEBUILD_SRC_DIR_two/in.txt"
      - mkdir -p "$CODEBUILD_SRC_DIR_two/out" && echo built > "$CODEBUILD_SRC_DIR_two/out/result.txt"
artifacts:
  files:
    - '**/*'
  base-directory: $CODEBUILD_SRC_DIR_two/out
`
	var second string
	b, log := engineBuild(t, x, spec, func(r *build.Request) {
		dir := filepath.Join(filepath.Dir(r.Workspace), "two")
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "in.txt"), []byte("second source\n"), 0o644)
		second = "/codebuild/output/src987654321/src"
		r.Secondary = []build.SecondarySource{{Identifier: "two", Workspace: dir, SrcDir: second}}
		r.Artifacts = &build.ArtifactSettings{Dir: arts, Name: "a", Packaging: "NONE", OverrideArtifactName: true}
	})
	if b.Status != build.StatusSucceeded || !strings.Contains(log, "two="+second+"\n") || !strings.Contains(log, "second source\n") {
		t.Fatalf("build with a secondary source: %s\n%s", b.Status, log)
	}
	var found []string
	filepath.WalkDir(arts, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			body, _ := os.ReadFile(p)
			found = append(found, filepath.Base(p)+"="+string(body))
		}
		return nil
	})
	if len(found) != 1 || found[0] != "result.txt=built\n" {
		t.Errorf("artifacts from $CODEBUILD_SRC_DIR_two/out: %q\n%s", found, log)
	}
}
