package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// cucumberStep is a step or hook that decides a scenario's outcome. Its
// fields are raw JSON from the report, decoded only when used.
type cucumberStep struct {
	keyword, name, status, errorMessage []byte
}

// cucumberOutcome accumulates the steps and hooks of a scenario (and of
// the background before it). Only the first step of each kind is kept.
type cucumberOutcome struct {
	failed, broken, unknown, skipped *cucumberStep
	duration                         int64
}

// merge adds the outcome of later steps to o.
func (o *cucumberOutcome) merge(later cucumberOutcome) {
	o.failed = cmpOr(o.failed, later.failed)
	o.broken = cmpOr(o.broken, later.broken)
	o.unknown = cmpOr(o.unknown, later.unknown)
	o.skipped = cmpOr(o.skipped, later.skipped)
	o.duration = addDuration(o.duration, later.duration)
}

func cmpOr(a, b *cucumberStep) *cucumberStep {
	if a != nil {
		return a
	}
	return b
}

// parseCucumber reads a Cucumber JSON report: an array of features, each
// with elements (scenarios and backgrounds), each with steps and before
// and after hooks whose result has a status, a duration in nanoseconds
// and an error message. A scenario is one test case, named after the
// scenario, with the feature's name (else its uri) as prefix and suite
// name. The steps of a background count towards the scenario after it,
// as Cucumber-JVM and Cucumber-Ruby write a background before every
// scenario. A scenario's duration is the sum of its steps' and hooks'
// durations, and its status comes from theirs:
//
//   - a failed step or hook makes it FAILED, with that step's error message;
//   - else an undefined or ambiguous step an ERROR (the scenario could not
//     run as written);
//   - else a step status Cucumber does not define makes it UNKNOWN;
//   - else a pending or skipped step makes it SKIPPED;
//   - else (all steps passed, or it has none) it SUCCEEDED.
//
// A hook counts only when it failed: Cucumber marks hooks skipped after a
// step that did not pass, which says nothing the steps do not.
func parseCucumber(r io.Reader, res *Result) error {
	data, first, err := readJSON(r)
	if err != nil {
		return err
	}
	if first != '[' {
		return fmt.Errorf("top-level value is %s, want an array of features", jsonType(first))
	}
	fi := 0
	return eachElement(data, func(feature []byte) error {
		fi++
		if err := parseCucumberFeature(feature, res); err != nil {
			return fmt.Errorf("feature %d: %w", fi, err)
		}
		return nil
	})
}

func parseCucumberFeature(feature []byte, res *Result) error {
	var name, uri, elements []byte
	err := eachMember(feature, func(key, val []byte) error {
		switch string(key) {
		case `"name"`:
			name = val
		case `"uri"`:
			uri = val
		case `"elements"`:
			elements = val
		}
		return nil
	})
	if err != nil {
		return err
	}
	suite := jsonString(name)
	if suite == "" {
		suite = jsonString(uri)
	}
	if isNull(elements) {
		return nil
	}
	if t := jsonTypeOf(elements); t != "an array" {
		return fmt.Errorf("elements: want an array, not %s", t)
	}
	var background cucumberOutcome
	ei := 0
	return eachElement(elements, func(elem []byte) error {
		ei++
		var name, typ, before, steps, after []byte
		err := eachMember(elem, func(key, val []byte) error {
			switch string(key) {
			case `"name"`:
				name = val
			case `"type"`:
				typ = val
			case `"before"`:
				before = val
			case `"steps"`:
				steps = val
			case `"after"`:
				after = val
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("element %d: %w", ei, err)
		}
		var o cucumberOutcome
		for _, part := range []struct {
			raw  []byte
			hook bool
			name string
		}{{before, true, "before"}, {steps, false, "steps"}, {after, true, "after"}} {
			if err := foldSteps(&o, part.raw, part.hook); err != nil {
				return fmt.Errorf("element %d: %s: %w", ei, part.name, err)
			}
		}
		if jsonString(typ) == "background" {
			background.merge(o)
			return nil
		}
		outcome := background
		outcome.merge(o)
		background = cucumberOutcome{}
		tc := TestCase{TestSuiteName: suite, Prefix: suite, Name: jsonString(name)}
		tc.Status, tc.Message = outcome.result()
		tc.DurationInNanoSeconds = outcome.duration
		res.DurationInNanoSeconds = addDuration(res.DurationInNanoSeconds, tc.DurationInNanoSeconds)
		return addTest(res, tc)
	})
}

// foldSteps adds an array of steps, or of hooks, to an outcome. Steps
// may carry hooks of their own (Cucumber-Ruby's AfterStep); hooks do not.
func foldSteps(o *cucumberOutcome, raw []byte, hook bool) error {
	if isNull(raw) {
		return nil
	}
	i := 0
	what := "step"
	if hook {
		what = "hook"
	}
	return eachElement(raw, func(step []byte) error {
		i++
		var s cucumberStep
		var result, before, after []byte
		err := eachMember(step, func(key, val []byte) error {
			switch string(key) {
			case `"keyword"`:
				s.keyword = val
			case `"name"`:
				s.name = val
			case `"result"`:
				result = val
			case `"before"`:
				before = val
			case `"after"`:
				after = val
			}
			return nil
		})
		if err == nil && !isNull(result) {
			err = eachMember(result, func(key, val []byte) error {
				switch string(key) {
				case `"status"`:
					s.status = val
				case `"error_message"`:
					s.errorMessage = val
				case `"duration"`:
					if d, ok := jsonCount(json.Number(strings.TrimSpace(string(val)))); ok {
						o.duration = addDuration(o.duration, d)
					}
				}
				return nil
			})
			if err != nil {
				err = fmt.Errorf("result: %w", err)
			}
		}
		if err == nil && !hook {
			err = foldSteps(o, before, true)
		}
		if err != nil {
			return fmt.Errorf("%s %d: %w", what, i, err)
		}
		step1 := &s
		switch status := strings.ToLower(jsonString(s.status)); {
		case status == "failed":
			o.failed = cmpOr(o.failed, step1)
		case hook || status == "passed":
		case status == "undefined" || status == "ambiguous":
			o.broken = cmpOr(o.broken, step1)
		case status == "pending" || status == "skipped":
			o.skipped = cmpOr(o.skipped, step1)
		default:
			o.unknown = cmpOr(o.unknown, step1)
		}
		if !hook {
			if err := foldSteps(o, after, true); err != nil {
				return fmt.Errorf("%s %d: %w", what, i, err)
			}
		}
		return nil
	})
}

// result returns the status and message of a scenario.
func (o *cucumberOutcome) result() (status, msg string) {
	switch {
	case o.failed != nil:
		return StatusFailed, strings.TrimSpace(jsonString(o.failed.errorMessage))
	case o.broken != nil:
		return StatusError, o.broken.describe()
	case o.unknown != nil:
		return StatusUnknown, o.unknown.describe()
	case o.skipped != nil:
		return StatusSkipped, strings.TrimSpace(jsonString(o.skipped.errorMessage))
	}
	return StatusSucceeded, ""
}

// describe describes a step that did not run: its error message, else its
// status and text ("undefined step: Given a calculator").
func (s *cucumberStep) describe() string {
	if m := strings.TrimSpace(jsonString(s.errorMessage)); m != "" {
		return m
	}
	status := jsonString(s.status)
	if status == "" {
		status = "no status for"
	}
	text := strings.TrimSpace(jsonString(s.keyword) + jsonString(s.name))
	if text == "" {
		return status + " step"
	}
	return status + " step: " + text
}
