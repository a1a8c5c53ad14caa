package main

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// wait waits for the handle to be signaled.
func wait(h uintptr, timeout time.Duration) error {
	ev, err := windows.WaitForSingleObject(windows.Handle(h), uint32(timeout.Milliseconds()))
	switch {
	case err != nil:
		return os.NewSyscallError("WaitForSingleObject", err)
	case ev == windows.WAIT_OBJECT_0:
		return nil
	case ev == uint32(windows.WAIT_TIMEOUT):
		return errTimeout
	case ev == windows.WAIT_ABANDONED:
		return fmt.Errorf("WaitForSingleObject: abandoned mutex")
	}
	return fmt.Errorf("WaitForSingleObject: unexpected result %#x", ev)
}
