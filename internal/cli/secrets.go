package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/codeyard/codeyard/internal/build"
)

// fileSecrets serves parameter-store and secrets-manager values to local
// builds from the files given with --parameters-file and --secrets-file.
type fileSecrets struct {
	params  map[string]string
	secrets map[string]string
}

var _ build.Secrets = (*fileSecrets)(nil)

func (f *fileSecrets) Parameter(_ context.Context, name string) (string, error) {
	if v, ok := f.params[name]; ok {
		return v, nil
	}
	return "", fmt.Errorf("parameter does not exist: %s", name)
}

func (f *fileSecrets) Secret(_ context.Context, id, stage, versionID string) (string, error) {
	v, ok := f.secrets[id]
	if !ok {
		return "", fmt.Errorf("ResourceNotFoundException: Secrets Manager can't find the specified secret %s", id)
	}
	if versionID != "" || (stage != "" && stage != "AWSCURRENT") {
		return "", fmt.Errorf("ResourceNotFoundException: secret %s has only its AWSCURRENT version in a local secrets file", id)
	}
	return v, nil
}

// readValuesFile reads a --secrets-file or --parameters-file: either a JSON
// object (string values as they are, other values as their JSON text, so a
// secret can be a JSON object for json-key references), or dotenv lines
// NAME=value with # comments and optional quotes.
func readValuesFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(t, &raw); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		for k, v := range raw {
			var s string
			if json.Unmarshal(v, &s) == nil {
				out[k] = s
			} else {
				out[k] = string(v)
			}
		}
		return out, nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("%s:%d: want NAME=value", path, n)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		out[strings.TrimSpace(k)] = v
	}
	return out, sc.Err()
}
