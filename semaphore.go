package handoff

import (
	"context"
	"fmt"
)

// MaxSemaphore is the highest count a [Semaphore] can be created with or
// released by at once, and on Windows the highest it can hold.
const MaxSemaphore = 1<<31 - 1

// Semaphore is an unnamed counting semaphore: Acquire takes one from its
// count, waiting while the count is 0; Release adds to it.
//
// On Windows it is a semaphore object; on Linux an eventfd in semaphore mode
// (EFD_SEMAPHORE); on macOS and the BSDs a FIFO holding one byte per count.
// Its methods may be called from several goroutines at once, except Close.
// The zero Semaphore names no handle, as the zero [Event] does.
type Semaphore struct {
	h sysHandle
	objectState
}

// NewSemaphore creates a semaphore holding count, between 0 and
// [MaxSemaphore], that no child process inherits unless a [Handoff] passes
// it.
func NewSemaphore(count int) (*Semaphore, error) {
	if count < 0 || count > MaxSemaphore {
		return nil, fmt.Errorf("handoff: semaphore count %d out of range [0, %d]", count, MaxSemaphore)
	}
	h, err := newSemaphore(uint32(count))
	if err != nil {
		return nil, err
	}
	return &Semaphore{h: h, objectState: made}, nil
}

// OpenSemaphore returns the semaphore that this process inherited under
// value, checked like [OpenEvent]'s event: a handle of another kind, an
// event among them, is refused with [ErrWrongType].
func OpenSemaphore(value string) (*Semaphore, error) {
	h, err := openInherited(value, kindSemaphore)
	if err != nil {
		return nil, err
	}
	return &Semaphore{h: h, objectState: made}, nil
}

// Acquire takes one from the count, waiting until it is above 0. If ctx is
// done first, it returns [context.Cause] of ctx and takes nothing.
func (s *Semaphore) Acquire(ctx context.Context) error {
	if err := s.check(kindSemaphore); err != nil {
		return err
	}
	return s.h.acquire(ctx)
}

// TryAcquire takes one from the count if it is above 0, and reports
// whether it did, without waiting.
func (s *Semaphore) TryAcquire() (bool, error) { return s.h.tryAcquire() }

// Release adds n, between 1 and [MaxSemaphore], to the count. On Windows a
// count that would exceed MaxSemaphore is an error, and nothing is added; on
// Linux the count can grow to 2^64-2. On macOS and the BSDs it is bounded
// by what a FIFO holds (see the package documentation): a release that does
// not fit adds what fits and returns an error.
func (s *Semaphore) Release(n int) error {
	if n < 1 || n > MaxSemaphore {
		return fmt.Errorf("handoff: semaphore release of %d out of range [1, %d]", n, MaxSemaphore)
	}
	if err := s.check(kindSemaphore); err != nil {
		return err
	}
	return s.h.release(uint32(n))
}

// Handle returns the semaphore's handle (Windows) or file descriptor
// (Unix). It stays owned by the Semaphore: do not close it.
func (s *Semaphore) Handle() uintptr { return s.h.value() }

// Close closes the semaphore's handle. Close on the zero Semaphore does
// nothing.
func (s *Semaphore) Close() error { return s.closeHandle(&s.h) }

func (s *Semaphore) object() (sysHandle, kind, error) {
	return s.h, kindSemaphore, s.usable()
}
