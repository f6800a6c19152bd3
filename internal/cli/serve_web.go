package cli

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/codeyard/codeyard/internal/store"
	"github.com/codeyard/codeyard/internal/web"
)

// webAccounts gives the web UI its users and sessions from the store.
type webAccounts struct{ store *store.Store }

var _ web.Accounts = webAccounts{}

func webErr(err error) error {
	if errors.Is(err, store.ErrNoUser) {
		return web.ErrNoUser
	}
	return err
}

func (a webAccounts) Password(ctx context.Context, name string) (web.User, string, error) {
	u, err := a.store.User(ctx, name)
	if err != nil {
		return web.User{}, "", webErr(err)
	}
	return web.User{Name: u.Name, ReadOnly: u.ReadOnly}, u.Password, nil
}

func (a webAccounts) CreateSession(ctx context.Context, idHash []byte, user, csrf string, created, expires time.Time) error {
	return a.store.CreateSession(ctx, &store.Session{IDHash: idHash, UserName: user, CSRF: csrf, Created: created, Expires: expires})
}

func (a webAccounts) Session(ctx context.Context, idHash []byte, now time.Time) (web.User, string, error) {
	se, u, err := a.store.Session(ctx, idHash, now)
	if err != nil {
		return web.User{}, "", webErr(err)
	}
	return web.User{Name: u.Name, ReadOnly: u.ReadOnly}, se.CSRF, nil
}

func (a webAccounts) DeleteSession(ctx context.Context, idHash []byte) error {
	return a.store.DeleteSession(ctx, idHash)
}

func (a webAccounts) ActiveBuilds(ctx context.Context) ([]string, error) {
	return a.store.ActiveBuilds(ctx)
}

// openWeb makes the web UI's handler, and its admin user when the server
// has no web user yet (a first start, or the first start of a server
// older than the UI): password is then the admin's new password, shown
// once.
func openWeb(ctx context.Context, c serverConfig, srv *server, log *slog.Logger) (ui *web.Server, password string, err error) {
	users, err := srv.store.Users(ctx)
	if err != nil {
		return nil, "", err
	}
	if len(users) == 0 {
		password = web.GeneratePassword()
		hash, err := web.HashPassword(password)
		if err != nil {
			return nil, "", err
		}
		if err := srv.store.CreateUser(ctx, &store.User{Name: "admin", Password: hash, Created: time.Now()}); err != nil {
			return nil, "", err
		}
	}
	ui, err = web.New(web.Config{
		CodeBuild: srv.svc,
		Logs:      srv.logs.store,
		Accounts:  webAccounts{srv.store},
		Objects:   srv.svc.Objects(),
		Region:    c.region,
		Account:   c.account,
		Log:       log.With("component", "web"),
	})
	return ui, password, err
}

// withWeb sends the web UI's requests (under web.Prefix, and not AWS
// requests) to ui, and a browser's unsigned GET / to the UI's dashboard;
// everything else goes to api. No bucket name starts with an
// underscore, so no path-style S3 request goes to ui.
func withWeb(api, ui http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		aws := r.Header.Get("X-Amz-Target") != "" || strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-") ||
			r.URL.Query().Has("X-Amz-Signature") || r.URL.Query().Has("X-Amz-Credential")
		switch {
		case aws:
		case strings.HasPrefix(r.URL.Path, web.Prefix):
			ui.ServeHTTP(w, r)
			return
		case r.Method == http.MethodGet && r.URL.Path == "/" && r.Header.Get("Authorization") == "" &&
			r.URL.RawQuery == "" && strings.Contains(r.Header.Get("Accept"), "text/html"):
			http.Redirect(w, r, web.Prefix, http.StatusFound)
			return
		}
		api.ServeHTTP(w, r)
	})
}
