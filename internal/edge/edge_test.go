package edge

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
)

// Every cookie is HttpOnly, Secure behind https, and SameSite Lax only where a link from
// elsewhere must bring it.
func TestCookieFlags(t *testing.T) {
	for _, secure := range []bool{false, true} {
		k := Cookies{Secure: secure}
		rec := httptest.NewRecorder()
		c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)
		k.SetSession(c, "s", time.Now().Add(time.Hour))
		k.SetDevice(c, "d")
		k.SetClaim(c, "pycon", "t")
		k.SetSignIn(c, "x", time.Minute)
		k.SetFlash(c, "f")
		k.SetLang(c, "ko")
		k.SetStaffCampaign(c, "pycon")
		c.SetCookie(k.preSession("p"))
		lax := map[string]bool{ClaimCookie: true, SignInCookie: true, LangCookie: true}
		res := rec.Result()
		if len(res.Cookies()) != 8 {
			t.Fatalf("%d cookies", len(res.Cookies()))
		}
		for _, ck := range res.Cookies() {
			want := http.SameSiteStrictMode
			if lax[ck.Name] {
				want = http.SameSiteLaxMode
			}
			if !ck.HttpOnly || ck.Secure != secure || ck.SameSite != want {
				t.Errorf("secure=%v %s: HttpOnly %v Secure %v SameSite %v", secure, ck.Name, ck.HttpOnly, ck.Secure, ck.SameSite)
			}
		}
	}
}

func TestClassify(t *testing.T) {
	c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
	for _, tc := range []struct {
		err    error
		status int
		code   string
	}{
		{apperr.New(apperr.Conflict, "already_given", "given"), 409, "already_given"},
		{apperr.New(apperr.TooMany, "rate_limited", "wait"), 429, "rate_limited"},
		{echo.ErrNotFound, 404, "not_found"},
		{echo.ErrMethodNotAllowed, 405, "method_not_allowed"},
		{echo.NewHTTPError(http.StatusTeapot), 418, "http_418"},
		{errors.New("pq: secret internals"), 500, "internal"},
	} {
		status, e := Classify(c, tc.err)
		if status != tc.status || e.Code != tc.code || strings.Contains(e.Message, "secret") {
			t.Errorf("%v: %d %s %q", tc.err, status, e.Code, e.Message)
		}
	}
}
