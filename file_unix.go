//go:build unix

package handoff

import (
	"os"
)

// fileHandle returns f's descriptor, after putting f in blocking mode as
// os/exec does for ExtraFiles (with Fd): the child shares f's open file, and
// O_NONBLOCK belongs to the open file, so a child that reads it with a plain
// read(2), as cat does, would get EAGAIN. It stays f's.
func fileHandle(f *os.File) (sysHandle, error) {
	fd := f.Fd()
	if fd == ^uintptr(0) {
		return closedHandle, os.ErrClosed
	}
	h := closedHandle
	h.fd = int(fd)
	return h, nil
}
