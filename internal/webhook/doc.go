// Package webhook reads the webhook deliveries of GitHub, GitLab,
// Bitbucket Cloud and Gitea/Forgejo into one Event, checks their
// signatures, and applies CodeBuild's webhook filter groups to them.
//
// The model follows CodeBuild's: an event has a type (PUSH,
// PULL_REQUEST_CREATED, ..., RELEASED, PRERELEASED), a head reference
// (refs/heads/<branch>, refs/tags/<tag>), a base reference for pull
// requests, the commit to build, an actor account id, and, when the
// payload says, the changed files and the head commit's message. A build
// starts when one filter group passes, and a group passes when each of
// its filters does (Match). Start gives the sourceVersion and the
// CODEBUILD_WEBHOOK_* variables of the build an event starts.
//
// Handler serves the receiving endpoint. It never trusts a body it has
// not verified with the webhook's secret, reads at most MaxBody bytes,
// and leaves the filter groups, duplicate deliveries and the build to the
// Hooks it is given. The package imports nothing else from codeyard.
package webhook
