package main

import (
	"errors"
	"io"
	"os"
)

// standardOutput returns the process's standard output, or, when Windows
// started the process without one (os.Stdout is nil), a writer that fails
// as a closed one does. On Unix, Go's runtime opens /dev/null, read-write,
// in place of a standard output closed at start; nothing tells it from a
// /dev/null the caller chose (Python's subprocess.DEVNULL, a service
// manager's), so the output goes there and is lost, as the caller asked.
func standardOutput() io.Writer {
	if os.Stdout == nil {
		return closedWriter{}
	}
	return os.Stdout
}

type closedWriter struct{}

func (closedWriter) Write([]byte) (int, error) {
	return 0, errors.New("closed when the program started")
}
