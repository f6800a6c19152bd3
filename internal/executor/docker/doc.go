// Package docker runs build plans in containers through the Docker Engine
// API, against Docker or Podman's Docker-compatible socket.
//
// Each build gets one container of its environment image, created in
// Setup and removed in Destroy. The workspace is bind-mounted where
// CodeBuild puts the source (Plan.SrcDir, /codebuild/output/src<n>/src),
// the secondary sources where the Plan's Mounts say, and a private
// control directory of the build's FIFOs at /codebuild/output/.codeyard:
// nothing else of the host is visible. Absolute cache paths are copied in
// and out through the engine's archive API (CopyIn, CopyOut).
//
// The container's first process is a small supervisor shell. It starts
// the build's shells when codeyard asks through the ctl FIFO: the same
// loop as the host executor's (package shell), so a version 0.2 plan has
// one long-lived shell per run-as user, with variables, the working
// directory and functions carried over, and a fresh shell restored from
// the exported state after an exit. Shells of a run-as user start through
// an exec of that user instead. Commands go to each shell down a FIFO of
// its own, and every shell writes its output (stdout and stderr) and the
// sentinels that end commands into one FIFO, which codeyard reads
// directly: output never goes through the engine's attach stream, so a
// chatty build costs what it costs on the host. The shells open both
// FIFOs by path for each line they read and each sentinel they write,
// holding no descriptor of their own across a command: descriptors 0-9
// stay the commands', and it works in dash, whose redirections stop at 9.
//
// Everything the executor creates carries the labels io.codeyard.*, with
// the owning process; Reap removes the containers (and control
// directories) of codeyard processes that are gone.
package docker
