package build

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/codeyard/codeyard/internal/artifact"
)

// ArtifactSettings are a project's artifacts settings (ProjectArtifacts),
// with a local directory, or an S3 bucket, as the output bucket.
type ArtifactSettings struct {
	// Dir is the directory that plays the output bucket when Bucket is nil.
	Dir string
	// Bucket, when set, receives the artifacts as objects, and Location
	// is ProjectArtifacts.location: the bucket's name, or "bucket/prefix".
	Bucket               Bucket
	Location             string
	Path                 string
	NamespaceType        string // NONE or BUILD_ID
	Name                 string
	Packaging            string // NONE or ZIP
	OverrideArtifactName bool
	// NoPrimary leaves the primary artifact out (the project's artifacts
	// are NO_ARTIFACTS): only secondary artifacts are uploaded.
	NoPrimary bool
}

// Bucket is an S3 bucket that receives artifacts.
type Bucket interface {
	// Put stores the Size bytes of r as the object at key, replacing any.
	// It returns an error wrapping ErrNoSuchBucket when the bucket does
	// not exist.
	Put(ctx context.Context, key string, r io.Reader, o Object) error
}

// Object is what Bucket.Put stores with an object's bytes.
type Object struct {
	Size        int64
	ContentType string
	// Meta is the user metadata, by name without x-amz-meta-.
	Meta map[string]string
}

// ErrNoSuchBucket is returned, wrapped, by a Bucket that does not exist.
var ErrNoSuchBucket = errors.New("no such bucket")

// ArtifactResult is one artifact a build uploaded, as the Build shape's
// artifacts and secondaryArtifacts report it.
type ArtifactResult struct {
	Identifier string // empty for the primary artifact
	Location   string
	SHA256     string // of the ZIP file; empty for packaging NONE
	MD5        string
	Files      int
}

// artifactNames returns the buildspec's artifact names, primary first
// then each secondary, evaluated by the build's shell as CodeBuild does
// (build-$CODEBUILD_BUILD_NUMBER.zip, $(date +%F)). The Engine calls it
// before it drains the shells.
func (r *run) artifactNames() (map[string]string, error) {
	a := r.spec.Artifacts
	if a == nil || r.req.Artifacts == nil {
		return nil, nil
	}
	raw := map[string]string{"": a.Name}
	for _, s := range a.Secondary {
		raw[s.Identifier] = s.Name
	}
	names := map[string]string{}
	var keys, words []string
	for k, w := range raw {
		if w == "" {
			continue
		}
		keys, words = append(keys, k), append(words, w)
	}
	if len(words) == 0 {
		return names, nil
	}
	if x, ok := r.e.exec.(Expander); ok && r.ran && r.ctx.Err() == nil {
		got, err := x.Expand(r.ctx, r.plan, r.lastRunAs, words, r.log)
		if err != nil {
			return nil, fmt.Errorf("cannot expand the artifact name: %w", err)
		}
		for i, k := range keys {
			names[k] = got[i]
		}
		r.warnSecrets("artifact name", got)
		return names, nil
	}
	for i, k := range keys {
		names[k] = os.Expand(words[i], r.lookupEnv)
	}
	return names, nil
}

// warnSecrets logs a warning for each value that holds a secret: it will
// show where codeyard cannot mask it (an object key, a cache key).
func (r *run) warnSecrets(what string, values []string) {
	for _, v := range values {
		if RedactString(v, r.masks) != v {
			r.log.printf("Warning: the %s %s contains the value of a secret variable", what, RedactString(v, r.masks))
		}
	}
}

// lookupEnv looks a variable up in the plan's environment.
func (r *run) lookupEnv(name string) string {
	prefix := name + "="
	for i := len(r.plan.Env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(r.plan.Env[i], prefix); ok {
			return v
		}
	}
	return ""
}

