//go:build unix

package main

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// wait polls the descriptor for readability, as a signaled eventfd or a
// pipe holding a byte is.
func wait(fd uintptr, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(time.Until(deadline).Milliseconds()))
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return os.NewSyscallError("poll", err)
		case n == 0:
			return errTimeout
		case fds[0].Revents&unix.POLLNVAL != 0:
			return fmt.Errorf("poll: descriptor %d is not open", fd)
		}
		return nil
	}
}
