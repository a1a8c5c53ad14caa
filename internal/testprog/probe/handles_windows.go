package main

import (
	"os"
	"slices"

	"github.com/handoff/handoff/internal/winapi"
	"golang.org/x/sys/windows"
)

// stdio returns this process's standard handles.
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
	if err := winapi.GetHandleInformation(windows.Handle(h), &flags); err != nil {
		return "", false, os.NewSyscallError("GetHandleInformation", err)
	}
	if typ, err = winapi.ObjectType(windows.Handle(h)); err != nil {
		return "", false, err
	}
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
