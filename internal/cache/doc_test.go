package cache_test

import (
	"go/parser"
	"go/token"
	"os"
	"strings"
	"testing"
)

// TestPackageDoc checks that the package comment is in doc.go and nowhere
// else (STYLE.md, convention 2).
func TestPackageDoc(t *testing.T) {
	t.Parallel()
	des, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var withDoc []string
	for _, de := range des {
		name := de.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if f.Doc != nil {
			withDoc = append(withDoc, name)
		}
	}
	if len(withDoc) != 1 || withDoc[0] != "doc.go" {
		t.Errorf("package comments in %q, want only in doc.go", withDoc)
	}
}
