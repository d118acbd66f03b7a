package main

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/urfave/cli/v3"

	"github.com/boothgiveaway/giveaway/internal/devdb"
)

// devdbCommand manages the project-local development cluster that `serve`, `migrate` and the
// tests start on their own when DATABASE_URL is unset.
func devdbCommand() *cli.Command {
	return &cli.Command{
		Name:  "devdb",
		Usage: "the project-local development PostgreSQL under .devdb/",
		Commands: []*cli.Command{{
			Name:  "stop",
			Usage: "stop the development cluster (its data stays for the next start)",
			Action: func(ctx context.Context, _ *cli.Command) error {
				root, err := devdb.RepoRoot()
				if err != nil {
					return err
				}
				if err := devdb.Stop(ctx, filepath.Join(root, ".devdb")); err != nil {
					return err
				}
				slog.Info("development cluster stopped")
				return nil
			},
		}},
	}
}
