//go:build linux && !handoff_pipe

package handoff

import (
	"context"
	"encoding/binary"
	"errors"
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

func newSemaphore(count uint32) (sysHandle, error) {
	fd, err := unix.Eventfd(uint(count), unix.EFD_SEMAPHORE|unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return sysHandle{-1}, os.NewSyscallError("eventfd", err)
	}
	return sysHandle{fd}, nil
}

// acquire reads the semaphore eventfd, which takes 1 from its counter, and
// while it is 0 (EAGAIN) polls it, with a private eventfd that ctx's
// AfterFunc sets, until it is readable.
func (h *sysHandle) acquire(ctx context.Context) error {
	var b [8]byte
	return acquireRead(ctx, h.fd, b[:], func(ctx context.Context) error { return h.wait(ctx, nil) })
}

// release adds n to the counter. A counter that would overflow makes the
// write fail with EAGAIN.
func (h *sysHandle) release(n uint32) error {
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], uint64(n))
	for {
		_, err := unix.Write(h.fd, b[:])
		switch err {
		case nil:
			return nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return errors.New("handoff: semaphore release: count would overflow")
		}
		return os.NewSyscallError("write", err)
	}
}

// memorySeals keep a memfd's size fixed, so that no process holding it can
// shrink it under another's mapping, and keep the seals themselves fixed.
const memorySeals = unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_SEAL

func newMemory(size int) (sysHandle, error) {
	fd, err := unix.MemfdCreate("handoff", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return sysHandle{-1}, os.NewSyscallError("memfd_create", err)
	}
	h := sysHandle{fd}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		h.close()
		return sysHandle{-1}, os.NewSyscallError("ftruncate", err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, memorySeals); err != nil {
		h.close()
		return sysHandle{-1}, os.NewSyscallError("fcntl", err)
	}
	return h, nil
}

// mapMemory maps the whole memfd, shared, for reading and writing.
func mapMemory(h *sysHandle) ([]byte, error) {
	var st unix.Stat_t
	if err := unix.Fstat(h.fd, &st); err != nil {
		return nil, os.NewSyscallError("fstat", err)
	}
	return mmapShared(h.fd, st.Size)
}

// fileHandle returns f's descriptor, read without Fd, which would put f in
// blocking mode.
func fileHandle(f *os.File) (sysHandle, error) {
	c, err := f.SyscallConn()
	if err != nil {
		return sysHandle{-1}, err
	}
	h := sysHandle{-1}
	if err := c.Control(func(fd uintptr) { h.fd = int(fd) }); err != nil {
		return sysHandle{-1}, err
	}
	return h, nil
}
