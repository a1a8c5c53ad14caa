// Package exitcode defines the exit codes of handoff-parent and
// handoff-child, and how an error maps to one.
//
// The codes are part of the programs' contract: scripts and other tools tell
// the failures apart by them, and README.md and each program's -h list them.
//
//	0  ok: the event was signaled (child); the child exited 0 (parent)
//	1  other failure: a system call or the start of the child failed
//	2  usage: bad flags or arguments (-h itself exits 0)
//	3  bad value: a handle value that is not well formed (handoff.ErrBadValue; child only)
//	4  not inherited: the value names no handle the child inherited, or -handles lists none under a name it needs (handoff.ErrNotInherited, handoff.ErrNotPassed; child only)
//	5  wrong type: the value names an inherited handle of the wrong type (handoff.ErrWrongType; child only)
//	6  parent gone: the parent exited before it set the event (handoff.ErrParentGone; child only)
//	7  timeout: the event was not set (child), or a child was not ready within -ready-timeout or did not exit within -timeout, or the starts took over 1s per child, or -message-file was not read within -ready-timeout (parent)
//	8  child failed: a child exited non-zero, was killed, or exited before it was ready (parent only)
package exitcode

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/handoff/handoff"
)

// The exit codes.
const (
	OK           = 0
	Failure      = 1
	Usage        = 2
	BadValue     = 3
	NotInherited = 4
	WrongType    = 5
	ParentGone   = 6
	Timeout      = 7
	ChildFailed  = 8
)

// An Error is an error that carries the exit code it calls for, such as
// [Usage] for a bad flag or [ChildFailed] for a child that exited non-zero.
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

// Of returns the exit code for err: 0 for nil and [flag.ErrHelp]; the code of
// an *Error in err's chain; the code of a handoff sentinel error or of
// [context.DeadlineExceeded] that err wraps; and [Failure] otherwise.
func Of(err error) int {
	var e *Error
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return OK
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, handoff.ErrBadValue):
		return BadValue
	case errors.Is(err, handoff.ErrNotInherited), errors.Is(err, handoff.ErrNotPassed):
		return NotInherited
	case errors.Is(err, handoff.ErrWrongType):
		return WrongType
	case errors.Is(err, handoff.ErrParentGone):
		return ParentGone
	case errors.Is(err, context.DeadlineExceeded):
		return Timeout
	}
	return Failure
}

// table describes the codes for the -h texts: why each program exits with
// each, "" where it does not.
var table = []struct {
	code          int
	parent, child string
}{
	{OK, "ok: the child exited 0", "ok: the event was signaled"},
	{Failure, "other failure: a system call or the start of the child failed, or standard output failed or was not read for 10s", "other failure: a system call failed"},
	{Usage, "usage: bad flags or arguments", "usage: bad flags or arguments"},
	{BadValue, "", "bad value: VALUE is not a well-formed handle value"},
	{NotInherited, "", "not inherited: VALUE names no handle this process inherited, or -handles lists none under a needed name"},
	{WrongType, "", "wrong type: VALUE names an inherited handle of the wrong type"},
	{ParentGone, "", "parent gone: the parent exited before it set the event (or -parent is not the parent)"},
	{Timeout, "timeout: a child was not ready within -ready-timeout, or did not exit within -timeout, or the starts took over 1s per child (the children were killed), or -message-file was not read within -ready-timeout", "timeout: the event was not set within -timeout"},
	{ChildFailed, "child failed: a child exited non-zero, was killed, or exited before it was ready", ""},
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
