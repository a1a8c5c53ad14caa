package handoff

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"unsafe"

	"github.com/handoff/handoff/internal/winapi"
	"golang.org/x/sys/windows"
)

// sysLaunch holds what Start makes for one child: a job object that ties
// the child's life to this process, and the broker, the process that the
// child inherits its handles from. The package documentation's Windows
// section (doc.go) explains the design.
type sysLaunch struct {
	job       windows.Handle
	broker    windows.Handle // until start hands it to the watcher
	brokerPid uint32
	watched   chan struct{} // closed once the watcher has ended the broker
}

// prepare creates the job and the broker in it, duplicates each handle into
// the broker, inheritable, and, if lifeline is set, a handle on the broker
// itself, and lists them in cmd.SysProcAttr.AdditionalInheritedHandles,
// which os/exec puts, with the standard handles and nothing else, in
// PROC_THREAD_ATTRIBUTE_HANDLE_LIST. The child's values are the
// duplicates' values in the broker.
func (l *sysLaunch) prepare(cmd *exec.Cmd, handles []*sysHandle, lifeline bool) (_ []uintptr, err error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = new(syscall.SysProcAttr)
	}
	if err := checkSysProcAttr(cmd.SysProcAttr); err != nil {
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
	if l.broker, l.brokerPid, err = startBroker(l.job); err != nil {
		return nil, err
	}
	if err := checkBroker(l.broker, l.job); err != nil {
		return nil, err
	}
	var values []uintptr
	dup := func(h windows.Handle, access, options uint32) error {
		var d windows.Handle
		if err := windows.DuplicateHandle(windows.CurrentProcess(), h, l.broker, &d, access, true, options); err != nil {
			return os.NewSyscallError("DuplicateHandle", err)
		}
		values = append(values, uintptr(d))
		return nil
	}
	for _, h := range handles {
		if err := dup(h.h, 0, windows.DUPLICATE_SAME_ACCESS); err != nil {
			return nil, err
		}
	}
	if lifeline {
		// The lifeline names the broker, the child's parent as the system
		// sees it, which lives until the child has exited or this process
		// dies: SYNCHRONIZE to wait on it, and
		// PROCESS_QUERY_LIMITED_INFORMATION for the child's GetProcessId,
		// which checks that it names the child's parent.
		if err := dup(l.broker, windows.SYNCHRONIZE|windows.PROCESS_QUERY_LIMITED_INFORMATION, 0); err != nil {
			return nil, err
		}
	}
	list := make([]syscall.Handle, len(values))
	for i, v := range values {
		list[i] = syscall.Handle(v)
	}
	if err := checkHandleList(list); err != nil {
		return nil, err
	}
	cmd.SysProcAttr.ParentProcess = syscall.Handle(l.broker)
	cmd.SysProcAttr.AdditionalInheritedHandles = list
	return values, nil
}

// checkSysProcAttr refuses the settings of cmd.SysProcAttr that Start owns or
// that would defeat it.
func checkSysProcAttr(attr *syscall.SysProcAttr) error {
	// Both would name handles of another process than the broker, whose
	// handles the child inherits.
	if attr.ParentProcess != 0 {
		return errors.New("handoff: SysProcAttr.ParentProcess is set: Start sets it")
	}
	if len(attr.AdditionalInheritedHandles) > 0 {
		return errors.New("handoff: SysProcAttr.AdditionalInheritedHandles is set: Start sets it, pass handles with Pass")
	}
	// The child would inherit nothing, or be born outside the job.
	if attr.NoInheritHandles {
		return errors.New("handoff: SysProcAttr.NoInheritHandles is set: the child would inherit none of its handles")
	}
	if attr.CreationFlags&windows.CREATE_BREAKAWAY_FROM_JOB != 0 {
		return errors.New("handoff: SysProcAttr.CreationFlags has CREATE_BREAKAWAY_FROM_JOB: the child must stay in its kill-on-close job")
	}
	return nil
}

