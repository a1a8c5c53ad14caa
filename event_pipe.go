//go:build (unix && !linux) || (linux && handoff_pipe)

package handoff

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// The pipe backend: macOS and the BSDs, and Linux built with the handoff_pipe
// tag, so that the code macOS gets runs in Linux CI too. An event is a pipe;
// see doc.go, "macOS and the BSDs".

// valueAlign is what every handle value must be a multiple of.
const valueAlign = 1

// sysHandle is one object's descriptors. fd is the one a child gets (an
// event's read end, the lifeline's socket), -1 once closed. w is an event's
// write end in the process that made the event, -1 in a child, which holds
// the read end alone.
type sysHandle struct {
	fd, w int
}

// errReadEnd is what Set returns in a process that holds only the read end
// of an event's pipe, such as a child that opened it with OpenEvent.
var errReadEnd = fmt.Errorf("handoff: set: this process holds only the read end of the event's pipe; only the process that made the event can set it: %w", errors.ErrUnsupported)

func newEvent() (sysHandle, error) {
	p, err := newPipe()
	if err != nil {
		return sysHandle{-1, -1}, err
	}
	return sysHandle{fd: p[0], w: p[1]}, nil
}

// newPipe returns a pipe whose ends are both close-on-exec and non-blocking.
// The descriptors are made and marked under syscall.ForkLock, as package os
// does where there is no pipe2 (macOS), so that no process that Go starts
// meanwhile catches them: one way on every system, the one macOS needs, so
// that Linux CI runs it.
func newPipe() ([2]int, error) {
	var p [2]int
	syscall.ForkLock.RLock()
	err := unix.Pipe(p[:])
	if err == nil {
		unix.CloseOnExec(p[0])
		unix.CloseOnExec(p[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return [2]int{-1, -1}, os.NewSyscallError("pipe", err)
	}
	for _, fd := range p {
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(p[0])
			unix.Close(p[1])
			return [2]int{-1, -1}, os.NewSyscallError("fcntl", err)
		}
	}
	return p, nil
}

func (h *sysHandle) value() uintptr { return uintptr(h.fd) }

func (h *sysHandle) close() error {
	if h.fd < 0 {
		return os.ErrClosed
	}
	fd, w := h.fd, h.w
	h.fd, h.w = -1, -1
	err := unix.Close(fd)
	if w >= 0 {
		if werr := unix.Close(w); err == nil {
			err = werr
		}
	}
	return os.NewSyscallError("close", err)
}

// set writes a byte into the pipe, which makes its read end readable. A full
// pipe is set, too.
func (h *sysHandle) set() error {
	if h.w < 0 {
		return errReadEnd
	}
	b := [1]byte{1}
	for {
		_, err := unix.Write(h.w, b[:])
		switch err {
		case nil, unix.EAGAIN:
			return nil
		case unix.EINTR:
			continue
		}
		return os.NewSyscallError("write", err)
	}
}

// reset reads the pipe empty. The read end is non-blocking, so an unset
// event reads EAGAIN; a pipe whose write ends are all closed reads 0.
func (h *sysHandle) reset() error {
	var b [512]byte
	for {
		n, err := unix.Read(h.fd, b[:])
		switch {
		case err == unix.EAGAIN || err == nil && n == 0:
			return nil
		case err == unix.EINTR || err == nil:
			continue
		}
		return os.NewSyscallError("read", err)
	}
}

// wait polls the event's read end, and the lifeline's socket if there is
// one, for readability without reading either, so the event stays set for
// every other waiter. Cancellation arrives on a private pipe that ctx's
// AfterFunc writes.
//
// A read end also polls readable (with POLLHUP) once every write end is
// closed, at end of file: so it is set only if bytes are waiting in it. With
// no bytes and POLLHUP, nobody can set it any more: in a child, that means
// the parent, which held the write end, is gone, and wait returns
// ErrParentGone. A lifeline polls readable, or POLLHUP, only when the parent's
// end is closed: the parent never writes to it.
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
			if p.Revents&unix.POLLNVAL != 0 {
				return fmt.Errorf("handoff: poll: descriptor %d: revents %#x", p.Fd, p.Revents)
			}
			switch {
			case i == 0:
				n, err := unix.IoctlGetInt(h.fd, fionread)
				if err != nil {
					return os.NewSyscallError("ioctl", err)
				}
				if n > 0 {
					return nil
				}
				if p.Revents&unix.POLLHUP != 0 && h.w < 0 {
					return fmt.Errorf("handoff: event: every write end of its pipe is closed: %w", ErrParentGone)
				}
				// A Reset emptied the pipe since poll returned: wait on.
			case i == 1 && lifeline != nil:
				return ErrParentGone
			default:
				return context.Cause(ctx)
			}
		}
	}
}
