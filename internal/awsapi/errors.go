package awsapi

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an error the API answers with: an AWS error code (the
// response's __type), a message and an HTTP status.
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an Error with status 400, the status of AWS's client
// errors.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

// Common error codes of the AWS JSON services.
const (
	CodeUnknownOperation = "UnknownOperationException"
	CodeSerialization    = "SerializationException"
	CodeAccessDenied     = "AccessDeniedException"
	CodeInternalFailure  = "InternalFailure"
	CodeTooLarge         = "RequestEntityTooLargeException"
	CodeThrottling       = "ThrottlingException"
)

// asError turns any error a handler returns into the Error to answer with:
// an *Error as it is, anything else through the service's mapping, and
// what nothing maps becomes an InternalFailure whose detail only the log
// sees.
func asError(err error, mapErr func(error) *Error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	if mapErr != nil {
		if e := mapErr(err); e != nil {
			return e, true
		}
	}
	return &Error{Code: CodeInternalFailure, Message: "An internal error occurred. See the server log for the request id.", Status: http.StatusInternalServerError}, false
}
