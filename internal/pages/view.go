package pages

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/edge"
)

// view is what every template gets: the language and its messages, the CSRF token for forms,
// and the page's own data.
type view struct {
	Lang  string
	T     map[string]string
	CSRF  string
	Title string
	Body  string // the body's class, for page-wide styles
	// LangURL switches language on the current page.
	LangURL map[string]string
	Data    any
}

// lang picks the language: ?lang= (remembered in a cookie), the cookie, then Accept-Language.
func (p *Pages) lang(c echo.Context) string {
	if l := c.QueryParam("lang"); l == "en" || l == "ko" {
		p.edge.Cookies.SetLang(c, l)
		return l
	}
	if l := edge.Value(c, edge.LangCookie); l == "en" || l == "ko" {
		return l
	}
	return fromAcceptLanguage(c.Request().Header.Get("Accept-Language"))
}

// fromAcceptLanguage takes the first of en/ko the browser lists (quality order is how every
// browser writes the header anyway); English when neither is there.
func fromAcceptLanguage(h string) string {
	for _, part := range strings.Split(h, ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(tag)
		switch {
		case tag == "ko" || strings.HasPrefix(tag, "ko-"):
			return "ko"
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			return "en"
		}
	}
	return "en"
}

func (p *Pages) newView(c echo.Context, title, body string, data any) (*view, *site, error) {
	s, err := p.site()
	if err != nil {
		return nil, nil, err
	}
	l := p.lang(c)
	csrf, _ := c.Get(edge.CSRFContextKey).(string)
	v := &view{Lang: l, T: s.msgs[l], CSRF: csrf, Body: body, Data: data, LangURL: map[string]string{}}
	v.Title = v.T[title]
	if v.Title == "" {
		v.Title = title
	}
	for _, other := range languages {
		q := c.Request().URL.Query()
		q.Set("lang", other)
		v.LangURL[other] = c.Request().URL.Path + "?" + q.Encode()
	}
	return v, s, nil
}

// page renders a full page.
func (p *Pages) page(c echo.Context, status int, tmpl, title, body string, data any) error {
	v, s, err := p.newView(c, title, body, data)
	if err != nil {
		return err
	}
	b, err := s.render(tmpl, "base", v)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, b)
}

// fragment renders one named part of a page, for scripts that refresh that part.
func (p *Pages) fragment(c echo.Context, tmpl, name string, data any) error {
	v, s, err := p.newView(c, "", "", data)
	if err != nil {
		return err
	}
	b, err := s.render(tmpl, name, v)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(http.StatusOK, b)
}

type errorData struct {
	Message  string
	Back     string // a link back, when there is a better place than the browser's back button
	BackText string // the link's message key (default back_to_tablet)
}

// errorPage shows a message (a message key, or plain text) as an HTML page.
func (p *Pages) errorPage(c echo.Context, status int, msg string) error {
	return p.errorPageBack(c, status, msg, "")
}

func (p *Pages) errorPageBack(c echo.Context, status int, msg, back string, backText ...string) error {
	// Set here too: static files and the router's errors do not pass the headers middleware.
	securityHeaders(c.Response().Header())
	err := p.page(c, status, "error", "err_title", "error", errorData{Message: msg, Back: back, BackText: strings.Join(backText, "")})
	if err == nil || c.Response().Committed {
		return err
	}
	// The templates themselves fail: answer a page that needs none, never the JSON API's error.
	slog.Error("error page failed", "path", c.Request().URL.Path, "err", err)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTML(status, fmt.Sprintf(fallbackErrorPage, status, http.StatusText(status)))
}

const fallbackErrorPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>%[1]d %[2]s</title></head>
<body><h1>%[1]d %[2]s</h1>
<p>Something is not right. Please try again.</p>
<p lang="ko">문제가 생겼습니다. 다시 시도해 주세요.</p></body></html>
`

// showError is the pages' face of edge.HandleError: the error page in the reader's language.
func (p *Pages) showError(c echo.Context, status int, e *apperr.Error) error {
	return p.errorPage(c, status, messageKey(e))
}

// messageKey names an error's message in web/i18n, falling back to the domain's English text.
func messageKey(e *apperr.Error) string { return "err_" + e.Code + "|" + e.Message }

// redirect answers a form post with 303 See Other, so a reload never posts again.
func redirect(c echo.Context, path string, q url.Values) error {
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return c.Redirect(http.StatusSeeOther, path)
}
