//go:build !unix && !windows

package handoff

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
)

const valueAlign = 1

var errUnsupported = fmt.Errorf("handoff: not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)

type sysHandle struct{}

type objectID struct{}

func newEvent() (sysHandle, error)                          { return sysHandle{}, errUnsupported }
func (h *sysHandle) value() uintptr                         { return ^uintptr(0) }
func (h *sysHandle) close() error                           { return errUnsupported }
func (h *sysHandle) set() error                             { return errUnsupported }
func (h *sysHandle) reset() error                           { return errUnsupported }
func (h *sysHandle) wait(context.Context, *sysHandle) error { return errUnsupported }
func openInherited(string, kind) (sysHandle, error)         { return sysHandle{}, errUnsupported }
func newReady() (sysHandle, error)                          { return sysHandle{}, errUnsupported }
func newSemaphore(uint32) (sysHandle, error)                { return sysHandle{}, errUnsupported }
func (h *sysHandle) acquire(context.Context) error          { return errUnsupported }
func (h *sysHandle) release(uint32) error                   { return errUnsupported }
func (h *sysHandle) tryAcquire() (bool, error)              { return false, errUnsupported }
func newMemory(int) (sysHandle, error)                      { return sysHandle{}, errUnsupported }
func mapMemory(*sysHandle) ([]byte, error)                  { return nil, errUnsupported }
func unmapMemory([]byte) error                              { return nil }
func fileHandle(*os.File) (sysHandle, error)                { return sysHandle{}, errUnsupported }

type sysLaunch struct{}

func (l *sysLaunch) prepare(*exec.Cmd, []*sysHandle, bool) ([]uintptr, error) {
	return nil, errUnsupported
}
func (l *sysLaunch) start(*exec.Cmd) error  { return errUnsupported }
func (l *sysLaunch) close() error           { return nil }
func (l *sysLaunch) kill(*os.Process) error { return errUnsupported }
func (l *sysLaunch) waitReady(context.Context, *sysHandle, *exec.Cmd) error {
	return errUnsupported
}
