package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	cb "github.com/codeyard/codeyard/internal/awsapi/shape/codebuild"
	"github.com/codeyard/codeyard/internal/buildlog"
)

// maxPageLines is how many log lines a build page shows; the raw log has
// them all.
const maxPageLines = 10000

// logView is a build's log as the build page shows it.
type logView struct {
	HTML      template.HTML
	Lines     int
	Truncated bool
	// Token is where the live log continues ("" before the log exists).
	Token string
}

func logNames(b *cb.Build) (group, stream string, ok bool) {
	if b.Logs == nil || b.Logs.GroupName == "" || b.Logs.StreamName == "" {
		return "", "", false
	}
	return b.Logs.GroupName, b.Logs.StreamName, true
}

// page reads one page of a build's log forward from token ("" is the
// start). A log that does not exist yet is empty.
func (s *Server) logPage(ctx context.Context, b *cb.Build, token string, limit int) ([]buildlog.OutputLogEvent, string, error) {
	group, stream, ok := logNames(b)
	if !ok {
		return nil, token, nil
	}
	head := true
	l := int32(limit)
	in := buildlog.GetLogEventsInput{LogGroupName: &group, LogStreamName: stream, StartFromHead: &head, Limit: &l}
	if token != "" {
		in.NextToken = &token
	}
	out, err := s.cfg.Logs.GetLogEvents(ctx, in)
	if errors.Is(err, buildlog.ErrGroupNotFound) || errors.Is(err, buildlog.ErrStreamNotFound) {
		return nil, token, nil
	}
	if err != nil {
		return nil, "", err
	}
	return out.Events, out.NextForwardToken, nil
}

func (s *Server) readLog(ctx context.Context, b *cb.Build) (*logView, error) {
	events, next, err := s.logPage(ctx, b, "", maxPageLines)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(len(events) * 120)
	var g sgr
	for i, e := range events {
		writeLine(&buf, i+1, e.Message, &g)
	}
	v := &logView{HTML: template.HTML(buf.String()), Lines: len(events), Token: next}
	if len(events) > 0 {
		more, _, err := s.logPage(ctx, b, next, 1)
		if err != nil {
			return nil, err
		}
		v.Truncated = len(more) > 0
	}
	return v, nil
}

func (s *Server) oneBuild(ctx context.Context, id string) (*cb.Build, error) {
	bs, _, err := s.cfg.CodeBuild.Builds(ctx, []string{id})
	if err != nil {
		return nil, err
	}
	if len(bs) == 0 {
		return nil, notFound("There is no build %s.", id)
	}
	return &bs[0], nil
}

