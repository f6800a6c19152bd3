package codebuild

import "context"

// TimeOutQueued runs one sweep of the queue, for tests.
func (s *Service) TimeOutQueued(ctx context.Context) { s.timeOutQueued(ctx) }
