package main

import (
	"os"

	"github.com/handoff/handoff/internal/winapi"
)

// parentPID returns os.Getppid() without its cost on Windows: a snapshot of
// every process in the system, tens of milliseconds under Wine.
func parentPID() int {
	if ppid, err := winapi.ParentProcessID(); err == nil {
		return ppid
	}
	return os.Getppid()
}
