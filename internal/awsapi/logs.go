package awsapi

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/codeyard/codeyard/internal/buildlog"
)

// Logs serves the CloudWatch Logs API (Logs_20140328) subset that reads
// build logs: GetLogEvents, FilterLogEvents, DescribeLogGroups and
// DescribeLogStreams.
func Logs(st *buildlog.Store) Service {
	return Service{
		Model:          "logs",
		ValidationCode: "InvalidParameterException",
		MapError:       logsError,
		Ops: map[string]Handler{
			"GetLogEvents":       logsOp(st.GetLogEvents),
			"FilterLogEvents":    logsOp(st.FilterLogEvents),
			"DescribeLogGroups":  logsOp(st.DescribeLogGroups),
			"DescribeLogStreams": logsOp(describeLogStreams(st)),
		},
	}
}

// describeLogStreams answers storedBytes 0 for every stream, as
// CloudWatch has since 2019 (the size is only reported for groups).
func describeLogStreams(st *buildlog.Store) func(context.Context, buildlog.DescribeLogStreamsInput) (*buildlog.DescribeLogStreamsOutput, error) {
	return func(ctx context.Context, in buildlog.DescribeLogStreamsInput) (*buildlog.DescribeLogStreamsOutput, error) {
		out, err := st.DescribeLogStreams(ctx, in)
		if out != nil {
			for i := range out.LogStreams {
				out.LogStreams[i].StoredBytes = 0
			}
		}
		return out, err
	}
}

// logsOp adapts a buildlog query to a Handler. The buildlog types carry the
// model's member names as Go field names, so the request decodes straight
// into them (encoding/json matches names without regard to case) and the
// answer is re-keyed to the model's lowerCamel member names.
func logsOp[In, Out any](f func(context.Context, In) (*Out, error)) Handler {
	return func(ctx context.Context, c *Call, body []byte) (any, error) {
		var in In
		if len(body) > 0 {
			if err := json.Unmarshal(body, &in); err != nil {
				return nil, Errorf(CodeSerialization, "%s", serializationMessage(err))
			}
		}
		out, err := f(ctx, in)
		if err != nil {
			return nil, err
		}
		raw, err := json.Marshal(out)
		if err != nil {
			return nil, err
		}
		return json.RawMessage(lowerKeys(raw)), nil
	}
}

// lowerKeys rewrites the object keys of a JSON document from Go's
// UpperCamel field names to the model's lowerCamel member names, and drops
// null members.
func lowerKeys(raw []byte) []byte {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return raw
	}
	out, _ := json.Marshal(rekey(v))
	return out
}

func rekey(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			if x == nil || k == "" {
				continue
			}
			m[string(k[0]|0x20)+k[1:]] = rekey(x)
		}
		return m
	case []any:
		for i := range t {
			t[i] = rekey(t[i])
		}
		return t
	}
	return v
}

func logsError(err error) *Error {
	var ip *buildlog.InvalidParameterError
	switch {
	case errors.Is(err, buildlog.ErrGroupNotFound):
		return Errorf("ResourceNotFoundException", "The specified log group does not exist.")
	case errors.Is(err, buildlog.ErrStreamNotFound):
		return Errorf("ResourceNotFoundException", "The specified log stream does not exist.")
	case errors.As(err, &ip):
		return Errorf("InvalidParameterException", "%s", ip.Message)
	}
	return nil
}
