package webhook

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Filter types.
const (
	FilterEvent        = "EVENT"
	FilterHeadRef      = "HEAD_REF"
	FilterBaseRef      = "BASE_REF"
	FilterActor        = "ACTOR_ACCOUNT_ID"
	FilterFilePath     = "FILE_PATH"
	FilterMessage      = "COMMIT_MESSAGE"
	FilterTagName      = "TAG_NAME"
	FilterReleaseName  = "RELEASE_NAME"
	FilterRepository   = "REPOSITORY_NAME"
	FilterOrganization = "ORGANIZATION_NAME"
	// filterBranch is the legacy branchFilter: a pattern of the branch's
	// (or tag's) short name.
	filterBranch = "branchFilter"
)

// Filter is one of CodeBuild's webhook filters. The pattern of an EVENT
// filter is a comma-separated list of event types; the others' is a
// regular expression that may match anywhere in the value (anchor it with
// ^ and $ to match all of it).
type Filter struct {
	Type    string
	Pattern string
	// Exclude (excludeMatchedPattern) inverts the filter: it passes when
	// the pattern does not match.
	Exclude bool
}

// Check refuses filter groups CreateWebhook refuses: a group without an
// EVENT filter, an unknown event or filter type, a pattern that is not a
// regular expression, and the types codeyard does not serve
// (WORKFLOW_NAME and WORKFLOW_JOB_QUEUED, for hosted runners). Its errors
// are messages for the API's caller.
func Check(groups [][]Filter) error {
	for i, g := range groups {
		if len(g) == 0 {
			return fmt.Errorf("filter group %d is empty: a filter group must contain at least one EVENT filter", i+1)
		}
		events := 0
		for _, f := range g {
			switch f.Type {
			case FilterEvent:
				events++
				for _, e := range splitEvents(f.Pattern) {
					if e == "WORKFLOW_JOB_QUEUED" {
						return fmt.Errorf("event type WORKFLOW_JOB_QUEUED is not supported by codeyard: it has no hosted runners")
					}
					if !slices.Contains(EventTypes, e) {
						return fmt.Errorf("invalid event type %q in filter group %d: valid event types are %s", e, i+1, strings.Join(EventTypes, ", "))
					}
				}
			case FilterHeadRef, FilterBaseRef, FilterActor, FilterFilePath, FilterMessage,
				FilterTagName, FilterReleaseName, FilterRepository, FilterOrganization:
				if _, err := regexp.Compile(f.Pattern); err != nil {
					return fmt.Errorf("invalid %s pattern %q in filter group %d: %v", f.Type, f.Pattern, i+1, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
				}
			case "WORKFLOW_NAME":
				return fmt.Errorf("filter type WORKFLOW_NAME is not supported by codeyard: it has no hosted runners")
			default:
				return fmt.Errorf("invalid filter type %q in filter group %d", f.Type, i+1)
			}
		}
		if events == 0 {
			return fmt.Errorf("filter group %d has no EVENT filter: each filter group must contain one", i+1)
		}
	}
	return nil
}

// CheckBranchFilter refuses a branchFilter that is not a regular
// expression.
func CheckBranchFilter(pattern string) error {
	if _, err := regexp.Compile(pattern); err != nil {
		return fmt.Errorf("invalid branch filter %q: %v", pattern, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return nil
}

func splitEvents(pattern string) []string {
	var out []string
	for e := range strings.SplitSeq(pattern, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// DefaultGroups are the filter groups of a webhook that has none: pushes
// and pull requests created, updated or reopened, of the branches (and
// tags) whose name branchFilter matches, or of all when it is empty.
func DefaultGroups(branchFilter string) [][]Filter {
	g := []Filter{{Type: FilterEvent, Pattern: strings.Join([]string{Push, PullRequestCreated, PullRequestUpdated, PullRequestReopened}, ", ")}}
	if branchFilter != "" {
		g = append(g, Filter{Type: filterBranch, Pattern: branchFilter})
	}
	return [][]Filter{g}
}

// Result is how an event fared against one filter group.
type Result struct {
	Pass    bool
	Filters []FilterResult
}

// FilterResult is how an event fared against one filter.
type FilterResult struct {
	Filter Filter
	Pass   bool
	// Value is what the pattern was matched against.
	Value string
	// Note says why a filter passed without being matched: the payload
	// does not carry what it looks at.
	Note string
}

// Evaluate applies each filter group to an event. The groups must have
// passed Check.
//
// A filter whose value the event does not have (BASE_REF of a push,
// TAG_NAME of a pull request) does not match, so it fails, or passes when
// it excludes. FILE_PATH matches when one of the changed files does; when
// it excludes, it passes when one of them does not match, so a filter
// that excludes ^docs/ skips pushes that change only documentation.
// FILE_PATH and COMMIT_MESSAGE pass when the payload lists no files or no
// message (pull requests: CodeBuild asks the forge's API, which codeyard
// does not), and their result says so.
func Evaluate(groups [][]Filter, e *Event) []Result {
	out := make([]Result, len(groups))
	for i, g := range groups {
		r := Result{Pass: true}
		for _, f := range g {
			fr := evalFilter(f, e)
			r.Filters = append(r.Filters, fr)
			r.Pass = r.Pass && fr.Pass
		}
		out[i] = r
	}
	return out
}

// Match returns the index of the first filter group that passes, or -1.
func Match(groups [][]Filter, e *Event) int {
	for i, r := range Evaluate(groups, e) {
		if r.Pass {
			return i
		}
	}
	return -1
}

func evalFilter(f Filter, e *Event) FilterResult {
	r := FilterResult{Filter: f}
	if f.Type == FilterEvent {
		r.Value = e.Type
		r.Pass = slices.Contains(splitEvents(f.Pattern), e.Type) != f.Exclude
		return r
	}
	re, err := regexp.Compile(f.Pattern)
	if err != nil {
		r.Note = "invalid pattern"
		return r
	}
	var value string
	has := true
	switch f.Type {
	case FilterHeadRef:
		value = e.HeadRef
	case FilterBaseRef:
		value, has = e.BaseRef, e.BaseRef != ""
	case FilterActor:
		value, has = e.Actor, e.Actor != ""
	case FilterMessage:
		if !e.MessageKnown {
			r.Pass, r.Note = true, "the payload has no commit message"
			return r
		}
		value = e.Message
	case FilterTagName:
		value, has = e.TagName, e.Type == Released || e.Type == Prereleased
	case FilterReleaseName:
		value, has = e.ReleaseName, e.Type == Released || e.Type == Prereleased
	case FilterRepository:
		value, has = e.Repository, e.Repository != ""
	case FilterOrganization:
		value, has = e.Organization, e.Organization != ""
	case filterBranch:
		value = e.HeadRef
		for _, p := range []string{"refs/heads/", "refs/tags/"} {
			value = strings.TrimPrefix(value, p)
		}
	case FilterFilePath:
		if !e.FilesKnown {
			r.Pass, r.Note = true, "the payload lists no changed files"
			return r
		}
		r.Value = strings.Join(e.Files, "\n")
		if f.Exclude {
			// Passes when some file is not excluded.
			r.Pass = slices.ContainsFunc(e.Files, func(p string) bool { return !re.MatchString(p) })
		} else {
			r.Pass = slices.ContainsFunc(e.Files, re.MatchString)
		}
		return r
	default:
		r.Note = "unknown filter type"
		return r
	}
	r.Value = value
	matched := has && re.MatchString(value)
	r.Pass = matched != f.Exclude
	return r
}
