package cli

import (
	"io"
	"path/filepath"

	"github.com/codeyard/codeyard/internal/buildlog"
)

// buildLogs keeps the server's build logs in a buildlog.Store.
type buildLogs struct{ store *buildlog.Store }

func openLogs(c serverConfig) (*buildLogs, error) {
	st, err := buildlog.Open(filepath.Join(c.dataDir, "logs"))
	if err != nil {
		return nil, err
	}
	st.Region, st.Account = c.region, c.account
	return &buildLogs{store: st}, nil
}

func (l *buildLogs) Create(group, stream string) (io.WriteCloser, error) {
	return l.store.Create(group, stream)
}

func (l *buildLogs) DeleteStream(group, stream string) error {
	return l.store.DeleteStream(group, stream)
}
