package handoff

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// The fuzz targets of the child side: every parser of what a child is given.
// FuzzParseValue (value_test.go) checks the syntax alone; FuzzOpenEvent and
// FuzzOpenLifeline check that no string makes OpenEvent or OpenLifeline
// panic, hang, or accept anything but a handle that really looks inherited.
//
// A test process inherits no event and no lifeline, so a platform's test file
// may set fuzzPlatform to give the targets fixtures: handles of this process
// made to look inherited (on Linux: descriptors without close-on-exec), each
// with the answer OpenEvent and OpenLifeline must give for its value. Then a
// target also proves acceptance: the value of the right fixture must be
// accepted, as exactly that handle, made non-inheritable. Without fixtures
// (Windows, until handoff_windows_test.go sets fuzzPlatform) every value must
// be refused. Both targets also check ParseValue against strictValue, the
// same rules written another way.

// fuzzPlatform is what a platform's test file gives the fuzz targets.
var fuzzPlatform struct {
	// fixtures makes the fixtures, each time a fuzz target starts in a
	// process, and closes them when it ends (tb.Cleanup).
	fixtures func(tb testing.TB) []fuzzFixture
	// open lists the handles open in this process, the test's own (such as
	// the Go runtime's eventfd on Linux): each is a seed.
	open func() []uintptr
	// state describes what value names in this process now (open or not,
	// inheritable or not, the object), so that a refusal can be checked to
	// have left it alone. Nil: not checked.
	state func(value uintptr) string
}

// A fuzzFixture is a handle of the test process that looks inherited.
type fuzzFixture struct {
	name  string
	value uintptr
	// event and lifeline are the sentinel errors that OpenEvent and
	// OpenLifeline must return for value; nil means they must accept it.
	event, lifeline error
	// arm makes the handle look inherited again: Open made it
	// non-inheritable if it accepted it.
	arm func() error
	// same reports whether handle is this fixture's handle (the same
	// object, not just the same number); inheritable whether it is
	// inheritable now.
	same        func(handle uintptr) bool
	inheritable func() bool
}

// fuzzSeeds are the seeds of both targets, beyond the committed corpus in
// testdata/fuzz: each kind of bad value, values around the limits, and the
// standard handles.
var fuzzSeeds = []string{
	"", "0", "00", "0x", "0x0", "-1", "+3", " 3", "3 ", "3\x00", "0x3", "0X3",
	"1", "2", "3", "4", "7", "8", "1023", "1024", "12345",
	"2147483647", "2147483648", "4294967292", "0xFFFFFFFC", "4294967294",
	"4294967295", "0xFFFFFFFF", "4294967296", "0x100000000", "18446744073709551615",
	"abc", "٣", "４",
}

// FuzzOpenEvent: OpenEvent of any string returns within a second, accepts
// only the value of a fixture it must accept (as that very handle, made
// non-inheritable), refuses every other value with the right sentinel error,
// and leaves what a refused value names as it was.
func FuzzOpenEvent(f *testing.F) { fuzzOpen(f, kindEvent) }

// FuzzOpenLifeline is FuzzOpenEvent for OpenLifeline.
func FuzzOpenLifeline(f *testing.F) { fuzzOpen(f, kindLifeline) }

