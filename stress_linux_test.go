//go:build linux && !handoff_pipe

package handoff

// Hardening tests (Linux): wrong values beyond TestOpenRefuses, and the
// fuzz fixtures. The faults (the parent or the child killed at each step, a
// child that hangs) are faults_test.go's, with their Linux fixtures in
// faults_linux_test.go.

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	registerHelper("open-more", helperOpenMore)
	registerHelper("sleep", func([]string) { time.Sleep(time.Minute) })
	fuzzPlatform.fixtures = linuxFuzzFixtures
	fuzzPlatform.state = fdState
	fuzzPlatform.open = openDescriptors
	trackedEnv = func(t *testing.T) func(helper string) []string {
		t.Helper()
		token := newToken(t)
		return func(helper string) []string { return tokenEnv(token, helper) }
	}
}

// --- 1. fuzz fixtures ----------------------------------------------------------

// linuxFuzzFixtures makes descriptors that look inherited (no close-on-exec),
// from fuzzFixtureMin up: an eventfd (event 900), a pidfd of this process's
// parent (lifeline 901), a pidfd of this process (902: not the parent), a
// regular file (903) and a socket (904). The record of what this process itself
// inherited, such as a fuzz worker's pipes, is emptied first, so that nothing
// else looks inherited.
func linuxFuzzFixtures(tb testing.TB) []fuzzFixture {
	tb.Helper()
	forgetInherited(tb)
	var fixtures []fuzzFixture
	add := func(name string, fd int, err error, event, lifeline error) {
		tb.Helper()
		fixtures = append(fixtures, unixFuzzFixture(tb, name, fd, err, event, lifeline,
			// Pretend the fixture was inherited: OpenEvent accepts only
			// descriptors open when the package was initialized.
			func(nfd int, _ *unix.Stat_t) func() {
				inherited[nfd] = identify(nfd)
				return func() { delete(inherited, nfd) }
			},
			func(h uintptr, nfd int, st *unix.Stat_t) bool {
				var got unix.Stat_t
				same, err := kcmpSame(os.Getpid(), int(h), os.Getpid(), nfd)
				return same && err == nil && unix.Fstat(int(h), &got) == nil && got.Dev == st.Dev && got.Ino == st.Ino
			}))
	}
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	add("an eventfd", fd, err, nil, ErrWrongType)
	fd, err = unix.PidfdOpen(os.Getppid(), 0)
	add("a pidfd of the parent", fd, err, ErrWrongType, nil)
	fd, err = unix.PidfdOpen(os.Getpid(), 0)
	add("a pidfd of this process", fd, err, ErrWrongType, ErrParentGone)
	fd, err = unix.Open(os.Args[0], unix.O_RDONLY|unix.O_CLOEXEC, 0)
	add("a regular file", fd, err, ErrWrongType, ErrWrongType)
	fd, err = unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	add("a socket", fd, err, ErrWrongType, ErrWrongType)
	return fixtures
}

// openDescriptors lists the descriptors open in this process.
func openDescriptors() []uintptr {
	entries, _ := os.ReadDir("/proc/self/fd")
	var fds []uintptr
	for _, e := range entries {
		if fd, err := strconv.ParseUint(e.Name(), 10, 31); err == nil {
			fds = append(fds, uintptr(fd))
		}
	}
	return fds
}

// fdState describes descriptor v: its flags and what /proc says it is.
func fdState(v uintptr) string {
	if v > math.MaxInt32 {
		return "no descriptor"
	}
	flags, err := unix.FcntlInt(v, unix.F_GETFD, 0)
	if err != nil {
		return err.Error()
	}
	target, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", v))
	return fmt.Sprintf("flags %#x %s", flags, target)
}

// --- 5. wrong values -------------------------------------------------------------

