//go:build (unix && !linux) || (linux && handoff_pipe)

package handoff

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"
)

// The pipe backend: macOS and the BSDs, and Linux built with the handoff_pipe
// tag, so that the code macOS gets runs in Linux CI too. Events, semaphores
// and ready objects are pipes holding one byte per count; see doc.go, "macOS
// and the BSDs".

// valueAlign is what every handle value must be a multiple of.
const valueAlign = 1

// sysHandle is one object's descriptors in this process. fd is the one a
// child gets; r is the one this process polls and reads, w the one it
// writes: each of r and w is fd, another descriptor, or -1. By kind:
//
//	event, its maker:    fd = r = the pipe's read end, w = its write end
//	event, in a child:   fd = r = the read end, w = -1
//	ready, its maker:    fd = the write end (until Start gives it away), r = the read end, w = -1
//	ready, in a child:   fd = w = the write end, r = -1
//	semaphore:           fd = r = w = a FIFO open for reading and writing
//	lifeline, in a child: fd = r = the socket
//	shared memory, file: fd, r = w = -1
//
// Every descriptor is -1 once closed.
type sysHandle struct {
	fd, r, w int
	// give makes Start close fd in this process once the child has its
	// copy: the write end of a ready object, which only the child may hold,
	// so that its exit shows as end of file.
	give bool
	// size is what shared memory was created with (macOS rounds what fstat
	// reports up to a page); 0 if unknown.
	size int
}

// closedHandle is a sysHandle that holds nothing.
var closedHandle = sysHandle{fd: -1, r: -1, w: -1}

// errReadEnd is what Set returns in a process that holds only the read end
// of an event's pipe, such as a child that opened it with OpenEvent.
var errReadEnd = fmt.Errorf("handoff: set: this process holds only the read end of the event's pipe; only the process that made the event can set it: %w", errors.ErrUnsupported)

func newEvent() (sysHandle, error) {
	p, err := newPipe()
	if err != nil {
		return closedHandle, err
	}
	return sysHandle{fd: p[0], r: p[0], w: p[1]}, nil
}

// newReady makes the ready object: a pipe whose write end the child gets
// (and alone holds, once Start has returned) and writes a byte to.
func newReady() (sysHandle, error) {
	p, err := newPipe()
	if err != nil {
		return closedHandle, err
	}
	return sysHandle{fd: p[1], r: p[0], w: -1, give: true}, nil
}

