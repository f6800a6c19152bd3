// Package e2e holds end-to-end tests of the codeyard binary: it is built
// once, then driven as a user drives it, on the sample projects under
// testdata/projects.
package e2e
