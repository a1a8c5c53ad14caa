//go:build linux && handoff_pipe

package e2e

func init() { pipeBackend = true }
