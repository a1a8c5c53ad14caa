//go:build !linux && !windows

package handoff

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"
)

const valueAlign = 1

var errUnsupported = fmt.Errorf("handoff: not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)

type sysHandle struct{}

func newEvent() (sysHandle, error)                          { return sysHandle{}, errUnsupported }
func (h *sysHandle) value() uintptr                         { return ^uintptr(0) }
func (h *sysHandle) close() error                           { return errUnsupported }
func (h *sysHandle) set() error                             { return errUnsupported }
func (h *sysHandle) reset() error                           { return errUnsupported }
func (h *sysHandle) wait(context.Context, *sysHandle) error { return errUnsupported }
func openInherited(string, kind) (sysHandle, error)         { return sysHandle{}, errUnsupported }

type sysLaunch struct{}

func (l *sysLaunch) prepare(*exec.Cmd, []*sysHandle, bool) ([]uintptr, error) {
	return nil, errUnsupported
}
func (l *sysLaunch) start(*exec.Cmd) error { return errUnsupported }
func (l *sysLaunch) close() error          { return nil }