// helperOpenMore opens args[1] as args[0] ("event", "lifeline") and reports
// the error, like helperOpen; args[2] and args[3] are the values of the
// passed event and lifeline. A value starting with "own-", "closed-" or
// "reused-" first makes what it names, in the child:
//
//	own-eventfd        an eventfd without close-on-exec
//	own-timerfd        a timerfd without close-on-exec
//	own-socket         a socket without close-on-exec
//	own-file           a regular file without close-on-exec
//	own-pidfd-parent   a pidfd of the parent, made not close-on-exec
//	own-pidfd-self     a pidfd of the child itself, made not close-on-exec
//	own-pidfd-cloexec  a pidfd of the parent, close-on-exec
//	closed-lifeline    the lifeline, opened and closed
//	closed-3           descriptor 3 (inherited), closed
//	reused-event       the event's number after closing it, reused by an
//	                   eventfd of the child's own without close-on-exec
func helperOpenMore(args []string) {
	var r report
	value, err := openMoreValue(args[1], args[2], args[3])
	if err != nil {
		r.Err, r.Sentinel = "setup: "+err.Error(), "setup"
		writeReport(os.Stdout, r)
		return
	}
	start := time.Now()
	var h uintptr
	switch args[0] {
	case "lifeline":
		var l *Lifeline
		if l, err = OpenLifeline(value); err == nil {
			h = l.Handle()
		}
	case "memory":
		var m *SharedMemory
		if m, err = OpenSharedMemory(value); err == nil {
			h = m.Handle()
		}
	default:
		var ev *Event
		if ev, err = OpenEvent(value); err == nil {
			h = ev.Handle()
		}
	}
	r.Elapsed = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		r.Err, r.Sentinel = err.Error(), sentinel(err)
	} else {
		r.Event = int(h)
		r.EventType, _ = os.Readlink(fmt.Sprintf("/proc/self/fd/%d", h))
	}
	writeReport(os.Stdout, r)
}

func openMoreValue(spec, event, lifeline string) (string, error) {
	notCloexec := func(fd int, err error) (string, error) {
		if err != nil {
			return "", err
		}
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
			return "", err
		}
		return strconv.Itoa(fd), nil
	}
	switch spec {
	case "own-eventfd":
		return notCloexec(unix.Eventfd(0, 0))
	case "own-timerfd":
		return notCloexec(unix.TimerfdCreate(unix.CLOCK_MONOTONIC, 0))
	case "own-socket":
		return notCloexec(unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0))
	case "own-file":
		return notCloexec(unix.Open(os.Args[0], unix.O_RDONLY, 0))
	case "own-pidfd-parent":
		return notCloexec(unix.PidfdOpen(os.Getppid(), 0))
	case "own-pidfd-self":
		return notCloexec(unix.PidfdOpen(os.Getpid(), 0))
	case "own-pidfd-cloexec":
		fd, err := unix.PidfdOpen(os.Getppid(), 0)
		return strconv.Itoa(fd), err
	case "closed-lifeline":
		l, err := OpenLifeline(lifeline)
		if err != nil {
			return "", err
		}
		return lifeline, l.Close()
	case "closed-3":
		return "3", unix.Close(3)
	case "reused-event":
		ev, err := OpenEvent(event)
		if err != nil {
			return "", err
		}
		fd := int(ev.Handle())
		if err := ev.Close(); err != nil {
			return "", err
		}
		own, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
		if err != nil {
			return "", err
		}
		if own != fd { // usually it is: the lowest free number
			defer unix.Close(own)
			if err := unix.Dup3(own, fd, unix.O_CLOEXEC); err != nil {
				return "", err
			}
		}
		return notCloexec(fd, nil)
	}
	return spec, nil
}

// An extra is a descriptor the parent passes at 3 besides the event, as
// cmd.ExtraFiles[0]: inherited, not close-on-exec, but not an event or a
// lifeline.
type extra struct {
	what string
	make func(t *testing.T) *os.File
}

func (x *extra) file() func(t *testing.T) *os.File {
	if x == nil {
		return nil
	}
	return x.make
}

// extraFD makes extra fd (made close-on-exec, as it would be in a Go
// program: ExtraFiles are inherited all the same) closed at the end of t.
func extraFD(what string, open func() (int, error)) *extra {
	return &extra{what, func(t *testing.T) *os.File {
		t.Helper()
		fd, err := open()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		f := os.NewFile(uintptr(fd), what)
		t.Cleanup(func() { f.Close() })
		return f
	}}
}

