package handoff

import "fmt"

// SharedMemory is an unnamed block of memory that the parent and its
// children map, each at an address of its own: what one writes in Bytes,
// the others read.
//
// On Windows it is a section (file mapping) backed by the paging file; on
// Linux a memfd sealed against growing and shrinking, so that no process
// can make another's mapping fault; on macOS and the BSDs POSIX shared
// memory, or a file, whose name is removed at once (see the package
// documentation). No name outlives it. The zero SharedMemory names no
// handle, as the zero [Event] does, and its Bytes are nil.
type SharedMemory struct {
	h    sysHandle
	data []byte
	objectState
}

// NewSharedMemory creates a block of size bytes, at least 1, all zero, and
// maps it.
func NewSharedMemory(size int) (*SharedMemory, error) {
	if size < 1 {
		return nil, fmt.Errorf("handoff: shared memory size %d: want at least 1", size)
	}
	h, err := newMemory(size)
	if err != nil {
		return nil, err
	}
	return mapShared(h)
}

// OpenSharedMemory returns the shared memory that this process inherited
// under value, checked like [OpenEvent]'s event, and maps it whole.
func OpenSharedMemory(value string) (*SharedMemory, error) {
	h, err := openInherited(value, kindMemory)
	if err != nil {
		return nil, err
	}
	return mapShared(h)
}

// mapShared maps h, taking it over: on failure it is closed.
func mapShared(h sysHandle) (*SharedMemory, error) {
	data, err := mapMemory(&h)
	if err != nil {
		h.close()
		return nil, err
	}
	return &SharedMemory{h: h, data: data, objectState: made}, nil
}

// Bytes returns the mapped memory. Its length is the block's size: the size
// it was created with, to the byte, in the parent and in every child that
// opens it, on every platform. It is valid until Close.
func (m *SharedMemory) Bytes() []byte { return m.data }

// Handle returns the block's handle (Windows) or file descriptor (Unix). It
// stays owned by the SharedMemory: do not close it.
func (m *SharedMemory) Handle() uintptr { return m.h.value() }

// Close unmaps the memory and closes its handle. Other processes' mappings
// stay valid. Close on the zero SharedMemory does nothing.
func (m *SharedMemory) Close() error {
	if m.objectState == zero {
		return nil
	}
	err := unmapMemory(m.data)
	m.data = nil
	if cerr := m.closeHandle(&m.h); err == nil {
		err = cerr
	}
	return err
}

func (m *SharedMemory) object() (sysHandle, kind, error) {
	return m.h, kindMemory, m.usable()
}
