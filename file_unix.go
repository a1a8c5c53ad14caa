//go:build unix

package handoff

import "os"

// fileHandle returns f's descriptor, read without Fd, which would put f in
// blocking mode. It stays f's.
func fileHandle(f *os.File) (sysHandle, error) {
	c, err := f.SyscallConn()
	if err != nil {
		return closedHandle, err
	}
	h := closedHandle
	if err := c.Control(func(fd uintptr) { h.fd = int(fd) }); err != nil {
		return closedHandle, err
	}
	return h, nil
}
