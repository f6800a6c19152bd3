package cache_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/codeyard/codeyard/internal/cache"
)

// TestPaths saves from one source directory and root and restores into
// fresh ones, comparing what arrives.
func TestPaths(t *testing.T) {
	t.Parallel()
	srcTree := map[string]file{
		"deps/a.txt":           {Content: "a"},
		"deps/.hidden":         {Content: "h"},
		"deps/sub/b.txt":       {Content: "b"},
		"deps/sub/deeper/c.md": {Content: "c"},
		"top.txt":              {Content: "t"},
		"other/d.txt":          {Content: "d"},
		"node_modules/x/i.js":  {Content: "i"},
		"node_modules/.bin/x":  {Mode: 0o755, Content: "#!"},
		"build/out.bin":        {Content: "o"},
		"with space/file.txt":  {Content: "s"},
		"glob[1]/literal.txt":  {Content: "l"},
		"docs/guide.md":        {Content: "g"},
		"docs/ref/api.md":      {Content: "r"},
		"docs/ref/dir.md/":     {},
	}
	rootTree := map[string]file{
		"root/.m2/settings.xml":         {Content: "s"},
		"root/.m2/repository/x/1/x.jar": {Content: "jar"},
		"root/.cache/pip/wheel.whl":     {Content: "w"},
		"etc/hosts":                     {Content: "not cached"},
	}
	tests := []struct {
		name     string
		paths    []string
		wantSrc  []string // names in the restored source directory
		wantRoot []string // names in the restored root
	}{
		{
			name:    "directory contents recursively",
			paths:   []string{"deps/**/*"},
			wantSrc: []string{"deps/", "deps/a.txt", "deps/.hidden", "deps/sub/", "deps/sub/b.txt", "deps/sub/deeper/", "deps/sub/deeper/c.md"},
		},
		{
			name:    "directory contents one level",
			paths:   []string{"deps/*"},
			wantSrc: []string{"deps/", "deps/a.txt", "deps/.hidden", "deps/sub/"},
		},
		{
			name:    "double star in the middle",
			paths:   []string{"**/*.md"},
			wantSrc: []string{"deps/", "deps/sub/", "deps/sub/deeper/", "deps/sub/deeper/c.md", "docs/", "docs/guide.md", "docs/ref/", "docs/ref/api.md", "docs/ref/dir.md/"},
		},
		{
			name:    "single file",
			paths:   []string{"top.txt"},
			wantSrc: []string{"top.txt"},
		},
		{
			name:    "single file in a subdirectory",
			paths:   []string{"deps/sub/b.txt"},
			wantSrc: []string{"deps/", "deps/sub/", "deps/sub/b.txt"},
		},
		{
			name:    "directory named without a glob is cached whole",
			paths:   []string{"node_modules", "build/"},
			wantSrc: []string{"node_modules/", "node_modules/x/", "node_modules/x/i.js", "node_modules/.bin/", "node_modules/.bin/x", "build/", "build/out.bin"},
		},
		{
			name:    "dot segments and spaces",
			paths:   []string{"./with space/*.txt", "deps//a.txt"},
			wantSrc: []string{"with space/", "with space/file.txt", "deps/", "deps/a.txt"},
		},
		{
			name:    "escaped meta characters",
			paths:   []string{`glob\[1\]/literal.txt`},
			wantSrc: []string{"glob[1]/", "glob[1]/literal.txt"},
		},
		{
			name:    "alternatives",
			paths:   []string{"{deps,other}/*.txt"},
			wantSrc: []string{"deps/", "deps/a.txt", "other/", "other/d.txt"},
		},
		{
			name:     "absolute",
			paths:    []string{"/root/.m2/**/*"},
			wantRoot: []string{"root/", "root/.m2/", "root/.m2/settings.xml", "root/.m2/repository/", "root/.m2/repository/x/", "root/.m2/repository/x/1/", "root/.m2/repository/x/1/x.jar"},
		},
		{
			name:     "absolute and relative",
			paths:    []string{"/root/.cache/pip/**/*", "deps/sub/**/*"},
			wantSrc:  []string{"deps/", "deps/sub/", "deps/sub/b.txt", "deps/sub/deeper/", "deps/sub/deeper/c.md"},
			wantRoot: []string{"root/", "root/.cache/", "root/.cache/pip/", "root/.cache/pip/wheel.whl"},
		},
		{
			name:  "whole source directory",
			paths: []string{"**/*"},
			wantSrc: []string{
				"deps/", "deps/a.txt", "deps/.hidden", "deps/sub/", "deps/sub/b.txt", "deps/sub/deeper/", "deps/sub/deeper/c.md",
				"top.txt", "other/", "other/d.txt", "node_modules/", "node_modules/x/", "node_modules/x/i.js", "node_modules/.bin/",
				"node_modules/.bin/x", "build/", "build/out.bin", "with space/", "with space/file.txt", "glob[1]/", "glob[1]/literal.txt",
				"docs/", "docs/guide.md", "docs/ref/", "docs/ref/api.md", "docs/ref/dir.md/",
			},
		},
		{
			name:    "overlapping paths",
			paths:   []string{"deps/**/*", "deps/sub/*", "deps/a.txt"},
			wantSrc: []string{"deps/", "deps/a.txt", "deps/.hidden", "deps/sub/", "deps/sub/b.txt", "deps/sub/deeper/", "deps/sub/deeper/c.md"},
		},
	}
	st := newStore(t)
	src := dirs(t)
	writeTree(t, src.SourceDir, srcTree)
	writeTree(t, src.Root, rootTree)
	all := map[string]file{}
	for name, f := range normal(srcTree, false) {
		all["src:"+name] = f
	}
	for name, f := range normal(rootTree, false) {
		all["root:"+name] = f
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			key := "k" + string(rune('a'+i))
			res, err := st.Save(t.Context(), key, "p", tt.paths, src)
			if err != nil || res.Outcome != cache.Saved {
				t.Fatalf("Save(%q) = %s, %v", tt.paths, res.Outcome, err)
			}
			dst := dirs(t)
			res, err = st.Restore(t.Context(), key, nil, "p", tt.paths, dst)
			if err != nil || res.Outcome != cache.Hit {
				t.Fatalf("Restore(%q) = %s, %v", tt.paths, res.Outcome, err)
			}
			want := map[string]file{}
			for _, name := range tt.wantSrc {
				want["src:"+name] = all["src:"+name]
			}
			for _, name := range tt.wantRoot {
				want["root:"+name] = all["root:"+name]
			}
			got := map[string]file{}
			for name, f := range readTree(t, dst.SourceDir, false) {
				got["src:"+name] = f
			}
			for name, f := range readTree(t, dst.Root, false) {
				got["root:"+name] = f
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("restored tree for %q mismatch (-want +got):\n%s", tt.paths, diff)
			}
		})
	}
}

