package handoff

// Lifeline is a child's handle on its parent process, passed by a [Handoff]
// under the name "parent" (placeholder {parent}). It lets the child stop
// waiting when the parent exits: see [Event.WaitParent].
//
// On Windows it is a SYNCHRONIZE handle to the parent process; on Linux a
// pidfd; on macOS and the BSDs one end of a Unix socket pair whose other end
// the parent holds.
type Lifeline struct {
	h sysHandle
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
	return &Lifeline{h: h}, nil
}

// Handle returns the lifeline's handle (Windows) or file descriptor (Unix).
// It stays owned by the Lifeline: do not close it.
func (l *Lifeline) Handle() uintptr { return l.h.value() }

// Close closes the lifeline's handle.
func (l *Lifeline) Close() error { return l.h.close() }
