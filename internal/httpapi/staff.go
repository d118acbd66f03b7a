package httpapi

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/boothgiveaway/giveaway/internal/apperr"
	"github.com/boothgiveaway/giveaway/internal/auth"
	"github.com/boothgiveaway/giveaway/internal/edge"
)

func (s *server) loginAttempt(c echo.Context, name, pin string) auth.Attempt {
	a := auth.Attempt{Name: name, PIN: pin, Client: c.RealIP()}
	a.Device = edge.Value(c, edge.DeviceCookie) // edge.DeviceCookie: the tablet's device
	return a
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
	if err := bind(c, &in); err != nil {
		return err
	}
	out, err := s.deps.Auth.UpdateStaff(c.Request().Context(), id, in, edge.Actor(c))
	if err != nil {
		return err
	}
	return s.reply(c, http.StatusOK, out, "flash_staff_saved")
}

func (s *server) endStaffSessions(c echo.Context) error {
	id, err := staffID(c)
	if err != nil {
		return err
	}
	n, err := s.deps.Auth.EndSessions(c.Request().Context(), id, edge.Actor(c))
	if err != nil {
		return err
	}
	return s.reply(c, http.StatusOK, map[string]any{"ended": n}, "flash_sessions_ended")
}

func staffID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New(apperr.Invalid, "invalid_id", "the staff id must be a positive number")
	}
	return id, nil
}
