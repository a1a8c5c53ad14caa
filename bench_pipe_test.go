//go:build (unix && !linux) || (linux && handoff_pipe)

package handoff

import (
	"errors"
	"testing"
)

// On the pipe backend (macOS, the BSDs; Linux with -tags handoff_pipe) the
// benchmarks of the built programs and of the C children do not run: the
// programs are built and compared natively on Linux and under Wine
// (bench_linux_test.go), and the C children speak eventfds and Windows
// events.

// startFailed reports whether err is a failure to start a process that
// running again may cure: none here.
func startFailed(error) bool { return false }

// gateProbes are none here: BenchmarkStartGate's probes are Linux's and
// Windows'.
var gateProbes []gateKind

// startSteps are none here: BenchmarkStartSteps skips.
var startSteps []startStep

// startFloor is unused here: BenchmarkStartSteps skips.
const startFloor = "bare"

// memoryChildren are none here: BenchmarkChildMemory skips first.
var memoryChildren []memoryChild

// benchPrograms skips: there are no built programs on this backend.
func benchPrograms(b *testing.B) string {
	b.Skip("no built programs on the pipe backend: BenchmarkChildMemory runs on Linux and Windows")
	return ""
}

func childPeak(string, []string) (int64, error) {
	return 0, errors.New("no peak memory on the pipe backend")
}
