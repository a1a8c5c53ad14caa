package handoff

import (
	"os"

	"golang.org/x/sys/windows"
)

// kill ends every process in the child's job, the child among them, with
// exit code 1, as os.Process.Kill ends one. Once Wait has closed the job,
// only p is left to end, and has exited.
func (l *sysLaunch) kill(p *os.Process) error {
	if l.job == 0 {
		return p.Kill()
	}
	return os.NewSyscallError("TerminateJobObject", windows.TerminateJobObject(l.job, 1))
}
