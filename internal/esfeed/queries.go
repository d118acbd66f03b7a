package esfeed

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
)

//go:embed queries.sql
var queriesSQL string

// queries holds the named statements of queries.sql.
var queries = parseQueries(queriesSQL)

func parseQueries(src string) map[string]string {
	out := map[string]string{}
	name := ""
	var b strings.Builder
	flush := func() {
		if name != "" {
			out[name] = strings.TrimSpace(b.String())
		}
		b.Reset()
	}
	for _, line := range strings.Split(src, "\n") {
		if n, ok := strings.CutPrefix(line, "-- name: "); ok {
			flush()
			name = strings.TrimSpace(n)
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	flush()
	return out
}

// query returns a named statement; a missing name is a programming error caught by any test.
func query(name string) string {
	q, ok := queries[name]
	if !ok {
		panic(fmt.Sprintf("esfeed: no query %q in queries.sql", name))
	}
	return q
}

// claimSQL returns the claim statement with the batch size as a constant.
func claimSQL(batch int) string {
	return strings.Replace(query("claim"), "{{batch}}", strconv.Itoa(batch), 1)
}
