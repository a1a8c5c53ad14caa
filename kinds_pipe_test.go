//go:build linux && handoff_pipe

package handoff

import "testing"

// The pipe backend's fixture of TestSemaphore (kinds_test.go, built on
// Linux and Windows only).

// releasePastMax checks, on a semaphore at 0, what Release promises on the
// pipe backend: the FIFO holding the count bounds it, far below
// MaxSemaphore, and a release that does not fit is an error.
func releasePastMax(t *testing.T, sem *Semaphore) {
	t.Helper()
	if err := sem.Release(MaxSemaphore); err == nil {
		t.Fatalf("Release(MaxSemaphore) at 0 = nil error; a FIFO cannot hold that count")
	}
	if err := sem.Release(1); err == nil {
		t.Errorf("Release(1) on a full FIFO = nil error")
	}
}
