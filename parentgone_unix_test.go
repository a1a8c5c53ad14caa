//go:build unix

package handoff

// The fixtures of the parent's-end tests on Linux and the pipe backend:
// the monotonic clock, and processes watched by pid.

import (
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	if parentEnd.watch == nil {
		parentEnd.watch = unixWatch
	}
}

// unixWatch watches process pid by polling running, and kills it at the
// end of the test.
func unixWatch(t *testing.T, _ string, pid int) procWatch {
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	running := func() bool { return running(pid) }
	return procWatch{running: running, wait: pollGone(running)}
}

// monotonic returns CLOCK_MONOTONIC in nanoseconds: the same clock in every
// process.
func monotonic() int64 {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return ts.Nano()
}

// tempDir is t.TempDir.
func tempDir(t *testing.T) string { return t.TempDir() }

// pollGone is a procWatch.wait for a platform that can only poll running.
func pollGone(running func() bool) func(time.Duration) (int64, bool) {
	return func(limit time.Duration) (int64, bool) {
		for end := time.Now().Add(limit); running(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(end) {
				return monotonic(), false
			}
		}
		return monotonic(), true
	}
}
