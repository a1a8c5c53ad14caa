package exitcode

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/handoff/handoff"
)

func TestOf(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, handoff.ExitOK},
		{flag.ErrHelp, handoff.ExitOK},
		{errors.New("boom"), handoff.ExitFailure},
		{Errorf(handoff.ExitUsage, "bad flag"), handoff.ExitUsage},
		{fmt.Errorf("run: %w", Errorf(handoff.ExitChildFailed, "child failed: exit code %d", 3)), handoff.ExitChildFailed},
		// An explicit code wins over a sentinel it wraps.
		{Errorf(handoff.ExitTimeout, "wait: %w", handoff.ErrParentGone), handoff.ExitTimeout},
		// Else the library's mapping.
		{fmt.Errorf("x: %w", handoff.ErrBadValue), handoff.ExitBadValue},
		{fmt.Errorf("x: %w", handoff.ErrNotInherited), handoff.ExitNotInherited},
		{fmt.Errorf("x: %w", handoff.ErrWrongType), handoff.ExitWrongType},
		{fmt.Errorf("x: %w", handoff.ErrParentGone), handoff.ExitParentGone},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), handoff.ExitTimeout},
		{fmt.Errorf("x: %w", &exec.ExitError{}), handoff.ExitChildFailed},
		{context.Canceled, handoff.ExitFailure},
	}
	for _, tt := range tests {
		if got := Of(tt.err); got != tt.want {
			t.Errorf("Of(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestErrorUnwrap(t *testing.T) {
	err := Errorf(handoff.ExitUsage, "flag: %w", flag.ErrHelp)
	if !errors.Is(err, flag.ErrHelp) || err.Error() != "flag: flag: help requested" {
		t.Errorf("Errorf(...) = %q, does not wrap flag.ErrHelp", err)
	}
}

// codes returns the codes of a table's rows that have text in column col
// (from 1), for a Markdown table whose first column is the code.
func codes(t *testing.T, file, section string, col int) []int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	_, text, ok := strings.Cut(string(b), section+"\n")
	if !ok {
		t.Fatalf("%s: no section %q", file, section)
	}
	var got []int
	row := regexp.MustCompile(`(?m)^\| (\d) \|(.*)\|$`)
	for _, m := range row.FindAllStringSubmatch(text, -1) {
		cells := strings.Split(m[2], "|")
		if col-1 >= len(cells) {
			t.Fatalf("%s: row %q has no column %d", file, m[0], col)
		}
		if c := strings.TrimSpace(cells[col-1]); c != "" && c != "-" {
			n, _ := strconv.Atoi(m[1])
			got = append(got, n)
		}
		if m[1] == "8" {
			break
		}
	}
	return got
}

// tableCodes returns the codes that Table(parent) lists.
func tableCodes(parent bool) []int {
	var got []int
	for _, m := range regexp.MustCompile(`(?m)^  (\d)  `).FindAllStringSubmatch(Table(parent), -1) {
		n, _ := strconv.Atoi(m[1])
		got = append(got, n)
	}
	return got
}

// TestREADME checks that each program's -h, README.md and
// docs/protocol.md give a meaning to the same exit codes, and that they
// are the library's.
func TestREADME(t *testing.T) {
	for _, p := range []struct {
		name              string
		parent            bool
		readmeCol, docCol int
	}{
		{"handoff-parent", true, 1, 2},
		{"handoff-child", false, 2, 1},
	} {
		help := tableCodes(p.parent)
		readme := codes(t, "../../README.md", "### Exit codes", p.readmeCol)
		protocol := codes(t, "../../docs/protocol.md", "## Exit codes", p.docCol)
		if fmt.Sprint(help) != fmt.Sprint(readme) || fmt.Sprint(help) != fmt.Sprint(protocol) {
			t.Errorf("%s: -h lists codes %v, README.md %v, docs/protocol.md %v; want the same", p.name, help, readme, protocol)
		}
	}
	for _, c := range []struct {
		code int
		err  error
	}{
		{handoff.ExitBadValue, handoff.ErrBadValue},
		{handoff.ExitNotInherited, handoff.ErrNotInherited},
		{handoff.ExitWrongType, handoff.ErrWrongType},
		{handoff.ExitParentGone, handoff.ErrParentGone},
		{handoff.ExitTimeout, context.DeadlineExceeded},
		{handoff.ExitChildFailed, handoff.ErrNotReady},
	} {
		if !strings.Contains(Table(true)+Table(false), fmt.Sprintf("  %d  ", c.code)) || Of(c.err) != c.code {
			t.Errorf("code %d: Of(%v) = %d, or no line in the -h texts", c.code, c.err, Of(c.err))
		}
	}
}
