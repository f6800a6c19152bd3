package awsapi

import (
	"context"
	"net"
	"net/http"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
)

// webhookOps are the webhook operations (CreateWebhook, ...).
func (h *cbHandlers) webhookOps() map[string]Handler {
	return map[string]Handler{
		"CreateWebhook": Op(h.createWebhook),
		"UpdateWebhook": Op(h.updateWebhook),
		"DeleteWebhook": Op(h.deleteWebhook),
	}
}

// localEndpoint is the server's URL at the address the request came in
// on.
func localEndpoint(ctx context.Context) string {
	if a, ok := ctx.Value(http.LocalAddrContextKey).(net.Addr); ok {
		return "http://" + a.String()
	}
	return "http://localhost"
}

func (h *cbHandlers) createWebhook(ctx context.Context, c *Call, in *cb.CreateWebhookInput) (*cb.CreateWebhookOutput, error) {
	w, err := h.svc.CreateWebhook(ctx, caller(c), in, localEndpoint(ctx))
	if err != nil {
		return nil, err
	}
	return &cb.CreateWebhookOutput{Webhook: w}, nil
}

func (h *cbHandlers) updateWebhook(ctx context.Context, c *Call, in *cb.UpdateWebhookInput) (*cb.UpdateWebhookOutput, error) {
	w, err := h.svc.UpdateWebhook(ctx, caller(c), in)
	if err != nil {
		return nil, err
	}
	return &cb.UpdateWebhookOutput{Webhook: w}, nil
}

func (h *cbHandlers) deleteWebhook(ctx context.Context, c *Call, in *cb.DeleteWebhookInput) (*cb.DeleteWebhookOutput, error) {
	return &cb.DeleteWebhookOutput{}, h.svc.DeleteWebhook(ctx, caller(c), in.ProjectName)
}
