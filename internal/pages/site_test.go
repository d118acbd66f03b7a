package pages

import (
	"io/fs"
	"regexp"
	"testing"

	"github.com/boothgiveaway/giveaway/internal/giveaway"
	"github.com/boothgiveaway/giveaway/web"
)

// TestMessages keeps Korean and English in step, and every message a template names defined.
func TestMessages(t *testing.T) {
	s, err := loadSite(web.FS)
	if err != nil {
		t.Fatal(err)
	}
	for k := range s.msgs["en"] {
		if _, ok := s.msgs["ko"][k]; !ok {
			t.Errorf("ko lacks %q", k)
		}
	}
	for k := range s.msgs["ko"] {
		if _, ok := s.msgs["en"][k]; !ok {
			t.Errorf("en lacks %q", k)
		}
	}
	used := regexp.MustCompile(`\.(?:T|EN|KO)\.([a-z0-9_]+)`)
	names, _ := fs.Glob(web.FS, "templates/*.html")
	for _, n := range names {
		b, _ := fs.ReadFile(web.FS, n)
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			if _, ok := s.msgs["en"][m[1]]; !ok {
				t.Errorf("%s uses undefined message %q", n, m[1])
			}
		}
	}
	// Keys built in templates from data: networks and statuses.
	var built []string
	for _, n := range giveaway.Networks {
		built = append(built, "network_"+n)
	}
	for _, st := range []string{"pending", "verified", "given", "rejected"} {
		built = append(built, "status_"+st, "st_"+st)
	}
	for _, k := range built {
		if _, ok := s.msgs["en"][k]; !ok {
			t.Errorf("no message %q", k)
		}
	}
	if got := fromAcceptLanguage("de-DE,ko;q=0.8,en;q=0.5"); got != "ko" {
		t.Errorf("Accept-Language picks %s", got)
	}
}
