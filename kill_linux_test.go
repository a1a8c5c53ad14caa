package handoff

import (
	"os"
	"syscall"
)

// killedState reports whether ps is that of a child that Kill ended: on
// Linux (either backend), by SIGKILL.
func killedState(ps *os.ProcessState) bool {
	if ps == nil {
		return false
	}
	ws, ok := ps.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}
