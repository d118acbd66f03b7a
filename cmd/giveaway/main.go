// Command giveaway runs the booth giveaway: the HTTP service, its migrations and its tools.
// Configuration comes from the environment; flags override it.
package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/urfave/cli/v3"

	"github.com/boothgiveaway/giveaway/internal/database"
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, nil)))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := newApp().Run(ctx, os.Args); err != nil {
		// A JSON line like every other, so log collectors do not drop the one that matters most.
		slog.Error("giveaway: "+err.Error(), "fatal", true)
		os.Exit(1)
	}
}

// newApp is the command line: the global flags and every subcommand.
func newApp() *cli.Command {
	return &cli.Command{
		Name:    "giveaway",
		Usage:   "run a conference booth giveaway: claims, tweet matching, prizes, live dashboards",
		Version: buildInfo().String(),
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "database-url", Sources: cli.EnvVars("DATABASE_URL"),
				Usage: "PostgreSQL URL; unset: the project-local development cluster under .devdb/"},
			&cli.IntFlag{Name: "db-max-conns", Value: 40, Sources: cli.EnvVars("DB_MAX_CONNS"),
				Usage: "most PostgreSQL connections this instance opens"},
		},
		Commands: []*cli.Command{
			serveCommand(),
			migrateCommand(),
			purgeCommand(),
			importCommand(),
			streamCommand(),
			reportCommand(),
			esCommand(),
			devdbCommand(),
			adminCommand(),
			healthcheckCommand(),
			drawCommand(),
		},
	}
}

func migrateCommand() *cli.Command {
	return &cli.Command{
		Name:  "migrate",
		Usage: "bring the database schema up to date (safe to run from several instances at once)",
		Action: func(ctx context.Context, cmd *cli.Command) error {
			pool, err := connect(ctx, cmd)
			if err != nil {
				return err
			}
			defer pool.Close()
			from, to, err := database.Migrate(ctx, pool)
			if err != nil {
				return err
			}
			slog.Info("schema migrated", "from", from, "to", to)
			return nil
		},
	}
}

// connect opens the pool named by --database-url without checking the schema.
func connect(ctx context.Context, cmd *cli.Command) (*pgxpool.Pool, error) {
	url, err := database.ResolveURL(ctx, cmd.String("database-url"))
	if err != nil {
		return nil, err
	}
	return database.Open(ctx, url, int32(cmd.Int("db-max-conns")))
}

// openDB opens the pool and refuses a schema that is behind, saying how to migrate.
func openDB(ctx context.Context, cmd *cli.Command) (*pgxpool.Pool, error) {
	pool, err := connect(ctx, cmd)
	if err != nil {
		return nil, err
	}
	if err := database.Check(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}
