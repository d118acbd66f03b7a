// Package webhook checks signed pushes to the ingest endpoint: the service's own scheme (an
// HMAC-SHA256 of a timestamp and the raw body, for tools such as Logstash's http output) and X's
// webhook scheme (the CRC challenge and the x-twitter-webhooks-signature header).
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of the service's own scheme. The signature is
//
//	sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))
//
// over the body exactly as sent, and the timestamp (Unix seconds) must be within the window of
// the server's clock, so a captured request cannot be replayed later.
const (
	TimestampHeader = "X-Giveaway-Timestamp"
	SignatureHeader = "X-Giveaway-Signature"
)

// XSignatureHeader carries X's signature: sha256=base64(HMAC-SHA256(consumer secret, body)). It
// has no timestamp, so replays are stopped by the ingest path storing each post once.
const XSignatureHeader = "X-Twitter-Webhooks-Signature"

// DefaultWindow is how far a signed timestamp may be from the server's clock.
const DefaultWindow = 5 * time.Minute

// Errors say why a push was refused; every one is a 401 to the sender.
var (
	ErrNoSignature  = errors.New("no signature")
	ErrBadSignature = errors.New("signature does not match the body")
	ErrStale        = errors.New("signed timestamp is outside the allowed window")
	ErrNoTimestamp  = errors.New("missing or malformed " + TimestampHeader)
)

// Sign returns the two headers' values for body sent at t; senders and tests use it.
func Sign(secret []byte, t time.Time, body []byte) (timestamp, signature string) {
	timestamp = strconv.FormatInt(t.Unix(), 10)
	return timestamp, "sha256=" + hex.EncodeToString(mac(secret, []byte(timestamp+"."), body))
}

// Verify checks the service's own scheme at now.
func Verify(secret []byte, h http.Header, body []byte, now time.Time, window time.Duration) error {
	sig := h.Get(SignatureHeader)
	if sig == "" {
		return ErrNoSignature
	}
	ts := h.Get(TimestampHeader)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrNoTimestamp
	}
	got, err := hex.DecodeString(strings.TrimPrefix(sig, "sha256="))
	if err != nil || !strings.HasPrefix(sig, "sha256=") {
		return ErrBadSignature
	}
	// The signature is checked before the time, so an unsigned sender learns nothing about our clock.
	if !hmac.Equal(got, mac(secret, []byte(ts+"."), body)) {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > window || d < -window {
		return ErrStale
	}
	return nil
}

// XSign returns X's signature header value for body.
func XSign(secret, body []byte) string {
	return "sha256=" + base64.StdEncoding.EncodeToString(mac(secret, nil, body))
}

// VerifyX checks X's scheme.
func VerifyX(secret []byte, h http.Header, body []byte) error {
	sig := h.Get(XSignatureHeader)
	if sig == "" {
		return ErrNoSignature
	}
	got, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(sig, "sha256="))
	if err != nil || !strings.HasPrefix(sig, "sha256=") {
		return ErrBadSignature
	}
	if !hmac.Equal(got, mac(secret, nil, body)) {
		return ErrBadSignature
	}
	return nil
}

// CRCResponse answers X's challenge-response check: X sends crc_token and expects
// {"response_token": CRCResponse(consumer secret, crc_token)}.
func CRCResponse(secret []byte, crcToken string) string {
	return "sha256=" + base64.StdEncoding.EncodeToString(mac(secret, nil, []byte(crcToken)))
}

func mac(secret, prefix, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(prefix)
	m.Write(body)
	return m.Sum(nil)
}
