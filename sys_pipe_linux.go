//go:build handoff_pipe

package handoff

import (
	"crypto/rand"
	"encoding/hex"
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

// shmName returns a fresh random name for shm_open: "/handoff-" and 16 hex
// digits.
func shmName() string {
	var b [8]byte
	rand.Read(b[:])
	return "/handoff-" + hex.EncodeToString(b[:])
}

// shmOpen does what glibc's shm_open does, an open in /dev/shm, with a
// fresh name and O_EXCL, and unlinks the name at once.
func shmOpen() (int, error) {
	name := "/dev/shm" + shmName()
	fd, err := unix.Open(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: name, Err: err}
	}
	if err := unix.Unlink(name); err != nil {
		unix.Close(fd)
		return -1, &os.PathError{Op: "unlink", Path: name, Err: err}
	}
	return fd, nil
}

// isSharedMemory reports whether st is what shmOpen makes: a regular file
// in /dev/shm's file system with no name left.
func isSharedMemory(st *unix.Stat_t) bool {
	var shm unix.Stat_t
	return st.Mode&unix.S_IFMT == unix.S_IFREG && st.Nlink == 0 &&
		unix.Stat("/dev/shm", &shm) == nil && st.Dev == shm.Dev
}
