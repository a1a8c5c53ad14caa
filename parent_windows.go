package handoff

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"unsafe"

	"github.com/handoff/handoff/internal/winapi"
	"golang.org/x/sys/windows"
)

// sysLaunch holds what Start makes for one child: the job object that ties
// the child's life to this process, the inheritable duplicates made for the
// child's creation, the child's process handle, and what Start does for the
// Cmd in place of os/exec (cmd_windows.go). The package documentation's
// Windows section (doc.go) explains the design.
type sysLaunch struct {
	job     windows.Handle
	dups    []windows.Handle // from prepare until start closes them
	cmdline string           // SysProcAttr.CmdLine with its placeholders filled
	process windows.Handle   // the child, from start until close
	io      cmdIO
}

// prepare creates the job and duplicates, in this process, each handle and,
// if lifeline is set, this process's own handle with SYNCHRONIZE and
// PROCESS_QUERY_LIMITED_INFORMATION. The child inherits them under the
// same values: start makes them inheritable right before the child's
// creation and closes them right after it.
func (l *sysLaunch) prepare(cmd *exec.Cmd, handles []*sysHandle, lifeline bool) (_ []uintptr, err error) {
	if cmd.SysProcAttr != nil {
		if err := checkSysProcAttr(cmd.SysProcAttr); err != nil {
			return nil, err
		}
	}
	if err := checkCmd(cmd); err != nil {
		return nil, err
	}
	if l.job, err = newKillOnCloseJob(); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			l.abort()
		}
	}()
	self := windows.CurrentProcess()
	dup := func(h windows.Handle, access, options uint32) error {
		var d windows.Handle
		if err := windows.DuplicateHandle(self, h, self, &d, access, false, options); err != nil {
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
		// SYNCHRONIZE to wait on this process, and
		// PROCESS_QUERY_LIMITED_INFORMATION for the child's GetProcessId,
		// which checks that the lifeline names its parent.
		if err := dup(self, windows.SYNCHRONIZE|windows.PROCESS_QUERY_LIMITED_INFORMATION, 0); err != nil {
			return nil, err
		}
	}
	values := make([]uintptr, len(l.dups))
	for i, d := range l.dups {
		values[i] = uintptr(d)
	}
	return values, nil
}

// checkSysProcAttr refuses the settings of cmd.SysProcAttr that would
// defeat the start: a child that inherits from, or is born in the jobs of,
// another process, inherits nothing, leaves its job, or whose process or
// thread handle would be inheritable here.
func checkSysProcAttr(attr *syscall.SysProcAttr) error {
	switch {
	case attr.ParentProcess != 0:
		return errors.New("handoff: SysProcAttr.ParentProcess is set: the child's parent is the process that starts it")
	case len(attr.AdditionalInheritedHandles) > 0:
		return errors.New("handoff: SysProcAttr.AdditionalInheritedHandles is set: pass handles with Pass, files with File")
	case attr.NoInheritHandles:
		return errors.New("handoff: SysProcAttr.NoInheritHandles is set: the child would inherit none of its handles")
	case attr.CreationFlags&windows.CREATE_BREAKAWAY_FROM_JOB != 0:
		return errors.New("handoff: SysProcAttr.CreationFlags has CREATE_BREAKAWAY_FROM_JOB: the child must stay in its kill-on-close job")
	case attr.ProcessAttributes != nil && attr.ProcessAttributes.InheritHandle != 0,
		attr.ThreadAttributes != nil && attr.ThreadAttributes.InheritHandle != 0:
		return errors.New("handoff: SysProcAttr.ProcessAttributes or ThreadAttributes has InheritHandle set: the child's handles would be inheritable in this process")
	}
	return nil
}

// childArgs returns the arguments the child reads its values from:
// SysProcAttr.CmdLine when it is set, which Windows gives the child in
// place of the command line composed from Cmd.Args, else Cmd.Args.
func childArgs(cmd *exec.Cmd) []string {
	if cmd.SysProcAttr != nil && cmd.SysProcAttr.CmdLine != "" {
		return []string{cmd.SysProcAttr.CmdLine}
	}
	return cmd.Args
}

// fill fills the placeholders of SysProcAttr.CmdLine, into a copy that
// start uses: the caller's SysProcAttr is left as it is.
func (l *sysLaunch) fill(cmd *exec.Cmd, replace func(string) string) {
	if cmd.SysProcAttr != nil && cmd.SysProcAttr.CmdLine != "" {
		l.cmdline = replace(cmd.SysProcAttr.CmdLine)
	}
}

