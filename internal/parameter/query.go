package parameter

import (
	"context"
	"errors"
	"slices"
	"strings"
)

// Filter is a ParameterStringFilter: a key (Name, Type, KeyId, Path, Tier,
// DataType, Label or tag:KEY), an option and values.
type Filter struct {
	Key    string
	Option string
	Values []string
}

// ByPath is a GetParametersByPath request.
type ByPath struct {
	Path      string
	Recursive bool
	Filters   []Filter
	Limit     int // 0: 10
	Token     string
}

const pathRule = `The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash "/". It can't be prefixed with "aws" or "ssm" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.`

// ByPath returns a page of the parameters under a path, by name, and the
// token of the next page. A Label filter selects the version that carries
// the label.
func (s *Service) ByPath(ctx context.Context, q ByPath) ([]*Version, string, error) {
	if !strings.HasPrefix(q.Path, "/") || strings.Contains(q.Path, "//") || !nameChars.MatchString(q.Path) {
		return nil, "", fail(ErrInvalid, "%s", pathRule)
	}
	if err := checkFilters(q.Filters, true); err != nil {
		return nil, "", err
	}
	prefix := strings.TrimSuffix(q.Path, "/") + "/"
	under := func(v *Version) bool {
		name := v.Name
		if !strings.HasPrefix(name, "/") {
			name = "/" + name // a root-level name without its slash
		}
		rest, ok := strings.CutPrefix(name, prefix)
		return ok && (q.Recursive || !strings.Contains(rest, "/"))
	}
	storePrefix := prefix
	if prefix == "/" {
		storePrefix = ""
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 10
	}
	return s.scan(ctx, storePrefix, q.Token, limit, func(v *Version) (*Version, error) {
		if !under(v) {
			return nil, nil
		}
		return s.match(ctx, v, q.Filters)
	})
}

// Describe is a DescribeParameters request: Filters (the older
// ParametersFilter: Name, Type, KeyId) or ParameterFilters, not both.
type Describe struct {
	Filters []Filter
	// Old is true when Filters came as the ParametersFilter list.
	Old   bool
	Limit int // 0: 10
	Token string
}

// Describe returns a page of the parameters that match the filters, by
// name, and the token of the next page.
func (s *Service) Describe(ctx context.Context, q Describe) ([]*Version, string, error) {
	filters := q.Filters
	if q.Old {
		// Name values of the old filter are prefixes.
		filters = slices.Clone(filters)
		for i, f := range filters {
			filters[i].Option = "Equals"
			if f.Key == "Name" {
				filters[i].Option = "BeginsWith"
			}
		}
	} else if err := checkFilters(filters, false); err != nil {
		return nil, "", err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 10
	}
	return s.scan(ctx, "", q.Token, limit, func(v *Version) (*Version, error) {
		return s.match(ctx, v, filters)
	})
}

// scan pages through the latest versions of the parameters under a name
// prefix, keeping what keep returns, until it has limit and knows whether
// there is more.
func (s *Service) scan(ctx context.Context, prefix, token string, limit int, keep func(*Version) (*Version, error)) ([]*Version, string, error) {
	after := ""
	if token != "" {
		t, err := decodeToken(token)
		if err != nil {
			return nil, "", err
		}
		after = t
	}
	var out []*Version
	var lastName string
	for {
		batch, err := s.store.Parameters(ctx, prefix, after, 100)
		if err != nil {
			return nil, "", err
		}
		for _, v := range batch {
			after = v.Name
			k, err := keep(v)
			if err != nil {
				return nil, "", err
			}
			if k == nil {
				continue
			}
			if len(out) == limit {
				return out, encodeToken(lastName), nil
			}
			out = append(out, k)
			lastName = v.Name
		}
		if len(batch) < 100 {
			return out, "", nil
		}
	}
}

// match returns the version of v that the filters select: v itself, the
// labelled version for a Label filter, or nil.
func (s *Service) match(ctx context.Context, v *Version, filters []Filter) (*Version, error) {
	for _, f := range filters {
		if f.Key == "Label" {
			var found *Version
			for _, l := range f.Values {
				lv, err := s.store.ParameterByLabel(ctx, v.Name, l)
				if errors.Is(err, ErrNotFound) {
					continue
				}
				if err != nil {
					return nil, err
				}
				found = lv
				break
			}
			if found == nil {
				return nil, nil
			}
			v = found
			continue
		}
		if !matchFilter(v, f) {
			return nil, nil
		}
	}
	return v, nil
}

