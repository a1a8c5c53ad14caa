//go:build unix

package handoff

import (
	"fmt"
	"math"
	"os"

	"golang.org/x/sys/unix"
)

// mmapShared maps size bytes of fd, shared, for reading and writing.
func mmapShared(fd int, size int64) ([]byte, error) {
	if size < 1 || size > math.MaxInt {
		return nil, fmt.Errorf("handoff: shared memory of %d bytes", size)
	}
	b, err := unix.Mmap(fd, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, os.NewSyscallError("mmap", err)
	}
	return b, nil
}

func unmapMemory(b []byte) error {
	if b == nil {
		return nil
	}
	return os.NewSyscallError("munmap", unix.Munmap(b))
}
