//go:build unix

package handoff

import (
	"os"
	"os/exec"
)

// pass appends fd, a close-on-exec descriptor that l now owns, to
// cmd.ExtraFiles and returns the descriptor the child gets it as, without
// close-on-exec: 3 + its index.
func (l *sysLaunch) pass(cmd *exec.Cmd, fd int) uintptr {
	f := os.NewFile(uintptr(fd), "handoff")
	l.files = append(l.files, f)
	cmd.ExtraFiles = append(cmd.ExtraFiles, f)
	return uintptr(3 + len(cmd.ExtraFiles) - 1)
}

// release closes this process's copies of what pass gave the child.
func (l *sysLaunch) release() {
	for _, f := range l.files {
		f.Close()
	}
	l.files = nil
}
