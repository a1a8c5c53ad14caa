//go:build linux && !handoff_pipe

package handoff

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// sysLaunch holds the descriptors that Start duplicates for the child, then
// a pidfd of the child, from start until close.
type sysLaunch struct {
	files    []*os.File
	child    sysHandle
	hasChild bool // whether child is open
}

// prepare appends close-on-exec duplicates of the handles, and a pidfd of
// this process if lifeline is set, to cmd.ExtraFiles; the child gets them
// without close-on-exec at 3 + their index.
func (l *sysLaunch) prepare(cmd *exec.Cmd, handles []*sysHandle, lifeline bool) ([]uintptr, error) {
	var values []uintptr
	for _, h := range handles {
		fd, err := unix.FcntlInt(uintptr(h.fd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			l.release()
			return nil, os.NewSyscallError("fcntl", err)
		}
		values = append(values, l.pass(cmd, fd))
	}
	if lifeline {
		fd, err := unix.PidfdOpen(os.Getpid(), 0)
		if err != nil {
			l.release()
			return nil, os.NewSyscallError("pidfd_open", err)
		}
		values = append(values, l.pass(cmd, fd))
	}
	return values, nil
}

// start starts cmd, which gets the descriptors of cmd.ExtraFiles and no
// other of this process's (see the package documentation), and arranges for
// the child to be killed when this process dies: with Pdeathsig, from the
// starter thread (see startFromStarter). It then takes a pidfd of the
// child, before anything can reap it, for waitReady.
func (l *sysLaunch) start(cmd *exec.Cmd) error {
	defer l.release()
	if cmd.SysProcAttr.Pdeathsig == 0 {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	closeUnpassed(cmd)
	if err := startFromStarter(cmd); err != nil {
		return err
	}
	fd, err := unix.PidfdOpen(cmd.Process.Pid, 0)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return fmt.Errorf("handoff: child %d: %w", cmd.Process.Pid, os.NewSyscallError("pidfd_open", err))
	}
	l.child, l.hasChild = sysHandle{fd}, true
	return nil
}

// starter is the goroutine that starts every child, locked for good to an
// OS thread that therefore lives as long as the process; starts carries
// the commands to it.
var starter struct {
	once   sync.Once
	starts chan startRequest
}

type startRequest struct {
	cmd  *exec.Cmd
	done chan<- error
}

// startFromStarter runs cmd.Start on a thread that never ends, for the
// parent-death signal follows the thread that made the child (see the
// package documentation), and a goroutine that returns while locked to its
// thread ends that thread. That is the main thread, if the caller runs on
// it (the runtime parks the main thread rather than end it), else the
// starter's. Starts on the starter are serialized, as forks already are
// (os/exec forks under syscall.ForkLock).
//
// The hop to the starter and back wakes two threads: 25 µs a start in a
// loop, 0.1 to 0.2 ms when the threads had gone idle, as between the starts
// of a program. A program's main goroutine, which starts its children
// before it ever blocks, is on the main thread, and starts there.
func startFromStarter(cmd *exec.Cmd) error {
	runtime.LockOSThread()
	onMain := unix.Gettid() == unix.Getpid()
	if onMain {
		err := cmd.Start()
		runtime.UnlockOSThread()
		return err
	}
	runtime.UnlockOSThread()
	starter.once.Do(func() {
		starter.starts = make(chan startRequest)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread must not end
			for r := range starter.starts {
				r.done <- r.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	starter.starts <- startRequest{cmd, done}
	return <-done
}

// close closes the child's pidfd, once the child has exited.
func (l *sysLaunch) close() error {
	if !l.hasChild {
		return nil
	}
	l.hasChild = false
	return l.child.close()
}

// waitReady waits for the ready eventfd and the child's pidfd, taken at
// start, which becomes readable when the child exits.
func (l *sysLaunch) waitReady(ctx context.Context, ready *sysHandle, cmd *exec.Cmd) error {
	return waitReadyOrExit(ctx, ready, &l.child, cmd.Process.Pid)
}
