// Package buildlog stores build logs as CloudWatch Logs log groups and log
// streams, and answers the four read operations that `aws logs
// get-log-events` and `aws logs tail --follow` use: GetLogEvents,
// FilterLogEvents, DescribeLogStreams and DescribeLogGroups. The types mirror
// the CloudWatch Logs API model (logs 2014-03-28) field for field, without
// wire tags: the awsJson1.1 handlers translate them.
//
// # Writing
//
// A build's output goes to a Writer from Store.Create(group, stream), which
// creates the group ("/aws/codebuild/<project>") and the stream (the
// build's UUID) on first use and appends to a stream that already exists.
// The Writer is an io.Writer for a byte stream and cuts it into events the
// way the CloudWatch agent cuts a file:
//
//   - An event is a line without its "\n"; a "\r" right before the "\n" is
//     dropped too ("\r\n" line ends), a lone "\r" (a progress bar) stays.
//     Empty lines make no event: CloudWatch messages are at least 1 byte
//     long and the agent skips them.
//   - A line longer than MaxMessageSize (1,048,550 bytes: an event may be
//     1 MiB including CloudWatch's 26 bytes of per-event overhead since
//     April 2025; it was 256 KiB before) is split into several events, at a
//     UTF-8 character boundary when one is near.
//   - Each event is stamped with the time (ms) its line completed, never
//     earlier than the event before it, so a stream is sorted by time.
//     IngestionTime is the same instant: the Writer stores the event then.
//   - A partial last line becomes an event on Flush and Close, and by
//     itself once it has stayed incomplete for a second (a progress line
//     without a newline shows up live); what follows starts a new line.
//
// Events are encoded into a buffer that is written to disk when it holds
// 256 KiB, and 10 ms after its first byte otherwise, so readers see output
// within about 10 ms. Only one Writer per stream may be open at a time;
// any number of readers may read the stream while it is written.
//
// # Layout on disk
//
//	<dir>/groups/<escaped group>/group.json           name, creation time
//	<dir>/groups/<escaped group>/streams/<escaped stream>/stream.json
//	<dir>/groups/<escaped group>/streams/<escaped stream>/summary.json
//	<dir>/groups/<escaped group>/streams/<escaped stream>/<first event>-<first timestamp>.chunk
//	<dir>/tmp/                                         staging for create and delete
//
// Names are escaped byte-wise (%XX for anything but letters, digits, "-",
// "_" and a "." that does not start the name); a name whose escaped form is
// longer than 200 bytes is shortened and suffixed with a hash of it. The
// real names are in the JSON files. Groups and streams are created in tmp/
// and renamed into place, and deleted by renaming them into tmp/ first, so
// a crash leaves either all of one or none.
//
// A stream is a sequence of chunk files of at most 4 MiB (one event of up to
// 1 MiB may make a chunk larger). A chunk file's name holds the number of
// its first event (events are numbered from 0 in a stream) and that event's
// timestamp, which is all the index needed to find the chunk holding an
// event number or a time. A chunk is an 8-byte magic, then records:
//
//	uvarint  body length
//	uint32   CRC-32C of the body, little endian
//	body:    uvarint timestamp - chunk's first timestamp
//	         uvarint ingestion time - timestamp
//	         message bytes
//
// Inside a chunk, a sparse in-memory index (an entry every 512 records or
// 64 KiB) is built on first read, so finding an event reads at most 64 KiB
// plus one record.
//
// # Crashes
//
// Records are appended with write(2) and never rewritten, so whatever a
// killed process wrote stays readable. A torn last record fails its length
// or CRC check: readers stop before it, and Create truncates it before
// appending. On Close the Writer saves summary.json (the last chunk's size,
// event count, last timestamp and ingestion time); a stream whose summary
// does not match its last chunk is rebuilt by scanning that chunk, so
// DescribeLogStreams never depends on state that only lived in memory.
//
// A directory must be opened by one Store at a time; within a process the
// Store is safe for concurrent use.
//
// # Reading
//
// GetLogEvents follows CloudWatch's paging: tokens are "f/<56 digits>/s"
// and "b/<56 digits>/s" (the digits are the stream's 20-digit serial and a
// 36-digit event position); a token names the gap between two events, so
// paging forward from the last page, or backward from the first, returns no
// events and the token that was passed in, which is how clients detect the
// end. A token's direction decides which way a page goes; startFromHead
// only matters without a token (default false: the newest events). Pages
// hold at most Limit events (default and maximum 10,000) and 1 MiB, counted
// as message bytes plus 26 per event as PutLogEvents counts them. Events in
// a page are always oldest first. startTime is inclusive and endTime
// exclusive.
//
// FilterLogEvents merges the group's streams by (timestamp, stream name,
// event number); its startTime and endTime are both inclusive, as the
// model's documentation says. Its eventIds are 56 digits (timestamp, stream
// serial, event number), unique in the Store and the same on every call, so
// `aws logs tail --follow` can de-duplicate by them. Its nextToken is the
// position after the last event it examined; it is omitted once every
// stream has been read to its end. A page stops after 10,000 events
// (Limit), 1 MiB, 32 MiB of examined events or a second of work, so a rare
// pattern over a large log answers with fewer (even no) events and a token.
// An event that a Writer of another stream publishes late (up to 10 ms)
// with an older timestamp than events already returned is missed by a
// follower that restarts from the newest timestamp, as in CloudWatch. Filter
// patterns support the unstructured-log subset of CloudWatch's syntax:
// terms, "quoted phrases", %regular expressions%, -exclusions and ?-groups
// (see FilterLogEventsInput.FilterPattern); JSON and space-delimited
// patterns are rejected.
package buildlog
