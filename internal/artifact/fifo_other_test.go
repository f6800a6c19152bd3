//go:build !unix

package artifact_test

import "errors"

func mkfifo(string) error { return errors.ErrUnsupported }
