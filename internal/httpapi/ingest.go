package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/tweet"
)

// maxIngestBody is the largest ingest request; larger batches are split by the sender.
const maxIngestBody = "16MiB"

// maxLine bounds one NDJSON line (a v1.1 status with everything expanded is far smaller).
const maxLine = 1 << 20

type lineError struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

type ingestAnswer struct {
	ingest.Result
	Invalid int         `json:"invalid"`
	Errors  []lineError `json:"errors,omitempty"`
}

// ingestTweets takes one JSON post or an NDJSON batch. Lines that do not parse are counted and
// named, and the rest are stored; a body with nothing usable at all is 400.
func (s *server) ingestTweets(c echo.Context) error {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	switch mt {
	case "application/json", "application/x-ndjson", "application/ndjson", "application/jsonl":
	default:
		return apperr.New(apperr.Invalid, "unsupported_media_type", "send application/json or application/x-ndjson")
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err // the body limit: 413
	}
	items, bad, err := parseBody(mt, body)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		if len(bad) == 0 {
			return apperr.New(apperr.Invalid, "empty_body", "the body holds no posts")
		}
		return apperr.New(apperr.Invalid, "invalid_tweet", "line %d: %s", bad[0].Line, bad[0].Error).
			With("errors", firstN(bad, 20))
	}
	res, err := s.deps.Ingest.Ingest(c.Request().Context(), items)
	if err != nil {
		return err
	}
	res.Received += len(bad)
	return c.JSON(http.StatusOK, ingestAnswer{Result: res, Invalid: len(bad), Errors: firstN(bad, 20)})
}

func firstN(errs []lineError, n int) []lineError {
	if len(errs) > n {
		return errs[:n]
	}
	return errs
}

// parseBody reads a single JSON post (pretty-printed or not), a JSON array of posts, or NDJSON.
func parseBody(mediaType string, body []byte) ([]tweet.Item, []lineError, error) {
	trimmed := bytes.TrimSpace(body)
	if mediaType == "application/json" && json.Valid(trimmed) {
		var raw []json.RawMessage
		if len(trimmed) > 0 && trimmed[0] == '[' {
			if err := json.Unmarshal(trimmed, &raw); err != nil {
				return nil, nil, apperr.New(apperr.Invalid, "malformed_json", "%v", err)
			}
		} else {
			raw = []json.RawMessage{trimmed}
		}
		var items []tweet.Item
		var bad []lineError
		for i, r := range raw {
			it, err := tweet.Parse(r)
			if err != nil {
				bad = append(bad, lineError{Line: i + 1, Error: err.Error()})
				continue
			}
			items = append(items, it)
		}
		return items, bad, nil
	}
	return readLines(bytes.NewReader(body))
}

func readLines(body io.Reader) ([]tweet.Item, []lineError, error) {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	var items []tweet.Item
	var bad []lineError
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		it, err := tweet.Parse(line)
		if err != nil {
			bad = append(bad, lineError{Line: n, Error: err.Error()})
			continue
		}
		items = append(items, it)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, nil, apperr.New(apperr.TooLarge, "line_too_long", "line %d is over %d bytes", n+1, maxLine)
		}
		return nil, nil, fmt.Errorf("reading body: %w", err)
	}
	return items, bad, nil
}
