package handoff

import (
	"context"
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

func newEvent() (sysHandle, error) {
	// A nil SECURITY_ATTRIBUTES makes the handle not inheritable.
	h, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		return sysHandle{}, os.NewSyscallError("CreateEvent", err)
	}
	return sysHandle{h}, nil
}

func (h *sysHandle) set() error {
	return os.NewSyscallError("SetEvent", windows.SetEvent(h.h))
}

func (h *sysHandle) reset() error {
	return os.NewSyscallError("ResetEvent", windows.ResetEvent(h.h))
}

// wait waits for the event, the lifeline's process if there is one, and a
// private event that ctx's AfterFunc sets. WaitForMultipleObjects reports the
// lowest signaled index, so a set event wins over the others.
func (h *sysHandle) wait(ctx context.Context, lifeline *sysHandle) error {
	list, release, err := waitList(ctx, h, lifeline)
	if err != nil {
		return err
	}
	defer release()
	handles := make([]windows.Handle, len(list))
	for i, o := range list {
		handles[i] = o.h
	}
	ev, err := windows.WaitForMultipleObjects(handles, false, windows.INFINITE)
	switch {
	case err != nil:
		return os.NewSyscallError("WaitForMultipleObjects", err)
	case ev == windows.WAIT_OBJECT_0:
		return nil
	case ev == windows.WAIT_OBJECT_0+1 && lifeline != nil:
		return ErrParentGone
	case ev < windows.WAIT_OBJECT_0+uint32(len(handles)):
		return context.Cause(ctx)
	case ev >= windows.WAIT_ABANDONED && ev < windows.WAIT_ABANDONED+uint32(len(handles)):
		return fmt.Errorf("handoff: WaitForMultipleObjects: abandoned mutex %d", ev-windows.WAIT_ABANDONED)
	}
	return fmt.Errorf("handoff: WaitForMultipleObjects: unexpected result %#x", ev)
}

// newReady makes the ready object: an event that the child sets.
func newReady() (sysHandle, error) { return newEvent() }
