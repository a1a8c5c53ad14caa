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
//sys	CreateSemaphore(sa *windows.SecurityAttributes, initial int32, max int32, name *uint16) (handle windows.Handle, err error) = kernel32.CreateSemaphoreW
//sys	ReleaseSemaphore(semaphore windows.Handle, count int32, previous *int32) (err error) = kernel32.ReleaseSemaphore
//sys	NtQuerySection(section windows.Handle, class uint32, info *SectionBasicInformation, infoLen uintptr, retLen *uintptr) (ntstatus error) = ntdll.NtQuerySection
//sys	GetConsoleProcessList(list *uint32, count uint32) (n uint32, err error) = kernel32.GetConsoleProcessList

// SectionBasicInformation is NtQuerySection's SECTION_BASIC_INFORMATION,
// for the information class of the same name (0).
type SectionBasicInformation struct {
	BaseAddress uintptr
	Attributes  uint32
	Size        int64
}

// SectionBasicInformationClass is NtQuerySection's
// SECTION_INFORMATION_CLASS for a SectionBasicInformation.
const SectionBasicInformationClass = 0

// SectionSize returns the size in bytes of the section (file mapping) h
// refers to, as it was created.
func SectionSize(h windows.Handle) (int64, error) {
	var info SectionBasicInformation
	if err := NtQuerySection(h, SectionBasicInformationClass, &info, unsafe.Sizeof(info), nil); err != nil {
		return 0, os.NewSyscallError("NtQuerySection", err)
	}
	return info.Size, nil
}

// ObjectTypeInformation is NtQueryObject's OBJECT_INFORMATION_CLASS for the
// name of an object's type.
const ObjectTypeInformation = 2

// PROC_THREAD_ATTRIBUTE_JOB_LIST is the process attribute that lists the
// job objects a new process is born in (Windows 10 and later).
const PROC_THREAD_ATTRIBUTE_JOB_LIST = 0x2000D

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

// ParentProcessID returns the ID of the process that created this one, as
// os.Getppid does, from NtQueryInformationProcess. os.Getppid takes a
// snapshot of every process in the system (CreateToolhelp32Snapshot) and
// walks it, which costs milliseconds, and tens of them under Wine with many
// processes running.
func ParentProcessID() (int, error) {
	var info windows.PROCESS_BASIC_INFORMATION
	if err := windows.NtQueryInformationProcess(windows.CurrentProcess(), windows.ProcessBasicInformation,
		unsafe.Pointer(&info), uint32(unsafe.Sizeof(info)), nil); err != nil {
		return 0, os.NewSyscallError("NtQueryInformationProcess", err)
	}
	return int(info.InheritedFromUniqueProcessId), nil
}