func matchFilter(v *Version, f Filter) bool {
	var have []string
	switch {
	case f.Key == "Name":
		have = []string{v.Name}
	case f.Key == "Type":
		have = []string{v.Type}
	case f.Key == "KeyId":
		have = []string{v.KeyID}
	case f.Key == "Tier":
		have = []string{v.Tier}
	case f.Key == "DataType":
		have = []string{v.DataType}
	case f.Key == "Path":
		name := v.Name
		if !strings.HasPrefix(name, "/") {
			name = "/" + name
		}
		for _, p := range f.Values {
			prefix := strings.TrimSuffix(p, "/") + "/"
			rest, ok := strings.CutPrefix(name, prefix)
			if ok && (f.Option == "Recursive" || !strings.Contains(rest, "/")) {
				return true
			}
		}
		return false
	case strings.HasPrefix(f.Key, "tag:"):
		key := strings.TrimPrefix(f.Key, "tag:")
		for _, t := range v.Tags {
			if t.Key == key {
				have = append(have, t.Value)
			}
		}
		if len(have) > 0 && len(f.Values) == 0 {
			return true
		}
	}
	for _, h := range have {
		for _, want := range f.Values {
			switch f.Option {
			case "BeginsWith":
				if f.Key == "Name" {
					h, want = "/"+strings.TrimPrefix(h, "/"), "/"+strings.TrimPrefix(want, "/")
				}
				if strings.HasPrefix(h, want) {
					return true
				}
			case "Contains":
				if strings.Contains(h, want) {
					return true
				}
			default:
				if f.Key == "Name" {
					h, want = "/"+strings.TrimPrefix(h, "/"), "/"+strings.TrimPrefix(want, "/")
				}
				if h == want {
					return true
				}
			}
		}
	}
	return false
}

// checkFilters checks ParameterFilters as SSM does, and fills in the
// default options.
func checkFilters(fs []Filter, byPath bool) error {
	seen := map[string]bool{}
	for i := range fs {
		f := &fs[i]
		if byPath && (f.Key == "Name" || f.Key == "Path" || f.Key == "Tier") {
			return fail(ErrFilterKey, "The following filter key is not valid: %s. Valid filter keys include: [Type, KeyId].", f.Key)
		}
		if !byPath && f.Key == "Label" {
			return fail(ErrFilterKey, "The following filter key is not valid: Label. Valid filter keys include: [Path, Name, Type, KeyId, Tier].")
		}
		if seen[f.Key] {
			return fail(ErrFilterKey, "The following filter is duplicated in the request: %s. A request can contain only one occurrence of a specific filter.", f.Key)
		}
		seen[f.Key] = true
		if len(f.Values) == 0 && !strings.HasPrefix(f.Key, "tag:") {
			return fail(ErrFilterValue, "The following filter values are missing : null for filter key %s.", f.Key)
		}
		switch f.Key {
		case "Path":
			if f.Option == "" {
				f.Option = "OneLevel"
			}
			if f.Option != "OneLevel" && f.Option != "Recursive" {
				return fail(ErrFilterOption, "The following filter option is not valid: %s. Valid options include: [Recursive, OneLevel].", f.Option)
			}
			for _, p := range f.Values {
				if !strings.HasPrefix(p, "/") || strings.Contains(p, "//") || !nameChars.MatchString(p) {
					return fail(ErrInvalid, "%s", pathRule)
				}
			}
			continue
		case "Type":
			for _, t := range f.Values {
				if t != TypeString && t != TypeStringList && t != TypeSecureString {
					return fail(ErrFilterValue, "The following filter value is not valid: %s. Valid values include: [String, StringList, SecureString].", t)
				}
			}
		case "Tier":
			for _, t := range f.Values {
				if t != TierStandard && t != TierAdvanced && t != TierIntelligent {
					return fail(ErrFilterValue, "The following filter value is not valid: %s. Valid values include: [Standard, Advanced, Intelligent-Tiering].", t)
				}
			}
		}
		if f.Option == "" {
			f.Option = "Equals"
		}
		switch {
		case f.Option == "Equals":
		case f.Option == "BeginsWith" && f.Key != "Label":
		case f.Option == "Contains" && f.Key == "Name":
		default:
			valid := "[BeginsWith, Equals]"
			if f.Key == "Name" {
				valid = "[BeginsWith, Equals, Contains]"
			} else if f.Key == "Label" {
				valid = "[Equals]"
			}
			return fail(ErrFilterOption, "The following filter option is not valid: %s. Valid options include: %s.", f.Option, valid)
		}
	}
	return nil
}
