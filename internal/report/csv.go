package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// CSVHeader is the first row of WriteCSV.
var CSVHeader = []string{"given_at", "network", "handle", "prize", "staff", "code", "verified_by", "account_checked"}

// WriteCSV writes one row per prize given in the report, after a header row.
func WriteCSV(w io.Writer, r *Report) error {
	rows := make([][]string, 0, len(r.Winners))
	for _, g := range r.Winners {
		rows = append(rows, []string{g.GivenAt, g.Network, g.Handle, g.Prize, g.Staff, g.Code, g.VerifiedBy,
			strconv.FormatBool(g.AccountChecked)})
	}
	return writeCSV(w, CSVHeader, rows)
}

// writeCSV writes header and rows, every cell made safe for a spreadsheet.
func writeCSV(w io.Writer, header []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, row := range rows {
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

// GapsCSVHeader is the first row of WriteGapsCSV.
var GapsCSVHeader = []string{"source", "kind", "from", "to", "detail"}

// WriteGapsCSV writes one row per stretch a source could not read in the report's range, after
// a header row: what to check by hand before announcing winners.
func WriteGapsCSV(w io.Writer, r *Report) error {
	rows := make([][]string, 0, len(r.SourceGaps))
	for _, g := range r.SourceGaps {
		rows = append(rows, []string{g.Source, g.Kind, g.From, g.To, g.Detail})
	}
	return writeCSV(w, GapsCSVHeader, rows)
}

// SpreadsheetSafe neutralises a cell a spreadsheet would run as a formula (OWASP's CSV
// injection guidance): a cell whose first visible character is =, +, -, @, a tab or a carriage
// return gets a ' in front, which the spreadsheet shows as text. Spreadsheets skip leading spaces
// and invisible characters and read full-width ＝ as =, so the guard looks past the former and
// through NFKC. Handles are typed by attendees, so this is not hypothetical.
func SpreadsheetSafe(s string) string {
	for _, r := range s {
		if r == '\t' || r == '\r' {
			return "'" + s
		}
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || unicode.IsControl(r) {
			continue // invisible: look at the next one
		}
		if f := norm.NFKC.String(string(r)); f != "" && strings.ContainsRune("=+-@", rune(f[0])) {
			return "'" + s
		}
		return s
	}
	return s
}
