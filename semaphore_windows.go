package handoff

import (
	"context"
	"fmt"
	"os"

	"github.com/handoff/handoff/internal/winapi"
	"golang.org/x/sys/windows"
)

func newSemaphore(count uint32) (sysHandle, error) {
	// A nil SECURITY_ATTRIBUTES makes the handle not inheritable.
	h, err := winapi.CreateSemaphore(nil, int32(count), MaxSemaphore, nil)
	if err != nil {
		return sysHandle{}, os.NewSyscallError("CreateSemaphore", err)
	}
	return sysHandle{h}, nil
}

// acquire waits for the semaphore, which takes 1 from its count, and for a
// private event that ctx's AfterFunc sets.
func (h *sysHandle) acquire(ctx context.Context) error {
	return h.wait(ctx, nil)
}

// tryAcquire waits for the semaphore with a timeout of 0.
func (h *sysHandle) tryAcquire() (bool, error) {
	switch ev, err := windows.WaitForSingleObject(h.h, 0); ev {
	case windows.WAIT_OBJECT_0:
		return true, nil
	case uint32(windows.WAIT_TIMEOUT):
		return false, nil
	case windows.WAIT_FAILED:
		return false, os.NewSyscallError("WaitForSingleObject", err)
	default:
		return false, fmt.Errorf("handoff: semaphore: WaitForSingleObject returned %#x", ev)
	}
}

func (h *sysHandle) release(n uint32) error {
	return os.NewSyscallError("ReleaseSemaphore", winapi.ReleaseSemaphore(h.h, int32(n), nil))
}
