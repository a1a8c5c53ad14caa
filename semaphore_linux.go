//go:build linux && !handoff_pipe

package handoff

import (
	"context"
	"encoding/binary"
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

func newSemaphore(count uint32) (sysHandle, error) {
	fd, err := unix.Eventfd(uint(count), unix.EFD_SEMAPHORE|unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return closedHandle, os.NewSyscallError("eventfd", err)
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

// tryAcquire reads the semaphore eventfd once: EAGAIN while it is 0.
func (h *sysHandle) tryAcquire() (bool, error) {
	var b [8]byte
	return tryRead(h.fd, b[:])
}

// release adds n to the counter. A counter that would overflow makes the
// write fail with EAGAIN.
func (h *sysHandle) release(n uint32) error {
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], uint64(n))
	err := ignoringEINTR(func() error { _, err := unix.Write(h.fd, b[:]); return err })
	if err == unix.EAGAIN {
		return errors.New("handoff: semaphore release: count would overflow")
	}
	return os.NewSyscallError("write", err)
}
