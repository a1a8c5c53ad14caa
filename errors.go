package handoff

import "errors"

// Errors returned by the child side, matched with [errors.Is]. The errors
// returned wrap one of these together with the value and, where there is one,
// the cause reported by the system.
var (
	// ErrBadValue means a value is not a well-formed handle value: see
	// [ParseValue].
	ErrBadValue = errors.New("bad handle value")

	// ErrNotInherited means a value names no handle that this process
	// inherited: no handle at all, or one of the process's own.
	ErrNotInherited = errors.New("not an inherited handle")

	// ErrWrongType means a value names an inherited handle to an object of
	// the wrong type, such as a file where an event was expected.
	ErrWrongType = errors.New("wrong type of object")

	// ErrParentGone means the parent process exited before the event was
	// set, or a lifeline names a process that is not this process's parent.
	ErrParentGone = errors.New("parent gone")

	// ErrNotPassed means a handles argument lists no handle under the name
	// asked for. The protocol counts it as not inherited
	// (docs/protocol.md): an error that wraps it also matches
	// ErrNotInherited with errors.Is.
	ErrNotPassed error = notPassedError{}
)

// notPassedError is the type of ErrNotPassed: it is also ErrNotInherited.
type notPassedError struct{}

func (notPassedError) Error() string        { return "no handle passed under that name" }
func (notPassedError) Is(target error) bool { return target == ErrNotInherited }

// ErrNotReady is returned by [Handoff.WaitReady] when the child exited
// before it signaled the ready object: it failed to verify what it
// received, or it does not know the handshake.
var ErrNotReady = errors.New("child exited before it was ready")
