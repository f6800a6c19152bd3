package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/codeyard/codeyard/internal/codebuild"
)

func TestWebhooks(t *testing.T) {
	t.Parallel()
	s := open(t)
	ctx := t.Context()
	now := time.UnixMilli(1_700_000_000_000)
	p := project("app", now, now)
	createProjects(t, s, p)
	hook := &codebuild.WebhookRecord{ID: "h1", Project: "app", Secret: []byte("sealed"), Created: now, Modified: now}
	p.Doc = []byte(`{"name":"app","webhook":{}}`)
	if err := s.CreateWebhook(ctx, p, hook); err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	if err := s.CreateWebhook(ctx, p, &codebuild.WebhookRecord{ID: "h2", Project: "app", Secret: []byte("x"), Created: now, Modified: now}); !errors.Is(err, codebuild.ErrExists) {
		t.Errorf("CreateWebhook(second) = %v, want ErrExists", err)
	}
	if err := s.CreateWebhook(ctx, project("nope", now, now), &codebuild.WebhookRecord{ID: "h3", Project: "nope", Secret: []byte("x")}); !errors.Is(err, codebuild.ErrNotFound) {
		t.Errorf("CreateWebhook(no project) = %v, want ErrNotFound", err)
	}
	recs, _ := s.Projects(ctx, []string{"app"})
	if len(recs) != 1 || string(recs[0].Doc) != `{"name":"app","webhook":{}}` {
		t.Errorf("project after CreateWebhook = %+v, want its new document", recs)
	}
	got, err := s.Webhook(ctx, "h1")
	if err != nil || got.Project != "app" || string(got.Secret) != "sealed" || !got.Created.Equal(now) {
		t.Errorf("Webhook(h1) = %+v, %v", got, err)
	}
	if _, err := s.Webhook(ctx, "h2"); !errors.Is(err, codebuild.ErrNotFound) {
		t.Errorf("Webhook(h2) = %v, want ErrNotFound", err)
	}
	hook.Secret, hook.Modified = []byte("rotated"), now.Add(time.Minute)
	if err := s.UpdateWebhook(ctx, p, hook); err != nil {
		t.Fatalf("UpdateWebhook: %v", err)
	}
	if got, _ := s.Webhook(ctx, "h1"); string(got.Secret) != "rotated" {
		t.Errorf("secret after UpdateWebhook = %q, want rotated", got.Secret)
	}

	// Deliveries: claimed once, remembered with their build, released.
	if b, claimed, err := s.ClaimDelivery(ctx, "h1", "d1", now); err != nil || !claimed || b != "" {
		t.Fatalf("ClaimDelivery(d1) = %q, %v, %v; want claimed", b, claimed, err)
	}
	if b, claimed, err := s.ClaimDelivery(ctx, "h1", "d1", now); err != nil || claimed || b != "" {
		t.Errorf("ClaimDelivery(d1 again, starting) = %q, %v, %v; want not claimed", b, claimed, err)
	}
	if err := s.FinishDelivery(ctx, "h1", "d1", "app:1"); err != nil {
		t.Fatal(err)
	}
	if b, claimed, _ := s.ClaimDelivery(ctx, "h1", "d1", now); claimed || b != "app:1" {
		t.Errorf("ClaimDelivery(d1 again) = %q, %v; want app:1, not claimed", b, claimed)
	}
	s.ClaimDelivery(ctx, "h1", "d2", now)
	if err := s.FinishDelivery(ctx, "h1", "d2", ""); err != nil {
		t.Fatal(err)
	}
	if _, claimed, _ := s.ClaimDelivery(ctx, "h1", "d2", now); !claimed {
		t.Errorf("ClaimDelivery(d2) after its release: not claimed")
	}
	// Forgotten after 30 days.
	if _, claimed, _ := s.ClaimDelivery(ctx, "h1", "d1", now.Add(31*24*time.Hour)); !claimed {
		t.Errorf("ClaimDelivery(d1) 31 days later: not claimed")
	}

	if err := s.DeleteWebhook(ctx, p); err != nil {
		t.Fatalf("DeleteWebhook: %v", err)
	}
	if err := s.DeleteWebhook(ctx, p); !errors.Is(err, codebuild.ErrNotFound) {
		t.Errorf("DeleteWebhook(again) = %v, want ErrNotFound", err)
	}
	if err := s.UpdateWebhook(ctx, p, hook); !errors.Is(err, codebuild.ErrNotFound) {
		t.Errorf("UpdateWebhook(deleted) = %v, want ErrNotFound", err)
	}
	// Deleting a project deletes its webhook.
	if err := s.CreateWebhook(ctx, p, &codebuild.WebhookRecord{ID: "h4", Project: "app", Secret: []byte("x"), Created: now, Modified: now}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteProject(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Webhook(ctx, "h4"); !errors.Is(err, codebuild.ErrNotFound) {
		t.Errorf("Webhook(h4) after DeleteProject = %v, want ErrNotFound", err)
	}
}
