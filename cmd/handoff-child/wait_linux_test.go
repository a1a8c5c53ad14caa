//go:build linux && !handoff_pipe

package main

import (
	"encoding/binary"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// The fixtures of wait_test.go on Linux: an event is an eventfd, a lifeline
// a pidfd.

const wantEventType, wantLifelineType = "eventfd", "pidfd"

// newEvent returns an eventfd, set if set.
func newEvent(t *testing.T, set bool) object {
	t.Helper()
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
	f := fdFile(t, efd, err)
	if set {
		var one [8]byte
		binary.NativeEndian.PutUint64(one[:], 1)
		if _, err := unix.Write(efd, one[:]); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// newLifeline returns a pidfd of this process.
func newLifeline(t *testing.T) object {
	t.Helper()
	pfd, err := unix.PidfdOpen(os.Getpid(), 0)
	return fdFile(t, pfd, err)
}

func notEvents(t *testing.T) []decoy {
	t.Helper()
	var p [2]int
	err := unix.Pipe2(p[:], unix.O_CLOEXEC)
	r := fdFile(t, p[0], err)
	unix.Close(p[1])
	return []decoy{{"the read end of a pipe", r}, {"a pidfd", newLifeline(t)}}
}

func notLifelines(t *testing.T) []decoy {
	t.Helper()
	return []decoy{{"an eventfd", newEvent(t, true)}}
}
