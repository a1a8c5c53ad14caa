//go:build !windows

package main

import "os"

// parentPID returns os.Getppid().
func parentPID() int { return os.Getppid() }
