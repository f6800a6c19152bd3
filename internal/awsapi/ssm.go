package awsapi

import (
	"context"
	"errors"
	"strings"

	"github.com/codeyard/codeyard/internal/awsapi/shape"
	ssm "github.com/codeyard/codeyard/internal/awsapi/shape/ssm"
	"github.com/codeyard/codeyard/internal/parameter"
)

// SSM serves the Parameter Store operations of the SSM API (AmazonSSM).
func SSM(svc *parameter.Service) Service {
	h := &ssmHandlers{svc: svc}
	return Service{
		Model:    "ssm",
		MapError: ssmError,
		Ops: map[string]Handler{
			"PutParameter":          Op(h.putParameter),
			"GetParameter":          Op(h.getParameter),
			"GetParameters":         Op(h.getParameters),
			"GetParametersByPath":   Op(h.getParametersByPath),
			"DeleteParameter":       Op(h.deleteParameter),
			"DeleteParameters":      Op(h.deleteParameters),
			"DescribeParameters":    Op(h.describeParameters),
			"LabelParameterVersion": Op(h.labelParameterVersion),
			"GetParameterHistory":   Op(h.getParameterHistory),
		},
	}
}

// ssmCodes are the SSM error codes of Parameter Store's errors.
var ssmCodes = []struct {
	err  error
	code string
}{
	{parameter.ErrNotFound, "ParameterNotFound"},
	{parameter.ErrVersionNotFound, "ParameterVersionNotFound"},
	{parameter.ErrExists, "ParameterAlreadyExists"},
	{parameter.ErrInvalid, "ValidationException"},
	{parameter.ErrReserved, CodeAccessDenied},
	{parameter.ErrLimit, "ParameterLimitExceeded"},
	{parameter.ErrVersionLimit, "ParameterMaxVersionLimitExceeded"},
	{parameter.ErrLabelLimit, "ParameterVersionLabelLimitExceeded"},
	{parameter.ErrHierarchyLimit, "HierarchyLevelLimitExceededException"},
	{parameter.ErrPatternMismatch, "ParameterPatternMismatchException"},
	{parameter.ErrBadPattern, "InvalidAllowedPatternException"},
	{parameter.ErrFilterKey, "InvalidFilterKey"},
	{parameter.ErrFilterOption, "InvalidFilterOption"},
	{parameter.ErrFilterValue, "InvalidFilterValue"},
	{parameter.ErrBadToken, "InvalidNextToken"},
}

// ssmError maps Parameter Store's errors to SSM's.
func ssmError(err error) *Error {
	for _, c := range ssmCodes {
		if errors.Is(err, c.err) {
			var pe *parameter.Error
			msg := ""
			if errors.As(err, &pe) {
				msg = pe.Message
			}
			return Errorf(c.code, "%s", msg)
		}
	}
	return nil
}

// The answers whose lists SSM sends even empty, which the generated
// shapes' omitempty would drop.
type (
	getParametersResult struct {
		Parameters        []ssm.Parameter `json:"Parameters"`
		InvalidParameters []string        `json:"InvalidParameters"`
	}
	getParametersByPathResult struct {
		Parameters []ssm.Parameter `json:"Parameters"`
		NextToken  string          `json:"NextToken,omitempty"`
	}
	deleteParametersResult struct {
		DeletedParameters []string `json:"DeletedParameters"`
		InvalidParameters []string `json:"InvalidParameters"`
	}
	describeParametersResult struct {
		Parameters []ssm.ParameterMetadata `json:"Parameters"`
		NextToken  string                  `json:"NextToken,omitempty"`
	}
	labelParameterVersionResult struct {
		InvalidLabels    []string `json:"InvalidLabels"`
		ParameterVersion *int64   `json:"ParameterVersion,omitempty"`
	}
	getParameterHistoryResult struct {
		Parameters []ssm.ParameterHistory `json:"Parameters"`
		NextToken  string                 `json:"NextToken,omitempty"`
	}
)

type ssmHandlers struct {
	svc *parameter.Service
}

// parameterARN is the ARN of a parameter: the name without its leading
// slash after "parameter/".
func parameterARN(c *Call, name string) string {
	return c.ARN("ssm", "parameter/"+strings.TrimPrefix(name, "/"))
}

// putParameterInput tells an absent Description or AllowedPattern from an
// empty one: an overwrite keeps what it does not name.
type putParameterInput struct {
	ssm.PutParameterRequest
	Description    *string `json:"Description"`
	AllowedPattern *string `json:"AllowedPattern"`
}

