package source

import (
	"bufio"
	"slices"
	"strings"
	"testing"
)

func TestReadLine(t *testing.T) {
	const max = 64
	br := bufio.NewReaderSize(strings.NewReader("event: update\r\ndata: {}\n\n"+strings.Repeat("x", max+10)+"\nafter\npartial"), 16)
	var got []string
	for {
		line, tooLong, err := ReadLine(br, max)
		if err != nil {
			if string(line) != "partial" {
				t.Errorf("partial line %q at %v", line, err)
			}
			break
		}
		if tooLong {
			if line != nil {
				t.Errorf("a line too long came with content %q", line)
			}
			got = append(got, "<too long>")
			continue
		}
		got = append(got, string(line))
	}
	if want := []string{"event: update", "data: {}", "", "<too long>", "after"}; !slices.Equal(got, want) {
		t.Errorf("lines %q, want %q", got, want)
	}
}
