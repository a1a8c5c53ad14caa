//go:build !((unix && !linux) || (linux && handoff_pipe))

package main

// pipeBackend is false: the handoff package was built with a native
// backend (eventfd and pidfd on Linux, handles on Windows), not its pipe
// backend (backend_pipe.go).
const pipeBackend = false
