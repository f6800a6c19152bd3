package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
)

// PathPrefix is where the server receives deliveries: PathPrefix + the
// webhook's id. No S3 bucket name can start with an underscore, so the
// path never names an object.
const PathPrefix = "/_codeyard/webhooks/"

// MaxBody is the largest delivery read: GitHub caps payloads at 25 MB.
const MaxBody = 25 << 20

// ErrNoHook is a webhook id that names no webhook.
var ErrNoHook = errors.New("no such webhook")

// Hooks are the webhooks a Handler delivers to.
type Hooks interface {
	// Secret returns the secret of a webhook, or ErrNoHook.
	Secret(ctx context.Context, id string) (string, error)
	// Deliver applies the webhook's filter groups to a verified
	// delivery and starts its build, once per delivery id.
	Deliver(ctx context.Context, id string, r *Received) (*Outcome, error)
}

// Received is a verified delivery and its event.
type Received struct {
	Delivery
	Event *Event
	// Initiator is who the build names as its initiator: the forge's
	// User-Agent (GitHub-Hookshot/<id>), as CodeBuild records it.
	Initiator string
}

// Outcome is what a delivery did; the Handler answers it as JSON.
type Outcome struct {
	Build      string `json:"build,omitempty"`
	BuildBatch string `json:"buildBatch,omitempty"`
	// FilterGroup is the 1-based index of the group that passed; 0 when
	// the webhook has no filter groups.
	FilterGroup int `json:"filterGroup,omitempty"`
	// Duplicate: the delivery id was delivered before, and started
	// Build (or BuildBatch) then.
	Duplicate bool `json:"duplicate,omitempty"`
	// Skipped says why no build started.
	Skipped string `json:"skipped,omitempty"`
}

// Handler receives deliveries at PathPrefix<id>.
type Handler struct {
	Hooks Hooks
	Log   *slog.Logger
	// MaxBody is the largest body read; 0 means MaxBody.
	MaxBody int64
}

type answer struct {
	Message string `json:"message"`
	*Outcome
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	code, a := h.serve(r)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(a)
}

func (h *Handler) serve(r *http.Request) (int, answer) {
	ctx := r.Context()
	log := h.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if r.Method != http.MethodPost {
		return http.StatusMethodNotAllowed, answer{Message: "deliveries are POSTed"}
	}
	id := strings.TrimPrefix(r.URL.Path, PathPrefix)
	if id == "" || strings.ContainsAny(id, "/?#") || len(id) > 128 {
		return http.StatusNotFound, answer{Message: "no such webhook"}
	}
	secret, err := h.Hooks.Secret(ctx, id)
	if errors.Is(err, ErrNoHook) {
		return http.StatusNotFound, answer{Message: "no such webhook"}
	}
	if err != nil {
		log.ErrorContext(ctx, "look up webhook", "webhook", id, "err", err)
		return http.StatusInternalServerError, answer{Message: "internal error"}
	}
	limit := h.MaxBody
	if limit <= 0 {
		limit = MaxBody
	}
	if r.ContentLength > limit {
		return http.StatusRequestEntityTooLarge, answer{Message: "payload too large"}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return http.StatusBadRequest, answer{Message: "the payload could not be read"}
	}
	if int64(len(body)) > limit {
		return http.StatusRequestEntityTooLarge, answer{Message: "payload too large"}
	}
	d, err := Detect(r.Header, body)
	if err != nil {
		return http.StatusBadRequest, answer{Message: err.Error()}
	}
	switch err := Verify(d.Forge, r.Header, body, secret); {
	case errors.Is(err, ErrUnsigned):
		return http.StatusUnauthorized, answer{Message: "missing " + SignatureHeader[d.Forge] + ": the delivery is not signed with the webhook's secret"}
	case err != nil:
		return http.StatusForbidden, answer{Message: SignatureHeader[d.Forge] + " does not match: the delivery is not signed with the webhook's secret"}
	}
	log = log.With("webhook", id, "forge", d.Forge, "event", d.Event, "delivery", d.ID)
	ev, err := Parse(d.Forge, d.Event, body)
	if errors.Is(err, ErrIgnored) {
		log.DebugContext(ctx, "delivery ignored", "reason", err.Error())
		return http.StatusOK, answer{Message: "ignored", Outcome: &Outcome{Skipped: err.Error()}}
	}
	if err != nil {
		return http.StatusBadRequest, answer{Message: err.Error()}
	}
	initiator := r.UserAgent()
	if initiator == "" || len(initiator) > 128 {
		initiator = "codeyard-webhook/" + d.Forge
	}
	out, err := h.Hooks.Deliver(ctx, id, &Received{Delivery: d, Event: ev, Initiator: initiator})
	if errors.Is(err, ErrNoHook) {
		return http.StatusNotFound, answer{Message: "no such webhook"}
	}
	if err != nil {
		log.ErrorContext(ctx, "deliver", "err", err)
		return http.StatusInternalServerError, answer{Message: "the build could not be started; the server log says why"}
	}
	switch {
	case out.Duplicate:
		return http.StatusOK, answer{Message: "duplicate delivery", Outcome: out}
	case out.Skipped != "":
		return http.StatusOK, answer{Message: "no build", Outcome: out}
	}
	log.InfoContext(ctx, "webhook build started", "build", out.Build, "build_batch", out.BuildBatch, "event_type", ev.Type)
	return http.StatusAccepted, answer{Message: "build started", Outcome: out}
}
