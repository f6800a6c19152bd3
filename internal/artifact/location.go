package artifact

import "strings"

// Namespace types and packagings of a project's artifacts
// (ProjectArtifacts.namespaceType and .packaging).
const (
	NamespaceNone    = "NONE"
	NamespaceBuildID = "BUILD_ID"
	PackagingNone    = "NONE"
	PackagingZip     = "ZIP"
)

// Layout holds the settings that decide where an artifact is stored: the
// project's (or StartBuild override's) ProjectArtifacts fields and what the
// buildspec says.
type Layout struct {
	// Location is the output bucket. A "bucket/prefix" value puts the
	// artifact below prefix.
	Location string
	// Path is ProjectArtifacts.path.
	Path string
	// NamespaceType is NamespaceNone (also when empty) or NamespaceBuildID.
	NamespaceType string
	// Name is ProjectArtifacts.name.
	Name string
	// Packaging is PackagingNone (also when empty) or PackagingZip. It does
	// not change the key: CodeBuild adds no ".zip" extension.
	Packaging string
	// OverrideArtifactName makes BuildspecName, when not empty, replace
	// Name.
	OverrideArtifactName bool
	// BuildspecName is the artifacts (or secondary artifact) name from the
	// buildspec, already evaluated by the shell.
	BuildspecName string
	// S3Prefix is the buildspec's s3-prefix.
	S3Prefix string
	// BuildID is the build's UUID; a full "<project>:<uuid>" ID is cut at
	// its last colon.
	BuildID string
	// ProjectName names the artifact when neither Name nor BuildspecName
	// does, as the console does when its Name field is left blank.
	ProjectName string
}

// Location returns the key, within the output bucket, that CodeBuild
// writes the artifact to: the ZIP file's object key for packaging ZIP, the
// folder that receives the files for packaging NONE. It is empty when the
// artifact goes to the root of the bucket.
//
// The rules are those of the ProjectArtifacts API documentation
// (botocore codebuild/2016-10-06 service-2.json, ProjectArtifacts.path,
// .namespaceType and .name) and the buildspec reference:
//
//   - the key is path/name, or path/<build-ID>/name with namespace type
//     BUILD_ID; an empty path is not used;
//   - a name of "/" stores the artifact at path (or path/<build-ID>)
//     itself;
//   - with overrideArtifactName, the buildspec's name replaces the
//     project's; a "/" in it makes folders;
//   - with namespace type BUILD_ID, the buildspec's s3-prefix replaces the
//     path: the key is <s3-prefix>/<build-ID>/name. Without BUILD_ID the
//     prefix is not used.
//
// Empty, "." and ".." components are dropped from the key: codeyard's
// stores are file systems, where they would step outside the bucket.
func Location(l Layout) (key string) {
	name := l.Name
	if l.OverrideArtifactName && l.BuildspecName != "" {
		name = l.BuildspecName
	}
	if name == "" {
		name = l.ProjectName
	}
	var parts []string
	add := func(s string) {
		for p := range strings.SplitSeq(s, "/") {
			if p != "" && p != "." && p != ".." {
				parts = append(parts, p)
			}
		}
	}
	if _, prefix, ok := strings.Cut(l.Location, "/"); ok {
		add(prefix)
	}
	if l.NamespaceType == NamespaceBuildID {
		if l.S3Prefix != "" {
			add(l.S3Prefix)
		} else {
			add(l.Path)
		}
		id := l.BuildID
		if i := strings.LastIndexByte(id, ':'); i >= 0 {
			id = id[i+1:]
		}
		add(id)
	} else {
		add(l.Path)
	}
	add(name)
	return strings.Join(parts, "/")
}