// start creates the child with CreateProcess (CreateProcessAsUser with
// SysProcAttr.Token): its standard handles and the duplicates, and nothing
// else, in PROC_THREAD_ATTRIBUTE_HANDLE_LIST, and the job in
// PROC_THREAD_ATTRIBUTE_JOB_LIST, so that the child is in its job before it
// runs its first instruction. Every entry of the list must be inheritable:
// the duplicates are, from right before CreateProcess until they are
// closed right after it, which is when other code of this process that
// creates a process with bInheritHandles=TRUE and no list can catch them
// (docs/windows.md). It then sets cmd.Process, and starts the copying of
// the standard streams that are not files, as Cmd.Start does.
func (l *sysLaunch) start(cmd *exec.Cmd) (err error) {
	defer func() {
		if err != nil {
			l.abort()
		}
	}()
	c, err := l.io.setup(cmd)
	if err != nil {
		return err
	}
	// The standard handles, duplicated for this start as
	// syscall.StartProcess does, which leaves out a file with no handle (a
	// process without a console has none for os.Stdout).
	self := windows.CurrentProcess()
	var std [3]windows.Handle
	for i, f := range [3]*os.File{c.stdin, c.stdout, c.stderr} {
		if h := windows.Handle(f.Fd()); h == 0 || h == windows.InvalidHandle {
			continue
		}
		if err := windows.DuplicateHandle(self, windows.Handle(f.Fd()), self, &std[i], 0, false, windows.DUPLICATE_SAME_ACCESS); err != nil {
			return fmt.Errorf("handoff: standard handle %d of the child: %w", i, os.NewSyscallError("DuplicateHandle", err))
		}
		l.dups = append(l.dups, std[i])
	}
	list := append([]windows.Handle(nil), l.dups...)
	attrs, err := windows.NewProcThreadAttributeList(2)
	if err != nil {
		return os.NewSyscallError("InitializeProcThreadAttributeList", err)
	}
	defer attrs.Delete()
	// Without a list the child would inherit every inheritable handle of
	// this process: with nothing to list, it inherits nothing.
	inherit := len(list) > 0
	if inherit {
		if err := attrs.Update(windows.PROC_THREAD_ATTRIBUTE_HANDLE_LIST, unsafe.Pointer(&list[0]), uintptr(len(list))*unsafe.Sizeof(list[0])); err != nil {
			return os.NewSyscallError("UpdateProcThreadAttribute", err)
		}
	}
	if err := attrs.Update(winapi.PROC_THREAD_ATTRIBUTE_JOB_LIST, unsafe.Pointer(&l.job), unsafe.Sizeof(l.job)); err != nil {
		return os.NewSyscallError("UpdateProcThreadAttribute", err)
	}
	si := &windows.StartupInfoEx{ProcThreadAttributeList: attrs.List()}
	si.Cb = uint32(unsafe.Sizeof(*si))
	si.Flags = windows.STARTF_USESTDHANDLES
	si.StdInput, si.StdOutput, si.StdErr = std[0], std[1], std[2]
	attr := cmd.SysProcAttr
	if attr == nil {
		attr = new(syscall.SysProcAttr)
	}
	if attr.HideWindow {
		si.Flags |= windows.STARTF_USESHOWWINDOW
		si.ShowWindow = windows.SW_HIDE
	}
	cmdline := l.cmdline
	if cmdline == "" {
		cmdline = windows.ComposeCommandLine(c.argv)
	}
	name, err := windows.UTF16PtrFromString(c.path)
	if err != nil {
		return fmt.Errorf("handoff: path %q: %w", c.path, err)
	}
	line, err := windows.UTF16PtrFromString(cmdline)
	if err != nil {
		return fmt.Errorf("handoff: command line %q: %w", cmdline, err)
	}
	var dir *uint16
	if cmd.Dir != "" {
		if dir, err = windows.UTF16PtrFromString(cmd.Dir); err != nil {
			return fmt.Errorf("handoff: Dir %q: %w", cmd.Dir, err)
		}
	}
	flags := attr.CreationFlags | windows.CREATE_UNICODE_ENVIRONMENT | windows.EXTENDED_STARTUPINFO_PRESENT
	pa, ta := (*windows.SecurityAttributes)(unsafe.Pointer(attr.ProcessAttributes)), (*windows.SecurityAttributes)(unsafe.Pointer(attr.ThreadAttributes))
	for _, d := range l.dups {
		if err := windows.SetHandleInformation(d, windows.HANDLE_FLAG_INHERIT, windows.HANDLE_FLAG_INHERIT); err != nil {
			return os.NewSyscallError("SetHandleInformation", err)
		}
	}
	var pi windows.ProcessInformation
	if attr.Token != 0 {
		err = windows.CreateProcessAsUser(windows.Token(attr.Token), name, line, pa, ta, inherit, flags, &c.env[0], dir, &si.StartupInfo, &pi)
		err = os.NewSyscallError("CreateProcessAsUser", err)
	} else {
		err = windows.CreateProcess(name, line, pa, ta, inherit, flags, &c.env[0], dir, &si.StartupInfo, &pi)
		err = os.NewSyscallError("CreateProcess", err)
	}
	l.closeDups()
	if err != nil {
		return fmt.Errorf("handoff: starting %s in a new kill-on-close job%s: %w", c.path, ownJob(), err)
	}
	windows.CloseHandle(pi.Thread)
	l.process = pi.Process
	// The child cannot end and its ID cannot be reused while l.process is
	// open: FindProcess opens the same process.
	p, err := os.FindProcess(int(pi.ProcessId))
	if err != nil {
		windows.TerminateProcess(l.process, 1)
		return fmt.Errorf("handoff: child %d: %w", pi.ProcessId, err)
	}
	cmd.Process = p
	l.io.started()
	return nil
}