// newPipe returns a pipe whose ends are both close-on-exec and non-blocking.
// The descriptors are made and marked under syscall.ForkLock, as package os
// does where there is no pipe2 (macOS), so that no process that Go starts
// meanwhile catches them: one way on every system, the one macOS needs, so
// that Linux CI runs it.
func newPipe() ([2]int, error) {
	var p [2]int
	syscall.ForkLock.RLock()
	err := unix.Pipe(p[:])
	if err == nil {
		unix.CloseOnExec(p[0])
		unix.CloseOnExec(p[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return [2]int{-1, -1}, os.NewSyscallError("pipe", err)
	}
	for _, fd := range p {
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(p[0])
			unix.Close(p[1])
			return [2]int{-1, -1}, os.NewSyscallError("fcntl", err)
		}
	}
	return p, nil
}

// newSemaphore makes a FIFO in a private directory, opens it for reading
// and writing (one descriptor that both Acquire and Release use, in the
// parent and the child alike), removes its name at once, and writes count
// bytes into it.
func newSemaphore(count uint32) (sysHandle, error) {
	dir, err := os.MkdirTemp("", "handoff-")
	if err != nil {
		return closedHandle, err
	}
	defer os.Remove(dir)
	name := filepath.Join(dir, "semaphore")
	if err := unix.Mkfifo(name, 0o600); err != nil {
		return closedHandle, &os.PathError{Op: "mkfifo", Path: name, Err: err}
	}
	fd, err := unix.Open(name, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	os.Remove(name)
	if err != nil {
		return closedHandle, &os.PathError{Op: "open", Path: name, Err: err}
	}
	h := sysHandle{fd: fd, r: fd, w: fd}
	if count > 0 {
		if err := h.release(count); err != nil {
			h.close()
			return closedHandle, fmt.Errorf("handoff: semaphore count %d: %w", count, err)
		}
	}
	return h, nil
}

func (h *sysHandle) value() uintptr { return uintptr(h.fd) }

func (h *sysHandle) close() error {
	if h.fd < 0 && h.r < 0 && h.w < 0 {
		return os.ErrClosed
	}
	var err error
	closed := map[int]bool{-1: true}
	for _, fd := range []int{h.fd, h.r, h.w} {
		if !closed[fd] {
			closed[fd] = true
			if cerr := unix.Close(fd); err == nil {
				err = cerr
			}
		}
	}
	h.fd, h.r, h.w = -1, -1, -1
	return os.NewSyscallError("close", err)
}

// set writes a byte into the pipe, which makes its read end readable. A full
// pipe is set, too.
func (h *sysHandle) set() error {
	if h.w < 0 {
		return errReadEnd
	}
	b := [1]byte{1}
	for {
		_, err := unix.Write(h.w, b[:])
		switch err {
		case nil, unix.EAGAIN:
			return nil
		case unix.EINTR:
			continue
		}
		return os.NewSyscallError("write", err)
	}
}

// reset reads the pipe empty. The read end is non-blocking, so an unset
// event reads EAGAIN; a pipe whose write ends are all closed reads 0.
func (h *sysHandle) reset() error {
	var b [512]byte
	for {
		n, err := unix.Read(h.r, b[:])
		switch {
		case err == unix.EAGAIN || err == nil && n == 0:
			return nil
		case err == unix.EINTR || err == nil:
			continue
		}
		return os.NewSyscallError("read", err)
	}
}

// wait polls the pipe, and the lifeline's socket if there is one, for
// readability without reading either, so an event stays set for every
// other waiter. Cancellation arrives on a private pipe that ctx's AfterFunc
// writes.
//
// A read end also polls readable (with POLLHUP) once every write end is
// closed, at end of file: so the pipe is set only if bytes wait in it. With
// no bytes and POLLHUP, nobody can set it any more, and wait returns
// ErrParentGone: in a child, the parent, which held the event's write end,
// is gone; in a parent waiting for a ready object, the child is (see
// waitReadyOrExit). A lifeline polls readable, or POLLHUP, only when the
// parent's end is closed: the parent never writes to it.
func (h *sysHandle) wait(ctx context.Context, lifeline *sysHandle) error {
	if h.r < 0 {
		return fmt.Errorf("handoff: wait: this process holds only the write end of the pipe: %w", errors.ErrUnsupported)
	}
	fds := []unix.PollFd{{Fd: int32(h.r), Events: unix.POLLIN}}
	if lifeline != nil {
		fds = append(fds, unix.PollFd{Fd: int32(lifeline.r), Events: unix.POLLIN})
	}
	if ctx.Done() != nil {
		cancel, err := newEvent()
		if err != nil {
			return err
		}
		defer cancel.close()
		defer afterDone(ctx, func() { cancel.set() })()
		fds = append(fds, unix.PollFd{Fd: int32(cancel.r), Events: unix.POLLIN})
	}
	for {
		i, revents, err := pollReady(fds)
		switch {
		case err != nil:
			return err
		case revents&unix.POLLNVAL != 0:
			return fmt.Errorf("handoff: poll: descriptor %d: revents %#x", fds[i].Fd, revents)
		case i == 1 && lifeline != nil:
			return ErrParentGone
		case i != 0:
			return context.Cause(ctx)
		}
		n, err := unix.IoctlGetInt(h.r, fionread)
		if err != nil {
			return os.NewSyscallError("ioctl", err)
		}
		if n > 0 {
			return nil
		}
		if revents&unix.POLLHUP != 0 && h.w < 0 {
			return ErrParentGone // every write end is closed
		}
		// A Reset or an Acquire emptied the pipe since poll returned:
		// wait on.
	}
}

// acquire reads one byte from the semaphore's FIFO and, while it is empty
// (EAGAIN), polls it until it is readable.
func (h *sysHandle) acquire(ctx context.Context) error {
	var b [1]byte
	return acquireRead(ctx, h.r, b[:], func(ctx context.Context) error { return h.wait(ctx, nil) })
}

// release writes n bytes into the semaphore's FIFO. What a pipe holds
// bounds the count (64 KiB on Linux and macOS, 16 KiB to 64 KiB on the
// BSDs; at least PIPE_BUF, 512, by POSIX): a release that does not fit adds
// what fits and returns an error that says how much that was.
func (h *sysHandle) release(n uint32) error {
	var chunk [4096]byte
	for done := uint32(0); done < n; {
		m := min(n-done, uint32(len(chunk)))
		w, err := unix.Write(h.w, chunk[:m])
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return fmt.Errorf("handoff: semaphore release: the pipe holding the count is full: %d of %d added", done, n)
		case err != nil:
			return os.NewSyscallError("write", err)
		}
		done += uint32(w)
	}
	return nil
}

// fileHandle returns f's descriptor, read without Fd, which would put f in
// blocking mode. It stays f's.
func fileHandle(f *os.File) (sysHandle, error) {
	c, err := f.SyscallConn()
	if err != nil {
		return closedHandle, err
	}
	h := closedHandle
	if err := c.Control(func(fd uintptr) { h.fd = int(fd) }); err != nil {
		return closedHandle, err
	}
	return h, nil
}
