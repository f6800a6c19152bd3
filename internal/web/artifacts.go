package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
	"github.com/codeyard/codeyard/internal/blob"
)

// Objects reads the server's S3 store, where builds put their artifacts.
type Objects interface {
	Open(ctx context.Context, bucket, key string) (blob.Reader, error)
	List(ctx context.Context, bucket string, q blob.ListQuery) (blob.ListResult, error)
}

// maxArtifactFiles is how many files of a folder artifact (packaging
// NONE) the build page lists.
const maxArtifactFiles = 200

// artifactView is one artifact of a build as its page shows it.
type artifactView struct {
	Identifier  string // "" for the primary artifact
	Location    string
	SHA256, MD5 string
	Files       []artifactFile
	More        bool // the folder has more files than Files
	Gone        bool // its objects are no longer in the store
	Stored      bool // it is in this server's S3 store: Files and Gone say what is there
}

type artifactFile struct {
	Name string // below the artifact's location; "" for the artifact itself
	Size int64
	Href string
}

// s3Location cuts an artifact's location, arn:aws:s3:::bucket/key, into
// the bucket and the key.
func s3Location(loc string) (bucket, key string, ok bool) {
	rest, ok := strings.CutPrefix(loc, "arn:aws:s3:::")
	if !ok {
		return "", "", false
	}
	bucket, key, _ = strings.Cut(rest, "/")
	return bucket, key, bucket != ""
}

func artifactHref(b *cb.Build, ident, file string) string {
	q := url.Values{}
	if ident != "" {
		q.Set("a", ident)
	}
	if file != "" {
		q.Set("file", file)
	}
	u := Prefix + "builds/" + url.PathEscape(b.Id) + "/artifact"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// artifacts looks up a finished build's artifacts in the store: a ZIP
// file is one object at the location, a folder (packaging NONE) the
// objects below it.
func (s *Server) artifacts(ctx context.Context, b *cb.Build) ([]artifactView, error) {
	var all []cb.BuildArtifacts
	if b.Artifacts != nil && b.Artifacts.Location != "" {
		all = append(all, *b.Artifacts)
	}
	all = append(all, b.SecondaryArtifacts...)
	var out []artifactView
	for _, a := range all {
		v := artifactView{Identifier: a.ArtifactIdentifier, Location: a.Location, SHA256: a.Sha256sum, MD5: a.Md5sum}
		bucket, key, ok := s3Location(a.Location)
		if ok && s.cfg.Objects != nil && b.BuildComplete != nil && *b.BuildComplete {
			v.Stored = true
			if err := s.artifactFiles(ctx, b, &v, bucket, key); err != nil {
				return nil, err
			}
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Server) artifactFiles(ctx context.Context, b *cb.Build, v *artifactView, bucket, key string) error {
	if key != "" {
		r, err := s.cfg.Objects.Open(ctx, bucket, key)
		if err == nil {
			size := r.Object().Size
			r.Close()
			v.Files = []artifactFile{{Name: path.Base(key), Size: size, Href: artifactHref(b, v.Identifier, "")}}
			return nil
		}
		if !gone(err) && !errors.Is(err, blob.ErrInvalidKey) && !errors.Is(err, blob.ErrKeyTooLong) {
			return err
		}
	}
	prefix := key + "/"
	if key == "" {
		prefix = ""
	}
	res, err := s.cfg.Objects.List(ctx, bucket, blob.ListQuery{Prefix: prefix, Max: maxArtifactFiles})
	if gone(err) {
		v.Gone = true
		return nil
	}
	if err != nil {
		return err
	}
	for _, o := range res.Objects {
		name := strings.TrimPrefix(o.Key, prefix)
		v.Files = append(v.Files, artifactFile{Name: name, Size: o.Size, Href: artifactHref(b, v.Identifier, name)})
	}
	v.More = res.Truncated
	v.Gone = len(v.Files) == 0
	return nil
}

func gone(err error) bool {
	return errors.Is(err, blob.ErrNoSuchKey) || errors.Is(err, blob.ErrNoSuchBucket)
}

var errArtifactGone = notFound("This artifact is not in the store: it was never uploaded, or it has been deleted.")

// artifact answers one file of a build's artifact as a download: the
// artifact itself when it is a ZIP file, else the file named by the
// file parameter below its folder. Only a build's own artifacts are
// served.
func (s *Server) artifact(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Objects == nil {
		return errNotFound
	}
	b, err := s.oneBuild(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	ident := q.Get("a")
	var a *cb.BuildArtifacts
	if ident == "" {
		a = b.Artifacts
	} else if i := slices.IndexFunc(b.SecondaryArtifacts, func(a cb.BuildArtifacts) bool { return a.ArtifactIdentifier == ident }); i >= 0 {
		a = &b.SecondaryArtifacts[i]
	}
	if a == nil || b.BuildComplete == nil || !*b.BuildComplete {
		return notFound("Build %s has no such artifact.", b.Id)
	}
	bucket, key, ok := s3Location(a.Location)
	if !ok {
		return notFound("Build %s has no such artifact.", b.Id)
	}
	if file := q.Get("file"); file != "" {
		if strings.HasPrefix(file, "/") || slices.Contains(strings.Split(file, "/"), "..") {
			return errArtifactGone
		}
		key = path.Join(key, file)
	}
	if key == "" {
		return errArtifactGone
	}
	obj, err := s.cfg.Objects.Open(r.Context(), bucket, key)
	if gone(err) || errors.Is(err, blob.ErrInvalidKey) || errors.Is(err, blob.ErrKeyTooLong) {
		return errArtifactGone
	}
	if err != nil {
		return err
	}
	defer obj.Close()
	o := obj.Object()
	h := w.Header()
	ct := o.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(key)}))
	h.Set("Cache-Control", "private, no-cache")
	h.Set("ETag", `"`+o.ETag+`"`)
	http.ServeContent(w, r, "", o.Modified, io.NewSectionReader(obj, 0, o.Size))
	return nil
}
