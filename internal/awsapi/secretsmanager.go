package awsapi

import (
	"context"
	"errors"
	"time"

	"github.com/codeyard/codeyard/internal/awsapi/shape"
	sm "github.com/codeyard/codeyard/internal/awsapi/shape/secretsmanager"
	"github.com/codeyard/codeyard/internal/secret"
)

// SecretsManager serves the Secrets Manager API (secretsmanager) of svc.
func SecretsManager(svc *secret.Service) Service {
	h := &smHandlers{svc: svc}
	return Service{
		Model:    "secretsmanager",
		MapError: secretsManagerError,
		Ops: map[string]Handler{
			"CreateSecret":         Op(h.createSecret),
			"GetSecretValue":       Op(h.getSecretValue),
			"PutSecretValue":       Op(h.putSecretValue),
			"UpdateSecret":         Op(h.updateSecret),
			"DescribeSecret":       Op(h.describeSecret),
			"ListSecrets":          Op(h.listSecrets),
			"ListSecretVersionIds": Op(h.listSecretVersionIds),
			"DeleteSecret":         Op(h.deleteSecret),
			"RestoreSecret":        Op(h.restoreSecret),
		},
	}
}

// secretsManagerError maps the secret store's errors to Secrets Manager's.
func secretsManagerError(err error) *Error {
	codes := []struct {
		err  error
		code string
	}{
		{secret.ErrNotFound, "ResourceNotFoundException"},
		{secret.ErrExists, "ResourceExistsException"},
		{secret.ErrInvalidRequest, "InvalidRequestException"},
		{secret.ErrInvalidParameter, "InvalidParameterException"},
		{secret.ErrInvalid, "ValidationException"},
		{secret.ErrBadToken, "InvalidNextTokenException"},
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			msg := "Secrets Manager can't find the specified secret."
			var se *secret.Error
			if errors.As(err, &se) {
				msg = se.Message
			}
			return Errorf(c.code, "%s", msg)
		}
	}
	return nil
}

// The answers whose lists Secrets Manager sends even empty, which the
// generated shapes' omitempty would drop.
type (
	listSecretsResponse struct {
		SecretList []sm.SecretListEntry `json:"SecretList"`
		NextToken  string               `json:"NextToken,omitempty"`
	}
	listSecretVersionIdsResponse struct {
		Versions  []sm.SecretVersionsListEntry `json:"Versions"`
		NextToken string                       `json:"NextToken,omitempty"`
		ARN       string                       `json:"ARN,omitempty"`
		Name      string                       `json:"Name,omitempty"`
	}
)

type smHandlers struct {
	svc *secret.Service
}

func smTime(t time.Time) *shape.Time {
	if t.IsZero() {
		return nil
	}
	return shape.NewTime(t)
}

func (h *smHandlers) createSecret(ctx context.Context, c *Call, in *sm.CreateSecretRequest) (*sm.CreateSecretResponse, error) {
	if len(in.AddReplicaRegions) > 0 {
		return nil, Errorf("InvalidParameterException", "Replica regions are not supported by this server.")
	}
	cr := secret.Create{
		Name: in.Name, Region: c.Region, Account: c.Account, Token: in.ClientRequestToken,
		Value:       secret.Value{String: in.SecretString, Binary: in.SecretBinary},
		Description: in.Description, KmsKeyID: in.KmsKeyId,
	}
	for _, t := range in.Tags {
		cr.Tags = append(cr.Tags, secret.Tag{Key: t.Key, Value: t.Value})
	}
	sec, version, err := h.svc.Create(ctx, cr)
	if err != nil {
		return nil, err
	}
	return &sm.CreateSecretResponse{ARN: sec.ARN, Name: sec.Name, VersionId: version}, nil
}

func (h *smHandlers) getSecretValue(ctx context.Context, c *Call, in *sm.GetSecretValueRequest) (*sm.GetSecretValueResponse, error) {
	if c.Principal.ReadOnly {
		// AWS's ReadOnlyAccess policy lists secrets but does not read them.
		return nil, Errorf(CodeAccessDenied, "User: %s is not authorized to perform: secretsmanager:GetSecretValue on resource: %s: a read-only access key cannot read secret values",
			c.UserARN(), in.SecretId)
	}
	sec, v, val, err := h.svc.Get(ctx, in.SecretId, in.VersionId, in.VersionStage)
	if err != nil {
		return nil, err
	}
	return &sm.GetSecretValueResponse{ARN: sec.ARN, Name: sec.Name, VersionId: v.ID, SecretString: val.String,
		SecretBinary: val.Binary, VersionStages: v.Stages, CreatedDate: smTime(v.Created)}, nil
}

func (h *smHandlers) putSecretValue(ctx context.Context, c *Call, in *sm.PutSecretValueRequest) (*sm.PutSecretValueResponse, error) {
	if in.RotationToken != "" {
		return nil, Errorf("InvalidParameterException", "Rotation is not supported by this server.")
	}
	sec, v, err := h.svc.Put(ctx, secret.Put{ID: in.SecretId, Token: in.ClientRequestToken,
		Value: secret.Value{String: in.SecretString, Binary: in.SecretBinary}, Stages: in.VersionStages})
	if err != nil {
		return nil, err
	}
	return &sm.PutSecretValueResponse{ARN: sec.ARN, Name: sec.Name, VersionId: v.ID, VersionStages: v.Stages}, nil
}

