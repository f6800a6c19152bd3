package buildspec

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
)

// defaultRetries is the number of retries of a bare RETRY.
const defaultRetries = 3

// maxRetries is the largest retry count RETRY-<count> accepts.
const maxRetries = 100

// retryCountRegex matches the RETRY-<count>-<regex> form.
var retryCountRegex = regexp.MustCompile(`^([0-9]+)-(.*)$`)

// parseOnFailure parses a phase's on-failure value. The forms are those of
// the buildspec reference: ABORT, CONTINUE, RETRY (3 retries on any error),
// RETRY-<count> (0 to 100), RETRY-<regex> and RETRY-<count>-<regex>. A
// suffix made only of digits is a count; digits followed by a dash start
// the count of the last form; anything else is a regex, which must compile
// as a Go regular expression (RE2 syntax). problem is empty when the value
// is valid.
func parseOnFailure(s string) (of *OnFailure, problem string) {
	switch s {
	case Abort, Continue:
		return &OnFailure{Raw: s, Action: s}, ""
	case Retry:
		return &OnFailure{Raw: s, Action: Retry, RetryCount: defaultRetries}, ""
	}
	rest, ok := strings.CutPrefix(s, Retry+"-")
	if !ok {
		return nil, ""
	}
	of = &OnFailure{Raw: s, Action: Retry, RetryCount: defaultRetries}
	count, regex := "", rest
	switch {
	case rest != "" && strings.Trim(rest, "0123456789") == "":
		count, regex = rest, ""
	default:
		if m := retryCountRegex.FindStringSubmatch(rest); m != nil {
			count, regex = m[1], m[2]
		}
	}
	if count != "" {
		n, err := strconv.Atoi(count)
		if err != nil || n > maxRetries {
			return nil, fmt.Sprintf("the retry count must be between 0 and %d", maxRetries)
		}
		of.RetryCount = n
	}
	if count == "" || regex != "" || strings.HasSuffix(rest, "-") {
		if regex == "" {
			return nil, "the retry regex is empty"
		}
		if _, err := regexp.Compile(regex); err != nil {
			msg := err.Error()
			if se, ok := err.(*syntax.Error); ok {
				msg = fmt.Sprintf("%s: `%s`", se.Code, se.Expr)
			}
			return nil, "the retry regex does not compile: " + msg
		}
		of.RetryRegex = regex
	}
	return of, ""
}
