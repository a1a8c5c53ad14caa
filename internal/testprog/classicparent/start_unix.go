//go:build unix

package main

import (
	"fmt"
	"os"
	"os/exec"
	"time"
)

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
