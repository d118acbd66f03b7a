// Package migrations holds the schema as plain SQL files, embedded in the binary.
package migrations

import "embed"

// FS holds the numbered migration files in the order tern applies them.
//
//go:embed *.sql
var FS embed.FS
