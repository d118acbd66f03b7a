// Package api holds the OpenAPI description of the HTTP API, embedded so tests and tools read the
// very file that ships.
package api

import _ "embed"

// OpenAPI is api/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
