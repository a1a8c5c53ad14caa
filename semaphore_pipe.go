//go:build (unix && !linux) || (linux && handoff_pipe)

package handoff

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// newSemaphore makes a FIFO in a private directory, opens it for reading
// and writing (one descriptor that both Acquire and Release use, in the
// parent and the child alike), removes its name at once, and writes count
// bytes into it.
func newSemaphore(count uint32) (sysHandle, error) {
	dir, err := os.MkdirTemp("", "handoff-")
	if err != nil {
		return closedHandle, err
	}
	defer os.Remove(dir)
	name := filepath.Join(dir, "semaphore")
	if err := unix.Mkfifo(name, 0o600); err != nil {
		return closedHandle, &os.PathError{Op: "mkfifo", Path: name, Err: err}
	}
	fd, err := unix.Open(name, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	os.Remove(name)
	if err != nil {
		return closedHandle, &os.PathError{Op: "open", Path: name, Err: err}
	}
	h := sysHandle{fd: fd, r: fd, w: fd}
	if count > 0 {
		if err := h.release(count); err != nil {
			h.close()
			return closedHandle, fmt.Errorf("handoff: semaphore count %d: %w", count, err)
		}
	}
	return h, nil
}

// acquire reads one byte from the semaphore's FIFO and, while it is empty
// (EAGAIN), polls it until it is readable.
func (h *sysHandle) acquire(ctx context.Context) error {
	var b [1]byte
	read := func() error { _, err := unix.Read(h.r, b[:]); return err }
	return acquireRead(ctx, read, func(ctx context.Context) error { return h.wait(ctx, nil) })
}

// tryAcquire reads one byte from the semaphore's FIFO: EAGAIN while it is
// empty.
func (h *sysHandle) tryAcquire() (bool, error) {
	var b [1]byte
	return tryRead(func() error { _, err := unix.Read(h.r, b[:]); return err })
}

// release writes n bytes into the semaphore's FIFO. What the FIFO holds
// bounds the count (see the package documentation): a release that does not
// fit adds what fits and returns an error that says how much that was.
func (h *sysHandle) release(n uint32) error {
	var chunk [4096]byte
	for done := uint32(0); done < n; {
		m := min(n-done, uint32(len(chunk)))
		w, err := unix.Write(h.w, chunk[:m])
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return fmt.Errorf("handoff: semaphore release: the pipe holding the count is full: %d of %d added", done, n)
		case err != nil:
			return os.NewSyscallError("write", err)
		}
		done += uint32(w)
	}
	return nil
}
