//go:build unix && !linux && !darwin && !freebsd

package handoff

import (
	"errors"
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// What the pipe backend needs of the systems other than macOS and FreeBSD.

// fionread is FIONREAD, _IOR('f', 127, int), on the BSDs, Solaris and AIX:
// how many bytes a pipe holds.
const fionread = 0x4004667f

// peerPid would return the pid of the process at the other end of a Unix
// socket. Each system reports it its own way, if at all, for a socketpair;
// none is done here, so a lifeline cannot be verified and is refused.
func peerPid(int) (int, error) {
	return 0, fmt.Errorf("no way to learn a socket's peer process on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

// shmOpen: x/sys/unix has no shm_open here; shared memory is a file
// unlinked at once.
func shmOpen() (int, error) { return tempMemory() }

// isSharedMemory reports whether st is what shmOpen makes: a regular file
// with no name left.
func isSharedMemory(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == unix.S_IFREG && st.Nlink == 0
}