func (h *ssmHandlers) putParameter(ctx context.Context, c *Call, in *putParameterInput) (*ssm.PutParameterResult, error) {
	put := parameter.Put{
		Name: in.Name, Value: in.Value, Type: in.Type, KeyID: in.KeyId, Tier: in.Tier, DataType: in.DataType,
		Policies: in.Policies, Overwrite: in.Overwrite != nil && *in.Overwrite, By: c.UserARN(),
		HasDescription: in.Description != nil, HasAllowedPattern: in.AllowedPattern != nil,
	}
	if in.Description != nil {
		put.Description = *in.Description
	}
	if in.AllowedPattern != nil {
		put.AllowedPattern = *in.AllowedPattern
	}
	for _, t := range in.Tags {
		put.Tags = append(put.Tags, parameter.Tag{Key: t.Key, Value: t.Value})
	}
	v, tier, err := h.svc.Put(ctx, put)
	if err != nil {
		return nil, err
	}
	return &ssm.PutParameterResult{Version: &v, Tier: tier}, nil
}

// checkDecrypt refuses a read-only principal the decryption of a
// SecureString, as AWS's ReadOnlyAccess policy allows ssm:GetParameter but
// not kms:Decrypt.
func checkDecrypt(c *Call, v *parameter.Version, decrypt bool) error {
	if decrypt && v.Type == parameter.TypeSecureString && c.Principal.ReadOnly {
		return Errorf(CodeAccessDenied, "User: %s is not authorized to perform: kms:Decrypt on resource: %s: a read-only access key cannot decrypt SecureString parameters",
			c.UserARN(), parameterARN(c, v.Name))
	}
	return nil
}

func (h *ssmHandlers) wire(c *Call, v *parameter.Version, selector string, decrypt bool) (ssm.Parameter, error) {
	if err := checkDecrypt(c, v, decrypt); err != nil {
		return ssm.Parameter{}, err
	}
	val, err := h.svc.Value(v, decrypt)
	if err != nil {
		return ssm.Parameter{}, err
	}
	return ssm.Parameter{
		Name: v.Name, Type: v.Type, Value: val, Version: &v.Version, Selector: selector,
		LastModifiedDate: shape.NewTime(v.Modified), ARN: parameterARN(c, v.Name), DataType: v.DataType,
	}, nil
}

