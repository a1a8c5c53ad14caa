//go:build unix

package handoff

// The fixtures of TestSoak on Linux and the pipe backend: 1,000 handoffs
// from 4 goroutines, and every descriptor counts.

import "testing"

func init() {
	soakPlatform.n, soakPlatform.workers = 1000, 4
	soakPlatform.handles = func() []soakHandle {
		var hs []soakHandle
		for _, fd := range fuzzPlatform.open() {
			hs = append(hs, soakHandle{fd, fuzzPlatform.state(fd)})
		}
		return hs
	}
	soakPlatform.check = checkSameDescriptors
}

// checkSameDescriptors checks that the soak's parent had at the end
// exactly the descriptors it had after the warm-up.
func checkSameDescriptors(t *testing.T, r soakReport) {
	t.Helper()
	first, end := map[uintptr]bool{}, map[uintptr]bool{}
	for _, h := range r.First {
		first[h.Value] = true
	}
	for _, h := range r.End {
		end[h.Value] = true
		if !first[h.Value] {
			t.Errorf("descriptor %d (%s) is open at the end, not after the first %d", h.Value, h.What, soakWarmup)
		}
	}
	for _, h := range r.First {
		if !end[h.Value] {
			t.Errorf("descriptor %d (%s) was open after the first %d, not at the end", h.Value, h.What, soakWarmup)
		}
	}
}
