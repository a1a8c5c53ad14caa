//go:build (unix && !linux) || (linux && handoff_pipe)

package handoff

// The fixtures of TestConcurrentLaunches on the pipe backend: a child's
// descriptors with their device and inode, which name a pipe.

import (
	"fmt"
	"testing"
)

func init() {
	launchPlatform.std = func() [3]uintptr { return [3]uintptr{0, 1, 2} }
	launchPlatform.handles = func() []launchHandle {
		var hs []launchHandle
		for _, fd := range listFDs() {
			hs = append(hs, launchHandle{Value: uintptr(fd), Inherit: inheritedAtExec(fd), What: fdKind(fd), ID: fdIdentity(fd)})
		}
		return hs
	}
	launchPlatform.kindsOK = func(event, lifeline launchHandle) bool {
		return event.What == "FIFO r" && lifeline.What == "sock"
	}
	launchPlatform.same = func(_ *testing.T, _ int, h launchHandle, ev *Event) bool {
		return h.ID != "" && h.ID == fdIdentity(int(ev.Handle()))
	}
}

// fdIdentity is the device and inode of descriptor fd, "" if it is not open.
func fdIdentity(fd int) string {
	dev, ino := fstatID(fd)
	if dev == 0 && ino == 0 {
		return ""
	}
	return fmt.Sprintf("%d:%d", dev, ino)
}
