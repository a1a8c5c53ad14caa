package handoff

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"unsafe"

	"github.com/handoff/handoff/internal/winapi"
	"golang.org/x/sys/windows"
)

// valueAlign is what every handle value must be a multiple of: Windows
// ignores a handle value's low two bits.
const valueAlign = 4

// sysHandle is a handle, 0 once closed.
type sysHandle struct {
	h windows.Handle
}

func newEvent() (sysHandle, error) {
	// A nil SECURITY_ATTRIBUTES makes the handle not inheritable.
	h, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		return sysHandle{}, os.NewSyscallError("CreateEvent", err)
	}
	return sysHandle{h}, nil
}

func (h *sysHandle) value() uintptr { return uintptr(h.h) }

func (h *sysHandle) close() error {
	if h.h == 0 {
		return os.ErrClosed
	}
	hh := h.h
	h.h = 0
	return os.NewSyscallError("CloseHandle", windows.CloseHandle(hh))
}

func (h *sysHandle) set() error {
	return os.NewSyscallError("SetEvent", windows.SetEvent(h.h))
}

func (h *sysHandle) reset() error {
	return os.NewSyscallError("ResetEvent", windows.ResetEvent(h.h))
}

// wait waits for the event, the lifeline's process if there is one, and a
// private event that ctx's AfterFunc sets. WaitForMultipleObjects reports the
// lowest signaled index, so a set event wins over the others.
func (h *sysHandle) wait(ctx context.Context, lifeline *sysHandle) error {
	handles := []windows.Handle{h.h}
	if lifeline != nil {
		handles = append(handles, lifeline.h)
	}
	if ctx.Done() != nil {
		cancel, err := newEvent()
		if err != nil {
			return err
		}
		defer cancel.close()
		defer afterDone(ctx, func() { cancel.set() })()
		handles = append(handles, cancel.h)
	}
	ev, err := windows.WaitForMultipleObjects(handles, false, windows.INFINITE)
	switch {
	case err != nil:
		return os.NewSyscallError("WaitForMultipleObjects", err)
	case ev == windows.WAIT_OBJECT_0:
		return nil
	case ev == windows.WAIT_OBJECT_0+1 && lifeline != nil:
		return ErrParentGone
	case ev < windows.WAIT_OBJECT_0+uint32(len(handles)):
		return context.Cause(ctx)
	case ev >= windows.WAIT_ABANDONED && ev < windows.WAIT_ABANDONED+uint32(len(handles)):
		return fmt.Errorf("handoff: WaitForMultipleObjects: abandoned mutex %d", ev-windows.WAIT_ABANDONED)
	}
	return fmt.Errorf("handoff: WaitForMultipleObjects: unexpected result %#x", ev)
}

// newReady makes the ready object: an event that the child sets.
func newReady() (sysHandle, error) { return newEvent() }

func newSemaphore(count uint32) (sysHandle, error) {
	// A nil SECURITY_ATTRIBUTES makes the handle not inheritable.
	h, err := winapi.CreateSemaphore(nil, int32(count), MaxSemaphore, nil)
	if err != nil {
		return sysHandle{}, os.NewSyscallError("CreateSemaphore", err)
	}
	return sysHandle{h}, nil
}

// acquire waits for the semaphore, which takes 1 from its count, and for a
// private event that ctx's AfterFunc sets.
func (h *sysHandle) acquire(ctx context.Context) error {
	return h.wait(ctx, nil)
}

func (h *sysHandle) release(n uint32) error {
	return os.NewSyscallError("ReleaseSemaphore", winapi.ReleaseSemaphore(h.h, int32(n), nil))
}

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

// fileHandle returns f's handle.
func fileHandle(f *os.File) (sysHandle, error) {
	c, err := f.SyscallConn()
	if err != nil {
		return sysHandle{}, err
	}
	var h sysHandle
	if err := c.Control(func(fd uintptr) { h.h = windows.Handle(fd) }); err != nil {
		return sysHandle{}, err
	}
	return h, nil
}
