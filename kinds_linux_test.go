package handoff

// The identity check of TestKinds on Linux: kcmp against the parent's
// descriptor.

import (
	"os"

	"golang.org/x/sys/unix"
)

// sameObject reports whether descriptor parentFD of this process's parent
// and descriptor fd of this process refer to the same open file (kcmp).
func sameObject(parentFD, fd uintptr) (bool, error) {
	const kcmpFile = 0
	r, _, errno := unix.Syscall6(unix.SYS_KCMP, uintptr(os.Getppid()), uintptr(os.Getpid()), kcmpFile, parentFD, fd, 0)
	if errno != 0 {
		return false, os.NewSyscallError("kcmp", errno)
	}
	return r == 0, nil
}
