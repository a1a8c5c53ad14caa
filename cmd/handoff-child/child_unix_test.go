//go:build unix

package main

import (
	"os"
	"testing"
)

// runChild runs the test binary as handoff-child with args, passing files as
// descriptors 3, 4, ..., and returns its output and exit code.
func runChild(t *testing.T, files []*os.File, args ...string) (stdout string, code int) {
	t.Helper()
	cmd := childCommand(args...)
	cmd.ExtraFiles = files
	return runCommand(t, cmd)
}
