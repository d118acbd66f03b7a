package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v3"
	"golang.org/x/term"

	"github.com/boothgiveaway/giveaway/internal/importer"
	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/tweet"
)

func importCommand() *cli.Command {
	return &cli.Command{
		Name:  "import",
		Usage: "store posts from NDJSON files (gzip too; - is stdin) through the ingest path, e.g. an event's Logstash twitter log",
		Description: "Each line is a post in any shape the ingest API takes (X API v2, v1.1, Logstash's twitter input). " +
			"Posts already stored count as duplicates, so a file can be imported again or resumed. " +
			"Bad lines are counted and listed, not fatal.",
		ArgsUsage: "FILE...",
		Flags: []cli.Flag{
			&cli.Int64Flag{Name: "skip", Usage: "leave out the first N lines (over all files, in order), as a stopped import reports"},
			&cli.StringFlag{Name: "after-id", Usage: "leave out every line up to and including the post with this id"},
			&cli.IntFlag{Name: "batch-size", Value: 1000, Usage: "posts stored per transaction"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			files := cmd.Args().Slice()
			if len(files) == 0 {
				return errors.New("import: name at least one file (- for stdin)")
			}
			pool, err := openDB(ctx, cmd)
			if err != nil {
				return err
			}
			defer pool.Close()
			svc := ingest.New(pool, nil)
			sink := func(ctx context.Context, items []tweet.Item) (int, int, error) {
				r, err := svc.Ingest(ctx, items)
				return r.Stored, r.Duplicates, err
			}
			var progress io.Writer
			if term.IsTerminal(int(os.Stderr.Fd())) {
				progress = os.Stderr
			}
			sum, err := importer.Import(ctx, sink, files, importer.Options{
				Skip:      cmd.Int64("skip"),
				AfterID:   cmd.String("after-id"),
				BatchSize: int(cmd.Int("batch-size")),
				Progress:  progress,
			})
			sum.Write(cmd.Root().Writer, err)
			if err != nil {
				return fmt.Errorf("import: %w", err)
			}
			return nil
		},
	}
}
