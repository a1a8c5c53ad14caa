//go:build !unix && !windows

package main

import (
	"errors"
	"fmt"
	"runtime"
	"time"
)

func wait(uintptr, time.Duration) error {
	return fmt.Errorf("not supported on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
