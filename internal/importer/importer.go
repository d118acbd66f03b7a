// Package importer feeds posts saved in files (NDJSON, plain or gzip, in any shape tweet.Parse
// reads, such as the log a Logstash pipeline wrote during an event) into the ingest path.
// Storing is idempotent, so an import can be run again or resumed after a stop.
package importer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/boothgiveaway/giveaway/internal/tweet"
)

// Sink is the single ingest path: it stores the items and says how many were new and how many
// had been stored before.
type Sink func(ctx context.Context, items []tweet.Item) (stored, duplicates int, err error)

// Options tune an import. The zero value imports everything in batches of 1000, quietly.
type Options struct {
	// Skip leaves out the first Skip lines, counted over the files in the order given, as a
	// stopped import's summary reports them.
	Skip int64
	// AfterID leaves out every line up to and including the first post (or delete) with this id.
	AfterID   string
	BatchSize int
	// Progress, when set (a terminal), gets a progress bar over the bytes read.
	Progress io.Writer
	// Stdin is read for the file name "-".
	Stdin io.Reader
}

// MaxBadListed is how many bad lines a summary lists; all are counted.
const MaxBadListed = 20

// maxLine bounds one line; a v1.1 status with its quoted and retweeted posts is tens of KB.
const maxLine = 16 << 20

// BadLine is a line that was not a post or a delete.
type BadLine struct {
	File string
	Line int64 // 1-based, within File
	Err  string
}

// Summary counts what an import read and did.
type Summary struct {
	Files      int
	Lines      int64 // lines read, skipped and blank ones included
	Skipped    int64 // left out by Skip or AfterID
	Blank      int64
	Posts      int64 // posts read (and handed to the sink)
	Deletes    int64 // delete notices read (and handed to the sink)
	Imported   int64 // stored as new, as the sink reported
	Duplicates int64 // stored before, as the sink reported
	Bad        int64
	BadLines   []BadLine // the first MaxBadListed
	// Done is how many lines the sink has fully taken: after a failure, Skip: Done resumes.
	Done int64
	// AfterIDFound says whether AfterID was seen (always true without AfterID).
	AfterIDFound bool
	Elapsed      time.Duration
}

// ErrAfterIDNotFound means the input never carried the AfterID post, so nothing was imported.
var ErrAfterIDNotFound = errors.New("importer: the --after-id post is not in the input; nothing imported")

// Import reads paths in order and hands their posts to sink in batches. Bad lines are counted
// and listed, not fatal. It stops at the first sink error, returning the summary so far.
func Import(ctx context.Context, sink Sink, paths []string, opt Options) (Summary, error) {
	if opt.BatchSize <= 0 {
		opt.BatchSize = 1000
	}
	if opt.Stdin == nil {
		opt.Stdin = os.Stdin
	}
	im := &importer{ctx: ctx, sink: sink, opt: opt}
	im.sum.AfterIDFound = opt.AfterID == ""
	start := time.Now()
	defer func() { im.sum.Elapsed = time.Since(start) }()

	if opt.Progress != nil {
		total := int64(0)
		for _, p := range paths {
			fi, err := os.Stat(p)
			if p == "-" || err != nil {
				total = -1 // unknown: the bar becomes a spinner
				break
			}
			total += fi.Size()
		}
		im.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(opt.Progress),
			progressbar.OptionSetDescription("importing"),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionFullWidth(),
			progressbar.OptionSetRenderBlankState(true),
			progressbar.OptionClearOnFinish(),
		)
		defer im.bar.Exit()
	}

	for _, p := range paths {
		im.sum.Files++
		if err := im.file(p); err != nil {
			return im.sum, err
		}
	}
	if err := im.flush(); err != nil {
		return im.sum, err
	}
	if !im.sum.AfterIDFound {
		return im.sum, ErrAfterIDNotFound
	}
	return im.sum, nil
}

type importer struct {
	ctx   context.Context
	sink  Sink
	opt   Options
	bar   *progressbar.ProgressBar
	sum   Summary
	batch []tweet.Item
}

