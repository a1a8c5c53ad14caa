//go:build unix

package handoff

import (
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

// ignoringEINTR calls f until it returns an error other than EINTR, as
// package os does for the system calls it makes.
func ignoringEINTR(f func() error) error {
	for {
		if err := f(); err != unix.EINTR {
			return err
		}
	}
}