// extraOpen is extraFD of a file os.Open opens.
func extraOpen(what string, name func(t *testing.T) string) *extra {
	return &extra{what, func(t *testing.T) *os.File {
		t.Helper()
		f, err := os.Open(name(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}}
}

// extraPidfd is a pidfd of another process: a child of this test that is
// still running (exited false) or has exited (exited true).
func extraPidfd(exited bool) *extra {
	what := "pidfd-of-sibling"
	if exited {
		what = "pidfd-of-exited"
	}
	return &extra{what, func(t *testing.T) *os.File {
		t.Helper()
		cmd := exec.Command(os.Args[0])
		cmd.Env = helperEnv("sleep")
		if exited {
			cmd.Env = helperEnv("exit-at-once")
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		fd, err := unix.PidfdOpen(cmd.Process.Pid, 0)
		if exited {
			cmd.Wait()
		} else {
			t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		}
		if err != nil {
			t.Fatalf("pidfd_open: %v", err)
		}
		f := os.NewFile(uintptr(fd), what)
		t.Cleanup(func() { f.Close() })
		return f
	}}
}

var (
	extraRegular = extraOpen("regular-file", func(*testing.T) string { return os.Args[0] })
	extraDevNull = extraOpen("dev-null", func(*testing.T) string { return os.DevNull })
)

// TestOpenRefusesMore hands the child the wrong values that TestOpenRefuses
// does not: inherited descriptors of every other kind, the child's own
// objects without close-on-exec, closed descriptors, and values beyond 31
// bits. Each must be refused with the right error within a second.
func TestOpenRefusesMore(t *testing.T) {
	socketpair := func() (int, error) {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return -1, err
		}
		unix.Close(fds[1])
		return fds[0], nil
	}
	pipe := func() (int, error) {
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
			return -1, err
		}
		unix.Close(p[1])
		return p[0], nil
	}
	tests := []struct {
		kind, value string
		extra       *extra // passed at fd 3; the event is then at 4
		want        error
	}{
		// Inherited, not close-on-exec, but of the wrong type.
		{"event", "3", extraRegular, ErrWrongType},
		{"lifeline", "3", extraRegular, ErrWrongType},
		{"event", "3", extraOpen("directory", func(t *testing.T) string { return t.TempDir() }), ErrWrongType},
		{"event", "3", extraDevNull, ErrWrongType},
		{"event", "3", extraFD("O_PATH", func() (int, error) { return unix.Open(os.Args[0], unix.O_PATH|unix.O_CLOEXEC, 0) }), ErrWrongType},
		{"event", "3", extraFD("unix-socket", socketpair), ErrWrongType},
		{"lifeline", "3", extraFD("udp-socket", func() (int, error) { return unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0) }), ErrWrongType},
		{"event", "3", extraFD("pipe", pipe), ErrWrongType},
		{"event", "3", extraFD("memfd", func() (int, error) { return unix.MemfdCreate("handoff-test", unix.MFD_CLOEXEC) }), ErrWrongType},
		{"event", "3", extraFD("timerfd", func() (int, error) { return unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_CLOEXEC) }), ErrWrongType},
		{"event", "3", extraFD("signalfd", func() (int, error) { return unix.Signalfd(-1, &unix.Sigset_t{}, unix.SFD_CLOEXEC) }), ErrWrongType},
		{"lifeline", "3", extraFD("epoll", func() (int, error) { return unix.EpollCreate1(unix.EPOLL_CLOEXEC) }), ErrWrongType},
		{"event", "3", extraFD("inotify", func() (int, error) { return unix.InotifyInit1(unix.IN_CLOEXEC) }), ErrWrongType},
		// Shared memory that is not handoff's: a memfd whose size is not
		// sealed, or sealed without F_SEAL_SEAL, or a regular file.
		{"memory", "3", extraFD("memfd-unsealed", memfdSealed(0)), ErrWrongType},
		{"memory", "3", extraFD("memfd-no-sealing", func() (int, error) { return unix.MemfdCreate("handoff-test", unix.MFD_CLOEXEC) }), ErrWrongType},
		{"memory", "3", extraFD("memfd-shrink-grow", memfdSealed(unix.F_SEAL_SHRINK|unix.F_SEAL_GROW)), ErrWrongType},
		{"memory", "3", extraFD("memfd-grow-seal", memfdSealed(unix.F_SEAL_GROW|unix.F_SEAL_SEAL)), ErrWrongType},
		{"memory", "3", extraRegular, ErrWrongType},
		// Pidfds that are not of the parent.
		{"lifeline", "3", extraPidfd(false), ErrParentGone},
		{"lifeline", "3", extraPidfd(true), ErrParentGone},
		{"lifeline", "3", extraFD("pidfd-of-init", func() (int, error) { return unix.PidfdOpen(1, 0) }), ErrParentGone},
		{"event", "3", extraPidfd(false), ErrWrongType},
		// The child's own objects, made without close-on-exec.
		{"event", "own-timerfd", nil, ErrNotInherited},
		{"event", "own-socket", nil, ErrNotInherited},
		{"event", "own-file", nil, ErrNotInherited},
		{"lifeline", "own-pidfd-self", nil, ErrNotInherited},
		{"lifeline", "own-eventfd", nil, ErrNotInherited},
		{"event", "own-pidfd-parent", nil, ErrNotInherited},
		{"lifeline", "own-pidfd-cloexec", nil, ErrNotInherited},
		// Closed.
		{"lifeline", "closed-lifeline", nil, ErrNotInherited},
		{"event", "closed-3", extraDevNull, ErrNotInherited},
		// Unused, and beyond 31 bits (values beyond 32 bits are ParseValue's: value_test.go).
		{"event", "1023", nil, ErrNotInherited},
		{"event", "1048576", nil, ErrNotInherited},
		{"event", "2147483647", nil, ErrNotInherited},
		{"event", "0x7FFFFFFF", nil, ErrNotInherited},
		{"event", "2147483648", nil, ErrNotInherited},
		{"lifeline", "2147483648", nil, ErrNotInherited},
		{"event", "0x80000000", nil, ErrNotInherited},
	}
	for _, tt := range tests {
		name := tt.kind + "=" + tt.value
		if tt.extra != nil {
			name += "/" + tt.extra.what
		}
		t.Run(name, func(t *testing.T) {
			r := openInChild(t, tt.kind, tt.value, tt.extra.file())
			if r.Sentinel != tt.want.Error() {
				t.Errorf("child %s(%q) = %q, want an error wrapping %q", openName(kindOf(tt.kind)), tt.value, r.Err, tt.want)
			}
			if r.Elapsed > 1000 {
				t.Errorf("child took %.1f ms to refuse %q, want < 1 s", r.Elapsed, tt.value)
			}
		})
	}
}