// checkHandleList checks the entries Start lists in the child's
// PROC_THREAD_ATTRIBUTE_HANDLE_LIST against the rules of Windows, which
// Wine does not enforce: no NULL entry (with one, Windows treats the list as
// empty and the child inherits every inheritable handle of the broker), no
// pseudo handle (GetCurrentProcess, GetCurrentThread and the token pseudo
// handles are small negative values), and no entry twice (the kernel
// ignores a handle value's two low bits, so 0x10 and 0x11 are one entry).
// That every entry is inheritable in the broker holds by construction: each
// is a duplicate made there with bInheritHandle set.
func checkHandleList(list []syscall.Handle) error {
	seen := make(map[syscall.Handle]bool, len(list))
	for _, h := range list {
		switch {
		case h == 0:
			return errors.New("handoff: handle list: NULL entry, with which the child would inherit every inheritable handle")
		case int(h) < 0:
			return fmt.Errorf("handoff: handle list: pseudo handle %#x", uintptr(h))
		case seen[h&^3]:
			return fmt.Errorf("handoff: handle list: handle %#x listed twice", uintptr(h))
		}
		seen[h&^3] = true
	}
	return nil
}

// brokerAccess is the access that the broker's handle needs:
// PROCESS_CREATE_PROCESS to be the child's parent
// (PROC_THREAD_ATTRIBUTE_PARENT_PROCESS), PROCESS_DUP_HANDLE to receive
// the duplicates, handoff's and os/exec's.
const brokerAccess = windows.PROCESS_CREATE_PROCESS | windows.PROCESS_DUP_HANDLE

// checkBroker checks that the handle on the broker has brokerAccess, and
// that the broker is in job: a child created with the broker as its parent
// is born in the broker's jobs.
func checkBroker(broker, job windows.Handle) error {
	access, err := winapi.GrantedAccess(broker)
	if err != nil {
		return fmt.Errorf("handoff: checking the broker's handle: %w", err)
	}
	if missing := brokerAccess &^ access; missing != 0 {
		return fmt.Errorf("handoff: the broker's handle has access %#x, without %s", access, accessNames(missing))
	}
	return checkInJob("the broker", broker, job)
}

// accessNames names the bits of brokerAccess set in access.
func accessNames(access uint32) string {
	var names []string
	if access&windows.PROCESS_CREATE_PROCESS != 0 {
		names = append(names, "PROCESS_CREATE_PROCESS")
	}
	if access&windows.PROCESS_DUP_HANDLE != 0 {
		names = append(names, "PROCESS_DUP_HANDLE")
	}
	return strings.Join(names, " and ")
}

// checkInJob returns an error if the process p, called what, is not in job.
func checkInJob(what string, p, job windows.Handle) error {
	var in bool
	if err := winapi.IsProcessInJob(p, job, &in); err != nil {
		return fmt.Errorf("handoff: checking that %s is in its kill-on-close job: %w", what, os.NewSyscallError("IsProcessInJob", err))
	}
	if !in {
		return fmt.Errorf("handoff: %s is not in its kill-on-close job", what)
	}
	return nil
}

// start starts the child, born in the broker's job, and hands the broker to
// a watcher that ends it when the child exits.
func (l *sysLaunch) start(cmd *exec.Cmd) (err error) {
	defer func() {
		if err != nil {
			l.abort()
		}
	}()
	if err := cmd.Start(); err != nil {
		if job := ownJob(); job != "" {
			// A limit of this process's job may be what refused the child.
			return fmt.Errorf("handoff: starting the child in its kill-on-close job%s: %w", job, err)
		}
		return err
	}
	child, err := windows.OpenProcess(windows.SYNCHRONIZE|windows.PROCESS_QUERY_INFORMATION, false, uint32(cmd.Process.Pid))
	if err == nil {
		if err = checkInJob(fmt.Sprintf("the child %d", cmd.Process.Pid), child, l.job); err != nil {
			windows.CloseHandle(child)
		}
	} else {
		err = os.NewSyscallError("OpenProcess", err)
	}
	if err != nil {
		// The broker first: under Wine it holds copies of the standard
		// handles, which Cmd.Wait waits for.
		cmd.Process.Kill()
		l.abort()
		cmd.Wait()
		return err
	}
	l.watched = make(chan struct{})
	go watchChild(child, l.broker, l.watched)
	l.broker = 0
	return nil
}

