//go:build unix

package handoff

// The fuzz fixtures' common part on Linux and the pipe backend: a
// descriptor copied where no other is, made to look inherited.

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// fuzzFixtureMin is where the fuzz fixtures are put: at the same numbers in
// every process, so that the committed seeds name them.
const fuzzFixtureMin = 900

// unixFuzzFixture makes a fuzzFixture of fd (opened with err): a copy at
// fuzzFixtureMin or above without close-on-exec (F_DUPFD, not
// F_DUPFD_CLOEXEC), which inherit makes the package take for inherited
// until the forget it returns; fd itself is closed. same reports whether
// handle h is the copy nfd, whose fstat is st.
func unixFuzzFixture(tb testing.TB, name string, fd int, err error, event, lifeline error,
	inherit func(nfd int, st *unix.Stat_t) (forget func()),
	same func(h uintptr, nfd int, st *unix.Stat_t) bool) fuzzFixture {
	tb.Helper()
	if err != nil {
		tb.Fatalf("fixture %s: %v", name, err)
	}
	nfd, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD, fuzzFixtureMin)
	unix.Close(fd)
	if err != nil {
		tb.Fatalf("fixture %s: fcntl(F_DUPFD): %v", name, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(nfd, &st); err != nil {
		unix.Close(nfd)
		tb.Fatalf("fixture %s: %v", name, err)
	}
	forget := inherit(nfd, &st)
	tb.Cleanup(func() {
		forget()
		unclaim(uintptr(nfd))
		unix.Close(nfd)
	})
	return fuzzFixture{
		name:     fmt.Sprintf("%s (fd %d)", name, nfd),
		value:    uintptr(nfd),
		event:    event,
		lifeline: lifeline,
		arm: func() error {
			// Open took it out of the record, and claimed its object.
			inherit(nfd, &st)
			unclaim(uintptr(nfd))
			_, err := unix.FcntlInt(uintptr(nfd), unix.F_SETFD, 0)
			return err
		},
		same:        func(h uintptr) bool { return int(h) == nfd && same(h, nfd, &st) },
		inheritable: func() bool { return !cloexecFlag(nfd) },
	}
}

// forgetInherited empties the record of what this process inherited until
// the end of tb, so that only the fixtures look inherited: not, say, a fuzz
// worker's pipes.
func forgetInherited(tb testing.TB) {
	record.Lock()
	saved := maps.Clone(inherited)
	clear(inherited)
	record.Unlock()
	tb.Cleanup(func() {
		record.Lock()
		maps.Copy(inherited, saved)
		record.Unlock()
	})
}

// unclaim forgets that value was opened, so that a fixture can be opened
// again once re-armed.
func unclaim(value uintptr) {
	claims.Lock()
	defer claims.Unlock()
	claims.list = slices.DeleteFunc(claims.list, func(c claimed) bool { return c.value == FormatValue(value) })
}