// uploadArtifactsLocked packages the primary and secondary artifacts into
// the settings' directory, logging as CodeBuild does. It returns the
// phase's status and context.
func (r *run) packageArtifacts(names map[string]string, nameErr error) (Status, Context) {
	if nameErr != nil {
		return StatusFailed, Context{StatusCode: CodeClientError, Message: nameErr.Error()}
	}
	a, set := r.spec.Artifacts, r.req.Artifacts
	if a == nil || set == nil {
		return StatusSucceeded, Context{}
	}
	type job struct {
		id  string
		sel artifact.Selection
		s3  string
	}
	jobs := []job{{"", artifact.Primary(a), a.S3Prefix}}
	for _, s := range a.Secondary {
		jobs = append(jobs, job{s.Identifier, artifact.Secondary(s), s.S3Prefix})
	}
	for _, j := range jobs {
		j.sel.Expand = func(s string) string { return os.Expand(s, r.lookupEnv) }
		j.sel.HostPath = r.hostPath
		if j.sel.EnableSymlinks && !strings.EqualFold(set.Packaging, artifact.PackagingZip) {
			j.sel.EnableSymlinks = false // links are kept in ZIP files only
		}
		if len(j.sel.Files) == 0 || j.id == "" && set.NoPrimary {
			continue // only secondary artifacts are wanted
		}
		set := set
		own := false
		if s, ok := r.req.SecondaryArtifacts[j.id]; ok && j.id != "" {
			set, own = s, true
		}
		for _, s := range r.req.Secondary {
			j.sel.SourceDirs = append(j.sel.SourceDirs, s.Workspace)
		}
		col, err := artifact.Collect(r.req.Workspace, j.sel)
		if col != nil {
			for _, l := range col.Log {
				r.log.printf("%s", l)
			}
		}
		if errors.Is(err, artifact.ErrNoMatch) {
			return StatusFailed, Context{StatusCode: CodeClientError, Message: artifact.ErrNoMatch.Error()}
		}
		if err != nil {
			return StatusFailed, Context{StatusCode: CodeClientError, Message: err.Error()}
		}
		name := set.Name
		if j.id != "" && (!own || name == "") {
			name = j.id // a secondary artifact's own folder below the bucket
		}
		key := artifact.Location(artifact.Layout{
			Location:             set.Location,
			Path:                 set.Path,
			NamespaceType:        set.NamespaceType,
			Name:                 name,
			Packaging:            set.Packaging,
			OverrideArtifactName: set.OverrideArtifactName || j.id != "" && !own,
			BuildspecName:        names[j.id],
			S3Prefix:             j.s3,
			BuildID:              r.req.UUID,
			ProjectName:          r.req.Project,
		})
		if j.id != "" && names[j.id] == "" && !own {
			key = artifact.Location(artifact.Layout{Location: set.Location, Path: set.Path, NamespaceType: set.NamespaceType, Name: j.id, BuildID: r.req.UUID, S3Prefix: j.s3})
		}
		store := r.store
		if set.Bucket != nil {
			store = r.put
		}
		res, err := store(set, key, col.Entries)
		if errors.Is(err, ErrNoSuchBucket) {
			// The words of the S3 error CodeBuild's agent reports.
			return StatusFailed, Context{StatusCode: CodeClientError, Message: "NoSuchBucket: The specified bucket does not exist\n\tstatus code: 404"}
		}
		if err != nil {
			return StatusFailed, Context{StatusCode: CodeClientError, Message: err.Error()}
		}
		res.Identifier = j.id
		r.b.Artifacts = append(r.b.Artifacts, res)
		r.log.printf("Uploaded %d file(s) to %s", res.Files, res.Location)
	}
	return StatusSucceeded, Context{}
}

// put uploads one artifact to the settings' bucket: a ZIP file, written
// to a temporary file first, or one object per file for packaging NONE.
// Each object carries the build's ARN as CodeBuild's do.
func (r *run) put(set *ArtifactSettings, key string, entries []artifact.Entry) (ArtifactResult, error) {
	bucket, _, _ := strings.Cut(set.Location, "/")
	zip := strings.EqualFold(set.Packaging, artifact.PackagingZip)
	if key == "" && zip {
		return ArtifactResult{}, fmt.Errorf("invalid artifact location %q: it must name an object below the bucket", key)
	}
	ctx := context.WithoutCancel(r.ctx)
	meta := map[string]string{"codebuild-buildarn": r.b.ARN}
	res := ArtifactResult{Location: "arn:aws:s3:::" + path.Join(bucket, key), Files: len(entries)}
	if zip {
		f, err := os.CreateTemp("", "codeyard-artifact-*.zip")
		if err != nil {
			return res, err
		}
		defer os.Remove(f.Name())
		defer f.Close()
		sh, m := sha256.New(), md5.New()
		if err := artifact.WriteZip(io.MultiWriter(f, sh, m), entries); err != nil {
			return res, fmt.Errorf("package %s: %w", key, err)
		}
		size, err := f.Seek(0, io.SeekCurrent)
		if err == nil {
			_, err = f.Seek(0, io.SeekStart)
		}
		if err != nil {
			return res, err
		}
		if err := set.Bucket.Put(ctx, key, f, Object{Size: size, ContentType: "application/zip", Meta: meta}); err != nil {
			return res, err
		}
		res.SHA256, res.MD5 = hex.EncodeToString(sh.Sum(nil)), hex.EncodeToString(m.Sum(nil))
		return res, nil
	}
	for _, e := range entries {
		if !e.Mode.IsRegular() {
			continue // S3 has no folders; links are kept in ZIP files only
		}
		if err := putFile(ctx, set.Bucket, path.Join(key, e.Path), e, meta); err != nil {
			return res, err
		}
	}
	return res, nil
}

