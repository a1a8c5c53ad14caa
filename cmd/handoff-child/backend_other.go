//go:build !((unix && !linux) || (linux && handoff_pipe))

package main

// pipeBackend tells that the handoff package was built with its pipe
// backend; see backend_pipe.go.
const pipeBackend = false
