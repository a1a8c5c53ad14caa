//go:build !unix && !windows

package main

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

var errUnsupported = fmt.Errorf("not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)

type child struct{ pid int }

func newEvent() (uintptr, error)                 { return 0, errUnsupported }
func setEvent(uintptr) error                     { return errUnsupported }
func newLifeline() (uintptr, error)              { return 0, errUnsupported }
func start([]string) (*child, error)             { return nil, errUnsupported }
func (c *child) wait(time.Duration) (int, error) { return 0, errUnsupported }
