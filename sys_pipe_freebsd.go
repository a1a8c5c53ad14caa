package handoff

import (
	"errors"
	"os"
	"sync"
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

// sysShmOpen2 is shm_open2 (FreeBSD 13), which x/sys/unix does not number,
// and shmAnon is SHM_ANON, the path that makes an object with no name.
const (
	sysShmOpen2 = 571
	shmAnon     = 1
)

// shmOpen makes an anonymous POSIX shared memory object: shm_open2 with
// SHM_ANON, so that it never has a name. Before FreeBSD 13, shared memory
// is a file unlinked at once (tempMemory).
func shmOpen() (int, error) {
	r, _, errno := unix.Syscall6(sysShmOpen2, shmAnon, uintptr(unix.O_RDWR|unix.O_CLOEXEC), 0o600, 0, 0, 0)
	if errno != 0 {
		return tempMemory()
	}
	return int(r), nil
}

// shmDev is the device that fstat reports for every shared memory object,
// learned from one made for the purpose; -1 if none could be made.
var shmDev = sync.OnceValue(func() int64 {
	fd, err := shmOpen()
	if err != nil {
		return -1
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return -1
	}
	return int64(st.Dev)
})

// isSharedMemory reports whether st is what shmOpen makes: a regular file on
// the device of every shared memory object, or one with no name left.
func isSharedMemory(st *unix.Stat_t) bool {
	return st.Mode&unix.S_IFMT == unix.S_IFREG && (int64(st.Dev) == shmDev() || st.Nlink == 0)
}
