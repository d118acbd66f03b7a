// Package web holds the pages' templates, static files and messages, embedded in the binary.
package web

import "embed"

// FS holds templates/, static/ and i18n/.
//
//go:embed templates static i18n
var FS embed.FS
