//go:build linux && !handoff_pipe

package handoff

// The lesson's classic child on Linux: it waits on the value it was given
// with a plain, blocking read(2) of the eventfd.

import (
	"encoding/binary"
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

func init() {
	registerHelper("classic-read", helperClassicRead)
}

// classicReport is what a "classic-read" child saw: whether the eventfd was
// non-blocking, then what its read returned.
type classicReport struct {
	Nonblock bool
	Count    uint64
	Err      string `json:",omitempty"`
}

// helperClassicRead (args {event}) reports the flag, then reads the eventfd
// with read(2), as a classic child does, and reports what it read.
func helperClassicRead(args []string) {
	fd, _ := strconv.Atoi(args[0])
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	r := classicReport{Nonblock: err == nil && flags&unix.O_NONBLOCK != 0}
	writeReport(os.Stdout, r)
	var b [8]byte
	if _, err := unix.Read(fd, b[:]); err != nil {
		r.Err = err.Error()
	}
	r.Count = binary.NativeEndian.Uint64(b[:])
	writeReport(os.Stdout, r)
}

// TestClassicChildBlocks: the event reaches a classic child in blocking
// mode, so its read waits for the parent's Set instead of returning EAGAIN
// at once; the parent's own Reset still does not block.
func TestClassicChildBlocks(t *testing.T) {
	ev := testEvent(t)
	h, out := helperCommand(t, "classic-read", "{event}")
	h.Pass("event", ev)
	if err := h.Start(); err != nil {
		t.Fatalf("Start() = %v", err)
	}
	first := readReport[classicReport](t, out)
	waitAsleep(t, h.Cmd.Process.Pid, "handoff.test")
	if err := ev.Set(); err != nil {
		t.Fatal(err)
	}
	second := readReport[classicReport](t, out)
	if err := h.Wait(); err != nil {
		t.Errorf("Wait() = %v", err)
	}
	if first.Nonblock || second.Err != "" || second.Count != 1 {
		t.Errorf("classic child: O_NONBLOCK %v, read %d, %q; want blocking, and 1 read once the parent set it", first.Nonblock, second.Count, second.Err)
	}
	if err := ev.Reset(); err != nil {
		t.Errorf("Reset() of the unset event = %v", err)
	}
}
