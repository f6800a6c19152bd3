package build

import (
	"bufio"
	"fmt"
	"io"
	"sync"
	"time"
)

// timeLayout is the timestamp of CodeBuild's agent lines, always UTC.
const timeLayout = "2006/01/02 15:04:05.000000"

// logWriter is a build's log: command output passed through as written, and
// the agent's own lines, "[Container] <time> <message>", each on a line of
// its own. Everything goes through the redactor, then a buffer that a
// timer flushes at most flushDelay after the first byte it holds: the log
// streams live, and a build of many short commands does not pay two
// writes (file and terminal) for every line.
type logWriter struct {
	mu      sync.Mutex // guards the fields below and serialises writes
	r       *Redactor
	buf     *bufio.Writer // what r writes to
	timer   *time.Timer   // flushes buf; armed while buf holds bytes
	armed   bool
	now     func() time.Time
	midLine bool // the last output byte written was not a newline
}

// Write passes command output through.
func (l *logWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.midLine = p[len(p)-1] != '\n'
	n, err := l.r.Write(p)
	l.armLocked()
	return n, err
}

// flushDelay bounds how long a log byte waits in the buffer.
const flushDelay = 10 * time.Millisecond

func (l *logWriter) armLocked() {
	if l.armed || l.buf.Buffered() == 0 {
		return
	}
	l.armed = true
	if l.timer == nil {
		l.timer = time.AfterFunc(flushDelay, l.timedFlush)
	} else {
		l.timer.Reset(flushDelay)
	}
}

func (l *logWriter) timedFlush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.armed = false
	l.buf.Flush()
}

// printf writes one agent line. A command's last line that had no newline
// is ended first, so no agent line is glued to output.
func (l *logWriter) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	buf := make([]byte, 0, 128)
	if l.midLine {
		buf = append(buf, '\n')
		l.midLine = false
	}
	buf = append(buf, "[Container] "...)
	buf = l.now().UTC().AppendFormat(buf, timeLayout)
	buf = append(buf, ' ')
	buf = fmt.Appendf(buf, format, args...)
	buf = append(buf, '\n')
	l.r.Write(buf)
	l.r.Flush()
	l.armLocked()
}

// flush writes out what the redactor held back and ends an unfinished line.
func (l *logWriter) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.midLine {
		l.r.Write([]byte{'\n'})
		l.midLine = false
	}
	l.r.Flush()
	l.buf.Flush()
	if l.timer != nil {
		l.timer.Stop()
	}
	l.armed = false
}

var _ io.Writer = (*logWriter)(nil)