func (im *importer) file(path string) (err error) {
	var r io.Reader
	if path == "-" {
		r = im.opt.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("importer: %w", err)
		}
		defer f.Close()
		r = f
	}
	if im.bar != nil {
		r = io.TeeReader(r, barWriter{im.bar})
	}
	br := bufio.NewReaderSize(r, 256<<10)
	// The content decides, not the name: a log rotated to .gz by hand, or named without it.
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("importer: %s: %w", path, err)
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 256<<10)
	}

	var lineNo int64
	for {
		if err := im.ctx.Err(); err != nil {
			return err
		}
		line, tooLong, err := readLine(br)
		if errors.Is(err, io.EOF) && len(line) == 0 && !tooLong {
			return nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("importer: %s line %d: %w", path, lineNo+1, err)
		}
		lineNo++
		if ferr := im.line(path, lineNo, line, tooLong); ferr != nil {
			return ferr
		}
		if err != nil { // io.EOF after a last line without '\n'
			return nil
		}
	}
}

func (im *importer) line(path string, lineNo int64, line []byte, tooLong bool) error {
	im.sum.Lines++
	if im.sum.Lines <= im.opt.Skip {
		im.sum.Skipped++
		return nil
	}
	if !im.sum.AfterIDFound {
		im.sum.Skipped++
		if it, err := tweet.Parse(line); err == nil && matchesID(it, im.opt.AfterID) {
			im.sum.AfterIDFound = true
		}
		return nil
	}
	if tooLong {
		im.bad(path, lineNo, fmt.Sprintf("line longer than %d bytes", maxLine))
		return nil
	}
	if len(bytes.TrimSpace(line)) == 0 {
		im.sum.Blank++
		return nil
	}
	it, err := tweet.Parse(line)
	if err != nil {
		im.bad(path, lineNo, err.Error())
		return nil
	}
	if it.Post != nil {
		im.sum.Posts++
	} else {
		im.sum.Deletes++
	}
	im.batch = append(im.batch, it)
	if len(im.batch) >= im.opt.BatchSize {
		return im.flush()
	}
	return nil
}

func (im *importer) bad(path string, lineNo int64, msg string) {
	im.sum.Bad++
	if len(im.sum.BadLines) < MaxBadListed {
		im.sum.BadLines = append(im.sum.BadLines, BadLine{File: path, Line: lineNo, Err: msg})
	}
}

// flush hands the batch to the sink; every line read so far is then done.
func (im *importer) flush() error {
	if len(im.batch) > 0 {
		stored, dups, err := im.sink(im.ctx, im.batch)
		if err != nil {
			return fmt.Errorf("importer: storing the batch ending at input line %d: %w", im.sum.Lines, err)
		}
		im.sum.Imported += int64(stored)
		im.sum.Duplicates += int64(dups)
		im.batch = im.batch[:0]
	}
	im.sum.Done = im.sum.Lines
	return nil
}

func matchesID(it tweet.Item, id string) bool {
	if it.Post != nil {
		return it.Post.ID == id || it.Post.VersionID == id
	}
	return it.Delete != nil && it.Delete.ID == id
}

// readLine reads one line without its "\n" or "\r\n". A line over maxLine is consumed and
// reported as tooLong, with no content.
func readLine(br *bufio.Reader) (line []byte, tooLong bool, err error) {
	for {
		frag, err := br.ReadSlice('\n')
		if !tooLong && len(line)+len(frag) <= maxLine {
			line = append(line, frag...)
		} else {
			tooLong, line = true, nil
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		return line, tooLong, err
	}
}

type barWriter struct{ bar *progressbar.ProgressBar }

func (w barWriter) Write(p []byte) (int, error) {
	w.bar.Add64(int64(len(p)))
	return len(p), nil
}

// Write prints the summary for people, with how to resume after a stop.
func (s Summary) Write(w io.Writer, stopped error) {
	fmt.Fprintf(w, "files %d, lines %d: imported %d, duplicates %d, deletes %d, bad %d, skipped %d, blank %d (%.1fs)\n",
		s.Files, s.Lines, s.Imported, s.Duplicates, s.Deletes, s.Bad, s.Skipped, s.Blank, s.Elapsed.Seconds())
	if s.Bad > 0 {
		fmt.Fprintf(w, "bad lines (first %d of %d):\n", len(s.BadLines), s.Bad)
		for _, b := range s.BadLines {
			fmt.Fprintf(w, "  %s:%d: %s\n", b.File, b.Line, b.Err)
		}
	}
	if stopped != nil && !errors.Is(stopped, ErrAfterIDNotFound) {
		fmt.Fprintf(w, "stopped: %v\nto resume, run again with --skip %d (imports are idempotent, so overlap is harmless)\n",
			stopped, s.Done)
	}
}
