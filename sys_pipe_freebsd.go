package handoff

import (
	"errors"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// What the pipe backend needs of FreeBSD.

// fionread is FIONREAD, _IOR('f', 127, int): how many bytes a pipe holds.
const fionread = 0x4004667f

// peerPid returns the pid of the process at the other end of a Unix socket
// made by socketpair: LOCAL_PEERCRED reports the process that made the pair,
// with its pid in cr_pid since FreeBSD 13. x/sys/unix leaves cr_pid unnamed:
// it shares a union with a pointer, the last field of struct xucred.
func peerPid(fd int) (int, error) {
	cred, err := unix.GetsockoptXucred(fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	if err != nil {
		return 0, os.NewSyscallError("getsockopt LOCAL_PEERCRED", err)
	}
	pid := *(*int32)(unsafe.Add(unsafe.Pointer(cred), unsafe.Sizeof(*cred)-unsafe.Sizeof(uintptr(0))))
	if pid <= 0 {
		return 0, errors.New("getsockopt LOCAL_PEERCRED: no cr_pid (FreeBSD 13 or later reports it)")
	}
	return int(pid), nil
}
