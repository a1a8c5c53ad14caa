package handoff

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"unsafe"

	"github.com/handoff/handoff/internal/winapi"
	"golang.org/x/sys/windows"
)

// A section made by newMemory starts with a header: memoryMagic, then the
// size asked for, as a little-endian uint64. The memory proper follows. The
// size that NtQuerySection reports is rounded up to whole pages, so the
// header keeps the exact size; it also tells a section of handoff's from
// any other.
const (
	memoryMagic  = "handoff\x00"
	memoryHeader = 16
)

// newMemory creates a section of size bytes, plus the header, backed by the
// paging file.
func newMemory(size int) (sysHandle, error) {
	s := uint64(size) + memoryHeader
	h, err := windows.CreateFileMapping(windows.InvalidHandle, nil, windows.PAGE_READWRITE, uint32(s>>32), uint32(s), nil)
	if err != nil {
		return sysHandle{}, os.NewSyscallError("CreateFileMapping", err)
	}
	b, err := mapView(h, memoryHeader)
	if err != nil {
		windows.CloseHandle(h)
		return sysHandle{}, err
	}
	copy(b, memoryMagic)
	binary.LittleEndian.PutUint64(b[8:], uint64(size))
	unmapView(b)
	return sysHandle{h}, nil
}

// mapMemory maps the whole section, for reading and writing, and returns
// the memory after the header.
func mapMemory(h *sysHandle) ([]byte, error) {
	total, err := winapi.SectionSize(h.h)
	if err != nil {
		return nil, err
	}
	if total < memoryHeader || uint64(total) > math.MaxInt {
		return nil, fmt.Errorf("handoff: shared memory: %w: a section of %d bytes is not one of handoff's", ErrWrongType, total)
	}
	b, err := mapView(h.h, int(total))
	if err != nil {
		return nil, err
	}
	size := binary.LittleEndian.Uint64(b[8:])
	if string(b[:8]) != memoryMagic || size < 1 || size > uint64(total)-memoryHeader {
		unmapView(b)
		return nil, fmt.Errorf("handoff: shared memory: %w: the section has no header of handoff's", ErrWrongType)
	}
	return b[memoryHeader : memoryHeader+int(size) : memoryHeader+int(size)], nil
}

func mapView(h windows.Handle, size int) ([]byte, error) {
	addr, err := windows.MapViewOfFile(h, windows.FILE_MAP_READ|windows.FILE_MAP_WRITE, 0, 0, uintptr(size))
	if err != nil {
		return nil, os.NewSyscallError("MapViewOfFile", err)
	}
	// The view is not Go memory: reading addr as a pointer, rather than
	// converting it, says so to go vet.
	return unsafe.Slice((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&addr))), size), nil
}

func unmapView(b []byte) error {
	return os.NewSyscallError("UnmapViewOfFile", windows.UnmapViewOfFile(uintptr(unsafe.Pointer(&b[0]))))
}

// unmapMemory unmaps the view that b, after its header, is part of.
func unmapMemory(b []byte) error {
	if b == nil {
		return nil
	}
	return unmapView(unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(&b[0]), -memoryHeader)), memoryHeader))
}
