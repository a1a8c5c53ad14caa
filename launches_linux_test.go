//go:build linux && !handoff_pipe

package handoff

// The fixtures of TestConcurrentLaunches on Linux: a child's descriptors
// from /proc, and kcmp for identity.

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func init() {
	launchPlatform.std = func() [3]uintptr { return [3]uintptr{0, 1, 2} }
	launchPlatform.handles = func() []launchHandle {
		var hs []launchHandle
		for _, fd := range openDescriptors() {
			if _, err := unix.FcntlInt(fd, unix.F_GETFD, 0); err != nil {
				continue // the listing's own descriptor, closed since
			}
			target, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(fd)))
			hs = append(hs, launchHandle{Value: fd, Inherit: inheritedAtExec(int(fd)), What: target})
		}
		return hs
	}
	launchPlatform.kindsOK = func(event, lifeline launchHandle) bool {
		return strings.HasSuffix(event.What, "anon_inode:[eventfd]") && strings.HasSuffix(lifeline.What, "anon_inode:[pidfd]")
	}
	launchPlatform.same = func(t *testing.T, pid int, h launchHandle, ev *Event) bool {
		return kcmpFile(t, os.Getpid(), int(ev.Handle()), pid, int(h.Value))
	}
}
