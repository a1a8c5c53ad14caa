package handoff

//go:generate go run golang.org/x/sys/windows/mkwinsyscall -output zsyscall_windows.go syscall_windows.go

// What golang.org/x/sys/windows lacks.

//sys	getHandleInformation(handle windows.Handle, flags *uint32) (err error) = kernel32.GetHandleInformation
//sys	ntQueryObject(handle windows.Handle, class uint32, info *byte, infoLen uint32, retLen *uint32) (ntstatus error) = ntdll.NtQueryObject
//sys	compareObjectHandles(first windows.Handle, second windows.Handle) (same bool) = kernelbase.CompareObjectHandles
//sys	isProcessInJob(process windows.Handle, job windows.Handle, result *bool) (err error) = kernel32.IsProcessInJob

// objectTypeInformation is NtQueryObject's OBJECT_INFORMATION_CLASS for the
// object's type name.
const objectTypeInformation = 2
