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
