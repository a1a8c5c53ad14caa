//go:build linux && !handoff_pipe

package handoff

// The record of what a process inherited, on Linux: without /proc, and
// what it costs.

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestOpenWithoutProc: where /proc/self/fd cannot be read at init, an open
// says that /proc is missing, not that the descriptor was not open at
// start.
func TestOpenWithoutProc(t *testing.T) {
	record.Lock()
	saved, savedErr := inherited, record.err
	record.err = nil
	inherited = recordInherited(nil, &os.PathError{Op: "open", Path: "/proc/self/fd", Err: syscall.ENOENT})
	record.Unlock()
	t.Cleanup(func() {
		record.Lock()
		inherited, record.err = saved, savedErr
		record.Unlock()
	})
	_, err := OpenEvent("3")
	if err == nil || !strings.Contains(err.Error(), "without /proc (is it mounted?)") || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("OpenEvent without /proc = %v; want an error saying /proc is missing, wrapping ENOENT", err)
	}
}

// BenchmarkRecordInherited is what package init costs every program that
// imports the package: the record of what it inherited, from /proc/self/fd.
func BenchmarkRecordInherited(b *testing.B) {
	for b.Loop() {
		fds, err := procSelfFds()
		if err != nil {
			b.Fatal(err)
		}
		inheritedAtStart(fds, identify)
	}
}
