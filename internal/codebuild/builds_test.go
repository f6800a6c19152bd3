package codebuild

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
)

func testProject() *cb.Project {
	return &cb.Project{
		Name:          "app",
		Source:        &cb.ProjectSource{Type: "GITHUB", Location: "https://example.com/app.git", Buildspec: "buildspec.yml", GitCloneDepth: ptr[int64](1)},
		SourceVersion: "main",
		Artifacts:     &cb.ProjectArtifacts{Type: "S3", Location: "bucket", Name: "out", Packaging: "ZIP"},
		Environment: &cb.ProjectEnvironment{Type: "LINUX_CONTAINER", Image: "aws/codebuild/standard:7.0", ComputeType: "BUILD_GENERAL1_SMALL",
			EnvironmentVariables: []cb.EnvironmentVariable{{Name: "A", Value: "1", Type: "PLAINTEXT"}, {Name: "B", Value: "/p/b", Type: "PARAMETER_STORE"}}},
		TimeoutInMinutes: ptr[int64](60), QueuedTimeoutInMinutes: ptr[int64](480),
		Cache: &cb.ProjectCache{Type: "NO_CACHE"},
	}
}

// TestBuildFromProject checks that each StartBuild override replaces only
// its own setting, for this build only.
func TestBuildFromProject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    *cb.StartBuildInput
		check func(t *testing.T, b *cb.Build, rs *runSettings)
	}{
		{"no overrides", &cb.StartBuildInput{ProjectName: "app"}, func(t *testing.T, b *cb.Build, rs *runSettings) {
			if b.SourceVersion != "main" || b.Source.Location != "https://example.com/app.git" || val(b.TimeoutInMinutes) != 60 {
				t.Errorf("build = %+v, want the project's settings", b)
			}
			if rs.Artifacts == nil || rs.Artifacts.Name != "out" || b.Artifacts == nil || b.Artifacts.Location != "bucket" {
				t.Errorf("artifacts = %+v / %+v, want the project's", rs.Artifacts, b.Artifacts)
			}
		}},
		{"variables override by name and add", &cb.StartBuildInput{ProjectName: "app", EnvironmentVariablesOverride: []cb.EnvironmentVariable{
			{Name: "B", Value: "plain"}, {Name: "C", Value: "3", Type: "PLAINTEXT"}}}, func(t *testing.T, b *cb.Build, _ *runSettings) {
			want := []cb.EnvironmentVariable{{Name: "A", Value: "1", Type: "PLAINTEXT"}, {Name: "B", Value: "plain", Type: "PLAINTEXT"}, {Name: "C", Value: "3", Type: "PLAINTEXT"}}
			if diff := cmp.Diff(want, b.Environment.EnvironmentVariables); diff != "" {
				t.Errorf("variables (-want +got):\n%s", diff)
			}
		}},
		{"source overrides", &cb.StartBuildInput{ProjectName: "app", SourceVersion: "pr/3", SourceLocationOverride: "file:///r.git",
			GitCloneDepthOverride: ptr[int64](0), BuildspecOverride: "version: 0.2\nphases: {}\n"}, func(t *testing.T, b *cb.Build, _ *runSettings) {
			if b.SourceVersion != "pr/3" || b.Source.Location != "file:///r.git" || val(b.Source.GitCloneDepth) != 0 || b.Source.Type != "GITHUB" {
				t.Errorf("source = %+v version %q", b.Source, b.SourceVersion)
			}
		}},
		{"no source needs a buildspec", &cb.StartBuildInput{ProjectName: "app", SourceTypeOverride: "NO_SOURCE", BuildspecOverride: "version: 0.2\n"}, func(t *testing.T, b *cb.Build, _ *runSettings) {
			if b.Source.Type != "NO_SOURCE" || b.Source.Location != "" {
				t.Errorf("source = %+v, want NO_SOURCE without a location", b.Source)
			}
		}},
		{"environment and timeouts", &cb.StartBuildInput{ProjectName: "app", ImageOverride: "img:2", ComputeTypeOverride: "BUILD_GENERAL1_LARGE",
			PrivilegedModeOverride: ptr(true), TimeoutInMinutesOverride: ptr[int64](5), QueuedTimeoutInMinutesOverride: ptr[int64](6)}, func(t *testing.T, b *cb.Build, _ *runSettings) {
			e := b.Environment
			if e.Image != "img:2" || e.ComputeType != "BUILD_GENERAL1_LARGE" || !val(e.PrivilegedMode) || val(b.TimeoutInMinutes) != 5 || val(b.QueuedTimeoutInMinutes) != 6 {
				t.Errorf("environment %+v timeouts %d/%d", e, val(b.TimeoutInMinutes), val(b.QueuedTimeoutInMinutes))
			}
		}},
		{"no artifacts override", &cb.StartBuildInput{ProjectName: "app", ArtifactsOverride: &cb.ProjectArtifacts{Type: "NO_ARTIFACTS"}}, func(t *testing.T, b *cb.Build, rs *runSettings) {
			if b.Artifacts != nil || rs.Artifacts.Type != "NO_ARTIFACTS" {
				t.Errorf("artifacts = %+v / %+v, want none", b.Artifacts, rs.Artifacts)
			}
		}},
		{"logs config", &cb.StartBuildInput{ProjectName: "app", LogsConfigOverride: &cb.LogsConfig{CloudWatchLogs: &cb.CloudWatchLogsConfig{Status: "ENABLED", GroupName: "g", StreamName: "s"}}}, func(t *testing.T, b *cb.Build, _ *runSettings) {
			g, s := logNames(b, "u-u-i-d")
			if g != "g" || s != "s/u-u-i-d" {
				t.Errorf("log names = %s %s, want g s/u-u-i-d", g, s)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testProject()
			b, rs, err := buildFromProject(p, tt.in)
			if err != nil {
				t.Fatalf("buildFromProject: %v", err)
			}
			tt.check(t, b, rs)
			if diff := cmp.Diff(testProject(), p); diff != "" {
				t.Errorf("the project changed (-want +got):\n%s", diff)
			}
		})
	}
	p := testProject()
	p.Source.Buildspec = "" // buildspec.yml of the source, which NO_SOURCE has not
	if _, _, err := buildFromProject(p, &cb.StartBuildInput{ProjectName: "app", SourceTypeOverride: "NO_SOURCE"}); err == nil {
		t.Error("NO_SOURCE without a buildspec: no error")
	}
}