func (h *ssmHandlers) getParameter(ctx context.Context, c *Call, in *ssm.GetParameterRequest) (*ssm.GetParameterResult, error) {
	v, sel, err := h.svc.Get(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	p, err := h.wire(c, v, sel, in.WithDecryption != nil && *in.WithDecryption)
	if err != nil {
		return nil, err
	}
	return &ssm.GetParameterResult{Parameter: &p}, nil
}

func (h *ssmHandlers) getParameters(ctx context.Context, c *Call, in *ssm.GetParametersRequest) (*getParametersResult, error) {
	found, invalid, err := h.svc.GetMany(ctx, in.Names)
	if err != nil {
		return nil, err
	}
	out := &getParametersResult{Parameters: []ssm.Parameter{}, InvalidParameters: invalid}
	if out.InvalidParameters == nil {
		out.InvalidParameters = []string{}
	}
	for _, f := range found {
		p, err := h.wire(c, f.Version, f.Selector, in.WithDecryption != nil && *in.WithDecryption)
		if err != nil {
			return nil, err
		}
		out.Parameters = append(out.Parameters, p)
	}
	return out, nil
}

func ssmFilters(fs []ssm.ParameterStringFilter) []parameter.Filter {
	var out []parameter.Filter
	for _, f := range fs {
		out = append(out, parameter.Filter{Key: f.Key, Option: f.Option, Values: f.Values})
	}
	return out
}

func ssmLimit(p *int64) int {
	if p == nil {
		return 0
	}
	return int(*p)
}

func (h *ssmHandlers) getParametersByPath(ctx context.Context, c *Call, in *ssm.GetParametersByPathRequest) (*getParametersByPathResult, error) {
	vs, next, err := h.svc.ByPath(ctx, parameter.ByPath{
		Path: in.Path, Recursive: in.Recursive != nil && *in.Recursive, Filters: ssmFilters(in.ParameterFilters),
		Limit: ssmLimit(in.MaxResults), Token: in.NextToken,
	})
	if err != nil {
		return nil, err
	}
	out := &getParametersByPathResult{Parameters: []ssm.Parameter{}, NextToken: next}
	for _, v := range vs {
		p, err := h.wire(c, v, "", in.WithDecryption != nil && *in.WithDecryption)
		if err != nil {
			return nil, err
		}
		out.Parameters = append(out.Parameters, p)
	}
	return out, nil
}

func (h *ssmHandlers) deleteParameter(ctx context.Context, c *Call, in *ssm.DeleteParameterRequest) (*ssm.DeleteParameterResult, error) {
	return &ssm.DeleteParameterResult{}, h.svc.Delete(ctx, in.Name)
}

func (h *ssmHandlers) deleteParameters(ctx context.Context, c *Call, in *ssm.DeleteParametersRequest) (*deleteParametersResult, error) {
	deleted, invalid, err := h.svc.DeleteMany(ctx, in.Names)
	if err != nil {
		return nil, err
	}
	if deleted == nil {
		deleted = []string{}
	}
	if invalid == nil {
		invalid = []string{}
	}
	return &deleteParametersResult{DeletedParameters: deleted, InvalidParameters: invalid}, nil
}

func (h *ssmHandlers) describeParameters(ctx context.Context, c *Call, in *ssm.DescribeParametersRequest) (*describeParametersResult, error) {
	if len(in.Filters) > 0 && len(in.ParameterFilters) > 0 {
		return nil, Errorf("ValidationException", "You can use either Filters or ParameterFilters in a single request.")
	}
	q := parameter.Describe{Filters: ssmFilters(in.ParameterFilters), Limit: ssmLimit(in.MaxResults), Token: in.NextToken}
	if len(in.Filters) > 0 {
		q.Old = true
		q.Filters = nil
		for _, f := range in.Filters {
			q.Filters = append(q.Filters, parameter.Filter{Key: f.Key, Values: f.Values})
		}
	}
	vs, next, err := h.svc.Describe(ctx, q)
	if err != nil {
		return nil, err
	}
	out := &describeParametersResult{Parameters: []ssm.ParameterMetadata{}, NextToken: next}
	for _, v := range vs {
		out.Parameters = append(out.Parameters, ssm.ParameterMetadata{
			Name: v.Name, ARN: parameterARN(c, v.Name), Type: v.Type, KeyId: v.KeyID,
			LastModifiedDate: shape.NewTime(v.Modified), LastModifiedUser: v.ModifiedBy, Description: v.Description,
			AllowedPattern: v.AllowedPattern, Version: &v.Version, Tier: v.Tier, Policies: []ssm.ParameterInlinePolicy{},
			DataType: v.DataType,
		})
	}
	return out, nil
}

func (h *ssmHandlers) labelParameterVersion(ctx context.Context, c *Call, in *ssm.LabelParameterVersionRequest) (*labelParameterVersionResult, error) {
	var version int64
	if in.ParameterVersion != nil {
		version = *in.ParameterVersion
	}
	invalid, v, err := h.svc.Label(ctx, in.Name, version, in.Labels)
	if err != nil {
		return nil, err
	}
	if invalid == nil {
		invalid = []string{}
	}
	return &labelParameterVersionResult{InvalidLabels: invalid, ParameterVersion: &v}, nil
}

func (h *ssmHandlers) getParameterHistory(ctx context.Context, c *Call, in *ssm.GetParameterHistoryRequest) (*getParameterHistoryResult, error) {
	vs, next, err := h.svc.History(ctx, in.Name, ssmLimit(in.MaxResults), in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &getParameterHistoryResult{Parameters: []ssm.ParameterHistory{}, NextToken: next}
	for _, v := range vs {
		if err := checkDecrypt(c, v, in.WithDecryption != nil && *in.WithDecryption); err != nil {
			return nil, err
		}
		val, err := h.svc.Value(v, in.WithDecryption != nil && *in.WithDecryption)
		if err != nil {
			return nil, err
		}
		labels := v.Labels
		if labels == nil {
			labels = []string{}
		}
		out.Parameters = append(out.Parameters, ssm.ParameterHistory{
			Name: v.Name, Type: v.Type, KeyId: v.KeyID, LastModifiedDate: shape.NewTime(v.Modified),
			LastModifiedUser: v.ModifiedBy, Description: v.Description, Value: val, AllowedPattern: v.AllowedPattern,
			Version: &v.Version, Labels: labels, Tier: v.Tier, Policies: []ssm.ParameterInlinePolicy{}, DataType: v.DataType,
		})
	}
	return out, nil
}
