package handoff

import "context"

// Event is an unnamed manual-reset event: once set, it stays set, and every
// waiter wakes, until it is reset.
//
// On Windows it is an event object; on Linux an eventfd; on macOS and the
// BSDs a pipe, which only the process that made the event can Set. The
// methods of an Event may be called from several goroutines at once, except
// Close, which must not run while another method is in progress.
//
// The zero Event names no handle: a [Handoff] refuses to pass it, its Close
// does nothing, and its other methods return an error.
type Event struct {
	h sysHandle
	objectState
}

// NewEvent creates an unset event that no child process inherits unless a
// [Handoff] passes it.
func NewEvent() (*Event, error) {
	h, err := newEvent()
	if err != nil {
		return nil, err
	}
	return &Event{h: h, objectState: made}, nil
}

// OpenEvent returns the event that this process inherited under value, as
// its parent passed it (see [Handoff]). It parses value with [ParseValue],
// then checks that it names a live handle that this process inherited, to an
// event, and returns an error wrapping [ErrBadValue], [ErrNotInherited] or
// [ErrWrongType] otherwise. The returned event is no longer inheritable, so
// that this process's own children do not get it. The caller owns it and
// should Close it.
func OpenEvent(value string) (*Event, error) {
	h, err := openInherited(value, kindEvent)
	if err != nil {
		return nil, err
	}
	return &Event{h: h, objectState: made}, nil
}

// Set sets the event, waking every waiter.
func (e *Event) Set() error {
	if err := e.check(kindEvent); err != nil {
		return err
	}
	return e.h.set()
}

// Reset makes the event unset again.
func (e *Event) Reset() error {
	if err := e.check(kindEvent); err != nil {
		return err
	}
	return e.h.reset()
}

// Wait waits until the event is set. If ctx is done first, it returns
// [context.Cause] of ctx, such as [context.DeadlineExceeded].
func (e *Event) Wait(ctx context.Context) error {
	return e.WaitParent(ctx, nil)
}

// WaitParent is like Wait but also returns [ErrParentGone] as soon as the
// process that parent refers to exits. If parent is nil, it is Wait.
func (e *Event) WaitParent(ctx context.Context, parent *Lifeline) error {
	if err := e.check(kindEvent); err != nil {
		return err
	}
	if parent == nil {
		return e.h.wait(ctx, nil)
	}
	if err := parent.check(kindLifeline); err != nil {
		return err
	}
	return e.h.wait(ctx, &parent.h)
}

// Handle returns the event's handle (Windows) or file descriptor (Unix; on
// macOS and the BSDs, the read end of its pipe, which a child gets). It stays
// owned by the Event: do not close it.
func (e *Event) Handle() uintptr { return e.h.value() }

// Close closes the event's handle. Other handles to the same event, such as a
// child's, stay valid. Close on the zero Event does nothing.
func (e *Event) Close() error { return e.closeHandle(&e.h) }

func (e *Event) object() (sysHandle, kind, error) { return e.h, kindEvent, e.usable() }

// waitList returns what wait waits on, in this order: h, the lifeline if
// there is one, and, if ctx can be done, a private event that is set once it
// is. The release function it returns stops that and closes the event; wait
// must call it before it returns.
func waitList(ctx context.Context, h, lifeline *sysHandle) (list []*sysHandle, release func(), err error) {
	list = []*sysHandle{h}
	if lifeline != nil {
		list = append(list, lifeline)
	}
	if ctx.Done() == nil {
		return list, func() {}, nil
	}
	cancel, err := newEvent()
	if err != nil {
		return nil, nil, err
	}
	stop := afterDone(ctx, func() { cancel.set() })
	return append(list, &cancel), func() { stop(); cancel.close() }, nil
}

// afterDone arranges for f to run in its own goroutine once ctx is done, as
// [context.AfterFunc] does. The stop function it returns keeps f from
// running, or waits until it has returned, so that what f uses can be
// released after stop.
func afterDone(ctx context.Context, f func()) (stop func()) {
	done := make(chan struct{})
	unregister := context.AfterFunc(ctx, func() {
		defer close(done)
		f()
	})
	return func() {
		if !unregister() {
			<-done
		}
	}
}
