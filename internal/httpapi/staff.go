package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/auth"
)

// deviceCookie marks a device on which members logged in before (OWASP's device cookie): its
// tokens, one per member, let a tablet log in while strangers' wrong PINs lock the name out.
// The tablet's form login (internal/pages) sets the same cookie.
const deviceCookie = "giveaway_device"

// deviceMaxAge keeps a tablet trusted across an event season.
const deviceMaxAge = 365 * 24 * time.Hour

func (s *server) loginAttempt(c echo.Context, name, pin string) auth.Attempt {
	a := auth.Attempt{Name: name, PIN: pin, Client: c.RealIP()}
	if ck, err := c.Cookie(deviceCookie); err == nil {
		a.Device = ck.Value
	}
	return a
}

func (s *server) setDeviceCookie(c echo.Context, value string) {
	c.SetCookie(&http.Cookie{Name: deviceCookie, Value: value, Path: "/", MaxAge: int(deviceMaxAge.Seconds()),
		HttpOnly: true, Secure: s.cfg.SecureCookies, SameSite: http.SameSiteStrictMode})
}

func (s *server) listStaff(c echo.Context) error {
	out, err := s.deps.Auth.ListStaff(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"staff": out})
}

func (s *server) updateStaff(c echo.Context) error {
	id, err := staffID(c)
	if err != nil {
		return err
	}
	var in auth.StaffChange
	if err := decode(c, &in); err != nil {
		return err
	}
	out, err := s.deps.Auth.UpdateStaff(c.Request().Context(), id, in, actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

func (s *server) endStaffSessions(c echo.Context) error {
	id, err := staffID(c)
	if err != nil {
		return err
	}
	n, err := s.deps.Auth.EndSessions(c.Request().Context(), id, actor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"ended": n})
}

func staffID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New(apperr.Invalid, "invalid_id", "the staff id must be a positive number")
	}
	return id, nil
}