// rawLog answers the whole log as plain text.
func (s *Server) rawLog(w http.ResponseWriter, r *http.Request) error {
	b, err := s.oneBuild(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if r.URL.Query().Has("download") {
		name := strings.NewReplacer(":", "-", "/", "-").Replace(b.Id) + ".log"
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	}
	token := ""
	wrote := false
	for {
		events, next, err := s.logPage(r.Context(), b, token, 10000)
		if err != nil {
			if wrote {
				return nil
			}
			return err
		}
		if len(events) == 0 {
			return nil
		}
		wrote = true
		for _, e := range events {
			io.WriteString(w, e.Message)
			io.WriteString(w, "\n")
		}
		token = next
	}
}

// logEvents streams a running build's new log lines as server-sent
// events: each message is the HTML of the lines, its id the token and
// number of the next line, so a reconnect (Last-Event-ID) resumes. When
// the build has ended and its log is read, a "done" event ends the
// stream.
func (s *Server) logEvents(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	b, err := s.oneBuild(r.Context(), id)
	if err != nil {
		return err
	}
	// shown is how many lines the page has, token where they end.
	q := r.URL.Query()
	token, shown := q.Get("token"), q.Get("shown")
	if last := r.Header.Get("Last-Event-ID"); last != "" {
		shown, token, _ = strings.Cut(last, " ")
	}
	n, err := strconv.Atoi(shown)
	if err != nil || n < 0 {
		n = 0
	}
	n++ // the number of the next line
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	rc.Flush()
	ctx := r.Context()
	tick := time.NewTicker(s.cfg.LogPoll)
	defer tick.Stop()
	keepalive := time.Now()
	var g sgr
	state := ""
	for {
		ended := b.BuildComplete != nil && *b.BuildComplete
		// The phases and the status, sent when they change.
		var oob bytes.Buffer
		if st := progress(b); st != state {
			state = st
			if err := s.pages["build"].ExecuteTemplate(&oob, "phases", b); err != nil {
				return err
			}
			// Named events: the page's script puts them in place.
			io.WriteString(w, "event: phases\n")
			writeData(w, oob.String())
			fmt.Fprintf(w, "event: status\ndata: %s %s\n\n", statusClass(b.BuildStatus), b.BuildStatus)
			rc.Flush()
		}
		for {
			events, next, err := s.logPage(ctx, b, token, 1000)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				s.log.WarnContext(ctx, "live log", "build_id", id, "err", err)
				return nil
			}
			if len(events) == 0 {
				if next != "" {
					token = next
				}
				break
			}
			var buf bytes.Buffer
			for _, e := range events {
				writeLine(&buf, n, e.Message, &g)
				n++
			}
			token = next
			fmt.Fprintf(w, "id: %d %s\n", n-1, token)
			writeData(w, buf.String())
			rc.Flush()
			keepalive = time.Now()
			if len(events) < 1000 {
				break
			}
		}
		if ended {
			fmt.Fprintf(w, "event: done\ndata: %s\n\n", b.BuildStatus)
			rc.Flush()
			return nil
		}
		if time.Since(keepalive) > 15*time.Second {
			io.WriteString(w, ": keepalive\n\n")
			rc.Flush()
			keepalive = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if b, err = s.oneBuild(ctx, id); err != nil {
			return nil
		}
	}
}

// writeData writes an SSE message's data, a line of the stream for each
// of its lines.
func writeData(w io.Writer, data string) {
	for line := range strings.SplitSeq(data, "\n") {
		io.WriteString(w, "data: ")
		io.WriteString(w, line)
		io.WriteString(w, "\n")
	}
	io.WriteString(w, "\n")
}

// progress sums up what the phase list shows of a build.
func progress(b *cb.Build) string {
	var sb strings.Builder
	sb.WriteString(b.BuildStatus)
	for _, p := range b.Phases {
		sb.WriteString("|" + p.PhaseType + "=" + p.PhaseStatus)
	}
	return sb.String()
}

// Log search: a build page with ?q= shows only the lines that contain
// the query, ignoring case, with what matched marked.
const (
	maxQueryLen     = 200
	maxSearchLines  = 200000 // lines searched at most
	maxSearchResult = 1000   // matching lines shown at most
)

// logSearch is the outcome of a search of a build's log.
type logSearch struct {
	HTML     template.HTML
	Matches  int
	Searched int
	// Partial is set when the search stopped before the log's end: at
	// maxSearchResult matches or after maxSearchLines lines.
	Partial bool
}

var tags = regexp.MustCompile(`<[^>]*>`)

// plainText is a log line as the page shows it, without its colours.
func plainText(line string) string {
	var b bytes.Buffer
	var g sgr
	writeANSI(&b, line, &g)
	return html.UnescapeString(tags.ReplaceAllString(b.String(), ""))
}

func (s *Server) searchLog(ctx context.Context, b *cb.Build, query string) (*logSearch, error) {
	res := &logSearch{}
	var buf bytes.Buffer
	lq := strings.ToLower(query)
	token, n := "", 0
	for n < maxSearchLines {
		events, next, err := s.logPage(ctx, b, token, min(10000, maxSearchLines-n))
		if err != nil {
			return nil, err
		}
		if len(events) == 0 {
			break
		}
		for _, e := range events {
			n++
			text := plainText(e.Message)
			lt := strings.ToLower(text)
			if !strings.Contains(lt, lq) {
				continue
			}
			if res.Matches == maxSearchResult {
				res.Partial = true
				break
			}
			res.Matches++
			writeMatch(&buf, b, n, text, lt, lq)
		}
		if res.Partial {
			break
		}
		token = next
	}
	if n == maxSearchLines {
		if more, _, err := s.logPage(ctx, b, token, 1); err == nil && len(more) > 0 {
			res.Partial = true
		}
	}
	res.Searched = n
	res.HTML = template.HTML(buf.String())
	return res, nil
}

// writeMatch writes a matching line, its number a link to the line in
// the whole log, and each match marked.
func writeMatch(b *bytes.Buffer, build *cb.Build, n int, text, lower, query string) {
	num := strconv.Itoa(n)
	b.WriteString(`<div class="l" id="L` + num + `"><a class="n" href="` + html.EscapeString(Prefix+"builds/"+url.PathEscape(build.Id)) + `#L` + num + `" aria-label="line ` + num + ` in the whole log">` + num + `</a><span class="t">`)
	if len(lower) != len(text) {
		// Lowering changed the byte offsets: mark nothing.
		b.WriteString(html.EscapeString(text))
	} else {
		for {
			i := strings.Index(lower, query)
			if i < 0 || query == "" {
				break
			}
			b.WriteString(html.EscapeString(text[:i]))
			b.WriteString("<mark>" + html.EscapeString(text[i:i+len(query)]) + "</mark>")
			text, lower = text[i+len(query):], lower[i+len(query):]
		}
		b.WriteString(html.EscapeString(text))
	}
	b.WriteString("</span></div>")
}
