package codebuild

import (
	"context"
	"errors"
	"time"
)

// Errors a Store returns.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	// ErrBadToken is a page token the store did not make.
	ErrBadToken = errors.New("invalid next token")
)

// ProjectRecord is a stored project: the Project shape as JSON and the
// fields it is found and sorted by.
type ProjectRecord struct {
	Name     string
	ARN      string
	Created  time.Time
	Modified time.Time
	Doc      []byte
}

// BuildRecord is a stored build: the Build shape as JSON and the fields it
// is found and sorted by. Seq orders builds by creation across projects.
type BuildRecord struct {
	ID       string
	ARN      string
	Project  string
	Number   int64
	Status   string
	Start    time.Time
	BatchARN string
	Doc      []byte
	// Run holds what running the build needs that its document does not
	// say; the store keeps it as it is.
	Run []byte
	Seq int64
}

// BatchRecord is a stored build batch.
type BatchRecord struct {
	ID      string
	ARN     string
	Project string
	Number  int64
	Status  string
	Start   time.Time
	Doc     []byte
	Seq     int64
}

// ReportGroupRecord is a stored report group.
type ReportGroupRecord struct {
	ARN      string
	Name     string
	Type     string
	Created  time.Time
	Modified time.Time
	Doc      []byte
}

// ReportRecord is a stored report, with its test cases and coverages.
type ReportRecord struct {
	ARN      string
	GroupARN string
	Type     string
	Status   string
	Created  time.Time
	Doc      []byte
	// Cases and Coverages are the TestCase and CodeCoverage shapes as
	// JSON, with the fields they are filtered and sorted by.
	Cases     []CaseRecord
	Coverages []CoverageRecord
}

// CaseRecord is a stored test case.
type CaseRecord struct {
	Name     string
	Prefix   string
	Status   string
	Duration int64 // nanoseconds
	Doc      []byte
}

// CoverageRecord is a stored code coverage of one file.
type CoverageRecord struct {
	Path      string
	LineCover float64 // percentage
	Doc       []byte
}

// WebhookRecord is a project's stored webhook: the id its payload URL
// ends in, and its secret, sealed when the service has a Sealer.
type WebhookRecord struct {
	ID       string
	Project  string
	Secret   []byte
	Created  time.Time
	Modified time.Time
}

// Job is a queued build waiting for a worker, or running on one.
type Job struct {
	ID      int64
	BuildID string
	Created time.Time
}

// Queue says how a build waits for a worker.
type Queue struct {
	// MaxRunning is the project's concurrent build limit; 0 means none.
	MaxRunning int
}

// Page asks for one page of a list: the token a previous page returned
// (empty for the first), how many at most, and the order.
type Page struct {
	Token string
	Limit int
	Desc  bool
}

