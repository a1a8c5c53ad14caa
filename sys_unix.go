//go:build unix

package handoff

import (
	"context"
	"fmt"
	"math"
	"os"

	"golang.org/x/sys/unix"
)

// pollReady polls fds until one has events, retrying on EINTR, and returns
// the index of the first that has, with its events.
func pollReady(fds []unix.PollFd) (int, int16, error) {
	for {
		_, err := unix.Poll(fds, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, 0, os.NewSyscallError("poll", err)
		}
		for i, p := range fds {
			if p.Revents != 0 {
				return i, p.Revents, nil
			}
		}
	}
}

// acquireRead takes one count of a semaphore whose every read of b from the
// non-blocking fd takes one: it reads, and while there is nothing to read
// (EAGAIN) waits with wait until fd is readable or ctx is done.
func acquireRead(ctx context.Context, fd int, b []byte, wait func(context.Context) error) error {
	for {
		_, err := unix.Read(fd, b)
		switch err {
		case nil:
			return nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
		default:
			return os.NewSyscallError("read", err)
		}
		if err := context.Cause(ctx); err != nil {
			return err
		}
		if err := wait(ctx); err != nil {
			return err
		}
	}
}

// mmapShared maps size bytes of fd, shared, for reading and writing.
func mmapShared(fd int, size int64) ([]byte, error) {
	if size < 1 || size > math.MaxInt {
		return nil, fmt.Errorf("handoff: shared memory of %d bytes", size)
	}
	b, err := unix.Mmap(fd, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, os.NewSyscallError("mmap", err)
	}
	return b, nil
}

func unmapMemory(b []byte) error {
	if b == nil {
		return nil
	}
	return os.NewSyscallError("munmap", unix.Munmap(b))
}
