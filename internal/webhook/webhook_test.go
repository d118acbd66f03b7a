package webhook_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/boothgiveaway/giveaway/internal/webhook"
)

var secret = []byte("s3cret")

func TestOwnScheme(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte(`{"id_str":"1"}`)
	ts, sig := webhook.Sign(secret, now, body)
	h := func(ts, sig string) http.Header {
		x := http.Header{}
		if ts != "" {
			x.Set(webhook.TimestampHeader, ts)
		}
		if sig != "" {
			x.Set(webhook.SignatureHeader, sig)
		}
		return x
	}
	cases := []struct {
		name string
		h    http.Header
		body []byte
		now  time.Time
		want error
	}{
		{"good", h(ts, sig), body, now, nil},
		{"clock a little behind", h(ts, sig), body, now.Add(-4 * time.Minute), nil},
		{"missing", h(ts, ""), body, now, webhook.ErrNoSignature},
		{"no timestamp", h("", sig), body, now, webhook.ErrNoTimestamp},
		{"body changed", h(ts, sig), []byte(`{"id_str":"2"}`), now, webhook.ErrBadSignature},
		{"timestamp changed", h("1700000001", sig), body, now, webhook.ErrBadSignature},
		{"other secret", h(webhook.Sign([]byte("other"), now, body)), body, now, webhook.ErrBadSignature},
		{"not hex", h(ts, "sha256=zz"), body, now, webhook.ErrBadSignature},
		{"stale", h(ts, sig), body, now.Add(6 * time.Minute), webhook.ErrStale},
		{"from the future", h(ts, sig), body, now.Add(-6 * time.Minute), webhook.ErrStale},
	}
	for _, c := range cases {
		if err := webhook.Verify(secret, c.h, c.body, c.now, webhook.DefaultWindow); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// The values X documents for its scheme: HMAC-SHA256 keyed with the consumer secret, base64.
func TestXScheme(t *testing.T) {
	// Computed independently: printf 'challenge' | openssl dgst -sha256 -hmac s3cret -binary | base64
	if got, want := webhook.CRCResponse(secret, "challenge"), "sha256=akDPtZKIDmiDViGJ+qKCCevBmRiQiyVhGqoqrR+fq2M="; got != want {
		t.Errorf("CRC %s, want %s", got, want)
	}
	body := []byte(`{"for_user_id":"1"}`)
	h := http.Header{}
	h.Set(webhook.XSignatureHeader, webhook.XSign(secret, body))
	if err := webhook.VerifyX(secret, h, body); err != nil {
		t.Errorf("good signature: %v", err)
	}
	if err := webhook.VerifyX(secret, h, append(body, ' ')); !errors.Is(err, webhook.ErrBadSignature) {
		t.Errorf("changed body: %v", err)
	}
	if err := webhook.VerifyX(secret, http.Header{}, body); !errors.Is(err, webhook.ErrNoSignature) {
		t.Errorf("missing: %v", err)
	}
}
