package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"time"

	"golang.org/x/sys/unix"
)

// newEvent returns an eventfd that is not close-on-exec, so every child
// inherits it.
func newEvent() (uintptr, error) {
	fd, err := unix.Eventfd(0, 0)
	if err != nil {
		return 0, os.NewSyscallError("eventfd", err)
	}
	return uintptr(fd), nil
}

func setEvent(h uintptr) error {
	var b [8]byte
	binary.NativeEndian.PutUint64(b[:], 1)
	_, err := unix.Write(int(h), b[:])
	return os.NewSyscallError("write", err)
}

// newLifeline returns a pidfd of this process that is not close-on-exec.
func newLifeline() (uintptr, error) {
	fd, err := unix.PidfdOpen(os.Getpid(), 0)
	if err != nil {
		return 0, os.NewSyscallError("pidfd_open", err)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
		return 0, os.NewSyscallError("fcntl", err)
	}
	return uintptr(fd), nil
}

type child struct {
	pid int
	cmd *exec.Cmd
}

// start forks and execs argv. os/exec leaves every descriptor that is not
// close-on-exec open in the child: the classic inherit-all.
func start(argv []string) (*child, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &child{cmd.Process.Pid, cmd}, nil
}

func (c *child) wait(timeout time.Duration) (int, error) {
	t := time.AfterFunc(timeout, func() { c.cmd.Process.Kill() })
	defer t.Stop()
	c.cmd.Wait()
	if !c.cmd.ProcessState.Exited() {
		return 0, fmt.Errorf("child %v", c.cmd.ProcessState)
	}
	return c.cmd.ProcessState.ExitCode(), nil
}
