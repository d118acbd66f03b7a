package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/api"
	"github.com/boothgiveaway/giveaway/internal/app"
	"github.com/boothgiveaway/giveaway/internal/pgtest"
)

// TestContractDocumentIsValid loads api/openapi.yaml and validates it as OpenAPI (references
// resolve, path parameters are declared, examples match their schemas ...).
func TestContractDocumentIsValid(t *testing.T) {
	contractLoad(t)
}

// TestContractRoutesMatchDocument keeps the route table and api/openapi.yaml in step: every route
// the server registers must be documented, and every documented operation must be a route.
func TestContractRoutesMatchDocument(t *testing.T) {
	doc := contractLoad(t)

	// The pages are served by the same Echo instance, so the contract covers them too.
	a, err := app.New(pgtest.New(t), app.Config{IngestToken: "ingest-token", AdminToken: "admin-token",
		SessionTTL: time.Hour, PublicBaseURL: "http://localhost:8080"})
	if err != nil {
		t.Fatal(err)
	}
	e := a.Echo

	served := map[string]bool{}
	ignored := map[string]bool{}
	for _, r := range e.Routes() {
		// Group middleware makes Echo register catch-all "not found" routes that send every
		// unknown path through that group's middleware; middleware is attached per route instead.
		if r.Method == echo.RouteNotFound {
			ignored[r.Method+" "+r.Path] = true
			continue
		}
		served[r.Method+" "+contractPath(r.Path)] = true
	}
	if len(ignored) > 0 {
		t.Errorf("catch-all routes from group middleware change routing for every unknown path: %s",
			strings.Join(contractSortedKeys(ignored), ", "))
	}

	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}

	var undocumented, unserved []string
	for k := range served {
		if !documented[k] {
			undocumented = append(undocumented, k)
		}
	}
	for k := range documented {
		if !served[k] {
			unserved = append(unserved, k)
		}
	}
	sort.Strings(undocumented)
	sort.Strings(unserved)
	if len(undocumented) == 0 && len(unserved) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString("the route table (internal/httpapi/server.go) and api/openapi.yaml disagree\n")
	if len(undocumented) > 0 {
		b.WriteString("\nroutes the server registers that api/openapi.yaml lacks (document them under paths):\n")
		for _, r := range undocumented {
			fmt.Fprintf(&b, "  %s\n", r)
		}
	}
	if len(unserved) > 0 {
		b.WriteString("\noperations api/openapi.yaml documents that the server does not register (remove them, or add the route):\n")
		for _, r := range unserved {
			fmt.Fprintf(&b, "  %s\n", r)
		}
	}
	b.WriteString("\n(Echo's :param is {param} in the document; a trailing * is {path}.)")
	t.Error(b.String())
}

func contractLoad(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatalf("api/openapi.yaml does not load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("api/openapi.yaml is not valid OpenAPI: %v", err)
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !contractMethods[method] {
				t.Errorf("api/openapi.yaml: %s %s: unexpected method", method, path)
			}
		}
	}
	return doc
}

var contractMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true, http.MethodTrace: true,
	http.MethodConnect: true,
}

// contractPath turns Echo's "/claims/:id/give" into "/claims/{id}/give", and a trailing "*" (a
// wildcard, as for static files) into "{path}".
func contractPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		switch {
		case strings.HasPrefix(s, ":"):
			segs[i] = "{" + s[1:] + "}"
		case s == "*":
			segs[i] = "{path}"
		}
	}
	return strings.Join(segs, "/")
}

func contractSortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
