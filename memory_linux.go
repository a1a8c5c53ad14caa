//go:build linux && !handoff_pipe

package handoff

import (
	"os"

	"golang.org/x/sys/unix"
)

// memorySeals keep a memfd's size fixed, so that no process holding it can
// shrink it under another's mapping, and keep the seals themselves fixed.
const memorySeals = unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_SEAL

// newMemory makes a memfd of size bytes, sealed. It asks for
// MFD_NOEXEC_SEAL (Linux 6.3), which vm.memfd_noexec=2 requires, and
// without it where the kernel does not know the flag (EINVAL).
func newMemory(size int) (sysHandle, error) {
	fd, err := unix.MemfdCreate("handoff", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_NOEXEC_SEAL)
	if err == unix.EINVAL {
		fd, err = unix.MemfdCreate("handoff", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	}
	if err != nil {
		return closedHandle, os.NewSyscallError("memfd_create", err)
	}
	h := sysHandle{fd}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		h.close()
		return closedHandle, os.NewSyscallError("ftruncate", err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, memorySeals); err != nil {
		h.close()
		return closedHandle, os.NewSyscallError("fcntl", err)
	}
	return h, nil
}

// mapMemory maps the whole memfd, shared, for reading and writing.
func mapMemory(h *sysHandle) ([]byte, error) {
	var st unix.Stat_t
	if err := unix.Fstat(h.fd, &st); err != nil {
		return nil, os.NewSyscallError("fstat", err)
	}
	return mmapShared(h.fd, st.Size)
}
