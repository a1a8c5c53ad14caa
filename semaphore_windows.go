package handoff

import (
	"context"
	"os"

	"github.com/handoff/handoff/internal/winapi"
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

func (h *sysHandle) release(n uint32) error {
	return os.NewSyscallError("ReleaseSemaphore", winapi.ReleaseSemaphore(h.h, int32(n), nil))
}
