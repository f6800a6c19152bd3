// Package codebuild is codeyard's CodeBuild control plane: projects,
// builds, build batches, report groups and reports, and the worker pool
// that runs queued builds with the build engine.
//
// Resources are kept as the API's own shapes (internal/awsapi/shape/
// codebuild), serialized as JSON documents in a Store, because a project
// or a build is exactly what CreateProject takes and BatchGetBuilds
// answers, including the settings that only matter on AWS, which codeyard
// stores and echoes. The package adds what the shapes cannot say: the
// defaults AWS fills in, the checks AWS makes beyond the model's
// constraints, and what running a build means.
//
// A started build is a row and a queued job, written in one transaction,
// so it survives a crash of the server; a job that was running when the
// server died is found at the next start and its build ends FAILED with a
// phase context that says why. The queue is a table of the store rather
// than a job library (River was the candidate): a build must run at most
// once, never be retried by a rescuer while its first run may still be
// alive, reach a worker within milliseconds of StartBuild (an in-process
// wake-up, with a one-second poll for jobs queued elsewhere), and wait
// behind its project's concurrent build limit, which the claim query
// checks in the same statement that takes the job.
package codebuild