// TestModesLinksTimes checks that permission bits, symbolic links and
// modification times survive, and that links pointing outside their cache
// path are not restored.
func TestModesLinksTimes(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	src := dirs(t)
	writeTree(t, src.SourceDir, map[string]file{
		"deps/tool":      {Mode: 0o755, Content: "#!/bin/sh\n"},
		"deps/secret":    {Mode: 0o600, Content: "s"},
		"deps/ro":        {Mode: 0o444, Content: "r"},
		"deps/private/":  {Mode: 0o700},
		"deps/private/x": {Content: "x"},
		"deps/locked/":   {Mode: 0o555},
		"deps/locked/y":  {Content: "y"},
		"deps/v1/lib.so": {Content: "so"},
		"deps/current":   {Link: "v1"},
		"deps/v1/self":   {Link: "../current/lib.so"},
		"deps/dangling":  {Link: "missing"},
		"deps/up":        {Link: "../outside.txt"},
		"deps/abs":       {Link: "/etc/passwd"},
		"outside.txt":    {Content: "o"},
	})
	writeTree(t, src.Root, map[string]file{
		"opt/venv/bin/python3": {Mode: 0o755, Content: "elf"},
		"opt/venv/bin/python":  {Link: "/opt/venv/bin/python3"},
		"opt/venv/bin/sys":     {Link: "/usr/bin/python3"},
	})
	mtime := time.Date(2024, 2, 29, 12, 34, 56, 789_000_000, time.UTC)
	for _, p := range []string{"deps/tool", "deps/private", "deps/v1/lib.so"} {
		if err := os.Chtimes(filepath.Join(src.SourceDir, p), mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(src.SourceDir, "deps/locked"), 0o755) })

	paths := []string{"deps/**/*", "/opt/venv/**/*"}
	if _, err := st.Save(t.Context(), "k", "p", paths, src); err != nil {
		t.Fatal(err)
	}
	dst := dirs(t)
	res, err := st.Restore(t.Context(), "k", nil, "p", paths, dst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(dst.SourceDir, "deps/locked"), 0o755) })

	want := map[string]file{
		"deps/":          {Mode: 0o755},
		"deps/tool":      {Mode: 0o755, Content: "#!/bin/sh\n"},
		"deps/secret":    {Mode: 0o600, Content: "s"},
		"deps/ro":        {Mode: 0o444, Content: "r"},
		"deps/private/":  {Mode: 0o700},
		"deps/private/x": {Mode: 0o644, Content: "x"},
		"deps/locked/":   {Mode: 0o555},
		"deps/locked/y":  {Mode: 0o644, Content: "y"},
		"deps/v1/":       {Mode: 0o755},
		"deps/v1/lib.so": {Mode: 0o644, Content: "so"},
		"deps/current":   {Link: "v1"},
		"deps/v1/self":   {Link: "../current/lib.so"},
		"deps/dangling":  {Link: "missing"},
	}
	if diff := cmp.Diff(want, readTree(t, dst.SourceDir, true)); diff != "" {
		t.Errorf("restored source tree mismatch (-want +got):\n%s", diff)
	}
	wantRoot := map[string]file{
		"opt/":                 {Mode: 0o755},
		"opt/venv/":            {Mode: 0o755},
		"opt/venv/bin/":        {Mode: 0o755},
		"opt/venv/bin/python3": {Mode: 0o755, Content: "elf"},
		"opt/venv/bin/python":  {Link: "/opt/venv/bin/python3"},
	}
	if diff := cmp.Diff(wantRoot, readTree(t, dst.Root, true)); diff != "" {
		t.Errorf("restored root mismatch (-want +got):\n%s", diff)
	}
	for _, p := range []string{"deps/tool", "deps/private", "deps/v1/lib.so"} {
		fi, err := os.Lstat(filepath.Join(dst.SourceDir, p))
		if err != nil {
			t.Fatal(err)
		}
		if !fi.ModTime().Equal(mtime) {
			t.Errorf("%s: modification time %v, want %v", p, fi.ModTime(), mtime)
		}
	}
	// Archive order: abs/ before src/.
	wantSkipped := []string{
		`Skipping cache entry: symbolic link "/opt/venv/bin/sys" points outside its cache path (/usr/bin/python3)`,
		`Skipping cache entry: symbolic link "` + filepath.Join(dst.SourceDir, "deps/abs") + `" points outside its cache path (/etc/passwd)`,
		`Skipping cache entry: symbolic link "` + filepath.Join(dst.SourceDir, "deps/up") + `" points outside its cache path (../outside.txt)`,
	}
	var gotSkipped []string
	for _, l := range res.Lines {
		if len(l) > 9 && l[:9] == "Skipping " {
			gotSkipped = append(gotSkipped, l)
		}
	}
	if diff := cmp.Diff(wantSkipped, gotSkipped); diff != "" {
		t.Errorf("skipped lines mismatch (-want +got):\n%s", diff)
	}
	if res.Skipped != 3 {
		t.Errorf("Skipped = %d, want 3", res.Skipped)
	}
}

