package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/parameter"
	"github.com/codeyard/codeyard/internal/secret"
)

// storedSecrets resolves the parameter-store and secrets-manager references
// of the server's builds from its own Parameter Store and Secrets Manager.
// Its errors end up in the build's phase context (Decrypted Variables
// Error, Secrets Manager Error), so they name the reference and never a
// value.
type storedSecrets struct {
	params  *parameter.Service
	secrets *secret.Service
}

var _ build.Secrets = storedSecrets{}

func (s storedSecrets) Parameter(ctx context.Context, name string) (string, error) {
	v, _, err := s.params.Get(ctx, name)
	switch {
	case errors.Is(err, parameter.ErrNotFound):
		return "", fmt.Errorf("parameter does not exist: %s", name)
	case errors.Is(err, parameter.ErrVersionNotFound):
		return "", fmt.Errorf("parameter version does not exist: %s", name)
	case err != nil:
		return "", fmt.Errorf("parameter %s: %w", name, err)
	}
	return s.params.Value(v, true)
}

func (s storedSecrets) Secret(ctx context.Context, id, stage, versionID string) (string, error) {
	_, _, val, err := s.secrets.Get(ctx, id, versionID, stage)
	var se *secret.Error
	if errors.As(err, &se) {
		code := "InvalidRequestException"
		switch {
		case errors.Is(err, secret.ErrNotFound):
			code = "ResourceNotFoundException"
		case errors.Is(err, secret.ErrInvalidParameter):
			code = "InvalidParameterException"
		}
		return "", fmt.Errorf("%s: %s (secret %s)", code, se.Message, id)
	}
	if err != nil {
		return "", fmt.Errorf("secret %s: %w", id, err)
	}
	if val.String == "" && len(val.Binary) > 0 {
		return "", fmt.Errorf("secret %s has a binary value; a build variable takes a SecretString", id)
	}
	return val.String, nil
}
