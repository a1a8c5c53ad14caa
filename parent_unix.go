//go:build unix

package handoff

import (
	"os"
	"os/exec"

	"golang.org/x/sys/unix"
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

// closeUnpassed pads cmd.ExtraFiles with nil entries up to the highest
// descriptor of this process that is open and not close-on-exec, for
// os.StartProcess closes the descriptor of a nil entry in the child before
// exec. So the child gets its standard files and ExtraFiles and nothing
// that other code of the program made inheritable (a library's descriptor
// opened without O_CLOEXEC, say), while this process's own descriptors are
// left as they are: none is marked, and another child the program starts
// still gets what it is meant to.
func closeUnpassed(cmd *exec.Cmd) {
	first := 3 + len(cmd.ExtraFiles)
	top := -1
	for _, fd := range openDescriptorList() {
		if fd < first || fd <= top {
			continue
		}
		if flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			top = fd
		}
	}
	for fd := first; fd <= top; fd++ {
		cmd.ExtraFiles = append(cmd.ExtraFiles, nil)
	}
}
