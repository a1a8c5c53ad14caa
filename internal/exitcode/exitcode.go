// Package exitcode holds what handoff-parent and handoff-child add to the
// protocol's exit codes, which package handoff defines (the Exit constants
// and [handoff.ExitCode]): an error that carries the code a program chose
// for it, such as [handoff.ExitUsage] for a bad flag, and the -h text that
// says why each program exits with each code. README.md's table says the
// same (TestREADME checks it).
package exitcode

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/handoff/handoff"
)

// An Error is an error that carries the exit code the program chose for
// it, such as [handoff.ExitUsage] for a bad flag or [handoff.ExitTimeout]
// for a deadline of its own.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code, formatting its message as
// [fmt.Errorf] does (so %w wraps).
func Errorf(code int, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// Of returns the exit code for err: 0 for [flag.ErrHelp]; the code of an
// *Error in err's chain; else what [handoff.ExitCode] gives it.
func Of(err error) int {
	var e *Error
	switch {
	case errors.Is(err, flag.ErrHelp):
		return handoff.ExitOK
	case errors.As(err, &e):
		return e.Code
	}
	return handoff.ExitCode(err)
}

// table says why each program exits with each code, for the -h texts: ""
// where it does not.
var table = []struct {
	code          int
	parent, child string
}{
	{handoff.ExitOK, "ok: the child exited 0", "ok: the event was signaled"},
	{handoff.ExitFailure, "other failure: a system call or the start of the child failed, or standard output failed or was not read for 10s", "other failure: a system call failed"},
	{handoff.ExitUsage, "usage: bad flags or arguments", "usage: bad flags or arguments"},
	{handoff.ExitBadValue, "", "bad value: VALUE is not a well-formed handle value"},
	{handoff.ExitNotInherited, "", "not inherited: VALUE names no handle this process inherited, or -handles lists none under a needed name"},
	{handoff.ExitWrongType, "", "wrong type: VALUE names an inherited handle of the wrong type"},
	{handoff.ExitParentGone, "", "parent gone: the parent exited before it set the event (or -parent is not the parent)"},
	{handoff.ExitTimeout, "timeout: a child was not ready within -ready-timeout, or did not exit within -timeout, or the starts took over 1s per child (the children were killed), or -message-file was not read within -ready-timeout", "timeout: the event was not set within -timeout"},
	{handoff.ExitChildFailed, "child failed: a child exited non-zero, was killed, or exited before it was ready", ""},
}

// Table returns the exit codes that a program can exit with, one indented
// line per code, for its -h text: parent selects handoff-parent's, else
// handoff-child's.
func Table(parent bool) string {
	var b strings.Builder
	for _, t := range table {
		text := t.child
		if parent {
			text = t.parent
		}
		if text != "" {
			fmt.Fprintf(&b, "  %d  %s\n", t.code, text)
		}
	}
	return b.String()
}
