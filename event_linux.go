package handoff

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// valueAlign is what every handle value must be a multiple of.
const valueAlign = 1

// sysHandle is a file descriptor, -1 once closed.
type sysHandle struct {
	fd int
}

func newEvent() (sysHandle, error) {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return sysHandle{-1}, os.NewSyscallError("eventfd", err)
	}
	return sysHandle{fd}, nil
}

func (h *sysHandle) value() uintptr { return uintptr(h.fd) }

func (h *sysHandle) close() error {
	if h.fd < 0 {
		return os.ErrClosed
	}
	fd := h.fd
	h.fd = -1
	return os.NewSyscallError("close", unix.Close(fd))
}

// set adds 1 to the eventfd's counter, which makes it readable. A counter
// that is already at its maximum is set, too.
func (h *sysHandle) set() error {
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], 1)
	for {
		_, err := unix.Write(h.fd, b[:])
		switch err {
		case nil, unix.EAGAIN:
			return nil
		case unix.EINTR:
			continue
		}
		return os.NewSyscallError("write", err)
	}
}

// reset reads the counter back to zero. The eventfd is non-blocking, so an
// unset event reads EAGAIN.
func (h *sysHandle) reset() error {
	var b [8]byte
	for {
		_, err := unix.Read(h.fd, b[:])
		switch err {
		case nil, unix.EAGAIN:
			return nil
		case unix.EINTR:
			continue
		}
		return os.NewSyscallError("read", err)
	}
}

// wait polls the eventfd, and the lifeline's pidfd if there is one, for
// readability without reading either, so the event stays set for every other
// waiter. A pidfd becomes readable when its process exits. Cancellation
// arrives on a third, private eventfd that ctx's AfterFunc writes.
func (h *sysHandle) wait(ctx context.Context, lifeline *sysHandle) error {
	fds := []unix.PollFd{{Fd: int32(h.fd), Events: unix.POLLIN}}
	if lifeline != nil {
		fds = append(fds, unix.PollFd{Fd: int32(lifeline.fd), Events: unix.POLLIN})
	}
	if ctx.Done() != nil {
		cancel, err := newEvent()
		if err != nil {
			return err
		}
		defer cancel.close()
		defer afterDone(ctx, func() { cancel.set() })()
		fds = append(fds, unix.PollFd{Fd: int32(cancel.fd), Events: unix.POLLIN})
	}
	for {
		_, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return os.NewSyscallError("poll", err)
		}
		for i, p := range fds {
			if p.Revents == 0 {
				continue
			}
			if p.Revents&(unix.POLLERR|unix.POLLNVAL) != 0 {
				return fmt.Errorf("handoff: poll: descriptor %d: revents %#x", p.Fd, p.Revents)
			}
			switch {
			case i == 0:
				return nil
			case i == 1 && lifeline != nil:
				return ErrParentGone
			default:
				return context.Cause(ctx)
			}
		}
	}
}
