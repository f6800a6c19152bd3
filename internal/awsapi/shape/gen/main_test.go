package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/codeyard/codeyard/internal/awsapi/model"
)

// TestUpToDate regenerates every package into a temporary directory and
// compares it with the committed one. Run go generate in
// internal/awsapi/shape when it fails.
func TestUpToDate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := run(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range model.Names() {
		want, err := os.ReadFile(filepath.Join(dir, name, "types.go"))
		if err != nil {
			t.Fatal(err)
		}
		committed := filepath.Join("..", name, "types.go")
		got, err := os.ReadFile(committed)
		if err != nil {
			t.Errorf("%s: %v; run go generate in internal/awsapi/shape", committed, err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what gen writes; run go generate in internal/awsapi/shape", committed)
		}
	}
}

func TestExported(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"projectName": "ProjectName", "Build": "Build", "log-group.name": "LogGroupName",
		"sha256sum": "Sha256sum", "2fa": "X2fa", "s3_logs": "S3_logs",
	} {
		if got := exported(in); got != want {
			t.Errorf("exported(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestComment(t *testing.T) {
	t.Parallel()
	got := comment("Package logs holds the wire shapes of Amazon CloudWatch Logs, API version 2014-03-28: one struct per structure shape.")
	want := "// Package logs holds the wire shapes of Amazon CloudWatch Logs, API version\n// 2014-03-28: one struct per structure shape.\n"
	if got != want {
		t.Errorf("comment() = %q, want %q", got, want)
	}
}
