//go:build unix && !netbsd && !aix

package trace

import (
	"os"

	"golang.org/x/sys/unix"
)

func now() (int64, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0, os.NewSyscallError("clock_gettime", err)
	}
	return ts.Nano(), nil
}
