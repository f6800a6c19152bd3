package source_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codeyard/codeyard/internal/blob"
	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/source"
)

type zipEntry struct {
	name, body string
	mode       fs.FileMode
}

func zipBytes(t *testing.T, entries []zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestS3Fetch(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store, err := blob.OpenDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateBucket(ctx, "src", "us-east-1"); err != nil {
		t.Fatal(err)
	}
	put := func(key string, body []byte) {
		t.Helper()
		if _, err := store.Put(ctx, "src", key, bytes.NewReader(body), blob.PutOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	put("ok.zip", zipBytes(t, []zipEntry{
		{"a.txt", "a", 0o644}, {"bin/", "", fs.ModeDir | 0o755}, {"bin/run.sh", "#!/bin/sh", 0o755}, {"link", "a.txt", fs.ModeSymlink | 0o777},
	}))
	put("slip.zip", zipBytes(t, []zipEntry{{"../evil.txt", "x", 0o644}}))
	put("abs.zip", zipBytes(t, []zipEntry{{"/etc/evil.txt", "x", 0o644}}))
	outside := t.TempDir()
	put("through-link.zip", zipBytes(t, []zipEntry{{"out", outside, fs.ModeSymlink | 0o777}, {"out/evil.txt", "x", 0o644}}))
	put("not.zip", []byte("plain text"))
	put("dir/", nil)
	put("dir/x/y.txt", []byte("y"))
	put("dir/../escape", []byte("e"))
	put("tree/z.txt", []byte("z"))

	for _, tt := range []struct {
		name, location, version string
		wantFiles               map[string]string // path: content
		wantErr                 string            // in the CLIENT_ERROR message
	}{
		{name: "zip", location: "src/ok.zip", wantFiles: map[string]string{"a.txt": "a", "bin/run.sh": "#!/bin/sh", "link": "a"}},
		{name: "zip at version null", location: "src/ok.zip", version: "null", wantFiles: map[string]string{"a.txt": "a"}},
		{name: "folder", location: "src/tree/", wantFiles: map[string]string{"z.txt": "z"}},
		{name: "zip slip", location: "src/slip.zip", wantErr: `ZIP entry "../evil.txt": invalid path`},
		{name: "absolute entry", location: "src/abs.zip", wantErr: "invalid path"},
		{name: "entry through a link", location: "src/through-link.zip", wantErr: `ZIP entry "out/evil.txt"`},
		{name: "not a zip", location: "src/not.zip", wantErr: "s3://src/not.zip is not a ZIP file"},
		{name: "key with dot-dot in a folder", location: "src/dir/", wantErr: "its key is no path below the folder"},
		{name: "missing key", location: "src/nope.zip", wantErr: "NoSuchKey: The specified key does not exist.\n\tstatus code: 404 for primary source and source version arn:aws:s3:::src/nope.zip"},
		{name: "missing bucket", location: "nobucket/a.zip", wantErr: "NoSuchBucket"},
		{name: "malformed version", location: "src/ok.zip", version: "v2", wantErr: "NoSuchVersion: The specified version does not exist.\n\tstatus code: 404 for primary source and source version v2"},
		{name: "other version", location: "src/ok.zip", version: "0000000000000001ffffffffffffffff", wantErr: "NoSuchVersion: The specified version does not exist.\n\tstatus code: 404 for primary source"},
		{name: "version of a folder", location: "src/tree/", version: "v2", wantErr: "Source version should be empty for S3 folder source location"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			info, err := source.S3{Objects: store, Location: tt.location, Version: tt.version}.Fetch(ctx, dir)
			if tt.wantErr != "" {
				var ce *build.ContextError
				if !errors.As(err, &ce) || ce.StatusCode != build.CodeClientError || !strings.Contains(ce.Message, tt.wantErr) {
					t.Fatalf("Fetch(%s) error = %v, want a CLIENT_ERROR with %q", tt.location, err, tt.wantErr)
				}
				if _, err := os.Stat(filepath.Join(outside, "evil.txt")); err == nil {
					t.Errorf("Fetch(%s) wrote outside the workspace", tt.location)
				}
				return
			}
			if err != nil {
				t.Fatalf("Fetch(%s): %v", tt.location, err)
			}
			if got, want := info.Location, "s3://"+tt.location; got != want {
				t.Errorf("Fetch(%s) location = %s, want %s", tt.location, got, want)
			}
			for p, want := range tt.wantFiles {
				got, err := os.ReadFile(filepath.Join(dir, p))
				if err != nil || string(got) != want {
					t.Errorf("Fetch(%s): %s = %q, %v; want %q", tt.location, p, got, err, want)
				}
			}
			if tt.name == "zip" {
				if fi, err := os.Stat(filepath.Join(dir, "bin/run.sh")); err != nil || fi.Mode().Perm()&0o100 == 0 {
					t.Errorf("bin/run.sh lost its executable bit: %v %v", fi, err)
				}
			}
		})
	}
}

// unversioned hides a store's versions, as the CLI's remote objects do.
type unversioned struct{ source.Objects }

func TestS3FetchVersion(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store, err := blob.OpenDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateBucket(ctx, "src", "us-east-1"); err != nil {
		t.Fatal(err)
	}
	if err := store.SetVersioning(ctx, "src", blob.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, body := range []string{"old", "new"} {
		o, err := store.Put(ctx, "src", "app.zip", bytes.NewReader(zipBytes(t, []zipEntry{{"v.txt", body, 0o644}})), blob.PutOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, o.VersionID)
	}
	marker, err := store.DeleteVersion(ctx, "src", "gone.zip", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, location, version string
		objects                 source.Objects
		want, wantErr           string
	}{
		{name: "older version", location: "src/app.zip", version: ids[0], want: "old"},
		{name: "latest version", location: "src/app.zip", version: ids[1], want: "new"},
		{name: "no version", location: "src/app.zip", want: "new"},
		{name: "missing version", location: "src/app.zip", version: "0000000000000001ffffffffffffffff",
			wantErr: "NoSuchVersion: The specified version does not exist.\n\tstatus code: 404 for primary source and source version 0000000000000001ffffffffffffffff"},
		{name: "delete marker", location: "src/gone.zip", version: marker.VersionID, wantErr: "MethodNotAllowed"},
		{name: "deleted key", location: "src/gone.zip", wantErr: "NoSuchKey"},
		{name: "store without versions", location: "src/app.zip", version: ids[0], objects: unversioned{store},
			wantErr: "NoSuchVersion: The specified version does not exist.\n\tstatus code: 404 (this source's object store keeps no object versions)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			objs := tt.objects
			if objs == nil {
				objs = store
			}
			dir := t.TempDir()
			info, err := source.S3{Objects: objs, Location: tt.location, Version: tt.version, Identifier: ""}.Fetch(ctx, dir)
			if tt.wantErr != "" {
				var ce *build.ContextError
				if !errors.As(err, &ce) || ce.StatusCode != build.CodeClientError || !strings.Contains(ce.Message, tt.wantErr) {
					t.Fatalf("Fetch error = %v, want a CLIENT_ERROR with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "v.txt")); string(got) != tt.want {
				t.Errorf("v.txt = %q, want %q", got, tt.want)
			}
			wantVersion := tt.version
			if wantVersion == "" {
				wantVersion = "arn:aws:s3:::src/app.zip"
			}
			if info.Version != wantVersion || info.ResolvedVersion != "" {
				t.Errorf("info = %+v, want version %s and no resolved version (CodeBuild has none for S3)", info, wantVersion)
			}
		})
	}
}
