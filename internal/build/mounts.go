package build

import (
	"path/filepath"
	"strings"
)

// mounts are the secondary sources the build sees elsewhere than on the
// host.
func mounts(req *Request) []Mount {
	var ms []Mount
	for _, s := range req.Secondary {
		if s.SrcDir != "" && s.SrcDir != s.Workspace {
			ms = append(ms, Mount{Source: s.Workspace, Target: s.SrcDir})
		}
	}
	return ms
}

// hostPath maps an absolute path as the build sees it (inside a
// container's source directories) to the host; other paths are returned
// as they are.
func (r *run) hostPath(p string) string {
	if !filepath.IsAbs(p) {
		return p
	}
	pairs := append([]Mount{{Source: r.plan.Workspace, Target: r.plan.SrcDir}}, r.plan.Mounts...)
	for _, m := range pairs {
		if m.Target == "" || m.Target == m.Source {
			continue
		}
		if p == m.Target {
			return m.Source
		}
		if rest, ok := strings.CutPrefix(p, strings.TrimSuffix(m.Target, "/")+"/"); ok {
			return filepath.Join(m.Source, rest)
		}
	}
	return p
}
