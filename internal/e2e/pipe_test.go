//go:build linux && handoff_pipe

package e2e

// The same tests against the pipe backend's build.

func init() { pipeBackend = true }
