package edge

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
)

// Every answer carries a request id, error answers in their body too, and each request writes
// one JSON access log line naming it, with the route pattern and never a token from the path.
func TestAccessLogAndRequestID(t *testing.T) {
	var logs bytes.Buffer
	e, err := NewEcho(ServerConfig{AccessLog: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e.GET("/claims/:token", func(c echo.Context) error {
		return apperr.New(apperr.NotFound, "claim_not_found", "no such claim")
	})
	e.GET("/healthz", func(c echo.Context) error { return c.String(200, "ok") })

	do := func(path, id string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		if id != "" {
			req.Header.Set(RequestIDHeader, id)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	rec := do("/claims/SECRETTOKEN123", "lb-4f2a")
	if rec.Code != 404 || rec.Header().Get(RequestIDHeader) != "lb-4f2a" {
		t.Fatalf("%d %q %s", rec.Code, rec.Header().Get(RequestIDHeader), rec.Body)
	}
	ok := do("/healthz", "bad id\nforged log line")
	fresh := ok.Header().Get(RequestIDHeader)
	if !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(fresh) {
		t.Fatalf("a malformed incoming id was kept or none made: %q", fresh)
	}

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines for 2 requests:\n%s", len(lines), logs.String())
	}
	if strings.Contains(logs.String(), "SECRETTOKEN123") || strings.Contains(logs.String(), "forged") {
		t.Fatalf("the log holds a path token or a forged id:\n%s", logs.String())
	}
	var first, second struct {
		Msg, RequestID, Route, Method string
		Status                        int
	}
	for i, dst := range []any{&first, &second} {
		var raw map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &raw); err != nil {
			t.Fatalf("log line %d is not JSON: %s", i, lines[i])
		}
		b, _ := json.Marshal(map[string]any{"Msg": raw["msg"], "RequestID": raw["request_id"], "Route": raw["route"],
			"Method": raw["method"], "Status": raw["status"]})
		json.Unmarshal(b, dst)
	}
	if first.Msg != "request" || first.RequestID != "lb-4f2a" || first.Route != "/claims/:token" || first.Status != 404 ||
		first.Method != "GET" || second.RequestID != fresh || second.Status != 200 {
		t.Fatalf("log lines %+v %+v", first, second)
	}
}