// memfdSealed returns a maker of a 4 KiB memfd that allows sealing, with
// seals added.
func memfdSealed(seals int) func() (int, error) {
	return func() (int, error) {
		fd, err := unix.MemfdCreate("handoff-test", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
		if err != nil {
			return -1, err
		}
		if err := unix.Ftruncate(fd, 4096); err != nil {
			unix.Close(fd)
			return -1, err
		}
		if seals != 0 {
			if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
				unix.Close(fd)
				return -1, err
			}
		}
		return fd, nil
	}
}

func kindOf(s string) kind {
	switch s {
	case "lifeline":
		return kindLifeline
	case "memory":
		return kindMemory
	}
	return kindEvent
}

// openInChild starts an "open-more" child that opens value as kind, with
// the event and the lifeline passed, and extra at 3 if not nil, and returns
// its report.
func openInChild(t *testing.T, kind, value string, x func(t *testing.T) *os.File) report {
	t.Helper()
	ev := testEvent(t)
	token := newToken(t)
	cmd := exec.Command(os.Args[0], kind, value, "{event}", "{parent}")
	cmd.Env = tokenEnv(token, "open-more")
	cmd.Stderr = os.Stderr
	if x != nil {
		cmd.ExtraFiles = []*os.File{x(t)}
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	h := Command(cmd)
	h.Pass("event", ev)
	if err := h.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	r := readReport[report](t, bufio.NewScanner(out))
	if err := h.Wait(); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if r.Sentinel == "setup" {
		t.Fatalf("child: %s", r.Err)
	}
	return r
}

// TestOpenRefusesOwnInheritable: an eventfd that the child made itself
// without close-on-exec is of the right type and not close-on-exec, yet not
// inherited; so is the number of an inherited event that the child closed
// and then reused. The flag and the type alone cannot tell them from an
// inherited one: OpenEvent also requires the descriptor to have been open,
// unchanged (fstat, and the eventfd-id of /proc/self/fdinfo), when the
// package was initialized.
func TestOpenRefusesOwnInheritable(t *testing.T) {
	tests := []struct{ kind, value string }{
		{"event", "own-eventfd"},
		{"event", "reused-event"},        // the inherited event closed, its number reused
		{"lifeline", "own-pidfd-parent"}, // harmless: it is a pidfd of the parent
	}
	for _, tt := range tests {
		t.Run(tt.kind+"="+tt.value, func(t *testing.T) {
			r := openInChild(t, tt.kind, tt.value, nil)
			if r.Sentinel == ErrNotInherited.Error() {
				return
			}
			t.Errorf("child %s(%q) = %q (accepted fd %d, %s), want an error wrapping %q",
				openName(kindOf(tt.kind)), tt.value, r.Err, r.Event, r.EventType, ErrNotInherited)
		})
	}
}
