//go:build unix

package handoff

import (
	"context"
	"os"

	"golang.org/x/sys/unix"
)

// acquireRead takes one count of a semaphore whose every read, which does
// not block, takes one: it reads, and while there is nothing to read
// (EAGAIN) waits with wait until the semaphore is readable or ctx is done.
func acquireRead(ctx context.Context, read func() error, wait func(context.Context) error) error {
	for {
		err := ignoringEINTR(read)
		if err != unix.EAGAIN {
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

// tryRead takes one count of such a semaphore if it has one: it calls
// read, which reads from the semaphore once without blocking, and reports
// false if there was nothing to read (EAGAIN).
func tryRead(read func() error) (bool, error) {
	switch err := ignoringEINTR(read); err {
	case nil:
		return true, nil
	case unix.EAGAIN:
		return false, nil
	default:
		return false, os.NewSyscallError("read", err)
	}
}
