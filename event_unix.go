//go:build unix

package handoff

import (
	"context"
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

// pollList returns the descriptors that wait polls for readability, one for
// each handle that [waitList] lists: the one this process reads.
func pollList(ctx context.Context, h, lifeline *sysHandle) ([]unix.PollFd, func(), error) {
	list, release, err := waitList(ctx, h, lifeline)
	if err != nil {
		return nil, nil, err
	}
	fds := make([]unix.PollFd, len(list))
	for i, o := range list {
		fds[i] = unix.PollFd{Fd: int32(o.readFd()), Events: unix.POLLIN}
	}
	return fds, release, nil
}
