package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/boothgiveaway/giveaway/internal/draw"
)

// drawCommand checks a fair draw from its public record, with no database and no trust in the
// service: everything is recomputed from the published pool, commit, seed and algorithm.
func drawCommand() *cli.Command {
	return &cli.Command{
		Name:  "draw",
		Usage: "fair draws",
		Commands: []*cli.Command{{
			Name:      "verify",
			Usage:     "recompute a revealed draw from its public record (GET /api/v1/draws/{id}, a URL or a saved file); exit 0 only when everything matches",
			ArgsUsage: "URL-or-FILE",
			Action: func(ctx context.Context, cmd *cli.Command) error {
				if cmd.Args().Len() != 1 {
					return fmt.Errorf("usage: giveaway draw verify URL-or-FILE")
				}
				return verifyDraw(ctx, cmd.Args().First(), cmd.Root().Writer)
			},
		}},
	}
}

// verifyDraw streams the record from src (the pool is never held whole) and reports to w.
func verifyDraw(ctx context.Context, src string, w io.Writer) error {
	r, err := openRecord(ctx, src)
	if err != nil {
		return err
	}
	defer r.Close()
	p, err := draw.VerifyJSON(r)
	if err != nil {
		return fmt.Errorf("draw does NOT verify: %w", err)
	}
	fmt.Fprintf(w, "draw verified: %d entrants, pool hash %s, seed %s matches commit %s\n", p.Entrants, p.PoolHash, p.Seed, p.SeedCommit)
	if p.Beacon != "" {
		fmt.Fprintf(w, "beacon: %s\n", p.Beacon)
	}
	fmt.Fprintf(w, "winners (entry ids, in order): %s\n", strings.Join(p.Winners, " "))
	fmt.Fprintf(w, "backups (entry ids, in order): %s\n", strings.Join(p.Backups, " "))
	return nil
}

func openRecord(ctx context.Context, src string) (io.ReadCloser, error) {
	if !strings.HasPrefix(src, "http://") && !strings.HasPrefix(src, "https://") {
		return os.Open(src)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	res, err := (&http.Client{Timeout: 5 * time.Minute}).Do(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, fmt.Errorf("%s: %s", src, res.Status)
	}
	return res.Body, nil
}
