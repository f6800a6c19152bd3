package buildlog

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// maxDescribe is the default and largest limit of the Describe operations
// (model: DescribeLimit, max 50).
const maxDescribe = 50

// DescribeLogStreams lists a log group's streams, by name (the default) or by
// the time of their last event, ascending unless Descending.
func (s *Store) DescribeLogStreams(ctx context.Context, in DescribeLogStreamsInput) (*DescribeLogStreamsOutput, error) {
	groupName, err := groupOf(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	limit, err := checkLimit(in.Limit, maxDescribe)
	if err != nil {
		return nil, err
	}
	byTime := false
	if in.OrderBy != nil {
		switch *in.OrderBy {
		case OrderByLogStreamName:
		case OrderByLastEventTime:
			byTime = true
		default:
			return nil, validation(*in.OrderBy, "orderBy", "satisfy enum value set: [LogStreamName, LastEventTime]")
		}
	}
	if in.LogStreamNamePrefix != nil {
		if err := checkStreamName("logStreamNamePrefix", *in.LogStreamNamePrefix); err != nil {
			return nil, err
		}
		if byTime {
			return nil, invalidParam("Cannot order by LastEventTime with a logStreamNamePrefix.")
		}
	}
	desc := in.Descending != nil && *in.Descending
	var after *streamKey
	if in.NextToken != nil {
		k, err := parseStreamToken(*in.NextToken, byTime)
		if err != nil {
			return nil, err
		}
		after = &k
	}
	g, err := s.group(groupName, false)
	if err != nil {
		return nil, err
	}
	names, err := g.streamNames()
	if err != nil {
		return nil, err
	}
	if in.LogStreamNamePrefix != nil {
		names = slices.DeleteFunc(names, func(n string) bool { return !strings.HasPrefix(n, *in.LogStreamNamePrefix) })
	}
	// order compares keys in the requested order.
	order := func(a, b streamKey) int {
		c := strings.Compare(a.name, b.name)
		if byTime {
			c = cmp.Or(cmp.Compare(a.ts, b.ts), c)
		}
		if desc {
			c = -c
		}
		return c
	}

	var keys []streamKey
	infos := map[string]LogStream{}
	for _, name := range names {
		k := streamKey{name: name}
		if byTime {
			info, err := g.info(name)
			if errors.Is(err, ErrStreamNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			infos[name] = info
			if info.LastEventTimestamp != nil {
				k.ts = *info.LastEventTimestamp
			}
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, order)
	if after != nil {
		i, _ := slices.BinarySearchFunc(keys, *after, func(k, t streamKey) int {
			if order(k, t) <= 0 {
				return -1
			}
			return 1
		})
		keys = keys[i:]
	}

	out := &DescribeLogStreamsOutput{LogStreams: []LogStream{}}
	for i, k := range keys {
		if len(out.LogStreams) == limit {
			t := keys[i-1].token(byTime)
			out.NextToken = &t
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		info, ok := infos[k.name]
		if !ok {
			if info, err = g.info(k.name); errors.Is(err, ErrStreamNotFound) {
				continue
			} else if err != nil {
				return nil, err
			}
		}
		out.LogStreams = append(out.LogStreams, info)
	}
	return out, nil
}

func (g *group) info(name string) (LogStream, error) {
	st, err := g.stream(name, false)
	if err != nil {
		return LogStream{}, err
	}
	return st.info(g.s), nil
}

// streamKey is a DescribeLogStreams position: the last stream listed.
type streamKey struct {
	ts   int64 // its last event's timestamp, when ordered by time
	name string
}

// token is base64url of "n:<name>", or of "t:<timestamp>:<name>" when
// ordered by time (stream names cannot hold ':').
func (k streamKey) token(byTime bool) string {
	s := "n:" + k.name
	if byTime {
		s = "t:" + strconv.FormatInt(k.ts, 10) + ":" + k.name
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

func parseStreamToken(s string, byTime bool) (streamKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return streamKey{}, ErrInvalidToken
	}
	kind, rest, _ := strings.Cut(string(b), ":")
	switch {
	case kind == "n" && !byTime && rest != "":
		return streamKey{name: rest}, nil
	case kind == "t" && byTime:
		ts, name, ok := strings.Cut(rest, ":")
		t, err := strconv.ParseInt(ts, 10, 64)
		if ok && err == nil && name != "" {
			return streamKey{ts: t, name: name}, nil
		}
	}
	return streamKey{}, ErrInvalidToken
}

var groupPatternPattern = regexp.MustCompile(`^[\.\-_/#A-Za-z0-9]*$`)

// DescribeLogGroups lists log groups in ASCII order of their names.
func (s *Store) DescribeLogGroups(ctx context.Context, in DescribeLogGroupsInput) (*DescribeLogGroupsOutput, error) {
	limit, err := checkLimit(in.Limit, maxDescribe)
	if err != nil {
		return nil, err
	}
	if in.LogGroupNamePrefix != nil && in.LogGroupNamePattern != nil {
		return nil, invalidParam("LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters.")
	}
	if in.LogGroupNamePrefix != nil {
		if err := checkGroupName("logGroupNamePrefix", *in.LogGroupNamePrefix); err != nil {
			return nil, err
		}
	}
	if p := in.LogGroupNamePattern; p != nil {
		if len(*p) > 512 {
			return nil, validation(*p, "logGroupNamePattern", "have length less than or equal to 512")
		}
		if !groupPatternPattern.MatchString(*p) {
			return nil, validation(*p, "logGroupNamePattern", `satisfy regular expression pattern: [\.\-_/#A-Za-z0-9]*`)
		}
	}
	var after string
	if in.NextToken != nil {
		b, err := base64.RawURLEncoding.DecodeString(*in.NextToken)
		name, ok := strings.CutPrefix(string(b), "g:")
		if err != nil || !ok || name == "" {
			return nil, ErrInvalidToken
		}
		after = name
	}
	names, err := listNames(filepath.Join(s.dir, "groups"), "group.json")
	if err != nil {
		return nil, err
	}
	out := &DescribeLogGroupsOutput{LogGroups: []LogGroup{}}
	for _, name := range names {
		if in.NextToken != nil && name <= after ||
			in.LogGroupNamePrefix != nil && !strings.HasPrefix(name, *in.LogGroupNamePrefix) ||
			in.LogGroupNamePattern != nil && !strings.Contains(name, *in.LogGroupNamePattern) {
			continue
		}
		if len(out.LogGroups) == limit {
			t := base64.RawURLEncoding.EncodeToString([]byte("g:" + out.LogGroups[limit-1].LogGroupName))
			out.NextToken = &t
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		g, err := s.group(name, false)
		if errors.Is(err, ErrGroupNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		arn := fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", s.Region, s.Account, name)
		lg := LogGroup{LogGroupName: name, CreationTime: g.created, Arn: arn + ":*"}
		if in.LogGroupNamePattern == nil {
			stored, err := g.storedBytes()
			if err != nil {
				return nil, err
			}
			zero := int32(0)
			lg.LogGroupArn, lg.StoredBytes, lg.MetricFilterCount, lg.LogGroupClass = arn, &stored, &zero, "STANDARD"
		}
		out.LogGroups = append(out.LogGroups, lg)
	}
	return out, nil
}

func (g *group) storedBytes() (int64, error) {
	names, err := g.streamNames()
	if err != nil {
		return 0, err
	}
	var n int64
	for _, name := range names {
		info, err := g.info(name)
		if errors.Is(err, ErrStreamNotFound) || errors.Is(err, ErrGroupNotFound) {
			continue
		}
		if err != nil {
			return 0, err
		}
		n += info.StoredBytes
	}
	return n, nil
}
