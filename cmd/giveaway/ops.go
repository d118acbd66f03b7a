package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/urfave/cli/v3"
)

// version is set at build time (-ldflags "-X main.version=v1.2.3"); unset, the module's version
// and VCS revision from the Go build info stand in.
var version = ""

// Build is what this binary says about itself in --version and in /metrics.
type Build struct {
	Version, Revision, GoVersion string
}

func buildInfo() Build {
	b := Build{Version: version, Revision: "unknown", GoVersion: "unknown"}
	if info, ok := debug.ReadBuildInfo(); ok {
		b.GoVersion = info.GoVersion
		if b.Version == "" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				b.Revision = s.Value
			}
		}
	}
	if b.Version == "" {
		b.Version = "(devel)"
	}
	return b
}

func (b Build) String() string {
	return fmt.Sprintf("%s (revision %s, %s)", b.Version, b.Revision, b.GoVersion)
}

// healthcheckCommand asks the running server's /healthz: the image has no shell or curl, so the
// container's health check runs the binary itself.
func healthcheckCommand() *cli.Command {
	return &cli.Command{
		Name:  "healthcheck",
		Usage: "exit 0 when the server on LISTEN_ADDR answers /healthz (for container health checks)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "listen-addr", Value: ":8080", Sources: cli.EnvVars("LISTEN_ADDR"),
				Usage: "the address serve listens on"},
			&cli.DurationFlag{Name: "timeout", Value: 3 * time.Second, Usage: "how long to wait for the answer"},
		},
		Action: func(ctx context.Context, cmd *cli.Command) error {
			host, port, err := net.SplitHostPort(cmd.String("listen-addr"))
			if err != nil {
				return fmt.Errorf("listen-addr: %w", err)
			}
			if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
				host = "127.0.0.1"
			}
			ctx, cancel := context.WithTimeout(ctx, cmd.Duration("timeout"))
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
			if err != nil {
				return err
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("unhealthy: %w", err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				return fmt.Errorf("unhealthy: /healthz answered %s", res.Status)
			}
			return nil
		},
	}
}
