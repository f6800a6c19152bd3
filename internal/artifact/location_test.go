package artifact_test

import (
	"testing"

	"github.com/codeyard/codeyard/internal/artifact"
)

func TestLocation(t *testing.T) {
	t.Parallel()
	const id = "7f5a3d1c-2b4e-4c8a-9e61-0d3f2a1b5c7e"
	tests := []struct {
		name   string
		layout artifact.Layout
		want   string
	}{
		// The examples of ProjectArtifacts.path, .namespaceType and .name
		// (botocore codebuild 2016-10-06 service-2.json).
		{
			name:   "path with namespace NONE",
			layout: artifact.Layout{Location: "bucket", Path: "MyArtifacts", NamespaceType: artifact.NamespaceNone, Name: "MyArtifact.zip", Packaging: artifact.PackagingZip, BuildID: id},
			want:   "MyArtifacts/MyArtifact.zip",
		},
		{
			name:   "path with namespace BUILD_ID",
			layout: artifact.Layout{Location: "bucket", Path: "MyArtifacts", NamespaceType: artifact.NamespaceBuildID, Name: "MyArtifact.zip", Packaging: artifact.PackagingZip, BuildID: id},
			want:   "MyArtifacts/" + id + "/MyArtifact.zip",
		},
		{
			name:   "empty path, namespace NONE, name slash: bucket root",
			layout: artifact.Layout{Location: "bucket", NamespaceType: artifact.NamespaceNone, Name: "/", BuildID: id},
			want:   "",
		},
		{
			name:   "path, namespace BUILD_ID, name slash",
			layout: artifact.Layout{Location: "bucket", Path: "MyArtifacts", NamespaceType: artifact.NamespaceBuildID, Name: "/", BuildID: id},
			want:   "MyArtifacts/" + id,
		},
		{
			name:   "path not specified is not used",
			layout: artifact.Layout{Location: "bucket", Name: "MyArtifact.zip", BuildID: id},
			want:   "MyArtifact.zip",
		},
		{
			name:   "path not specified with BUILD_ID",
			layout: artifact.Layout{Location: "bucket", NamespaceType: artifact.NamespaceBuildID, Name: "MyArtifact.zip", BuildID: id},
			want:   id + "/MyArtifact.zip",
		},
		// packaging NONE names the folder that receives the files.
		{
			name:   "packaging NONE is a folder with the same key",
			layout: artifact.Layout{Location: "bucket", Path: "MyArtifacts", NamespaceType: artifact.NamespaceBuildID, Name: "site", Packaging: artifact.PackagingNone, BuildID: id},
			want:   "MyArtifacts/" + id + "/site",
		},
		// CodeBuild adds no extension (create-project-console: "If you
		// want to output a ZIP file, and you want the ZIP file to have a
		// file extension, be sure to include it after the ZIP file name").
		{
			name:   "ZIP without extension in the name",
			layout: artifact.Layout{Location: "bucket", Name: "MyArtifact", Packaging: artifact.PackagingZip},
			want:   "MyArtifact",
		},
		{
			name:   "blank name takes the project name",
			layout: artifact.Layout{Location: "bucket", Path: "out", ProjectName: "my-project", Packaging: artifact.PackagingZip},
			want:   "out/my-project",
		},
		// overrideArtifactName and the buildspec's name.
		{
			name:   "buildspec name overrides",
			layout: artifact.Layout{Location: "bucket", Path: "MyArtifacts", Name: "MyArtifact.zip", OverrideArtifactName: true, BuildspecName: "myname-2026-11-27"},
			want:   "MyArtifacts/myname-2026-11-27",
		},
		{
			name:   "buildspec name ignored without overrideArtifactName",
			layout: artifact.Layout{Location: "bucket", Path: "MyArtifacts", Name: "MyArtifact.zip", BuildspecName: "myname-2026-11-27"},
			want:   "MyArtifacts/MyArtifact.zip",
		},
		{
			name:   "empty buildspec name keeps the project's",
			layout: artifact.Layout{Location: "bucket", Name: "MyArtifact.zip", OverrideArtifactName: true},
			want:   "MyArtifact.zip",
		},
		{
			name:   "slashes in the buildspec name make folders",
			layout: artifact.Layout{Location: "bucket", Path: "releases", NamespaceType: artifact.NamespaceBuildID, OverrideArtifactName: true, BuildspecName: "v1.2/linux/app.zip", BuildID: id},
			want:   "releases/" + id + "/v1.2/linux/app.zip",
		},
		{
			name:   "buildspec name of a slash",
			layout: artifact.Layout{Location: "bucket", Path: "MyArtifacts", Name: "x", OverrideArtifactName: true, BuildspecName: "/"},
			want:   "MyArtifacts",
		},
		// s3-prefix (buildspec reference: with namespace type BUILD_ID
		// "the output path in the bucket is <s3-prefix>/<build-id>/<name>.zip").
		{
			name:   "s3-prefix with BUILD_ID",
			layout: artifact.Layout{Location: "bucket", NamespaceType: artifact.NamespaceBuildID, Name: "name.zip", S3Prefix: "prefix", BuildID: id},
			want:   "prefix/" + id + "/name.zip",
		},
		{
			name:   "s3-prefix replaces the path",
			layout: artifact.Layout{Location: "bucket", Path: "MyArtifacts", NamespaceType: artifact.NamespaceBuildID, Name: "name.zip", S3Prefix: "team/a", BuildID: id},
			want:   "team/a/" + id + "/name.zip",
		},
		{
			name:   "s3-prefix unused without BUILD_ID",
			layout: artifact.Layout{Location: "bucket", Path: "MyArtifacts", Name: "name.zip", S3Prefix: "prefix", BuildID: id},
			want:   "MyArtifacts/name.zip",
		},
		// Inputs codeyard tidies.
		{
			name:   "full build ID is cut at the colon",
			layout: artifact.Layout{Location: "bucket", NamespaceType: artifact.NamespaceBuildID, Name: "a.zip", BuildID: "my-project:" + id},
			want:   id + "/a.zip",
		},
		{
			name:   "prefix in the location",
			layout: artifact.Layout{Location: "bucket/team/builds", Path: "MyArtifacts", Name: "a.zip"},
			want:   "team/builds/MyArtifacts/a.zip",
		},
		{
			name:   "extra slashes",
			layout: artifact.Layout{Location: "bucket", Path: "/MyArtifacts//nested/", Name: "//a.zip"},
			want:   "MyArtifacts/nested/a.zip",
		},
		{
			name:   "dot-dot cannot leave the bucket",
			layout: artifact.Layout{Location: "bucket", Path: "../other-bucket", OverrideArtifactName: true, BuildspecName: "../../etc/./x.zip"},
			want:   "other-bucket/etc/x.zip",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := artifact.Location(tt.layout); got != tt.want {
				t.Errorf("Location(%+v) = %q, want %q", tt.layout, got, tt.want)
			}
		})
	}
}
