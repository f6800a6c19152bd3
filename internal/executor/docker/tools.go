package docker

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/moby/api/types/mount"
)

// Tools are helper commands put in every build container: one statically
// linked multi-call binary (codeyard itself, which is codebuild-hash-files
// and the others when run under their names) and the names it answers to.
type Tools struct {
	// Binary is the binary on the host. It is mounted read-only at
	// toolsMount/codeyard, so it must run in any image: statically linked.
	Binary string
	// Names are the commands, linked to the binary in toolsMount, which
	// ends the container's PATH.
	Names []string
}

// toolsMount is where the helper commands are in the container.
const toolsMount = "/codebuild/bin"

// defaultPath is the PATH of a container whose image sets none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Static reports whether the ELF binary at path is statically linked (has
// no program interpreter), so it runs in any Linux image of its
// architecture.
func Static(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	return true, nil
}

func (t Tools) check() error {
	if t.Binary == "" {
		return nil
	}
	ok, err := Static(t.Binary)
	if err != nil {
		return fmt.Errorf("helper commands binary: %w", err)
	}
	if !ok {
		return fmt.Errorf("helper commands binary %s is dynamically linked and would not run in every image; build it with CGO_ENABLED=0", t.Binary)
	}
	for _, n := range t.Names {
		if n == "" || n == "codeyard" || strings.ContainsAny(n, "/\x00") {
			return fmt.Errorf("helper command name %q", n)
		}
	}
	return nil
}

// toolMounts prepares dir/bin, the directory of links to the binary, and
// returns the mounts that put it and the binary at toolsMount, read-only.
func (t Tools) mounts(dir string) ([]mount.Mount, error) {
	if t.Binary == "" {
		return nil, nil
	}
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		return nil, err
	}
	// The binary is mounted over an empty file of its name, so the
	// engine need not create a mount point in a read-only directory.
	if err := os.WriteFile(filepath.Join(bin, "codeyard"), nil, 0o755); err != nil {
		return nil, err
	}
	for _, n := range t.Names {
		if err := os.Symlink("codeyard", filepath.Join(bin, n)); err != nil {
			return nil, err
		}
	}
	self := filepath.Join(dir, "codeyard")
	if err := os.Symlink(t.Binary, self); err != nil {
		return nil, err
	}
	return []mount.Mount{
		{Type: mount.TypeBind, Source: bin, Target: toolsMount, ReadOnly: true},
		{Type: mount.TypeBind, Source: self, Target: toolsMount + "/codeyard", ReadOnly: true},
	}, nil
}
