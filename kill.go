package handoff

import (
	"errors"
	"os"
)

// Kill ends the child at once and, on Windows, every process in its job: what
// the child started and left running. On Unix it ends the child alone (with
// SIGKILL). It does not wait: call [Handoff.Wait], which then reports how the
// child ended, as an [*exec.ExitError] whose ProcessState says "signal:
// killed" on Unix, and exit status 1 on Windows, as [os.Process.Kill] leaves
// it. Kill may be called from another goroutine than the one in Wait; once
// Wait has returned it returns [os.ErrProcessDone].
func (h *Handoff) Kill() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.waited:
		return os.ErrProcessDone
	case h.state == stateNew:
		return errors.New("handoff: Kill called before a successful Start")
	}
	return h.sys.kill(h.Cmd.Process)
}
