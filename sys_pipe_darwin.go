package handoff

import (
	"os"
	"syscall"
	"unsafe"

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

// shmOpen makes a POSIX shared memory object with shm_open, a fresh name and
// O_EXCL, and removes the name at once with shm_unlink. x/sys/unix has no
// wrapper for them, so they are called by number; if that fails, shared
// memory is a file unlinked at once (tempMemory).
func shmOpen() (int, error) {
	name := shmName()
	p, err := unix.BytePtrFromString(name)
	if err != nil {
		return -1, err
	}
	syscall.ForkLock.RLock()
	r, _, errno := unix.Syscall(unix.SYS_SHM_OPEN, uintptr(unsafe.Pointer(p)), uintptr(unix.O_RDWR|unix.O_CREAT|unix.O_EXCL), 0o600)
	if errno == 0 {
		unix.CloseOnExec(int(r))
	}
	syscall.ForkLock.RUnlock()
	if errno != 0 {
		return tempMemory()
	}
	unix.Syscall(unix.SYS_SHM_UNLINK, uintptr(unsafe.Pointer(p)), 0, 0)
	return int(r), nil
}

// isSharedMemory reports whether st is what shmOpen makes: a POSIX shared
// memory object, whose fstat has no file type bits (only permissions, size
// and owner), or a regular file with no name left.
func isSharedMemory(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == 0 || st.Mode&unix.S_IFMT == unix.S_IFREG && st.Nlink == 0
}