// closeDups closes the duplicates: after the child's creation, no copy of a
// passed handle is left in this process but the caller's own.
func (l *sysLaunch) closeDups() {
	for _, d := range l.dups {
		windows.CloseHandle(d)
	}
	l.dups = nil
}

// wait waits for the child to exit, closes the job, which ends whatever the
// child left in it (a grandchild holding the child's output among them),
// waits for the copying of the standard streams, then calls Cmd.Wait,
// which sets Cmd.ProcessState and closes the pipes of Cmd.StdoutPipe and
// its kin.
func (l *sysLaunch) wait(cmd *exec.Cmd) error {
	var err error
	switch ev, werr := windows.WaitForSingleObject(l.process, windows.INFINITE); {
	case werr != nil:
		err = os.NewSyscallError("WaitForSingleObject", werr)
	case ev != windows.WAIT_OBJECT_0:
		err = fmt.Errorf("handoff: waiting for the child: WaitForSingleObject returned %#x", ev)
	}
	cerr := l.closeJob()
	ioErr := l.io.wait(cmd)
	// Cmd.Wait's own order: the wait's error, the exit status, the copies'.
	for _, e := range []error{err, cmd.Wait(), ioErr, cerr} {
		if e != nil {
			return e
		}
	}
	return nil
}

// abort releases what prepare and start made, for a Start that failed.
func (l *sysLaunch) abort() {
	l.closeDups()
	l.io.abort()
	if l.process != 0 {
		windows.TerminateProcess(l.process, 1)
	}
	l.close()
}

// close closes the job, which ends whatever is left in it, and the child's
// process handle.
func (l *sysLaunch) close() error {
	err := l.closeJob()
	if l.process != 0 {
		windows.CloseHandle(l.process)
		l.process = 0
	}
	return err
}

func (l *sysLaunch) closeJob() error {
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
	child := sysHandle{l.process}
	return waitReadyOrExit(ctx, ready, &child, cmd.Process.Pid)
}

// ownJob describes the job this process runs in, if any, for an error: a
// job whose limits refuse a nested job or one more process (Windows nests
// jobs from Windows 8 on) makes the child's creation fail. Jobs have no
// name as a rule; their limit flags, when QueryInformationJobObject reports
// them for this process's job (Wine 8 reports none), say which one it is.
func ownJob() string {
	var in bool
	if err := winapi.IsProcessInJob(windows.CurrentProcess(), 0, &in); err != nil || !in {
		return ""
	}
	const s = ", nested in this process's job"
	var info windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION
	if err := windows.QueryInformationJobObject(0, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info)), nil); err != nil {
		return s
	}
	limits := info.BasicLimitInformation
	if limits.LimitFlags == 0 {
		return s
	}
	if limits.LimitFlags&windows.JOB_OBJECT_LIMIT_ACTIVE_PROCESS != 0 {
		return fmt.Sprintf("%s (limit flags %#x, at most %d processes)", s, limits.LimitFlags, limits.ActiveProcessLimit)
	}
	return fmt.Sprintf("%s (limit flags %#x)", s, limits.LimitFlags)
}

// newKillOnCloseJob creates a job object with
// JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: the processes in it end when its last
// handle closes. It allows no breakaway.
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
