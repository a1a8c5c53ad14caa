package handoff

import (
	"context"
	"errors"
	"os/exec"
)

// The exit codes of the protocol (docs/protocol.md, "Exit codes"), with
// which a child and a parent that follow it exit, so that scripts and other
// programs tell the failures apart. [ExitCode] maps an error to one.
const (
	ExitOK           = 0 // child: the event was set; parent: every child exited 0
	ExitFailure      = 1 // a system call, or the start of a child, failed
	ExitUsage        = 2 // bad flags or arguments
	ExitBadValue     = 3 // child: a value is not well formed ([ErrBadValue])
	ExitNotInherited = 4 // child: a value names no inherited handle, or a name was not passed ([ErrNotInherited], [ErrNotPassed])
	ExitWrongType    = 5 // child: a value names an inherited handle of another kind ([ErrWrongType])
	ExitParentGone   = 6 // child: the parent exited before it set the event, or the lifeline names another process ([ErrParentGone])
	ExitTimeout      = 7 // child: the event was not set in time; parent: a child was not ready, or did not exit, in time, and was killed
	ExitChildFailed  = 8 // parent: a child exited non-zero, was killed, or exited before it was ready ([ErrNotReady])
)

// ExitCode returns the exit code that the protocol gives err: [ExitOK] for
// nil; for an error that wraps one of the sentinel errors, or
// [context.DeadlineExceeded], its code, the child's sentinels first; for one
// that wraps [ErrNotReady] or an [*exec.ExitError] (a child that failed, as
// a [Group] or [Handoff.Wait] reports it), [ExitChildFailed]; and
// [ExitFailure] for any other. [ExitUsage] is for the program to choose: no
// error of this package calls for it.
func ExitCode(err error) int {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrBadValue):
		return ExitBadValue
	case errors.Is(err, ErrNotInherited), errors.Is(err, ErrNotPassed):
		return ExitNotInherited
	case errors.Is(err, ErrWrongType):
		return ExitWrongType
	case errors.Is(err, ErrParentGone):
		return ExitParentGone
	case errors.Is(err, context.DeadlineExceeded):
		return ExitTimeout
	case errors.Is(err, ErrNotReady), errors.As(err, &exit):
		return ExitChildFailed
	}
	return ExitFailure
}
