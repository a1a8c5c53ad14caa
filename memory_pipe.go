//go:build (unix && !linux) || (linux && handoff_pipe)

package handoff

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// newMemory makes a POSIX shared memory object of size bytes whose name, if
// it had one, is already gone: see shmOpen for each system.
func newMemory(size int) (sysHandle, error) {
	fd, err := shmOpen()
	if err != nil {
		return closedHandle, err
	}
	h := sysHandle{fd: fd, r: -1, w: -1, size: size}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		h.close()
		return closedHandle, os.NewSyscallError("ftruncate", err)
	}
	return h, nil
}

// tempMemory is the shared memory of a system where shm_open is not at
// hand (see shmOpen): a file made in a private temporary directory, with O_EXCL, and
// unlinked at once. Mapped shared, it is shared memory all the same, backed
// by that file system instead of swap.
func tempMemory() (int, error) {
	dir, err := os.MkdirTemp("", "handoff-")
	if err != nil {
		return -1, err
	}
	defer os.Remove(dir)
	name := filepath.Join(dir, "memory")
	fd, err := unix.Open(name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return -1, &os.PathError{Op: "open", Path: name, Err: err}
	}
	os.Remove(name)
	return fd, nil
}

// mapMemory maps the whole object, shared, for reading and writing: the
// size it was created with, else the size fstat reports.
func mapMemory(h *sysHandle) ([]byte, error) {
	size := int64(h.size)
	if size == 0 {
		var st unix.Stat_t
		if err := unix.Fstat(h.fd, &st); err != nil {
			return nil, os.NewSyscallError("fstat", err)
		}
		size = st.Size
	}
	return mmapShared(h.fd, size)
}
