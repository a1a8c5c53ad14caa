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
	return newEventfd(uint(count), unix.EFD_SEMAPHORE)
}

// acquire reads the semaphore eventfd, which takes 1 from its counter, and
// while it is 0 (EAGAIN) polls it, with a private eventfd that ctx's
// AfterFunc sets, until it is readable.
func (h *sysHandle) acquire(ctx context.Context) error {
	var b [8]byte
	return acquireRead(ctx, func() error { return readNoWait(h.fd, b[:]) }, func(ctx context.Context) error { return h.wait(ctx, nil) })
}

// tryAcquire reads the semaphore eventfd once, without blocking whether or
// not it is in blocking mode (see readNoWait): EAGAIN while it is 0.
func (h *sysHandle) tryAcquire() (bool, error) {
	var b [8]byte
	return tryRead(func() error { return readNoWait(h.fd, b[:]) })
}

// release adds n to the counter. A counter that would overflow makes the
// write fail with EAGAIN.
func (h *sysHandle) release(n uint32) error {
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], uint64(n))
	err := writeNoWait(h.fd, b[:])
	if err == unix.EAGAIN {
		return errors.New("handoff: semaphore release: count would overflow")
	}
	return os.NewSyscallError("write", err)
}
