//go:build linux && !handoff_pipe

package handoff

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

func newEvent() (sysHandle, error) { return newEventfd(0, 0) }

// newEventfd makes an eventfd holding count, close-on-exec, in blocking mode
// where the kernel lets handoff's own reads not block without it (see
// readNoWait): the child shares the eventfd's open file, whose O_NONBLOCK a
// classic child that waits with a plain read(2) must not find. Before Linux
// 5.12 it is non-blocking.
func newEventfd(count uint, flags int) (sysHandle, error) {
	flags |= unix.EFD_CLOEXEC
	if !noWaitReads() {
		flags |= unix.EFD_NONBLOCK
	}
	fd, err := unix.Eventfd(count, flags)
	if err != nil {
		return closedHandle, os.NewSyscallError("eventfd", err)
	}
	return sysHandle{fd}, nil
}

// noWaitReads reports whether preadv2 with RWF_NOWAIT reads an eventfd
// without blocking (Linux 5.12).
var noWaitReads = sync.OnceValue(func() bool {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	var b [8]byte
	_, err = unix.Preadv2(fd, [][]byte{b[:]}, -1, unix.RWF_NOWAIT)
	return err == unix.EAGAIN
})

// readNoWait reads b from the eventfd fd without blocking, whether or not
// fd is in blocking mode: EAGAIN if its counter is 0. Where the kernel has
// no RWF_NOWAIT for an eventfd, fd is non-blocking (see newEventfd) and a
// plain read is enough.
func readNoWait(fd int, b []byte) error {
	return ignoringEINTR(func() error {
		_, err := unix.Preadv2(fd, [][]byte{b}, -1, unix.RWF_NOWAIT)
		switch err {
		case unix.EOPNOTSUPP, unix.EINVAL, unix.ENOSYS:
			_, err = unix.Read(fd, b)
		}
		return err
	})
}

// writeNoWait writes b to the eventfd fd without blocking, whether or not
// fd is in blocking mode: EAGAIN if the counter cannot take it. The kernel
// has no RWF_NOWAIT for an eventfd's writes: a poll for POLLOUT first
// tells whether the counter is below its maximum. Another process could
// fill it between the two, from within 2^31 of 2^64-1, which no handoff
// object nears.
func writeNoWait(fd int, b []byte) error {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
	if err := ignoringEINTR(func() error { _, err := unix.Poll(fds, 0); return err }); err != nil {
		return os.NewSyscallError("poll", err)
	}
	if fds[0].Revents&unix.POLLOUT == 0 {
		return unix.EAGAIN
	}
	return ignoringEINTR(func() error { _, err := unix.Write(fd, b); return err })
}

// set adds 1 to the eventfd's counter, which makes it readable. A counter
// that is already at its maximum is set, too.
func (h *sysHandle) set() error {
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], 1)
	switch err := writeNoWait(h.fd, b[:]); err {
	case nil, unix.EAGAIN:
		return nil // EAGAIN: at its maximum, set already
	default:
		return os.NewSyscallError("write", err)
	}
}

// reset reads the counter back to zero: an unset event reads EAGAIN.
func (h *sysHandle) reset() error {
	var b [8]byte
	err := readNoWait(h.fd, b[:])
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
