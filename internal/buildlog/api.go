package buildlog

// The request and response types of the four operations, named and shaped
// like the CloudWatch Logs API model's (pointers where the model's member is
// optional and its zero value means something). Times are milliseconds since
// the Unix epoch.

// GetLogEventsInput is GetLogEventsRequest.
type GetLogEventsInput struct {
	// Exactly one of LogGroupName and LogGroupIdentifier (a name or a log
	// group ARN) must be set.
	LogGroupName       *string
	LogGroupIdentifier *string
	LogStreamName      string
	StartTime          *int64 // inclusive
	EndTime            *int64 // exclusive
	NextToken          *string
	Limit              *int32 // 1 to 10,000; default 10,000 (and 1 MiB)
	StartFromHead      *bool  // used without NextToken only; default false
}

// GetLogEventsOutput is GetLogEventsResponse. The tokens are never empty.
type GetLogEventsOutput struct {
	Events            []OutputLogEvent
	NextForwardToken  string
	NextBackwardToken string
}

// OutputLogEvent is one event of GetLogEvents.
type OutputLogEvent struct {
	Timestamp     int64
	Message       string
	IngestionTime int64
}

// FilterLogEventsInput is FilterLogEventsRequest.
type FilterLogEventsInput struct {
	LogGroupName       *string
	LogGroupIdentifier *string
	// At most one of LogStreamNames (1 to 100 names; names of streams that
	// do not exist are ignored) and LogStreamNamePrefix.
	LogStreamNames      []string
	LogStreamNamePrefix *string
	StartTime           *int64 // inclusive
	EndTime             *int64 // inclusive
	// FilterPattern, when set and not blank, keeps the events it matches.
	// Matching is case-sensitive and by substring:
	//
	//	ERROR Exception     both terms
	//	"Exit status 1"     a phrase (\" and \\ escape inside quotes)
	//	%[Ee]rror \d+%      an RE2 regular expression
	//	ERROR -Retrying     ERROR but not Retrying
	//	?ERROR ?WARN        either; each "?" starts a group of terms that
	//	                    must all match, so ?ERROR db ?WARN matches
	//	                    (ERROR and db) or WARN
	//
	// Patterns starting with "{" (JSON) or "[" (space-delimited) are
	// refused with an InvalidParameterError.
	FilterPattern *string
	NextToken     *string
	Limit         *int32 // 1 to 10,000; default 10,000 (and 1 MiB)
}

// FilterLogEventsOutput is FilterLogEventsResponse without the
// searchedLogStreams member, which CloudWatch has answered with an empty list
// since 2020. NextToken is nil once the search is complete.
type FilterLogEventsOutput struct {
	Events    []FilteredLogEvent
	NextToken *string
}

// FilteredLogEvent is one event of FilterLogEvents.
type FilteredLogEvent struct {
	LogStreamName string
	Timestamp     int64
	Message       string
	IngestionTime int64
	EventId       string
}

// The values of DescribeLogStreamsInput.OrderBy.
const (
	OrderByLogStreamName = "LogStreamName"
	OrderByLastEventTime = "LastEventTime"
)

// DescribeLogStreamsInput is DescribeLogStreamsRequest.
type DescribeLogStreamsInput struct {
	LogGroupName        *string
	LogGroupIdentifier  *string
	LogStreamNamePrefix *string // not with OrderBy LastEventTime
	OrderBy             *string // OrderByLogStreamName (default) or OrderByLastEventTime
	Descending          *bool
	NextToken           *string
	Limit               *int32 // 1 to 50; default 50
}

// DescribeLogStreamsOutput is DescribeLogStreamsResponse. NextToken is nil
// on the last page.
type DescribeLogStreamsOutput struct {
	LogStreams []LogStream
	NextToken  *string
}

// LogStream describes a log stream. The event times are nil while the stream
// has no events. StoredBytes is the size of its chunk files (CloudWatch has
// reported 0 for streams since 2019; the handler may do the same).
type LogStream struct {
	LogStreamName       string
	CreationTime        int64
	FirstEventTimestamp *int64
	LastEventTimestamp  *int64
	LastIngestionTime   *int64
	Arn                 string
	StoredBytes         int64
}

// DescribeLogGroupsInput is DescribeLogGroupsRequest.
type DescribeLogGroupsInput struct {
	// At most one of LogGroupNamePrefix and LogGroupNamePattern (a
	// case-sensitive substring).
	LogGroupNamePrefix  *string
	LogGroupNamePattern *string
	NextToken           *string
	Limit               *int32 // 1 to 50; default 50
}

// DescribeLogGroupsOutput is DescribeLogGroupsResponse, groups in ASCII order
// of their names. NextToken is nil on the last page.
type DescribeLogGroupsOutput struct {
	LogGroups []LogGroup
	NextToken *string
}

// LogGroup describes a log group. As in CloudWatch, a request with
// LogGroupNamePattern gets LogGroupName, CreationTime and Arn only: the other
// fields are left zero.
type LogGroup struct {
	LogGroupName      string
	CreationTime      int64
	Arn               string // with the trailing ":*"
	LogGroupArn       string // without it
	StoredBytes       *int64
	MetricFilterCount *int32
	LogGroupClass     string // "STANDARD"
}
