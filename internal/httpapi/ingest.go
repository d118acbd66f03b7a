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
	"regexp"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/ingest"
	"github.com/boothgiveaway/giveaway/internal/tweet"
	"github.com/boothgiveaway/giveaway/internal/webhook"
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
	items, bad, envelope, err := parseBody(mt, body)
	if err != nil {
		return err
	}
	if len(items) == 0 && envelope && len(bad) == 0 {
		// An Account Activity delivery of likes or follows: nothing to store, and X must see 200.
		return c.JSON(http.StatusOK, ingestAnswer{})
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

// parseBody reads a single JSON post (pretty-printed or not), a JSON array of posts, an X Account
// Activity delivery (envelope is then true), or NDJSON.
func parseBody(mediaType string, body []byte) (items []tweet.Item, bad []lineError, envelope bool, err error) {
	trimmed := bytes.TrimSpace(body)
	if mediaType == "application/json" && json.Valid(trimmed) {
		if items, errs, ok := tweet.ParseAccountActivity(trimmed); ok {
			for _, e := range errs {
				bad = append(bad, lineError{Line: e.Index + 1, Error: e.Err.Error()})
			}
			return items, bad, true, nil
		}
		var raw []json.RawMessage
		if len(trimmed) > 0 && trimmed[0] == '[' {
			if err := json.Unmarshal(trimmed, &raw); err != nil {
				return nil, nil, false, apperr.New(apperr.Invalid, "malformed_json", "%v", err)
			}
		} else {
			raw = []json.RawMessage{trimmed}
		}
		for i, r := range raw {
			it, err := tweet.Parse(r)
			if err != nil {
				bad = append(bad, lineError{Line: i + 1, Error: err.Error()})
				continue
			}
			items = append(items, it)
		}
		return items, bad, false, nil
	}
	items, bad, err = readLines(bytes.NewReader(body))
	return items, bad, false, err
}

// crcToken is the shape of X's challenge. Anything else is refused: the answer is an HMAC with
// the same key X signs deliveries with, so echoing a token that looks like a post would hand
// out a valid signature for it.
var crcToken = regexp.MustCompile(`^[A-Za-z0-9+/=_-]{1,256}$`)

// webhookCRC answers X's challenge-response check, which X sends when the webhook is registered
// and then periodically; a wrong answer makes X stop delivering.
func (s *server) webhookCRC(c echo.Context) error {
	if s.cfg.XWebhookSecret == "" {
		return apperr.New(apperr.NotFound, "x_webhook_off", "X webhooks are not configured (X_WEBHOOK_SECRET)")
	}
	t := c.QueryParam("crc_token")
	if !crcToken.MatchString(t) {
		return apperr.New(apperr.Invalid, "invalid_crc_token", "crc_token is missing or not a challenge X sends")
	}
	return c.JSON(http.StatusOK, map[string]string{"response_token": webhook.CRCResponse([]byte(s.cfg.XWebhookSecret), t)})
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
