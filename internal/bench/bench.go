// Package bench holds the `make bench` measurements. Each file registers one benchmark; every
// benchmark measures its figure and the baseline it is compared with in the same run, and prints
// key=value lines.
package bench

import (
	"context"
	"sort"
)

// Env is what a benchmark gets: a fresh migrated database URL maker and a place to log.
type Env struct {
	// NewDatabase returns the URL of a fresh, migrated, empty database.
	NewDatabase func(ctx context.Context) (string, error)
	// Logf prints progress to stderr (never to stdout, which holds only key=value lines).
	Logf func(format string, args ...any)
}

// Result is one key=value line.
type Result struct {
	Key   string
	Value string
}

// Benchmark measures one area.
type Benchmark struct {
	Name string
	Run  func(ctx context.Context, env *Env) ([]Result, error)
}

var registry []Benchmark

// Register adds a benchmark; call it from an init function.
func Register(b Benchmark) { registry = append(registry, b) }

// All returns the registered benchmarks by name.
func All() []Benchmark {
	out := append([]Benchmark(nil), registry...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
