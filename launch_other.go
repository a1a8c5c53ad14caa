//go:build !windows

package handoff

import "os/exec"

// childArgs returns the arguments the child reads its values from.
func childArgs(cmd *exec.Cmd) []string { return cmd.Args }

// fill fills placeholders that are neither in Cmd.Args nor in Cmd.Env:
// there are none outside Windows.
func (l *sysLaunch) fill(*exec.Cmd, func(string) string) {}

// wait waits for the child: Cmd.Wait, as the Cmd was started by Cmd.Start.
func (l *sysLaunch) wait(cmd *exec.Cmd) error { return cmd.Wait() }
