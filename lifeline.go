package handoff

import (
	"errors"
	"fmt"
	"os"
)

// Lifeline is a child's handle on its parent process, passed by a [Handoff]
// under the name "parent" (placeholder {parent}). It lets the child stop
// waiting when the parent exits: see [Event.WaitParent].
//
// On Windows it is a SYNCHRONIZE handle to the parent process; on Linux a
// pidfd; on macOS and the BSDs one end of a Unix socket pair whose other end
// the parent holds. The zero Lifeline names no handle: its Close does
// nothing, and [Event.WaitParent] refuses it.
type Lifeline struct {
	h sysHandle
	objectState
}

// OpenLifeline returns the lifeline that this process inherited under value.
// Like [OpenEvent], it checks the value names an inherited handle of the
// right kind (a process, a pidfd), and also that it refers to this process's
// parent; it returns an error wrapping [ErrBadValue], [ErrNotInherited],
// [ErrWrongType] or [ErrParentGone] otherwise. The returned lifeline is no
// longer inheritable. The caller owns it and should Close it.
func OpenLifeline(value string) (*Lifeline, error) {
	h, err := openInherited(value, kindLifeline)
	if err != nil {
		return nil, err
	}
	return &Lifeline{h: h, objectState: made}, nil
}

// Handle returns the lifeline's handle (Windows) or file descriptor (Unix).
// It stays owned by the Lifeline: do not close it.
func (l *Lifeline) Handle() uintptr { return l.h.value() }

// Close closes the lifeline's handle. Close on the zero Lifeline does
// nothing.
func (l *Lifeline) Close() error { return l.closeHandle(&l.h) }

// objectState is where an object is in its life: the zero value names no
// handle.
type objectState uint8

const (
	zero   objectState = iota // the zero value: no handle
	made                      // made or opened, and not yet closed
	closed                    // closed
)

// errZeroValue is what an object's methods return for its zero value.
var errZeroValue = errors.New("the zero value names no handle")

// usable returns an error unless the object is made and not closed.
func (s *objectState) usable() error {
	switch *s {
	case zero:
		return errZeroValue
	case closed:
		return os.ErrClosed
	}
	return nil
}

// check is usable for a method of an object of kind k.
func (s *objectState) check(k kind) error {
	if err := s.usable(); err != nil {
		return fmt.Errorf("handoff: %s: %w", k, err)
	}
	return nil
}

// closeHandle closes h, unless the object is the zero value, which names
// none.
func (s *objectState) closeHandle(h *sysHandle) error {
	if *s == zero {
		return nil
	}
	*s = closed
	return h.close()
}
