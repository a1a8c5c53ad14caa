//go:build linux && !handoff_pipe

package handoff

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

func newEvent() (sysHandle, error) {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return closedHandle, os.NewSyscallError("eventfd", err)
	}
	return sysHandle{fd}, nil
}

// set adds 1 to the eventfd's counter, which makes it readable. A counter
// that is already at its maximum is set, too.
func (h *sysHandle) set() error {
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], 1)
	return writeSet(h.fd, b[:])
}

// reset reads the counter back to zero. The eventfd is non-blocking, so an
// unset event reads EAGAIN.
func (h *sysHandle) reset() error {
	var b [8]byte
	err := ignoringEINTR(func() error { _, err := unix.Read(h.fd, b[:]); return err })
	if err == unix.EAGAIN {
		return nil
	}
	return os.NewSyscallError("read", err)
}

// wait polls the eventfd, and the lifeline's pidfd if there is one, for
// readability without reading either (see the package documentation). A
// pidfd becomes readable when its process exits. Cancellation
// arrives on a third, private eventfd that ctx's AfterFunc writes.
func (h *sysHandle) wait(ctx context.Context, lifeline *sysHandle) error {
	fds, release, err := pollList(ctx, h, lifeline)
	if err != nil {
		return err
	}
	defer release()
	i, revents, err := pollReady(fds)
	switch {
	case err != nil:
		return err
	case revents&(unix.POLLERR|unix.POLLNVAL) != 0:
		return fmt.Errorf("handoff: poll: descriptor %d: revents %#x", fds[i].Fd, revents)
	case i == 0:
		return nil
	case i == 1 && lifeline != nil:
		return ErrParentGone
	}
	return context.Cause(ctx)
}

// newReady makes the ready object: an event that the child sets.
func newReady() (sysHandle, error) { return newEvent() }
