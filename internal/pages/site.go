package pages

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"
	"time"
)

// site is everything loaded from web/: one template set per page (the layout plus the page),
// the static files with their content hashes, and the messages of each language.
type site struct {
	pages  map[string]*template.Template
	static fs.FS
	hashes map[string]string
	msgs   map[string]map[string]string
}

var languages = []string{"en", "ko"}

func loadSite(fsys fs.FS) (*site, error) {
	s := &site{pages: map[string]*template.Template{}, hashes: map[string]string{}, msgs: map[string]map[string]string{}}
	static, err := fs.Sub(fsys, "static")
	if err != nil {
		return nil, err
	}
	s.static = static
	err = fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		sum := sha256.Sum256(b)
		s.hashes[p] = hex.EncodeToString(sum[:6])
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, lang := range languages {
		b, err := fs.ReadFile(fsys, "i18n/"+lang+".json")
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n/%s.json: %w", lang, err)
		}
		s.msgs[lang] = m
	}
	base, err := template.New("base.html").Funcs(s.funcs()).ParseFS(fsys, "templates/base.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "base" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(fsys, n)
		if err != nil {
			return nil, err
		}
		s.pages[name] = t
	}
	return s, nil
}

func (s *site) funcs() template.FuncMap {
	return template.FuncMap{
		// asset names a static file by its content, so browsers may cache it for good.
		"asset": func(name string) string { return "/static/" + name + "?v=" + s.hashes[name] },
		"clock": func(t time.Time, loc *time.Location) string { return t.In(loc).Format("15:04") },
		"since": since,
		"hashtag": func(tag string) string {
			if strings.HasPrefix(tag, "#") {
				return tag
			}
			return "#" + tag
		},
		"lower": strings.ToLower,
		// newKey is an Idempotency-Key for a form that must not be done twice (a re-issue), so a
		// double tap or a resent form without the tablet's script is still done once.
		"newKey": newFormKey,
		// deref reads an optional text (nil is empty), such as a claim's verified_by.
		"deref": func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		},
		// msg resolves a message written as "key|English fallback" (see messageKey).
		"msg": func(t map[string]string, m string) string {
			key, fallback, _ := strings.Cut(m, "|")
			if v, ok := t[key]; ok {
				return v
			}
			if fallback != "" {
				return fallback
			}
			return key
		},
		// dict passes several values to a sub-template: dict "V" $ "C" .
		"dict": func(kv ...any) map[string]any {
			m := make(map[string]any, len(kv)/2)
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
	}
}

// since says how long ago, in a form both languages read ("45s", "3m", "2h").
func since(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", max(int(d.Seconds()), 0))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// render executes a page's named template (the layout, "base", or a fragment of it).
func (s *site) render(page, name string, data any) ([]byte, error) {
	t := s.pages[page]
	if t == nil {
		return nil, fmt.Errorf("pages: no template %q", page)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
