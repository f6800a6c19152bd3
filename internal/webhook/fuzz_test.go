package webhook_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codeyard/codeyard/internal/webhook"
)

// FuzzParse feeds every forge's parser any body and event: it never
// panics, and an event it accepts can start a build.
func FuzzParse(f *testing.F) {
	events := map[string][]string{
		webhook.GitHub:    {"push", "pull_request", "release"},
		webhook.Gitea:     {"push", "pull_request", "release"},
		webhook.GitLab:    {"Push Hook", "Tag Push Hook", "Merge Request Hook", "Release Hook"},
		webhook.Bitbucket: {"repo:push", "pullrequest:created", "pullrequest:fulfilled"},
	}
	files, _ := filepath.Glob("testdata/*.json")
	for _, name := range files {
		body, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		forge, _, _ := strings.Cut(filepath.Base(name), "_")
		for _, ev := range events[forge] {
			f.Add(forge, ev, body)
		}
	}
	f.Add("github", "push", []byte(`payload=%7B%22ref%22%3A1%7D`))
	f.Fuzz(func(t *testing.T, forge, event string, body []byte) {
		e, err := webhook.Parse(forge, event, body)
		if err != nil {
			var se *webhook.SyntaxError
			if !errors.Is(err, webhook.ErrIgnored) && !errors.As(err, &se) && !strings.HasPrefix(err.Error(), "unknown forge") {
				t.Fatalf("Parse: unexpected error %T %v", err, err)
			}
			return
		}
		if e.Type == "" || !strings.HasPrefix(e.HeadRef, "refs/") {
			t.Fatalf("Parse accepted an event without a type or head ref: %+v", e)
		}
		b := e.Start()
		if b.SourceVersion == "" || b.Fetch == "" {
			t.Fatalf("Start(%+v) = %+v: no version", e, b)
		}
		webhook.Match(webhook.DefaultGroups("^main$"), e)
	})
}
