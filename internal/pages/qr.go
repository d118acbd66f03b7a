package pages

import (
	"net/http"

	"github.com/labstack/echo/v4"
	qrcode "github.com/skip2/go-qrcode"
)

// qrPNG answers a QR code of value. Medium error correction survives a scratched phone screen
// or a creased poster while keeping the modules big enough to scan from a distance.
func qrPNG(c echo.Context, value string, size int) error {
	png, err := qrcode.Encode(value, qrcode.Medium, size)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "private, max-age=3600")
	return c.Blob(http.StatusOK, "image/png", png)
}
