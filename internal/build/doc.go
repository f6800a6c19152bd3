// Package build runs CodeBuild builds. A buildspec is compiled into a Plan,
// plain data that names every step, and the Engine walks a Plan through
// CodeBuild's build phases (SUBMITTED to COMPLETED) on an Executor, with
// CodeBuild's failure transitions, on-failure rules, finally blocks,
// variables, secret masking and log format.
package build
