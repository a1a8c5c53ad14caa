//go:build !linux && !windows

package main

import (
	"errors"
	"fmt"
	"runtime"
)

var errUnsupported = fmt.Errorf("not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)

func stdio() (in, out, err uintptr)                    { return 0, 1, 2 }
func describe(uintptr) (string, bool, error)           { return "", false, errUnsupported }
func inheritable(uintptr, []uintptr) ([]handle, error) { return nil, errUnsupported }
