package build

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Secrets gives a build the values of env.parameter-store and
// env.secrets-manager entries, and of project variables of types
// PARAMETER_STORE and SECRETS_MANAGER.
type Secrets interface {
	// Parameter returns the value of a Parameter Store parameter, decrypted.
	// name may carry a version or label selector (name:3, name:label).
	Parameter(ctx context.Context, name string) (string, error)
	// Secret returns a secret's string value. stage and versionID are
	// empty when the reference names neither (AWSCURRENT is meant).
	Secret(ctx context.Context, id, stage, versionID string) (string, error)
}

// ErrSecretNotFound is returned by Secrets implementations for a parameter
// or secret that does not exist.
var ErrSecretNotFound = errors.New("not found")

// noSecrets is the Secrets of an engine that was given none.
type noSecrets struct{}

func (noSecrets) Parameter(_ context.Context, name string) (string, error) {
	return "", fmt.Errorf("parameter does not exist: %s", name)
}

func (noSecrets) Secret(_ context.Context, id, _, _ string) (string, error) {
	return "", fmt.Errorf("ResourceNotFoundException: Secrets Manager can't find the specified secret %s", id)
}

// SecretRef is a parsed secrets-manager reference,
// secret-id:json-key:version-stage:version-id.
type SecretRef struct {
	ID, JSONKey, Stage, VersionID string
}

// ParseSecretRef parses a secrets-manager reference. The secret id may be
// an ARN, which has colons of its own.
func ParseSecretRef(ref string) (SecretRef, error) {
	var id string
	rest := ref
	if strings.HasPrefix(ref, "arn:") {
		// arn:partition:secretsmanager:region:account:secret:name
		parts := strings.SplitN(ref, ":", 8)
		if len(parts) < 7 {
			return SecretRef{}, fmt.Errorf("invalid secret ARN %q", ref)
		}
		id = strings.Join(parts[:7], ":")
		rest = ""
		if len(parts) == 8 {
			rest = parts[7]
		}
		if rest == "" {
			return SecretRef{ID: id}, nil
		}
		rest = ":" + rest
	} else {
		id, rest, _ = strings.Cut(ref, ":")
		if rest != "" || strings.Contains(ref, ":") {
			rest = ":" + rest
		}
	}
	if id == "" {
		return SecretRef{}, fmt.Errorf("invalid secret reference %q: empty secret id", ref)
	}
	r := SecretRef{ID: id}
	if rest != "" {
		parts := strings.Split(rest[1:], ":")
		if len(parts) > 3 {
			return SecretRef{}, fmt.Errorf("invalid secret reference %q: want secret-id:json-key:version-stage:version-id", ref)
		}
		parts = append(parts, "", "", "")
		r.JSONKey, r.Stage, r.VersionID = parts[0], parts[1], parts[2]
	}
	if r.Stage != "" && r.VersionID != "" {
		return SecretRef{}, fmt.Errorf("invalid secret reference %q: give a version stage or a version id, not both", ref)
	}
	return r, nil
}

// resolveSecret fetches the value a secrets-manager reference names.
func resolveSecret(ctx context.Context, s Secrets, ref string) (string, error) {
	r, err := ParseSecretRef(ref)
	if err != nil {
		return "", err
	}
	v, err := s.Secret(ctx, r.ID, r.Stage, r.VersionID)
	if err != nil {
		return "", err
	}
	if r.JSONKey == "" {
		return v, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(v), &obj); err != nil {
		return "", fmt.Errorf("secret %s is not a JSON object, so json-key %q cannot be read from it", r.ID, r.JSONKey)
	}
	raw, ok := obj[r.JSONKey]
	if !ok {
		return "", fmt.Errorf("json-key %q not found in secret %s", r.JSONKey, r.ID)
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str, nil
	}
	return string(raw), nil
}
