package buildlog

import (
	"errors"
	"fmt"
	"regexp"
)

// The errors the query and Create methods return, wrapped or not. The
// handlers map them to CloudWatch Logs errors with errors.Is and errors.As.
var (
	// ErrGroupNotFound answers ResourceNotFoundException with the message
	// "The specified log group does not exist."
	ErrGroupNotFound = errors.New("log group does not exist")

	// ErrStreamNotFound answers ResourceNotFoundException with the message
	// "The specified log stream does not exist." A Writer whose stream was
	// deleted returns it too.
	ErrStreamNotFound = errors.New("log stream does not exist")

	// ErrInvalidParameter is the class of every *InvalidParameterError:
	// errors.Is(err, ErrInvalidParameter) tells that the request was at
	// fault. The handler answers InvalidParameterException with the
	// error's Message.
	ErrInvalidParameter = errors.New("invalid parameter")

	// ErrInvalidToken is the *InvalidParameterError of a nextToken that
	// this Store did not issue for the request (garbage, another stream, or
	// a position past the stream's end). Its Message is CloudWatch's: "The
	// specified nextToken is invalid." errors.Is(err, ErrInvalidParameter)
	// holds for it too.
	ErrInvalidToken error = &InvalidParameterError{Message: "The specified nextToken is invalid."}

	// ErrStreamBusy is returned by Create when the stream already has an
	// open Writer. It is not a CloudWatch error.
	ErrStreamBusy = errors.New("log stream already has a writer")

	errWriterClosed = errors.New("log stream writer is closed")
)

// InvalidParameterError is a request the CloudWatch Logs API would refuse
// with InvalidParameterException. Message is the text to answer with, in
// CloudWatch's words where they are known.
type InvalidParameterError struct {
	Message string
}

func (e *InvalidParameterError) Error() string { return "invalid parameter: " + e.Message }

// Is makes every InvalidParameterError match ErrInvalidParameter.
func (e *InvalidParameterError) Is(target error) bool { return target == ErrInvalidParameter }

func invalidParam(format string, args ...any) error {
	return &InvalidParameterError{Message: fmt.Sprintf(format, args...)}
}

// validation is CloudWatch's message for a member that breaks the model's
// constraints (the SDKs check most of them before sending).
func validation(value any, member, constraint string) error {
	return invalidParam("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: Member must %s", value, member, constraint)
}

var (
	groupNamePattern = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]+$`)
	arnPattern       = regexp.MustCompile(`^arn:aws[a-z-]*:logs:[a-z0-9-]*:[0-9]*:log-group:([\.\-_/#A-Za-z0-9]+)(:\*)?$`)
)

func checkGroupName(member, name string) error {
	switch {
	case len(name) < 1:
		return validation(name, member, "have length greater than or equal to 1")
	case len(name) > 512:
		return validation(name, member, "have length less than or equal to 512")
	case !groupNamePattern.MatchString(name):
		return validation(name, member, `satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]+`)
	}
	return nil
}

func checkStreamName(member, name string) error {
	switch {
	case len(name) < 1:
		return validation(name, member, "have length greater than or equal to 1")
	case len(name) > 512:
		return validation(name, member, "have length less than or equal to 512")
	}
	for i := 0; i < len(name); i++ {
		if name[i] == ':' || name[i] == '*' {
			return validation(name, member, "satisfy regular expression pattern: [^:*]*")
		}
	}
	return nil
}

// groupOf resolves logGroupName and logGroupIdentifier (a name or an ARN,
// with or without the trailing ":*"): exactly one must be given.
func groupOf(name, identifier *string) (string, error) {
	switch {
	case name != nil && identifier != nil:
		return "", invalidParam("LogGroupName and LogGroupIdentifier are mutually exclusive parameters.")
	case name != nil:
		return *name, checkGroupName("logGroupName", *name)
	case identifier != nil:
		id := *identifier
		if m := arnPattern.FindStringSubmatch(id); m != nil {
			id = m[1]
		}
		return id, checkGroupName("logGroupIdentifier", id)
	}
	return "", invalidParam("Either LogGroupName or LogGroupIdentifier must be provided.")
}

func checkLimit(limit *int32, max int32) (int, error) {
	if limit == nil {
		return int(max), nil
	}
	switch {
	case *limit < 1:
		return 0, validation(*limit, "limit", "have value greater than or equal to 1")
	case *limit > max:
		return 0, validation(*limit, "limit", fmt.Sprintf("have value less than or equal to %d", max))
	}
	return int(*limit), nil
}

func checkTime(member string, t *int64) error {
	if t != nil && *t < 0 {
		return validation(*t, member, "have value greater than or equal to 0")
	}
	return nil
}