// TestRestoreMerges restores into targets that already have files:
// cached files win, other files stay, types may change.
func TestRestoreMerges(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	src := dirs(t)
	writeTree(t, src.SourceDir, map[string]file{
		"deps/same.txt":   {Content: "cached"},
		"deps/was-dir":    {Content: "now a file"},
		"deps/was-file/x": {Content: "now a dir"},
		"deps/link":       {Link: "same.txt"},
	})
	if _, err := st.Save(t.Context(), "k", "p", deps, src); err != nil {
		t.Fatal(err)
	}
	dst := dirs(t)
	writeTree(t, dst.SourceDir, map[string]file{
		"deps/same.txt":     {Content: "checked out"},
		"deps/mine.txt":     {Content: "mine"},
		"deps/was-dir/y":    {Content: "y"},
		"deps/was-file":     {Content: "f"},
		"deps/link":         {Content: "a file where the link goes"},
		"deps/sub/keep.txt": {Content: "k"},
	})
	if _, err := st.Restore(t.Context(), "k", nil, "p", deps, dst); err != nil {
		t.Fatal(err)
	}
	want := map[string]file{
		"deps/":             {},
		"deps/same.txt":     {Mode: 0o644, Content: "cached"},
		"deps/mine.txt":     {Mode: 0o644, Content: "mine"},
		"deps/was-dir":      {Mode: 0o644, Content: "now a file"},
		"deps/was-file/":    {},
		"deps/was-file/x":   {Mode: 0o644, Content: "now a dir"},
		"deps/link":         {Link: "same.txt"},
		"deps/sub/":         {},
		"deps/sub/keep.txt": {Mode: 0o644, Content: "k"},
	}
	if diff := cmp.Diff(want, readTree(t, dst.SourceDir, false)); diff != "" {
		t.Errorf("merged tree mismatch (-want +got):\n%s", diff)
	}
}

func TestAbsoluteRoots(t *testing.T) {
	t.Parallel()
	tests := []struct {
		paths []string
		want  []string
	}{
		{[]string{"node_modules/**/*", "target"}, nil},
		{[]string{"/root/.m2/**/*"}, []string{"/root/.m2"}},
		{[]string{"/root/.m2", "/root/.m2/repository/**/*", "/root/.gradle/caches/*.bin"}, []string{"/root/.gradle/caches", "/root/.m2"}},
		{[]string{"/opt/tool", "/opt/tool2/x"}, []string{"/opt/tool", "/opt/tool2/x"}},
		{[]string{"/*.txt", "/root/.m2"}, []string{"/"}},
	}
	for _, tt := range tests {
		got, err := cache.AbsoluteRoots(tt.paths)
		if err != nil {
			t.Errorf("AbsoluteRoots(%q): %v", tt.paths, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("AbsoluteRoots(%q) mismatch (-want +got):\n%s", tt.paths, diff)
		}
	}
}
