//go:build unix

package handoff

import "os"

// kill ends the child p. A process it started lives on: Unix has no job.
func (l *sysLaunch) kill(p *os.Process) error { return p.Kill() }
