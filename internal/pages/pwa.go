package pages

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/giveaway"
)

// The staff tablet is an installable web app: a manifest, icons drawn here, and a service worker
// (web/static/staff-sw.js) that keeps the tablet's shell and its last known list so that a reload
// with the venue Wi-Fi down still opens the page and its offline queue (staff.js).

// shellHeader marks the answers the service worker may keep for offline use: the tablet and its
// live part, for a staff member with a session, naming whose they are (the worker forgets what
// it kept for anyone else, and everything on logout or on any /staff answer without it).
const shellHeader = "X-Offline-Shell"

func markShell(c echo.Context, a giveaway.Actor) {
	if a.StaffID != nil {
		c.Response().Header().Set(shellHeader, "staff-"+strconv.FormatInt(*a.StaffID, 10))
	}
}

// shellAssets are the static files the tablet and its login form link, which the worker keeps
// at install; their hashed URLs make the worker's cache name, so a deploy starts a fresh cache.
var shellAssets = []string{"site.css", "staff.css", "staff.js"}

// staffSW serves the service worker: its shell list first, then web/static/staff-sw.js. The
// worker lives under /staff but controls /staff itself (a scope one level up from the script
// needs Service-Worker-Allowed), and is revalidated on every check so a deploy reaches tablets.
func (p *Pages) staffSW(c echo.Context) error {
	s, err := p.site()
	if err != nil {
		return err
	}
	src, err := fs.ReadFile(p.staticFS(), "staff-sw.js")
	if err != nil {
		return err
	}
	assets := make([]string, len(shellAssets))
	sum := sha256.New()
	for i, name := range shellAssets {
		assets[i] = "/static/" + name + "?v=" + s.hashes[name]
		sum.Write([]byte(assets[i]))
	}
	sum.Write(src)
	shell, _ := json.Marshal(map[string]any{"version": hex.EncodeToString(sum.Sum(nil)[:6]), "assets": assets, "header": shellHeader})
	h := c.Response().Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("Service-Worker-Allowed", "/staff")
	var b bytes.Buffer
	b.WriteString("self.SHELL = ")
	b.Write(shell)
	b.WriteString(";\n")
	b.Write(src)
	return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", b.Bytes())
}

// staffManifest is the web app manifest of the tablet: installed, it opens /staff full screen.
func (p *Pages) staffManifest(c echo.Context) error {
	s, err := p.site()
	if err != nil {
		return err
	}
	t := s.msgs[p.lang(c)]
	icon := func(size string) map[string]string {
		return map[string]string{"src": "/staff/icons/" + size + ".png", "sizes": size + "x" + size, "type": "image/png", "purpose": "any maskable"}
	}
	m := map[string]any{
		"name": t["app_name"], "short_name": t["app_short_name"], "lang": p.lang(c),
		"start_url": "/staff", "scope": "/staff", "display": "standalone",
		"background_color": "#f5f6f8", "theme_color": "#16202e",
		"icons": []map[string]string{icon("192"), icon("512")},
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "application/manifest+json", b)
}

var iconSizes = []string{"192", "512"}

var icons = struct {
	sync.Mutex
	png map[int][]byte
}{png: map[int][]byte{}}

// staffIcon serves the app icon, drawn on first use: a gift box on the tablet's dark bar colour.
func (p *Pages) staffIcon(c echo.Context) error {
	size, png_ := strings.CutSuffix(c.Param("file"), ".png")
	if !png_ || !slices.Contains(iconSizes, size) {
		return apperr.New(apperr.NotFound, "not_found", "no such icon")
	}
	n, _ := strconv.Atoi(size)
	icons.Lock()
	b, ok := icons.png[n]
	if !ok {
		var buf bytes.Buffer
		if err := png.Encode(&buf, drawIcon(n)); err != nil {
			icons.Unlock()
			return err
		}
		b = buf.Bytes()
		icons.png[n] = b
	}
	icons.Unlock()
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.Blob(http.StatusOK, "image/png", b)
}

// drawIcon draws the icon at n×n pixels, inside the middle 60% (the safe zone of a maskable icon).
func drawIcon(n int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	fill := func(x0, y0, x1, y1 float64, c color.Color) {
		r := image.Rect(int(x0*float64(n)), int(y0*float64(n)), int(x1*float64(n)), int(y1*float64(n)))
		draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
	}
	ink := color.RGBA{0x16, 0x20, 0x2e, 0xff}
	box := color.RGBA{0xff, 0xe0, 0x8a, 0xff}
	ribbon := color.RGBA{0x0a, 0x5c, 0xc2, 0xff}
	fill(0, 0, 1, 1, ink)
	fill(.22, .40, .78, .78, box)    // the box
	fill(.20, .30, .80, .42, box)    // its lid
	fill(.46, .30, .54, .78, ribbon) // the ribbon, down
	fill(.20, .34, .80, .38, ribbon) // and across the lid
	fill(.36, .22, .46, .30, ribbon) // the bow
	fill(.54, .22, .64, .30, ribbon)
	return img
}
