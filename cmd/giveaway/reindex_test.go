package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/boothgiveaway/giveaway/internal/estest"
)

// giveaway es reindex-legacy as an operator runs it, against the Elasticsearch double.
func TestReindexLegacyCommand(t *testing.T) {
	s := estest.New(t)
	app := newApp()
	var out bytes.Buffer
	app.Writer = &out
	if err := app.Run(context.Background(), []string{"giveaway", "es", "--elasticsearch-url", s.URL,
		"reindex-legacy", "--from", "twitter-2016.08.14", "--to", "twitter-pyconapac2016"}); err == nil ||
		!strings.Contains(err.Error(), "no such index") {
		t.Fatalf("a missing source: %v", err)
	}
	app = newApp()
	app.Writer = &out
	if err := app.Run(context.Background(), []string{"giveaway", "es", "--elasticsearch-url", s.URL,
		"reindex-legacy", "--from", "twitter-pyconapac2016", "--to", "twitter-copy"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "reindexed twitter-pyconapac2016 into twitter-copy: 0 documents") {
		t.Fatalf("output %q", out.String())
	}
	if len(s.Reindexes()) != 2 {
		t.Fatalf("%d _reindex requests", len(s.Reindexes()))
	}
}
