package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

const (
	sessionCookie = "codeyard_session"
	loginCookie   = "codeyard_login" // the login form's CSRF token
)

// HashPassword returns the bcrypt hash of a password, as Accounts keep
// it.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	return string(h), err
}

// GeneratePassword returns a new random password (24 characters).
func GeneratePassword() string {
	var b [18]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// dummyHash is compared against when a user does not exist, so a login
// takes as long for an unknown name as for a wrong password.
// It is made on first use: at package initialization it would cost every
// codeyard process, helper commands included, about 60 ms.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("codeyard"), bcrypt.DefaultCost)
	return h
})

type userKey struct{}

// session is a signed-in request's user and its CSRF token.
type session struct {
	User User
	CSRF string
}

func token() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashID(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

// secure reports whether cookies should be Secure: always, but for plain
// HTTP to a host other than loopback, where a Secure cookie would never
// come back (such a server should be behind TLS).
func secure(r *http.Request) bool {
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		return true
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: Prefix, MaxAge: maxAge,
		HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteLaxMode,
	})
}

// auth serves f to signed-in users, checks the CSRF token of requests
// that change state, and sends everyone else to the login page.
func (s *Server) auth(f pageFunc) http.Handler {
	return s.handle(func(s *Server, w http.ResponseWriter, r *http.Request) error {
		c, err := r.Cookie(sessionCookie)
		var se *session
		if err == nil && c.Value != "" {
			u, csrf, err := s.cfg.Accounts.Session(r.Context(), hashID(c.Value), s.now())
			if err != nil && !errors.Is(err, ErrNoUser) {
				return err
			}
			if err == nil {
				se = &session{User: u, CSRF: csrf}
			}
		}
		if se == nil {
			if r.Method != http.MethodGet {
				return &httpError{http.StatusForbidden, "Your session has expired: sign in again."}
			}
			if r.Header.Get("Accept") == "text/event-stream" || strings.HasSuffix(r.URL.Path, "/events") {
				return &httpError{http.StatusUnauthorized, "Sign in first."}
			}
			return redirect(w, r, Prefix+"login?next="+url.QueryEscape(r.URL.RequestURI()))
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			got := r.PostFormValue("csrf")
			if got == "" {
				got = r.Header.Get("X-CSRF-Token")
			}
			if subtle.ConstantTimeCompare([]byte(got), []byte(se.CSRF)) != 1 {
				return &httpError{http.StatusForbidden, "The form was stale (its CSRF token did not match your session): go back, reload the page and try again."}
			}
		}
		r = r.WithContext(context.WithValue(r.Context(), userKey{}, se))
		if err := f(s, w, r); err != nil {
			s.fail(w, r, err) // with the session, for the page's header
		}
		return nil
	})
}

func sessionOf(r *http.Request) *session {
	se, _ := r.Context().Value(userKey{}).(*session)
	return se
}

// writer refuses read-only users.
func writer(r *http.Request) error {
	if se := sessionOf(r); se == nil || se.User.ReadOnly {
		return &httpError{http.StatusForbidden, "Your user is read-only: it cannot start, stop or change anything."}
	}
	return nil
}

type loginData struct {
	Next  string
	Name  string
	Error string
	CSRF  string
}

// safeNext keeps a post-login redirect on this UI.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Prefix) || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return Prefix
	}
	return next
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	csrf := token()
	s.setCookie(w, r, loginCookie, csrf, 3600)
	s.render(w, r, http.StatusOK, "login", &page{Title: "Sign in", Data: &loginData{Next: safeNext(r.URL.Query().Get("next")), CSRF: csrf}})
	return nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	name, password := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	c, err := r.Cookie(loginCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		csrf := token()
		s.setCookie(w, r, loginCookie, csrf, 3600)
		s.render(w, r, http.StatusForbidden, "login", &page{Title: "Sign in", Data: &loginData{Next: next, Name: name, CSRF: csrf, Error: "The sign-in form was stale: try again."}})
		return nil
	}
	u, hash, err := s.cfg.Accounts.Password(r.Context(), name)
	if err != nil && !errors.Is(err, ErrNoUser) {
		return err
	}
	if err != nil {
		bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
	}
	if err != nil || bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil {
		s.log.InfoContext(r.Context(), "web sign-in refused", "user", name, "remote", r.RemoteAddr)
		s.render(w, r, http.StatusUnauthorized, "login", &page{Title: "Sign in", Data: &loginData{Next: next, Name: name, CSRF: c.Value, Error: "Wrong user name or password."}})
		return nil
	}
	id := token()
	now := s.now()
	if err := s.cfg.Accounts.CreateSession(r.Context(), hashID(id), u.Name, token(), now, now.Add(s.cfg.SessionTTL)); err != nil {
		return err
	}
	s.setCookie(w, r, sessionCookie, id, int(s.cfg.SessionTTL.Seconds()))
	s.setCookie(w, r, loginCookie, "", -1)
	s.log.InfoContext(r.Context(), "web sign-in", "user", u.Name, "remote", r.RemoteAddr)
	return redirect(w, r, next)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.cfg.Accounts.DeleteSession(r.Context(), hashID(c.Value)); err != nil {
			return err
		}
	}
	s.setCookie(w, r, sessionCookie, "", -1)
	return redirect(w, r, Prefix+"login")
}
