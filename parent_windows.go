package handoff

import (
	"context"
	"os"
	"os/exec"
	"syscall"
	"unsafe"

	"github.com/handoff/handoff/internal/winapi"
	"golang.org/x/sys/windows"
)

// sysLaunch holds the inheritable duplicates that Start makes for the child,
// and the job object that ties the child's life to this process.
type sysLaunch struct {
	dups []windows.Handle
	job  windows.Handle
}

// prepare makes an inheritable duplicate of each handle, and of a handle to
// this process if lifeline is set, and lists them in
// cmd.SysProcAttr.AdditionalInheritedHandles, which os/exec puts, with the
// standard handles and nothing else, in PROC_THREAD_ATTRIBUTE_HANDLE_LIST.
// The child's values are the duplicates' values.
func (l *sysLaunch) prepare(cmd *exec.Cmd, handles []*sysHandle, lifeline bool) ([]uintptr, error) {
	self := windows.CurrentProcess()
	dup := func(h windows.Handle, access, options uint32) error {
		var d windows.Handle
		if err := windows.DuplicateHandle(self, h, self, &d, access, true, options); err != nil {
			l.release()
			return os.NewSyscallError("DuplicateHandle", err)
		}
		l.dups = append(l.dups, d)
		return nil
	}
	for _, h := range handles {
		if err := dup(h.h, 0, windows.DUPLICATE_SAME_ACCESS); err != nil {
			return nil, err
		}
	}
	if lifeline {
		// The lifeline: SYNCHRONIZE to wait on it, and
		// PROCESS_QUERY_LIMITED_INFORMATION for the child's GetProcessId,
		// which checks that it names the child's parent.
		if err := dup(self, windows.SYNCHRONIZE|windows.PROCESS_QUERY_LIMITED_INFORMATION, 0); err != nil {
			return nil, err
		}
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = new(syscall.SysProcAttr)
	}
	values := make([]uintptr, len(l.dups))
	for i, d := range l.dups {
		values[i] = uintptr(d)
		cmd.SysProcAttr.AdditionalInheritedHandles = append(cmd.SysProcAttr.AdditionalInheritedHandles, syscall.Handle(d))
	}
	return values, nil
}

// start creates the child suspended, puts it in a job object that kills it
// when the job's last handle (this process's) closes, and resumes it, so the
// child runs no instruction outside the job. The inheritable duplicates are
// closed as soon as CreateProcess returns.
func (l *sysLaunch) start(cmd *exec.Cmd) (err error) {
	defer l.release()
	if l.job, err = newKillOnCloseJob(); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			l.close()
		}
	}()
	suspended := cmd.SysProcAttr.CreationFlags&windows.CREATE_SUSPENDED != 0
	cmd.SysProcAttr.CreationFlags |= windows.CREATE_SUSPENDED
	if err := cmd.Start(); err != nil {
		return err
	}
	l.release()
	pid := uint32(cmd.Process.Pid)
	err = assignToJob(l.job, pid)
	if err == nil && !suspended {
		err = resumeProcess(pid)
	}
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return err
	}
	return nil
}

func (l *sysLaunch) release() {
	for _, d := range l.dups {
		windows.CloseHandle(d)
	}
	l.dups = nil
}

func (l *sysLaunch) close() error {
	if l.job == 0 {
		return nil
	}
	err := windows.CloseHandle(l.job)
	l.job = 0
	return os.NewSyscallError("CloseHandle", err)
}

// waitReady waits for the ready event and for the child's process, which is
// signaled when it exits.
func (l *sysLaunch) waitReady(ctx context.Context, ready *sysHandle, cmd *exec.Cmd) error {
	p, err := windows.OpenProcess(windows.SYNCHRONIZE, false, uint32(cmd.Process.Pid))
	if err != nil {
		return os.NewSyscallError("OpenProcess", err)
	}
	child := sysHandle{p}
	defer child.close()
	return waitReadyOrExit(ctx, ready, &child, cmd.Process.Pid)
}

func newKillOnCloseJob() (windows.Handle, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return 0, os.NewSyscallError("CreateJobObject", err)
	}
	var info windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return 0, os.NewSyscallError("SetInformationJobObject", err)
	}
	return job, nil
}

func assignToJob(job windows.Handle, pid uint32) error {
	p, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, pid)
	if err != nil {
		return os.NewSyscallError("OpenProcess", err)
	}
	defer windows.CloseHandle(p)
	return os.NewSyscallError("AssignProcessToJobObject", windows.AssignProcessToJobObject(job, p))
}

// resumeProcess resumes the threads of a process created suspended (its one
// thread, which os/exec does not expose) with NtResumeProcess. Finding the
// thread in a CreateToolhelp32Snapshot instead costs milliseconds (under
// Wine, 5 to 15), as the snapshot lists every thread of the system.
func resumeProcess(pid uint32) error {
	p, err := windows.OpenProcess(windows.PROCESS_SUSPEND_RESUME, false, pid)
	if err != nil {
		return os.NewSyscallError("OpenProcess", err)
	}
	defer windows.CloseHandle(p)
	return os.NewSyscallError("NtResumeProcess", winapi.NtResumeProcess(p))
}
