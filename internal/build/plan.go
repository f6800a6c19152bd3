package build

import (
	"fmt"
	"slices"

	"github.com/codeyard/codeyard/internal/buildspec"
)

// PhaseType names a build phase as the CodeBuild API does.
type PhaseType string

// The build phases, in the order a build goes through them.
const (
	PhaseSubmitted       PhaseType = "SUBMITTED"
	PhaseQueued          PhaseType = "QUEUED"
	PhaseProvisioning    PhaseType = "PROVISIONING"
	PhaseDownloadSource  PhaseType = "DOWNLOAD_SOURCE"
	PhaseInstall         PhaseType = "INSTALL"
	PhasePreBuild        PhaseType = "PRE_BUILD"
	PhaseBuild           PhaseType = "BUILD"
	PhasePostBuild       PhaseType = "POST_BUILD"
	PhaseUploadArtifacts PhaseType = "UPLOAD_ARTIFACTS"
	PhaseFinalizing      PhaseType = "FINALIZING"
	PhaseCompleted       PhaseType = "COMPLETED"
)

// userPhases maps buildspec phase names to phase types, in run order.
var userPhases = []struct {
	name string
	typ  PhaseType
}{
	{buildspec.Install, PhaseInstall},
	{buildspec.PreBuild, PhasePreBuild},
	{buildspec.Build, PhaseBuild},
	{buildspec.PostBuild, PhasePostBuild},
}

// Shells a buildspec may name in env.shell, as CodeBuild spells them.
const (
	ShellSh         = "/bin/sh"
	ShellBash       = "bash"
	ShellPowerShell = "powershell.exe"
	ShellCmd        = "cmd.exe"
)

// Plan is a compiled build: everything an Executor needs, as plain data.
// Setup sees only the environment fields (BuildID, Image, Workspace,
// SrcDir, Mounts); the Engine fills in the rest before the first Run.
type Plan struct {
	BuildID string
	// Image is the build environment image; executors that run on the host
	// ignore it.
	Image string
	// Workspace is the host directory holding the primary source.
	Workspace string
	// SrcDir is CODEBUILD_SRC_DIR as the commands see it: Workspace itself
	// on the host, a mount point in a container.
	SrcDir string
	// Mounts are the build's other host directories (its secondary
	// sources) that are elsewhere in the build's environment: Source on
	// the host is Target there. Executors that run on the host ignore
	// them.
	Mounts []Mount

	// Version is the buildspec version, "0.1" or "0.2".
	Version string
	// Shell is one of the Shell constants.
	Shell string
	// RunAs is the user commands run as when their phase names none; empty
	// means the executor's own user.
	RunAs string
	// Env is the build's environment, KEY=VALUE, for every step.
	Env []string
	// Phases are the four user phases, INSTALL to POST_BUILD, always all
	// four; a phase the buildspec leaves out has no steps.
	Phases []PhasePlan
	// Exported names the variables captured at the end of the build.
	Exported []string
}

// Mount is a host directory and where a build sees it.
type Mount struct {
	Source string // host directory
	Target string // absolute path in the build's environment
}

// PhasePlan is one user phase of a Plan.
type PhasePlan struct {
	Type      PhaseType
	OnFailure *buildspec.OnFailure
	// RuntimeVersions are the install phase's runtime-versions.
	RuntimeVersions []buildspec.Var
	Commands        []Step
	Finally         []Step
}

// Step is one command. Env lists KEY=VALUE settings that apply from this
// step on: in version 0.2 the executor exports them into the shell before
// the command; in version 0.1 they are added to the command's environment.
type Step struct {
	Phase   PhaseType
	Command string
	RunAs   string
	Env     []string
}

// Compile turns a parsed buildspec and a resolved environment into a Plan.
// p already holds the environment fields Setup used; Compile fills in the
// rest. env is the complete build environment, KEY=VALUE.
func Compile(spec *buildspec.Spec, p *Plan, env []string) error {
	shell, err := compileShell(spec.Env.Shell)
	if err != nil {
		return err
	}
	p.Version = spec.Version
	p.Shell = shell
	p.RunAs = spec.RunAs
	p.Env = slices.Clone(env)
	p.Exported = slices.Clone(spec.Env.ExportedVariables)
	p.Phases = p.Phases[:0]
	for _, up := range userPhases {
		pp := PhasePlan{Type: up.typ}
		i := slices.IndexFunc(spec.Phases, func(ph buildspec.Phase) bool { return ph.Name == up.name })
		if i >= 0 {
			ph := spec.Phases[i]
			runAs := ph.RunAs
			if runAs == "" {
				runAs = spec.RunAs
			}
			pp.OnFailure = ph.OnFailure
			pp.RuntimeVersions = ph.RuntimeVersions
			for _, c := range ph.Commands {
				pp.Commands = append(pp.Commands, Step{Phase: up.typ, Command: c.Text, RunAs: runAs})
			}
			for _, c := range ph.Finally {
				pp.Finally = append(pp.Finally, Step{Phase: up.typ, Command: c.Text, RunAs: runAs})
			}
		}
		p.Phases = append(p.Phases, pp)
	}
	return nil
}

func compileShell(s string) (string, error) {
	switch s {
	case "", "sh", "/bin/sh":
		return ShellSh, nil
	case "bash", "/bin/bash":
		return ShellBash, nil
	case "powershell.exe", "powershell", "pwsh", "pwsh.exe":
		return ShellPowerShell, nil
	case "cmd.exe", "cmd":
		return ShellCmd, nil
	}
	return "", fmt.Errorf("unsupported shell %q: use bash or /bin/sh on Linux, powershell.exe or cmd.exe on Windows", s)
}