// Store keeps projects, builds, batches, reports and the build queue.
// Every method is safe for concurrent use; methods that change several
// rows change all or none.
type Store interface {
	CreateProject(ctx context.Context, p *ProjectRecord) error
	UpdateProject(ctx context.Context, p *ProjectRecord) error
	DeleteProject(ctx context.Context, name string) error
	Projects(ctx context.Context, names []string) ([]*ProjectRecord, error)
	// ListProjects lists project names sorted by NAME, CREATED_TIME or
	// LAST_MODIFIED_TIME.
	ListProjects(ctx context.Context, sortBy string, p Page) (names []string, next string, err error)

	// CreateBuild gives the project's next build number to make, and
	// stores the build it returns, with a queued job for it when q is
	// not nil.
	CreateBuild(ctx context.Context, project string, q *Queue, make func(number int64) (*BuildRecord, error)) (*BuildRecord, error)
	UpdateBuild(ctx context.Context, b *BuildRecord) error
	Builds(ctx context.Context, ids []string) ([]*BuildRecord, error)
	// ListBuilds lists build ids of one project (all when project is
	// empty), newest first when p.Desc.
	ListBuilds(ctx context.Context, project string, p Page) (ids []string, next string, err error)
	// DeleteBuilds deletes the builds and their jobs; it returns the ids
	// it found.
	DeleteBuilds(ctx context.Context, ids []string) ([]string, error)

	CreateBatch(ctx context.Context, project string, make func(number int64) (*BatchRecord, error)) (*BatchRecord, error)
	UpdateBatch(ctx context.Context, b *BatchRecord) error
	Batches(ctx context.Context, ids []string) ([]*BatchRecord, error)
	ListBatches(ctx context.Context, project string, p Page) (ids []string, next string, err error)
	DeleteBatch(ctx context.Context, id string) error

	// ClaimJob takes the oldest queued job whose project is below its
	// concurrent build limit for owner; nil when none can run.
	ClaimJob(ctx context.Context, owner string) (*Job, error)
	// QueuedJobs returns the jobs waiting for a worker, oldest first.
	QueuedJobs(ctx context.Context) ([]Job, error)
	// SetQueueLimit sets the concurrent build limit of a project's queued
	// jobs; 0 means none.
	SetQueueLimit(ctx context.Context, project string, maxRunning int) error
	// CancelJob removes a build's job if it is still queued, and reports
	// whether it did.
	CancelJob(ctx context.Context, buildID string) (bool, error)
	// FinishJob removes a job.
	FinishJob(ctx context.Context, id int64) error
	// OrphanJobs returns the jobs that were running on an owner other
	// than owner, oldest first, and leaves them: the worker that ran them
	// is gone, and the caller ends their builds, then finishes the jobs.
	OrphanJobs(ctx context.Context, owner string) ([]Job, error)

	CreateReportGroup(ctx context.Context, g *ReportGroupRecord) error
	UpdateReportGroup(ctx context.Context, g *ReportGroupRecord) error
	DeleteReportGroup(ctx context.Context, arn string, deleteReports bool) error
	ReportGroups(ctx context.Context, arns []string) ([]*ReportGroupRecord, error)
	ListReportGroups(ctx context.Context, sortBy string, p Page) (arns []string, next string, err error)
	// PutReport stores a report and its cases, creating its report group
	// from group when it does not exist yet.
	PutReport(ctx context.Context, r *ReportRecord, group *ReportGroupRecord) error
	Reports(ctx context.Context, arns []string) ([]*ReportRecord, error)
	// ListReports lists report ARNs, of one group when groupARN is set,
	// filtered by status when status is set.
	ListReports(ctx context.Context, groupARN, status string, p Page) (arns []string, next string, err error)
	DeleteReport(ctx context.Context, arn string) error
	// TestCases lists a report's cases, filtered by status and by a
	// keyword in their name or prefix.
	TestCases(ctx context.Context, reportARN, status, keyword string, p Page) (docs [][]byte, next string, err error)
	// Coverages lists a report's coverages between two line coverage
	// percentages, sorted by FILE_PATH or LINE_COVERAGE_PERCENTAGE.
	Coverages(ctx context.Context, reportARN string, min, max float64, sortBy string, p Page) (docs [][]byte, next string, err error)
	// RecentReports returns the newest reports of a group, at most n.
	RecentReports(ctx context.Context, groupARN string, n int) ([]*ReportRecord, error)

	// CreateWebhook stores a project's new webhook and its document in
	// one transaction: ErrExists when it has a webhook, ErrNotFound when
	// the project does not exist. Deleting the project deletes it.
	CreateWebhook(ctx context.Context, p *ProjectRecord, w *WebhookRecord) error
	// UpdateWebhook stores a project's document and its webhook's secret
	// and modified time: ErrNotFound when it has no webhook.
	UpdateWebhook(ctx context.Context, p *ProjectRecord, w *WebhookRecord) error
	// DeleteWebhook deletes a project's webhook, with its deliveries, and
	// stores its document: ErrNotFound when it has no webhook.
	DeleteWebhook(ctx context.Context, p *ProjectRecord) error
	// Webhook returns the webhook of an id: ErrNotFound when none.
	Webhook(ctx context.Context, id string) (*WebhookRecord, error)
	// ClaimDelivery records a delivery of a webhook about to start a
	// build, and reports whether it did: a delivery recorded before is not
	// claimed again, and build is what it started ("" while it starts).
	// Records older than 30 days are forgotten.
	ClaimDelivery(ctx context.Context, hookID, delivery string, at time.Time) (build string, claimed bool, err error)
	// FinishDelivery records the build a claimed delivery started; an
	// empty build releases the claim, so a redelivery may start it.
	FinishDelivery(ctx context.Context, hookID, delivery, build string) error
}
