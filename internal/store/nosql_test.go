package store_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// A statement as Go code would spell it inline.
var inlineSQL = regexp.MustCompile(`^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\s`)

// Where SQL may be written in Go: the generated code (and the batch helper) next to the queries,
// the report's generated package, the bench's own fixtures, and the test database helper.
var sqlHomes = []string{"internal/store", "internal/report/reportdb", "internal/bench", "cmd/bench", "internal/pgtest"}

// TestNoInlineSQL: every query is sqlc-generated from .sql files (internal/store/queries,
// internal/report/queries); outside its homes Go code calls those, never a statement of its own.
// Tests may still set up and check rows directly.
func TestNoInlineSQL(t *testing.T) {
	root := filepath.Join("..", "..")
	for _, top := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			rel = filepath.ToSlash(rel)
			if d.IsDir() {
				for _, home := range sqlHomes {
					if rel == home {
						return filepath.SkipDir
					}
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				if s, err := strconv.Unquote(lit.Value); err == nil && inlineSQL.MatchString(s) {
					t.Errorf("%s: inline SQL %.60q: write it as a sqlc query", rel, s)
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
