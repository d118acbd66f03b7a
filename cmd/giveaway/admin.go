package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v3"

	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
)

// adminCommand manages organisers from the machine that runs the service: the first admin is
// made here, so nobody needs the admin token at the booth.
func adminCommand() *cli.Command {
	return &cli.Command{
		Name:  "admin",
		Usage: "organisers: staff with the admin role, who log in with name and PIN",
		Commands: []*cli.Command{{
			Name:  "create",
			Usage: "create an admin (--pin - reads the PIN from standard input, out of the shell's history)",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "name", Required: true, Usage: "the name they log in with"},
				&cli.StringFlag{Name: "pin", Required: true, Usage: "6 to 12 digits, or - to read it from standard input"},
			},
			Action: func(ctx context.Context, cmd *cli.Command) error {
				pin := cmd.String("pin")
				if pin == "-" {
					line, err := bufio.NewReader(os.Stdin).ReadString('\n')
					if err != nil && line == "" {
						return fmt.Errorf("reading the PIN from standard input: %w", err)
					}
					pin = strings.TrimSpace(line)
				}
				pool, err := openDB(ctx, cmd)
				if err != nil {
					return err
				}
				defer pool.Close()
				m, err := auth.New(pool, "", time.Hour).AddStaff(ctx,
					auth.NewStaff{Name: cmd.String("name"), PIN: pin, Role: "admin"},
					giveaway.Actor{Name: "giveaway admin create"})
				if err != nil {
					return err
				}
				fmt.Printf("admin %s created (id %d): log in on /staff with this name and PIN\n", m.Name, m.ID)
				return nil
			},
		}},
	}
}
