package handoff

// The protocol's exit codes: ExitCode's mapping, and the table of
// docs/protocol.md, which must list the same codes with the same meanings.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// exitCodes are the codes with the words that name them in docs/protocol.md.
var exitCodes = []struct {
	code  int
	words string
}{
	{ExitOK, "the event was set"},
	{ExitFailure, "a system call"},
	{ExitUsage, "usage"},
	{ExitBadValue, "bad value"},
	{ExitNotInherited, "not inherited"},
	{ExitWrongType, "wrong type"},
	{ExitParentGone, "parent gone"},
	{ExitTimeout, "timeout"},
	{ExitChildFailed, "child failed"},
}

func TestExitCode(t *testing.T) {
	exitErr := &exec.ExitError{ProcessState: &os.ProcessState{}}
	tests := []struct {
		err  error
		want int
	}{
		{nil, ExitOK},
		{errors.New("boom"), ExitFailure},
		{fmt.Errorf("x: %w", ErrBadValue), ExitBadValue},
		{fmt.Errorf("x: %w", ErrNotInherited), ExitNotInherited},
		{fmt.Errorf("x: %w", ErrNotPassed), ExitNotInherited},
		{fmt.Errorf("x: %w", ErrWrongType), ExitWrongType},
		{fmt.Errorf("x: %w", ErrParentGone), ExitParentGone},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), ExitTimeout},
		{fmt.Errorf("x: %w", ErrNotReady), ExitChildFailed},
		{fmt.Errorf("x: %w", exitErr), ExitChildFailed},
		{context.Canceled, ExitFailure},
		// A child not ready in time, killed: the timeout, not the kill.
		{&ChildError{Err: fmt.Errorf("%w: %w", context.DeadlineExceeded, exitErr)}, ExitTimeout},
		{&ChildError{Err: fmt.Errorf("%w: %w", context.Canceled, exitErr)}, ExitChildFailed},
	}
	for _, tt := range tests {
		if got := ExitCode(tt.err); got != tt.want {
			t.Errorf("ExitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// TestExitCodesDocumented checks that docs/protocol.md's table of exit codes
// lists exactly the Exit constants, each with the words that name it.
func TestExitCodesDocumented(t *testing.T) {
	doc, err := os.ReadFile("docs/protocol.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Exit codes\n")
	if !ok {
		t.Fatal(`docs/protocol.md has no "## Exit codes" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	rows := map[int]string{}
	for _, m := range regexp.MustCompile(`(?m)^\| (\d+) \|(.*)$`).FindAllStringSubmatch(section, -1) {
		code, _ := strconv.Atoi(m[1])
		rows[code] = strings.ToLower(m[2])
	}
	for _, c := range exitCodes {
		row, ok := rows[c.code]
		switch {
		case !ok:
			t.Errorf("docs/protocol.md lists no exit code %d (%s)", c.code, c.words)
		case !strings.Contains(row, c.words):
			t.Errorf("docs/protocol.md's exit code %d is %q, want it to say %q", c.code, row, c.words)
		}
		delete(rows, c.code)
	}
	for code, row := range rows {
		t.Errorf("docs/protocol.md lists exit code %d (%q), which has no Exit constant", code, row)
	}
}
