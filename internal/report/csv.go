package report

import (
	"encoding/csv"
	"io"
	"strings"
)

// CSVHeader is the first row of WriteCSV.
var CSVHeader = []string{"given_at", "network", "handle", "prize", "staff", "code"}

// WriteCSV writes one row per prize given in the report, after a header row.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, g := range r.Winners {
		row := []string{g.GivenAt, g.Network, g.Handle, g.Prize, g.Staff, g.Code}
		for i := range row {
			row[i] = SpreadsheetSafe(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// SpreadsheetSafe neutralises a cell a spreadsheet would run as a formula (OWASP's CSV
// injection guidance): a leading =, +, -, @, tab or carriage return gets a ' in front, which the
// spreadsheet shows as text. Handles are typed by attendees, so this is not hypothetical.
func SpreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
