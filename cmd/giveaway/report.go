package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"
	// Campaign time zones must resolve on minimal images (scratch, distroless) too.
	_ "time/tzdata"

	"github.com/urfave/cli/v3"

	"github.com/boothgiveaway/giveaway/internal/report"
)

func reportCommand() *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "write a campaign's end-of-day report: JSON, CSV (one row per prize given) or printable HTML",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "campaign", Required: true, Usage: "campaign slug"},
			&cli.StringFlag{Name: "date", Usage: "local day `YYYY-MM-DD` (default: today in the campaign's time zone)"},
			&cli.StringFlag{Name: "from", Usage: "first local day of a range, `YYYY-MM-DD`"},
			&cli.StringFlag{Name: "to", Usage: "last local day of a range, `YYYY-MM-DD` (default: today)"},
			&cli.StringFlag{Name: "format", Value: "json", Usage: "json, csv or html"},
			&cli.StringFlag{Name: "out", Usage: "write to `FILE` instead of standard output"},
			&cli.FloatFlag{Name: "x-price-per-post", Value: report.DefaultXPricePerPost,
				Sources: cli.EnvVars("X_PRICE_PER_POST"),
				Usage:   "US dollars per X post read, for the estimated API spend"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			format := cmd.String("format")
			if format != "json" && format != "csv" && format != "html" {
				return fmt.Errorf("report: --format is json, csv or html, not %q", format)
			}
			pool, err := openDB(ctx, cmd)
			if err != nil {
				return err
			}
			defer pool.Close()
			r, err := report.BuildQuery(ctx, pool, cmd.String("campaign"), cmd.String("date"),
				cmd.String("from"), cmd.String("to"), time.Now(),
				report.WithXPricePerPost(cmd.Float("x-price-per-post")))
			if err != nil {
				return err
			}
			// Rendered whole before writing, so a failure never leaves half a file behind.
			var buf bytes.Buffer
			switch format {
			case "json":
				enc := json.NewEncoder(&buf)
				enc.SetIndent("", "  ")
				err = enc.Encode(r)
			case "csv":
				err = report.WriteCSV(&buf, r)
			case "html":
				err = report.WriteHTML(&buf, r)
			}
			if err != nil {
				return err
			}
			if out := cmd.String("out"); out != "" {
				return os.WriteFile(out, buf.Bytes(), 0o644)
			}
			_, err = buf.WriteTo(os.Stdout)
			return err
		},
	}
}