// putFile uploads one file of an artifact of packaging NONE, with the
// content type its extension says.
func putFile(ctx context.Context, b Bucket, key string, e artifact.Entry, meta map[string]string) error {
	f, err := os.Open(e.Source)
	if err != nil {
		return fmt.Errorf("artifact entry %s: %w", e.Path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("artifact entry %s: %s is no longer a regular file", e.Path, e.Source)
	}
	ct := mime.TypeByExtension(path.Ext(e.Path))
	if ct == "" {
		ct = "application/octet-stream"
	}
	return b.Put(ctx, key, f, Object{Size: fi.Size(), ContentType: ct, Meta: meta})
}

// store writes one artifact under the settings' directory: a ZIP file,
// written to a temporary name and renamed, or a folder.
func (r *run) store(set *ArtifactSettings, key string, entries []artifact.Entry) (ArtifactResult, error) {
	dst := filepath.Join(set.Dir, filepath.FromSlash(key))
	zip := strings.EqualFold(set.Packaging, artifact.PackagingZip)
	if rel, err := filepath.Rel(set.Dir, dst); err != nil || rel == "." && zip || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return ArtifactResult{}, fmt.Errorf("invalid artifact location %q: it must name an object below the bucket", key)
	}
	res := ArtifactResult{Location: dst, Files: len(entries)}
	if !strings.EqualFold(set.Packaging, artifact.PackagingZip) {
		return res, storeFolder(dst, entries)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return res, err
	}
	f, err := os.CreateTemp(filepath.Dir(dst), ".artifact-*")
	if err != nil {
		return res, err
	}
	defer os.Remove(f.Name())
	sh, m := sha256.New(), md5.New()
	if err := artifact.WriteZip(io.MultiWriter(f, sh, m), entries); err != nil {
		f.Close()
		return res, fmt.Errorf("package %s: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return res, err
	}
	if err := os.Rename(f.Name(), dst); err != nil {
		return res, err
	}
	res.SHA256, res.MD5 = hex.EncodeToString(sh.Sum(nil)), hex.EncodeToString(m.Sum(nil))
	return res, nil
}

// storeFolder writes an artifact of packaging NONE to dst the way objects
// land in a bucket: each file replaces the one at its key, and whatever
// else is under dst stays. The files are first written whole into a
// directory beside dst, then moved into place.
func storeFolder(dst string, entries []artifact.Entry) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	fi, err := os.Lstat(dst)
	if err == nil && !fi.IsDir() {
		// An object where a folder goes now: replace it.
		if err := os.Remove(dst); err != nil {
			return err
		}
		err = os.ErrNotExist
	}
	if errors.Is(err, os.ErrNotExist) {
		return artifact.CopyTree(dst, entries)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dst), ".artifact-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	staged := filepath.Join(tmp, "a")
	if err := artifact.CopyTree(staged, entries); err != nil {
		return err
	}
	return filepath.WalkDir(staged, func(path string, d os.DirEntry, err error) error {
		if err != nil || path == staged {
			return err
		}
		rel, _ := filepath.Rel(staged, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if fi, err := os.Lstat(target); err == nil && fi.IsDir() {
				return nil // merge into the folder that is there
			}
		}
		if err := os.RemoveAll(target); err != nil && !d.IsDir() {
			return err
		}
		if err := os.Rename(path, target); err != nil {
			return err
		}
		if d.IsDir() {
			return filepath.SkipDir
		}
		return nil
	})
}
