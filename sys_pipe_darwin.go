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

// shmOpen: x/sys/unix has no shm_open for macOS, and calling it by syscall
// number is deprecated there (macOS keeps no stable system call numbers;
// libSystem is its interface). Shared memory is a file made in a private
// temporary directory and unlinked at once (tempMemory): mapped shared, it
// is shared memory all the same, backed by the file system instead of swap.
func shmOpen() (int, error) { return tempMemory() }

// isSharedMemory reports whether st is what shmOpen makes, a regular file
// with no name left, or a POSIX shared memory object that another program
// passed, whose fstat has no file type bits (only permissions, size and
// owner).
func isSharedMemory(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == 0 || st.Mode&unix.S_IFMT == unix.S_IFREG && st.Nlink == 0
}
