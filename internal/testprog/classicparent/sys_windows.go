package main

import (
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

var inheritable = &windows.SecurityAttributes{
	Length:        uint32(unsafe.Sizeof(windows.SecurityAttributes{})),
	InheritHandle: 1,
}

// newEvent returns an inheritable manual-reset event.
func newEvent() (uintptr, error) {
	h, err := windows.CreateEvent(inheritable, 1, 0, nil)
	if err != nil {
		return 0, os.NewSyscallError("CreateEvent", err)
	}
	return uintptr(h), nil
}

func setEvent(h uintptr) error {
	return os.NewSyscallError("SetEvent", windows.SetEvent(windows.Handle(h)))
}

// newLifeline returns an inheritable handle on this process.
func newLifeline() (uintptr, error) {
	self := windows.CurrentProcess()
	var h windows.Handle
	err := windows.DuplicateHandle(self, self, self, &h,
		windows.SYNCHRONIZE|windows.PROCESS_QUERY_LIMITED_INFORMATION, true, 0)
	if err != nil {
		return 0, os.NewSyscallError("DuplicateHandle", err)
	}
	return uintptr(h), nil
}

type child struct {
	pid     int
	process windows.Handle
}

// start runs argv with CreateProcess and bInheritHandles=TRUE, without a
// handle list: the child inherits every inheritable handle of this process.
func start(argv []string) (*child, error) {
	cmdline, err := windows.UTF16PtrFromString(windows.ComposeCommandLine(argv))
	if err != nil {
		return nil, err
	}
	si := windows.StartupInfo{Cb: uint32(unsafe.Sizeof(windows.StartupInfo{})), Flags: windows.STARTF_USESTDHANDLES}
	for _, std := range []struct {
		id  uint32
		dst *windows.Handle
	}{
		{windows.STD_INPUT_HANDLE, &si.StdInput},
		{windows.STD_OUTPUT_HANDLE, &si.StdOutput},
		{windows.STD_ERROR_HANDLE, &si.StdErr},
	} {
		h, err := windows.GetStdHandle(std.id)
		if err != nil || h == 0 || h == windows.InvalidHandle {
			continue
		}
		// As the sample does: make them inheritable, for the child to get them.
		windows.SetHandleInformation(h, windows.HANDLE_FLAG_INHERIT, windows.HANDLE_FLAG_INHERIT)
		*std.dst = h
	}
	var pi windows.ProcessInformation
	if err := windows.CreateProcess(nil, cmdline, nil, nil, true, 0, nil, nil, &si, &pi); err != nil {
		return nil, os.NewSyscallError("CreateProcess", err)
	}
	windows.CloseHandle(pi.Thread)
	return &child{int(pi.ProcessId), pi.Process}, nil
}

func (c *child) wait(timeout time.Duration) (int, error) {
	defer windows.CloseHandle(c.process)
	ev, err := windows.WaitForSingleObject(c.process, uint32(timeout.Milliseconds()))
	switch {
	case err != nil:
		return 0, os.NewSyscallError("WaitForSingleObject", err)
	case ev == uint32(windows.WAIT_TIMEOUT):
		windows.TerminateProcess(c.process, 1)
		return 0, fmt.Errorf("child did not exit within %v; killed it", timeout)
	case ev != windows.WAIT_OBJECT_0:
		return 0, fmt.Errorf("WaitForSingleObject: unexpected result %#x", ev)
	}
	var code uint32
	if err := windows.GetExitCodeProcess(c.process, &code); err != nil {
		return 0, os.NewSyscallError("GetExitCodeProcess", err)
	}
	return int(code), nil
}
