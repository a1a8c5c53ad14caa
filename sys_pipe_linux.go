//go:build handoff_pipe

package handoff

import (
	"os"

	"golang.org/x/sys/unix"
)

// What the pipe backend needs of Linux, where it runs only when built with
// the handoff_pipe tag (the default Linux backend is eventfd and pidfd).

// fionread is the ioctl that reports how many bytes a pipe holds.
const fionread = unix.TIOCINQ

// peerPid returns the pid of the process at the other end of a Unix socket
// made by socketpair: SO_PEERCRED reports the process that made the pair.
func peerPid(fd int) (int, error) {
	cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return 0, os.NewSyscallError("getsockopt SO_PEERCRED", err)
	}
	return int(cred.Pid), nil
}