// watchChild waits for the child to exit, then ends the broker, which closes
// every handle it held for the child: the duplicates, and os/exec's copies
// of the standard handles, such as a pipe's write end, whose reader in
// Cmd.Wait waits for every copy to close.
//
// os/exec closes its copies in the broker itself, with DuplicateHandle and
// DUPLICATE_CLOSE_SOURCE, on Windows; Wine 8 refuses that call, so under
// Wine the copies stay until the broker ends.
func watchChild(child, broker windows.Handle, done chan<- struct{}) {
	defer close(done)
	// WAIT_OBJECT_0 once the child has exited. WAIT_FAILED, which a valid
	// SYNCHRONIZE handle does not give, would leave nothing to wait for:
	// the broker is ended all the same, and Wait's closing of the job ends
	// the child.
	windows.WaitForSingleObject(child, windows.INFINITE)
	windows.CloseHandle(child)
	windows.TerminateProcess(broker, 0)
	windows.CloseHandle(broker)
}

// abort ends and releases what prepare made, for a Start that failed.
func (l *sysLaunch) abort() {
	if l.broker != 0 {
		windows.TerminateProcess(l.broker, 0)
		windows.CloseHandle(l.broker)
		l.broker = 0
	}
	l.close()
}

// close waits for the watcher to end the broker, then closes the job, which
// ends whatever is left in it.
func (l *sysLaunch) close() error {
	if l.watched != nil {
		<-l.watched
		l.watched = nil
	}
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

// startBroker creates the broker (see the package documentation) in job:
// this program's executable, suspended, inheriting no handle, and in the job
// from birth (PROC_THREAD_ATTRIBUTE_JOB_LIST). It shares this process's
// console, if there is one, so that the child, which may take its console
// from the broker as it takes its handles, gets the parent's (Wine 10 fails
// CreateProcess with "Invalid handle" otherwise); without one it is
// detached, so that no console is made for it.
func startBroker(job windows.Handle) (windows.Handle, uint32, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, 0, fmt.Errorf("handoff: starting the broker: %w", err)
	}
	name, err := windows.UTF16PtrFromString(exe)
	if err != nil {
		return 0, 0, fmt.Errorf("handoff: starting the broker: %w", err)
	}
	cmdline, err := windows.UTF16PtrFromString(windows.EscapeArg(exe))
	if err != nil {
		return 0, 0, fmt.Errorf("handoff: starting the broker: %w", err)
	}
	attrs, err := windows.NewProcThreadAttributeList(1)
	if err != nil {
		return 0, 0, os.NewSyscallError("InitializeProcThreadAttributeList", err)
	}
	defer attrs.Delete()
	if err := attrs.Update(winapi.PROC_THREAD_ATTRIBUTE_JOB_LIST, unsafe.Pointer(&job), unsafe.Sizeof(job)); err != nil {
		return 0, 0, os.NewSyscallError("UpdateProcThreadAttribute", err)
	}
	si := &windows.StartupInfoEx{ProcThreadAttributeList: attrs.List()}
	si.Cb = uint32(unsafe.Sizeof(*si))
	var pi windows.ProcessInformation
	flags := uint32(windows.CREATE_SUSPENDED | windows.EXTENDED_STARTUPINFO_PRESENT)
	if _, err := windows.GetConsoleCP(); err != nil {
		flags |= windows.DETACHED_PROCESS // this process has no console
	}
	if err := windows.CreateProcess(name, cmdline, nil, nil, false, flags, nil, nil, &si.StartupInfo, &pi); err != nil {
		return 0, 0, fmt.Errorf("handoff: starting the broker %s in a new kill-on-close job%s: %w", exe, ownJob(), os.NewSyscallError("CreateProcess", err))
	}
	windows.CloseHandle(pi.Thread)
	return pi.Process, pi.ProcessId, nil
}

// ownJob describes the job this process runs in, if any, for an error: a
// job whose limits refuse a nested job or one more process (Windows nests
// jobs from Windows 8 on) makes the broker's or the child's creation fail. Jobs have no
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