// updateSecretInput tells an absent Description or KmsKeyId from an empty
// one.
type updateSecretInput struct {
	sm.UpdateSecretRequest
	Description *string `json:"Description"`
	KmsKeyId    *string `json:"KmsKeyId"`
}

func (h *smHandlers) updateSecret(ctx context.Context, c *Call, in *updateSecretInput) (*sm.UpdateSecretResponse, error) {
	sec, v, err := h.svc.Update(ctx, secret.Update{ID: in.SecretId, Token: in.ClientRequestToken,
		Value:       secret.Value{String: in.SecretString, Binary: in.SecretBinary},
		Description: in.Description, KmsKeyID: in.KmsKeyId})
	if err != nil {
		return nil, err
	}
	out := &sm.UpdateSecretResponse{ARN: sec.ARN, Name: sec.Name}
	if v != nil {
		out.VersionId = v.ID
	}
	return out, nil
}

func smTags(tags []secret.Tag) []sm.Tag {
	out := []sm.Tag{}
	for _, t := range tags {
		out = append(out, sm.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

// stagesByVersion maps the versions that carry a staging label to their
// labels, as DescribeSecret and ListSecrets answer them.
func stagesByVersion(sec *secret.Secret) map[string][]string {
	m := map[string][]string{}
	for _, v := range sec.Versions {
		if len(v.Stages) > 0 {
			m[v.ID] = v.Stages
		}
	}
	return m
}

func (h *smHandlers) describeSecret(ctx context.Context, c *Call, in *sm.DescribeSecretRequest) (*sm.DescribeSecretResponse, error) {
	sec, err := h.svc.Describe(ctx, in.SecretId)
	if err != nil {
		return nil, err
	}
	return &sm.DescribeSecretResponse{
		ARN: sec.ARN, Name: sec.Name, Description: sec.Description, KmsKeyId: sec.KmsKeyID,
		LastChangedDate: smTime(sec.Changed), LastAccessedDate: smTime(sec.Accessed), DeletedDate: smTime(sec.Deleted),
		Tags: smTags(sec.Tags), VersionIdsToStages: stagesByVersion(sec), CreatedDate: smTime(sec.Created),
	}, nil
}

func (h *smHandlers) listSecrets(ctx context.Context, c *Call, in *sm.ListSecretsRequest) (*listSecretsResponse, error) {
	q := secret.List{IncludeDeleted: in.IncludePlannedDeletion != nil && *in.IncludePlannedDeletion,
		SortBy: in.SortBy, Desc: in.SortOrder == "desc", Token: in.NextToken}
	if in.MaxResults != nil {
		q.Limit = int(*in.MaxResults)
	}
	for _, f := range in.Filters {
		q.Filters = append(q.Filters, secret.Filter{Key: f.Key, Values: f.Values})
	}
	secs, next, err := h.svc.List(ctx, q)
	if err != nil {
		return nil, err
	}
	out := &listSecretsResponse{SecretList: []sm.SecretListEntry{}, NextToken: next}
	for _, sec := range secs {
		out.SecretList = append(out.SecretList, sm.SecretListEntry{
			ARN: sec.ARN, Name: sec.Name, Description: sec.Description, KmsKeyId: sec.KmsKeyID,
			LastChangedDate: smTime(sec.Changed), LastAccessedDate: smTime(sec.Accessed), DeletedDate: smTime(sec.Deleted),
			Tags: smTags(sec.Tags), SecretVersionsToStages: stagesByVersion(sec), CreatedDate: smTime(sec.Created),
		})
	}
	return out, nil
}

func (h *smHandlers) listSecretVersionIds(ctx context.Context, c *Call, in *sm.ListSecretVersionIdsRequest) (*listSecretVersionIdsResponse, error) {
	limit := 0
	if in.MaxResults != nil {
		limit = int(*in.MaxResults)
	}
	sec, vs, next, err := h.svc.Versions(ctx, in.SecretId, in.IncludeDeprecated != nil && *in.IncludeDeprecated, limit, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &listSecretVersionIdsResponse{ARN: sec.ARN, Name: sec.Name, NextToken: next, Versions: []sm.SecretVersionsListEntry{}}
	for _, v := range vs {
		out.Versions = append(out.Versions, sm.SecretVersionsListEntry{VersionId: v.ID, VersionStages: v.Stages, CreatedDate: smTime(v.Created)})
	}
	return out, nil
}

func (h *smHandlers) deleteSecret(ctx context.Context, c *Call, in *sm.DeleteSecretRequest) (*sm.DeleteSecretResponse, error) {
	sec, when, err := h.svc.Delete(ctx, in.SecretId, in.RecoveryWindowInDays,
		in.ForceDeleteWithoutRecovery != nil && *in.ForceDeleteWithoutRecovery, c.Region, c.Account)
	if err != nil {
		return nil, err
	}
	return &sm.DeleteSecretResponse{ARN: sec.ARN, Name: sec.Name, DeletionDate: smTime(when)}, nil
}

func (h *smHandlers) restoreSecret(ctx context.Context, c *Call, in *sm.RestoreSecretRequest) (*sm.RestoreSecretResponse, error) {
	sec, err := h.svc.Restore(ctx, in.SecretId)
	if err != nil {
		return nil, err
	}
	return &sm.RestoreSecretResponse{ARN: sec.ARN, Name: sec.Name}, nil
}
