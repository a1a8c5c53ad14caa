//go:build linux && !handoff_pipe

package handoff

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// sysLaunch holds the descriptors that Start duplicates for the child.
type sysLaunch struct {
	files []*os.File
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

// start starts cmd after marking every descriptor of this process from 3 up
// close-on-exec, so that only cmd.ExtraFiles reach the child, and arranges
// for the child to be killed when this process dies: with Pdeathsig, from
// the starter thread (see startFromStarter).
func (l *sysLaunch) start(cmd *exec.Cmd) error {
	defer l.release()
	if err := closeOnExecFrom(3); err != nil {
		return err
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = new(syscall.SysProcAttr)
	}
	if cmd.SysProcAttr.Pdeathsig == 0 {
		cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	}
	return startFromStarter(cmd)
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

// startFromStarter runs cmd.Start on the starter's thread, which never
// ends, for the parent-death signal follows the thread that made the child
// (see the package documentation), and a goroutine that returns while
// locked to its thread ends that thread. Starts are serialized on it, as
// forks already are (os/exec forks under syscall.ForkLock).
func startFromStarter(cmd *exec.Cmd) error {
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

func (l *sysLaunch) close() error { return nil }

// waitReady waits for the ready eventfd and a pidfd of the child, which
// becomes readable when the child exits.
func (l *sysLaunch) waitReady(ctx context.Context, ready *sysHandle, cmd *exec.Cmd) error {
	fd, err := unix.PidfdOpen(cmd.Process.Pid, 0)
	if err != nil {
		return os.NewSyscallError("pidfd_open", err)
	}
	child := sysHandle{fd}
	defer child.close()
	return waitReadyOrExit(ctx, ready, &child, cmd.Process.Pid)
}

// closeOnExecFrom marks every descriptor from first up close-on-exec: with
// one close_range call where the kernel has CLOSE_RANGE_CLOEXEC (5.11), else
// one by one from /proc/self/fd.
func closeOnExecFrom(first int) error {
	switch err := unix.CloseRange(uint(first), ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err {
	case nil:
		return nil
	case unix.ENOSYS, unix.EINVAL:
		// Older kernel: fall back to /proc.
	default:
		return os.NewSyscallError("close_range", err)
	}
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return err
	}
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err != nil || fd < first {
			continue
		}
		unix.CloseOnExec(fd) // fails only for the directory's own, closed, descriptor
	}
	return nil
}
