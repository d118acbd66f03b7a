package pages_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// The tablet installs as an app: a manifest that opens /staff, icons that are real PNGs of the
// sizes it names, and a service worker allowed to control /staff that a deploy reaches (never
// cached for long) and whose shell files exist.
func TestTabletIsAnInstallableApp(t *testing.T) {
	en := newEnv(t)
	c := en.client()

	res, body := en.get(c, "/staff/manifest.webmanifest")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/manifest+json" {
		t.Fatalf("manifest: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var m struct {
		Name, Scope, Display string
		StartURL             string `json:"start_url"`
		Icons                []struct{ Src, Sizes, Type string }
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	if m.Name == "" || m.StartURL != "/staff" || m.Scope != "/staff" || m.Display != "standalone" || len(m.Icons) < 2 {
		t.Fatalf("manifest %s", body)
	}
	for _, icon := range m.Icons {
		res, b := en.get(c, icon.Src)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("icon %s: %d %s", icon.Src, res.StatusCode, res.Header.Get("Content-Type"))
		}
		img, err := png.Decode(bytes.NewReader([]byte(b)))
		if err != nil {
			t.Fatalf("icon %s: %v", icon.Src, err)
		}
		if got := fmt.Sprintf("%dx%d", img.Bounds().Dx(), img.Bounds().Dy()); got != icon.Sizes {
			t.Errorf("icon %s is %s, the manifest says %s", icon.Src, got, icon.Sizes)
		}
	}
	if res, _ := en.get(c, "/staff/icons/7.png"); res.StatusCode != http.StatusNotFound {
		t.Errorf("an icon size nobody drew: %d", res.StatusCode)
	}

	res, sw := en.get(c, "/staff/sw.js")
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("sw.js: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if got := res.Header.Get("Service-Worker-Allowed"); got != "/staff" {
		t.Errorf("Service-Worker-Allowed %q: the worker could not control /staff", got)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-cache" {
		t.Errorf("sw.js Cache-Control %q: a deploy would not reach the tablets", got)
	}
	assets := regexp.MustCompile(`/static/[a-z.]+\?v=[0-9a-f]{12}`).FindAllString(sw, -1)
	if len(assets) < 3 {
		t.Fatalf("the worker keeps no shell: %s", sw[:200])
	}
	for _, a := range assets {
		if res, _ := en.get(c, a); res.StatusCode != http.StatusOK {
			t.Errorf("shell file %s: %d", a, res.StatusCode)
		}
	}
	// The tablet links the shell files the worker keeps, at the same URLs.
	en.login(c, "Janis")
	_, page := en.get(c, "/staff")
	for _, a := range assets {
		if !strings.Contains(page, strings.ReplaceAll(a, "&", "&amp;")) {
			t.Errorf("the tablet does not link %s", a)
		}
	}
	if !strings.Contains(page, `rel="manifest" href="/staff/manifest.webmanifest"`) {
		t.Error("the tablet does not link its manifest")
	}
}

// The worker keeps only what the server marks as a staff member's tablet, and whose it is:
// never the login form (a logged-out tablet), the API, or another member's page.
func TestOnlyTheTabletIsMarkedForOfflineUse(t *testing.T) {
	en := newEnv(t)
	janis, minho := en.client(), en.client()
	if res, _ := en.get(janis, "/staff"); res.Header.Get("X-Offline-Shell") != "" {
		t.Errorf("the login form is marked for keeping: %q", res.Header.Get("X-Offline-Shell"))
	}
	en.login(janis, "Janis")
	en.login(minho, "Minho")
	res, _ := en.get(janis, "/staff")
	mark := res.Header.Get("X-Offline-Shell")
	if !strings.HasPrefix(mark, "staff-") {
		t.Fatalf("the tablet is not marked: %q", mark)
	}
	if res, _ := en.get(janis, "/staff/live?c="+slug); res.Header.Get("X-Offline-Shell") != mark {
		t.Errorf("the live list is marked %q, the page %q", res.Header.Get("X-Offline-Shell"), mark)
	}
	if res, _ := en.get(minho, "/staff"); res.Header.Get("X-Offline-Shell") == mark || res.Header.Get("X-Offline-Shell") == "" {
		t.Errorf("Minho's tablet is marked %q, Janis's %q: the worker could not tell them apart", res.Header.Get("X-Offline-Shell"), mark)
	}
	if res, _ := en.get(janis, "/api/v1/campaigns/"+slug); res.Header.Get("X-Offline-Shell") != "" {
		t.Error("an API answer is marked for keeping")
	}
}
