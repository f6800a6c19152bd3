// Package web is codeyard's web UI: server-rendered pages (html/template)
// for the dashboard, projects (created and edited through a form, with
// their webhooks), builds with their live and searchable logs and their
// artifacts, batch builds with their build graphs, report groups with
// their trends, and test and coverage reports, served by the server under
// Prefix. Charts and graphs are SVG drawn on the server.
//
// The pages work without JavaScript for reading. htmx (4.0.1, vendored in
// static/, no build step) refreshes the dashboard in place; the page's own
// script reads a running build's server-sent events (new log lines, phases,
// status) with the browser's EventSource; nothing is loaded from elsewhere,
// and the Content-Security-Policy says so.
//
// Users sign in with a name and a password (bcrypt); a user is a principal
// as an access key's user is: its name is the initiator of the builds it
// starts, and a read-only user may only read. A session is a random
// cookie (HttpOnly, SameSite=Lax, Secure unless the page was fetched over
// plain HTTP from a host other than loopback) that expires; the store
// keeps only its SHA-256. Every state-changing request carries the
// session's CSRF token in a form field and passes
// http.CrossOriginProtection.
package web
