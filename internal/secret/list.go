package secret

import (
	"cmp"
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
)

// Filter is a ListSecrets filter: a key (name, description, tag-key,
// tag-value, primary-region, owning-service or all) and values, each a
// prefix to match or, starting with !, one not to.
type Filter struct {
	Key    string
	Values []string
}

// List is a ListSecrets request.
type List struct {
	IncludeDeleted bool
	Filters        []Filter
	SortBy         string // created-date (default), last-accessed-date, last-changed-date, name
	Desc           bool
	Limit          int // 0: 100
	Token          string
}

// List returns a page of secrets and the token of the next page.
func (s *Service) List(ctx context.Context, q List) ([]*Secret, string, error) {
	all, err := s.store.Secrets(ctx)
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	var out []*Secret
	for _, sec := range all {
		if !sec.Deletion.IsZero() && !now.Before(sec.Deletion) {
			continue // past its deletion date: find removes it
		}
		if !sec.Deleted.IsZero() && !q.IncludeDeleted {
			continue
		}
		if matchAll(sec, q.Filters) {
			out = append(out, sec)
		}
	}
	slices.SortStableFunc(out, func(a, b *Secret) int {
		var c int
		switch q.SortBy {
		case "name":
			c = strings.Compare(a.Name, b.Name)
		case "last-accessed-date":
			c = a.Accessed.Compare(b.Accessed)
		case "last-changed-date":
			c = a.Changed.Compare(b.Changed)
		default:
			c = a.Created.Compare(b.Created)
		}
		if c == 0 {
			c = cmp.Compare(a.Name, b.Name)
		}
		if q.Desc {
			c = -c
		}
		return c
	})
	return page(out, q.Limit, q.Token, 100)
}

func matchAll(sec *Secret, fs []Filter) bool {
	for _, f := range fs {
		if !matchFilter(sec, f) {
			return false
		}
	}
	return true
}

func matchFilter(sec *Secret, f Filter) bool {
	var have []string
	switch f.Key {
	case "name":
		have = []string{sec.Name}
	case "description":
		have = []string{sec.Description}
	case "tag-key":
		for _, t := range sec.Tags {
			have = append(have, t.Key)
		}
	case "tag-value":
		for _, t := range sec.Tags {
			have = append(have, t.Value)
		}
	case "all":
		have = []string{sec.Name, sec.Description}
		for _, t := range sec.Tags {
			have = append(have, t.Key, t.Value)
		}
	}
	positive, matched := false, false
	for _, v := range f.Values {
		neg, isNeg := strings.CutPrefix(v, "!")
		if isNeg {
			for _, h := range have {
				if strings.HasPrefix(h, neg) {
					return false
				}
			}
			continue
		}
		positive = true
		for _, h := range have {
			if strings.HasPrefix(h, v) {
				matched = true
			}
		}
	}
	return matched || !positive
}

// Versions returns a page of a secret's versions, oldest first: those with
// a staging label, or all with deprecated.
func (s *Service) Versions(ctx context.Context, id string, deprecated bool, limit int, token string) (*Secret, []Version, string, error) {
	sec, err := s.get(ctx, id, true)
	if err != nil {
		return nil, nil, "", err
	}
	var vs []Version
	for _, v := range sec.Versions {
		if deprecated || len(v.Stages) > 0 {
			vs = append(vs, v)
		}
	}
	vs, next, err := page(vs, limit, token, 100)
	return sec, vs, next, err
}

// page returns the page of items a token (an offset) starts.
func page[T any](items []T, limit int, token string, def int) ([]T, string, error) {
	if limit <= 0 {
		limit = def
	}
	start := 0
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		n, err2 := strconv.Atoi(string(b))
		if err != nil || err2 != nil || n < 0 || n > len(items) {
			return nil, "", fail(ErrBadToken, "Invalid NextToken.")
		}
		start = n
	}
	end := min(start+limit, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return items[start:end], next, nil
}
