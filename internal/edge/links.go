package edge

import (
	"encoding/base64"
	"net/url"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// ClaimStatusURL is the attendee's page of the claim with this token, under the public base URL.
func ClaimStatusURL(base, token string) string {
	return strings.TrimRight(base, "/") + "/claims/" + url.PathEscape(token)
}

// QRDataURL is a data: URL of a PNG QR code of value, for a page or an answer to show inline
// (a re-issued claim link that the attendee scans off the tablet).
func QRDataURL(value string) (string, error) {
	png, err := qrcode.Encode(value, qrcode.Medium, 320)
	if err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), nil
}
