//go:build (unix && !linux) || (linux && handoff_pipe)

package handoff

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// The pipe backend: macOS and the BSDs, and Linux built with the handoff_pipe
// tag, so that the code macOS gets runs in Linux CI too. Plain POSIX; how
// each object is made:
//
//   - An event is a pipe. Set writes a byte into it, Reset reads it empty,
//     and Wait polls its read end (see wait). The parent holds both ends and
//     passes the read end, so a child holds no write end and cannot Set.
//   - A ready object is a pipe whose write end only the child holds once
//     Start returns: the parent sees the byte the child writes, or the end of
//     file of its exit.
//   - A semaphore is a FIFO holding one byte per count (semaphore_pipe.go).
//   - Shared memory is shm_open with a fresh name and O_EXCL, unlinked at once
//     (Linux: in /dev/shm); shm_open2 with SHM_ANON on FreeBSD 13 and later;
//     on macOS, where x/sys has no shm_open and calling it by number is
//     deprecated, and elsewhere, a file made in a private temporary directory
//     and unlinked at once, mapped shared (memory_pipe.go, sys_pipe_*.go).
//   - The lifeline is one end of a Unix stream socket pair, not a bare pipe:
//     the parent keeps the other end, close-on-exec, until Wait, so the
//     child's end reports end of file when the parent dies, and the kernel
//     tells the child which process made the pair (peerPid: SO_PEERCRED on
//     Linux, LOCAL_PEERCRED's cr_pid on FreeBSD 13 and later, LOCAL_PEERPID
//     on macOS).
//
// Start passes the handles through ExtraFiles and changes no other
// descriptor (see the package documentation). What a child checks, and what
// the kernel cannot tell it, is in child_pipe.go.

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

// closeOnExecLocked calls open, which makes descriptors, and marks them
// close-on-exec, both under syscall.ForkLock, as package os does where there
// is no pipe2 (macOS), so that no process that Go starts meanwhile catches
// them: one way on every system, the one macOS needs, so that Linux CI runs
// it.
func closeOnExecLocked(open func() ([]int, error)) ([]int, error) {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	fds, err := open()
	if err != nil {
		return nil, err
	}
	for _, fd := range fds {
		unix.CloseOnExec(fd)
	}
	return fds, nil
}

// newPipe returns a pipe whose ends are both close-on-exec (see
// closeOnExecLocked) and non-blocking.
func newPipe() ([2]int, error) {
	var p [2]int
	_, err := closeOnExecLocked(func() ([]int, error) { return p[:], unix.Pipe(p[:]) })
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

// set writes a byte into the pipe, which makes its read end readable. A full
// pipe is set, too.
func (h *sysHandle) set() error {
	if h.w < 0 {
		return errReadEnd
	}
	return writeSet(h.w, []byte{1})
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
// readability without reading either (see the package documentation).
// Cancellation arrives on a private pipe that ctx's AfterFunc writes.
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
	fds, release, err := pollList(ctx, h, lifeline)
	if err != nil {
		return err
	}
	defer release()
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

// writeSet writes b to the non-blocking fd of an event, which sets it. An
// event too full to take b (EAGAIN) is set already.
func writeSet(fd int, b []byte) error {
	err := ignoringEINTR(func() error { _, err := unix.Write(fd, b); return err })
	if err == unix.EAGAIN {
		return nil
	}
	return os.NewSyscallError("write", err)
}
