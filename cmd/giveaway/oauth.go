package main

import (
	"github.com/urfave/cli/v3"

	"github.com/boothgiveaway/giveaway/internal/oauth"
)

// oauthFlags configure "Sign in with X" and "Sign in with Mastodon" on the claim page.
func oauthFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "x-client-id", Sources: cli.EnvVars("X_CLIENT_ID"),
			Usage: `the X app's OAuth 2.0 client id: turns "Sign in with X" on (its callback is PUBLIC_BASE_URL/oauth/callback/x)`},
		&cli.StringFlag{Name: "x-client-secret", Sources: cli.EnvVars("X_CLIENT_SECRET"),
			Usage: "the X app's client secret, for a confidential client; unset: a public client (PKCE alone)"},
		&cli.StringFlag{Name: "x-authorize-url", Value: "https://x.com/i/oauth2/authorize", Sources: cli.EnvVars("X_AUTHORIZE_URL"),
			Usage: "X's authorize page (tests point it elsewhere)"},
		&cli.StringFlag{Name: "x-token-url", Value: "https://api.x.com/2/oauth2/token", Sources: cli.EnvVars("X_TOKEN_URL"),
			Usage: "X's token endpoint (tests point it elsewhere); the account is read from X_API_URL/2/users/me"},
		&cli.BoolFlag{Name: "mastodon-oauth", Sources: cli.EnvVars("MASTODON_OAUTH"),
			Usage: `turns "Sign in with Mastodon" on: the service registers itself on each attendee's instance (callback PUBLIC_BASE_URL/oauth/callback/mastodon)`},
		&cli.IntFlag{Name: "signins-per-minute", Value: 60, Sources: cli.EnvVars("SIGNINS_PER_MINUTE"),
			Usage: "sign-in starts and callbacks per client address a minute (each calls the provider)"},
	}
}

// oauthConfig is the sign-in configured by the flags; the account is read from the X API the
// stream uses (--x-api-url).
func oauthConfig(cmd *cli.Command) oauth.Config {
	return oauth.Config{PublicBaseURL: cmd.String("public-base-url"),
		XClientID: cmd.String("x-client-id"), XClientSecret: cmd.String("x-client-secret"),
		XAuthorizeURL: cmd.String("x-authorize-url"), XTokenURL: cmd.String("x-token-url"),
		XAPIURL: cmd.String("x-api-url"), Mastodon: cmd.Bool("mastodon-oauth")}
}
