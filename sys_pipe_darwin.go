package handoff

import (
	"os"

	"golang.org/x/sys/unix"
)

// What the pipe backend needs of macOS.

// fionread is FIONREAD, _IOR('f', 127, int): how many bytes a pipe holds.
const fionread = 0x4004667f

// peerPid returns the pid of the process at the other end of a Unix socket:
// LOCAL_PEERPID reports the last process that used the peer's socket, which
// for the lifeline is the parent, its only holder.
func peerPid(fd int) (int, error) {
	pid, err := unix.GetsockoptInt(fd, unix.SOL_LOCAL, unix.LOCAL_PEERPID)
	if err != nil {
		return 0, os.NewSyscallError("getsockopt LOCAL_PEERPID", err)
	}
	return pid, nil
}
