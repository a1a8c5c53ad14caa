package main

import (
	"errors"
	"io"
	"os"
)

// standardOutput returns the process's standard output, or, when the
// process was started with it closed, a writer that fails as a closed one
// does on Windows: Go's runtime on Unix opens /dev/null in its place, which
// would lose the output in silence.
func standardOutput() io.Writer {
	if os.Stdout == nil || stdoutClosedAtStart() {
		return closedWriter{}
	}
	return os.Stdout
}

type closedWriter struct{}

func (closedWriter) Write([]byte) (int, error) {
	return 0, errors.New("closed when the program started")
}
