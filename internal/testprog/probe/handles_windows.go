package main

//go:generate go run golang.org/x/sys/windows/mkwinsyscall -output zsyscall_windows.go handles_windows.go

import (
	"os"
	"slices"
	"unsafe"

	"golang.org/x/sys/windows"
)

// What golang.org/x/sys/windows lacks.

//sys	getHandleInformation(handle windows.Handle, flags *uint32) (err error) = kernel32.GetHandleInformation
//sys	ntQueryObject(handle windows.Handle, class uint32, info *byte, infoLen uint32, retLen *uint32) (ntstatus error) = ntdll.NtQueryObject

// objectTypeInformation is NtQueryObject's class for the type name.
const objectTypeInformation = 2

func stdio() (in, out, err uintptr) {
	get := func(id uint32) uintptr {
		h, _ := windows.GetStdHandle(id)
		return uintptr(h)
	}
	return get(windows.STD_INPUT_HANDLE), get(windows.STD_OUTPUT_HANDLE), get(windows.STD_ERROR_HANDLE)
}

// describe returns the type of the object that handle h names, and whether
// h is inheritable.
func describe(h uintptr) (typ string, inherit bool, err error) {
	var flags uint32
	if err := getHandleInformation(windows.Handle(h), &flags); err != nil {
		return "", false, os.NewSyscallError("GetHandleInformation", err)
	}
	// PUBLIC_OBJECT_TYPE_INFORMATION: a UNICODE_STRING whose buffer follows.
	var buf [128]uint64
	var n uint32
	if err := ntQueryObject(windows.Handle(h), objectTypeInformation, (*byte)(unsafe.Pointer(&buf[0])), uint32(unsafe.Sizeof(buf)), &n); err != nil {
		return "", false, os.NewSyscallError("NtQueryObject", err)
	}
	typ = (*windows.NTUnicodeString)(unsafe.Pointer(&buf[0])).String()
	return typ, flags&windows.HANDLE_FLAG_INHERIT != 0, nil
}

// inheritable lists the inheritable handles among the values 4 to max, in
// steps of 4, and extra.
func inheritable(max uintptr, extra []uintptr) ([]handle, error) {
	values := extra
	for v := uintptr(4); v <= max; v += 4 {
		values = append(values, v)
	}
	slices.Sort(values)
	values = slices.Compact(values)
	var list []handle
	for _, v := range values {
		typ, inherit, err := describe(v)
		if err != nil || !inherit {
			continue // err: no such handle
		}
		list = append(list, handle{v, typ})
	}
	return list, nil
}
