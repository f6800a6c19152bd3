package artifact

import "github.com/codeyard/codeyard/internal/buildspec"

// Primary returns the selection of a buildspec's primary artifact.
func Primary(a *buildspec.Artifacts) Selection {
	return Selection{
		Files:          a.Files,
		BaseDirectory:  a.BaseDirectory,
		DiscardPaths:   a.DiscardPaths,
		ExcludePaths:   a.ExcludePaths,
		EnableSymlinks: a.EnableSymlinks,
	}
}

// Secondary returns the selection of one of a buildspec's secondary
// artifacts.
func Secondary(s buildspec.SecondaryArtifact) Selection {
	return Selection{
		Identifier:     s.Identifier,
		Files:          s.Files,
		BaseDirectory:  s.BaseDirectory,
		DiscardPaths:   s.DiscardPaths,
		ExcludePaths:   s.ExcludePaths,
		EnableSymlinks: s.EnableSymlinks,
	}
}
