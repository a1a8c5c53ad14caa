package winapi

//go:generate go run golang.org/x/sys/windows/mkwinsyscall -output zsyscall_windows.go winapi_windows.go

import (
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

//sys	GetHandleInformation(handle windows.Handle, flags *uint32) (err error) = kernel32.GetHandleInformation
//sys	NtQueryObject(handle windows.Handle, class uint32, info *byte, infoLen uint32, retLen *uint32) (ntstatus error) = ntdll.NtQueryObject
//sys	CompareObjectHandles(first windows.Handle, second windows.Handle) (same bool) = kernelbase.CompareObjectHandles
//sys	IsProcessInJob(process windows.Handle, job windows.Handle, result *bool) (err error) = kernel32.IsProcessInJob
//sys	QueryPerformanceCounter(count *int64) (err error) = kernel32.QueryPerformanceCounter
//sys	QueryPerformanceFrequency(freq *int64) (err error) = kernel32.QueryPerformanceFrequency

// ObjectTypeInformation is NtQueryObject's OBJECT_INFORMATION_CLASS for the
// name of an object's type.
const ObjectTypeInformation = 2

// ObjectType returns the name of the type of the object h refers to, such as
// "Event", "Process" or "File".
func ObjectType(h windows.Handle) (string, error) {
	// PUBLIC_OBJECT_TYPE_INFORMATION: a UNICODE_STRING whose buffer follows
	// it, then reserved fields. 1 KiB is plenty for any type name; uint64s
	// keep the buffer aligned for the structure.
	var buf [128]uint64
	var n uint32
	if err := NtQueryObject(h, ObjectTypeInformation, (*byte)(unsafe.Pointer(&buf[0])), uint32(unsafe.Sizeof(buf)), &n); err != nil {
		return "", os.NewSyscallError("NtQueryObject", err)
	}
	return (*windows.NTUnicodeString)(unsafe.Pointer(&buf[0])).String(), nil
}
