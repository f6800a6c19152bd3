package cli

import (
	"time"

	"github.com/codeyard/codeyard/internal/build"
)

// The Build shape of the CodeBuild API as `aws codebuild batch-get-builds`
// prints it (timestamps in ISO 8601), for `codeyard build --json`.
type (
	apiBuildShape struct {
		ID                           string           `json:"id"`
		ARN                          string           `json:"arn"`
		BuildNumber                  int64            `json:"buildNumber"`
		StartTime                    string           `json:"startTime"`
		EndTime                      string           `json:"endTime,omitempty"`
		CurrentPhase                 string           `json:"currentPhase"`
		BuildStatus                  string           `json:"buildStatus"`
		SourceVersion                string           `json:"sourceVersion,omitempty"`
		ResolvedSourceVersion        string           `json:"resolvedSourceVersion,omitempty"`
		ProjectName                  string           `json:"projectName"`
		Phases                       []apiPhase       `json:"phases"`
		Source                       apiSource        `json:"source"`
		Environment                  apiEnvironment   `json:"environment"`
		Logs                         apiLogs          `json:"logs"`
		TimeoutInMinutes             int64            `json:"timeoutInMinutes"`
		BuildComplete                bool             `json:"buildComplete"`
		Initiator                    string           `json:"initiator"`
		ExportedEnvironmentVariables []apiExportedVar `json:"exportedEnvironmentVariables,omitempty"`
		Artifacts                    *apiArtifact     `json:"artifacts,omitempty"`
		ReportARNs                   []string         `json:"reportArns,omitempty"`
		SecondaryArtifacts           []apiArtifact    `json:"secondaryArtifacts,omitempty"`
	}
	apiArtifact struct {
		Location             string `json:"location"`
		SHA256               string `json:"sha256sum,omitempty"`
		MD5                  string `json:"md5sum,omitempty"`
		OverrideArtifactName bool   `json:"overrideArtifactName"`
		ArtifactIdentifier   string `json:"artifactIdentifier,omitempty"`
	}
	apiPhase struct {
		PhaseType         string       `json:"phaseType"`
		PhaseStatus       string       `json:"phaseStatus,omitempty"`
		StartTime         string       `json:"startTime"`
		EndTime           string       `json:"endTime,omitempty"`
		DurationInSeconds *int64       `json:"durationInSeconds,omitempty"`
		Contexts          []apiContext `json:"contexts,omitempty"`
	}
	apiContext struct {
		StatusCode string `json:"statusCode"`
		Message    string `json:"message"`
	}
	apiSource struct {
		Type      string `json:"type"`
		Location  string `json:"location"`
		Buildspec string `json:"buildspec,omitempty"`
	}
	apiEnvironment struct {
		Type                     string   `json:"type"`
		Image                    string   `json:"image"`
		ComputeType              string   `json:"computeType"`
		EnvironmentVariables     []apiVar `json:"environmentVariables"`
		PrivilegedMode           bool     `json:"privilegedMode"`
		ImagePullCredentialsType string   `json:"imagePullCredentialsType"`
	}
	apiVar struct {
		Name  string `json:"name"`
		Value string `json:"value"`
		Type  string `json:"type"`
	}
	apiLogs struct {
		GroupName  string `json:"groupName"`
		StreamName string `json:"streamName"`
	}
	apiExportedVar struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
)

const apiTime = "2006-01-02T15:04:05.000000-07:00"

// newAPIPhase is a build's or a batch's phase as the API shows it: a phase
// that has not ended has no end, duration or contexts.
func newAPIPhase(typ, status string, start, end time.Time, contexts []build.Context) apiPhase {
	ap := apiPhase{PhaseType: typ, PhaseStatus: status, StartTime: start.Format(apiTime)}
	if !end.IsZero() {
		ap.EndTime = end.Format(apiTime)
		d := int64(end.Sub(start) / time.Second)
		ap.DurationInSeconds = &d
		for _, c := range contexts {
			ap.Contexts = append(ap.Contexts, apiContext{StatusCode: c.StatusCode, Message: c.Message})
		}
	}
	return ap
}

func apiBuild(b *build.Build, req *build.Request) apiBuildShape {
	out := apiBuildShape{
		ID:                    b.ID,
		ARN:                   b.ARN,
		BuildNumber:           b.Number,
		StartTime:             b.Start.Format(apiTime),
		CurrentPhase:          string(b.CurrentPhase),
		BuildStatus:           string(b.Status),
		SourceVersion:         b.SourceVersion,
		ResolvedSourceVersion: b.ResolvedSourceVersion,
		ProjectName:           b.Project,
		Phases:                []apiPhase{},
		Source:                apiSource{Type: "NO_SOURCE", Location: req.Workspace, Buildspec: req.Buildspec},
		Environment: apiEnvironment{
			Type:                     "LINUX_CONTAINER",
			Image:                    b.Image,
			ComputeType:              "BUILD_GENERAL1_SMALL",
			EnvironmentVariables:     []apiVar{},
			ImagePullCredentialsType: "CODEBUILD",
		},
		Logs:             apiLogs{GroupName: "/aws/codebuild/" + b.Project, StreamName: b.LogStream},
		TimeoutInMinutes: int64(b.Timeout / time.Minute),
		BuildComplete:    b.Complete,
		Initiator:        b.Initiator,
	}
	if !b.End.IsZero() {
		out.EndTime = b.End.Format(apiTime)
	}
	for _, p := range b.Phases {
		out.Phases = append(out.Phases, newAPIPhase(string(p.Type), string(p.Status), p.Start, p.End, p.Contexts))
	}
	for _, v := range req.Variables {
		out.Environment.EnvironmentVariables = append(out.Environment.EnvironmentVariables, apiVar{Name: v.Name, Value: v.Value, Type: cmpOr(v.Type, build.VarPlaintext)})
	}
	for _, r := range b.Reports {
		out.ReportARNs = append(out.ReportARNs, r.ARN)
	}
	for _, a := range b.Artifacts {
		aa := apiArtifact{Location: b.Masked(a.Location), SHA256: a.SHA256, MD5: a.MD5, OverrideArtifactName: true, ArtifactIdentifier: a.Identifier}
		if a.Identifier == "" {
			out.Artifacts = &aa
		} else {
			out.SecondaryArtifacts = append(out.SecondaryArtifacts, aa)
		}
	}
	for _, v := range b.Exported {
		out.ExportedEnvironmentVariables = append(out.ExportedEnvironmentVariables, apiExportedVar{Name: v.Name, Value: v.Value})
	}
	return out
}
