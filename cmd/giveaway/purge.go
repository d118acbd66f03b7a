package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/urfave/cli/v3"

	"github.com/boothgiveaway/giveaway/internal/purge"
)

func purgeCommand() *cli.Command {
	return &cli.Command{
		Name:  "purge",
		Usage: "remove the personal data of a finished campaign (handles, tokens, post URLs, raw posts), keeping anonymous counts",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "campaign", Required: true, Usage: "the campaign's slug"},
			&cli.BoolFlag{Name: "force", Usage: "purge even though the campaign has not ended"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			pool, err := openDB(ctx, cmd)
			if err != nil {
				return err
			}
			defer pool.Close()
			res, err := purge.Campaign(ctx, pool, cmd.String("campaign"), cmd.Bool("force"))
			if err != nil {
				return err
			}
			slog.Info("campaign purged", "campaign", cmd.String("campaign"), "claims", res.Claims, "posts", res.Posts)
			fmt.Printf("purged %s: %d claims anonymised, %d posts removed\n", cmd.String("campaign"), res.Claims, res.Posts)
			return nil
		},
	}
}
