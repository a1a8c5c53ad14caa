//go:build (unix && !linux) || (linux && handoff_pipe)

package main

// pipeBackend tells that the handoff package was built with its pipe
// backend (macOS, the BSDs, Linux with -tags handoff_pipe), whose objects
// are pipes, FIFOs, sockets and POSIX shared memory.
const pipeBackend = true