func fuzzOpen(f *testing.F, k kind) {
	var fixtures []fuzzFixture
	if fuzzPlatform.fixtures != nil {
		fixtures = fuzzPlatform.fixtures(f)
	}
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	if fuzzPlatform.open != nil {
		for _, v := range fuzzPlatform.open() {
			f.Add(FormatValue(v))
		}
	}
	for _, fx := range fixtures {
		f.Add(FormatValue(fx.value))
		f.Add(fmt.Sprintf("0x%x", fx.value))
		f.Add(fmt.Sprintf("0X%08X", fx.value))
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, fx := range fixtures {
			if err := fx.arm(); err != nil {
				t.Fatalf("fixture %s: %v", fx.name, err)
			}
		}
		// What s names, if anything: a fixture, or else something that
		// must be left as it is.
		var (
			fx     *fuzzFixture
			before string
		)
		v, perr := ParseValue(s)
		if perr == nil {
			for i := range fixtures {
				if fixtures[i].value == v {
					fx = &fixtures[i]
				}
			}
			if fuzzPlatform.state != nil {
				before = fuzzPlatform.state(v)
			}
		}

		if want, ok := strictValue(s); ok != (perr == nil) || ok && want != v {
			t.Fatalf("ParseValue(%q) = %d, %v; want %d, ok %v", s, v, perr, want, ok)
		}

		h, err := openWithin(t, k, s, time.Second)

		var want error // nil: must be accepted
		switch {
		case perr != nil:
			want = ErrBadValue
		case fx != nil && k == kindEvent:
			want = fx.event
		case fx != nil:
			want = fx.lifeline
		}
		if err == nil {
			switch {
			case fx == nil:
				t.Fatalf("%s(%q) = %d, nil; want an error: it names no handle that looks inherited", openName(k), s, h)
			case want != nil:
				t.Fatalf("%s(%q) = %d, nil; want an error wrapping %q (%s)", openName(k), s, h, want, fx.name)
			case !fx.same(h):
				t.Fatalf("%s(%q) = %d, nil; not the handle of %s", openName(k), s, h, fx.name)
			case fx.inheritable():
				t.Fatalf("%s(%q) accepted %s but left it inheritable", openName(k), s, fx.name)
			}
			return // not closed: the fixture is re-armed for the next input
		}
		switch {
		case want == nil && fx != nil:
			t.Fatalf("%s(%q) = %v; want %s accepted", openName(k), s, err, fx.name)
		case want != nil && !errors.Is(err, want):
			t.Fatalf("%s(%q) = %v; want an error wrapping %q", openName(k), s, err, want)
		case want == nil && !refusal(err, k):
			t.Fatalf("%s(%q) = %v; want an error wrapping one of the sentinel errors", openName(k), s, err)
		}
		if fuzzPlatform.state != nil && perr == nil {
			if after := fuzzPlatform.state(v); after != before {
				t.Fatalf("%s(%q) refused the value but changed what it names: %s, was %s", openName(k), s, after, before)
			}
		}
	})
}

// strictValue is ParseValue written another way, for the fuzz targets to
// check it against: decimal without a leading zero, or 0x/0X and hex digits;
// 1 to 0xFFFFFFFE; a multiple of valueAlign.
func strictValue(s string) (uintptr, bool) {
	digits, base := s, uint64(10)
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		digits, base = s[2:], 16
	}
	if digits == "" || base == 10 && digits[0] == '0' && len(digits) > 1 {
		return 0, false
	}
	var n uint64
	for _, c := range []byte(digits) {
		d := uint64(strings.IndexByte("0123456789abcdef", c|0x20)) // c|0x20 lowercases a letter
		if d >= base || c < '0' {
			return 0, false
		}
		if n = n*base + d; n > 0xFFFFFFFF {
			return 0, false
		}
	}
	if n == 0 || n == 0xFFFFFFFF || n%valueAlign != 0 {
		return 0, false
	}
	return uintptr(n), true
}

// openName names the function that opens kind k.
func openName(k kind) string {
	switch k {
	case kindLifeline:
		return "OpenLifeline"
	case kindMemory:
		return "OpenSharedMemory"
	}
	return "OpenEvent"
}

// refusal reports whether err is one of the errors Open of kind k may refuse
// a well-formed value with.
func refusal(err error, k kind) bool {
	return errors.Is(err, ErrNotInherited) || errors.Is(err, ErrWrongType) ||
		k == kindLifeline && errors.Is(err, ErrParentGone) ||
		fuzzPlatform.fixtures == nil && errors.Is(err, errors.ErrUnsupported)
}

// openWithin opens value as kind k, and fails the test if that takes longer
// than limit: a hang is reported, not waited out.
func openWithin(t *testing.T, k kind, value string, limit time.Duration) (uintptr, error) {
	t.Helper()
	type result struct {
		h   uintptr
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		if k == kindEvent {
			var ev *Event
			if ev, r.err = OpenEvent(value); r.err == nil {
				r.h = ev.Handle()
			}
		} else {
			var l *Lifeline
			if l, r.err = OpenLifeline(value); r.err == nil {
				r.h = l.Handle()
			}
		}
		done <- r
	}()
	timer := time.NewTimer(limit)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.h, r.err
	case <-timer.C:
		t.Fatalf("%s(%q) has not returned after %v", openName(k), value, limit)
		return 0, nil
	}
}
