package handoff

import (
	"os"

	"golang.org/x/sys/windows"
)

// fileHandle returns f's handle. It stays f's.
func fileHandle(f *os.File) (sysHandle, error) {
	c, err := f.SyscallConn()
	if err != nil {
		return sysHandle{}, err
	}
	var h sysHandle
	if err := c.Control(func(fd uintptr) { h.h = windows.Handle(fd) }); err != nil {
		return sysHandle{}, err
	}
	return h, nil
}
