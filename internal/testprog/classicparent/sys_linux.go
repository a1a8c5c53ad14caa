//go:build linux && !handoff_pipe

package main

import (
	"encoding/binary"
	"os"

	"golang.org/x/sys/unix"
)

// newEvent returns an eventfd that is not close-on-exec, so every child
// inherits it.
func newEvent() (uintptr, error) {
	fd, err := unix.Eventfd(0, 0)
	if err != nil {
		return 0, os.NewSyscallError("eventfd", err)
	}
	return uintptr(fd), nil
}

func setEvent(h uintptr) error {
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], 1)
	_, err := unix.Write(int(h), b[:])
	return os.NewSyscallError("write", err)
}

// newLifeline returns a pidfd of this process that is not close-on-exec.
func newLifeline() (uintptr, error) {
	fd, err := unix.PidfdOpen(os.Getpid(), 0)
	if err != nil {
		return 0, os.NewSyscallError("pidfd_open", err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
		return 0, os.NewSyscallError("fcntl", err)
	}
	return uintptr(fd), nil
}
