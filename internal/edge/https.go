package edge

import (
	"strings"

	"github.com/labstack/echo/v4"
)

// HTTPS is the https rule of every answer when the public URL is https: HSTS, and Secure on every
// cookie the answer sets, whoever set it.
func HTTPS(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		res := c.Response()
		res.Header().Set("Strict-Transport-Security", "max-age=31536000")
		res.Before(func() {
			h := res.Header()
			for i, v := range h["Set-Cookie"] {
				if !secureAttr(v) {
					h["Set-Cookie"][i] = v + "; Secure"
				}
			}
		})
		return next(c)
	}
}

func secureAttr(setCookie string) bool {
	for _, a := range strings.Split(setCookie, ";")[1:] {
		if strings.EqualFold(strings.TrimSpace(a), "secure") {
			return true
		}
	}
	return false
}
