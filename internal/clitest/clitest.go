// Package clitest checks what handoff-parent and handoff-child both promise
// about their command lines: a misuse exits [handoff.ExitUsage] with a message
// that holds the synopsis and prints nothing; -h prints the help and exits 0.
package clitest

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/exitcode"
)

// Run is a program's run function, which its main calls with os.Args[1:].
type Run func(args []string, stdout, stderr io.Writer) error

// Misuse checks that run(args) fails with exit code [handoff.ExitUsage] and an
// error that says want and holds the synopsis, and prints nothing.
func Misuse(t *testing.T, run Run, synopsis string, args []string, want string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(args, &stdout, &stderr)
	if code := exitcode.Of(err); code != handoff.ExitUsage || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), synopsis) {
		t.Errorf("run(%q) = %v (exit %d), want exit %d and %q with the synopsis", args, err, code, handoff.ExitUsage, want)
	}
	if stdout.Len()+stderr.Len() != 0 {
		t.Errorf("run(%q) printed %q, %q; want nothing", args, stdout.String(), stderr.String())
	}
}

// Help checks that run(-h) returns [flag.ErrHelp], which exits 0, and
// prints each of wants on standard output.
func Help(t *testing.T, run Run, wants ...string) {
	t.Helper()
	var stdout bytes.Buffer
	err := run([]string{"-h"}, &stdout, new(bytes.Buffer))
	if !errors.Is(err, flag.ErrHelp) || exitcode.Of(err) != 0 {
		t.Fatalf("run(-h) = %v, want flag.ErrHelp (exit 0)", err)
	}
	for _, want := range wants {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("run(-h) printed:\n%s\nwant %q in it", stdout.String(), want)
		}
	}
}
