//go:build (unix && !linux) || (linux && handoff_pipe)

package handoff

// Tests of the pipe backend (macOS, the BSDs; Linux with -tags handoff_pipe).
// Written with POSIX calls only, so that they run wherever the backend does.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	pipeBackend = true
	registerHelper("pipe-child", helperPipeChild)
	registerHelper("pipe-relay", helperPipeRelay, "open")
	parentEnd.modes = []string{"lifeline", "no-lifeline"}
	parentEnd.lifelineAlone = holdEventOpen
	registerHelper("hold-2s", func([]string) { time.Sleep(2 * time.Second) })
	helperStarts("parent", "hold-2s")
	fuzzPlatform.fixtures = pipeFuzzFixtures
	fuzzPlatform.state = pipeFDState
	fuzzPlatform.open = func() []uintptr {
		var fds []uintptr
		for _, fd := range listFDs() {
			fds = append(fds, uintptr(fd))
		}
		return fds
	}
}

// pipeReport is what a helper child observed, written as one JSON line.
type pipeReport struct {
	Pid, Ppid      int
	Event          int
	Lifeline       int
	EventDev       uint64
	EventIno       uint64
	CloexecIn      bool     // the event before OpenEvent
	CloexecOut     bool     // the event after OpenEvent
	LifelineIn     bool     // the lifeline before OpenLifeline
	LifelineOut    bool     // the lifeline after OpenLifeline
	Inherited      []string // every descriptor from 3 up without close-on-exec, at start
	Peer           int      // the lifeline's peer process
	SetErr         string   // Set on the event this child opened
	SetUnsupported bool     // SetErr wraps errors.ErrUnsupported
	Err            string   `json:",omitempty"`
	Sentinel       string   `json:",omitempty"`
	Elapsed        float64  // ms
	Woke           string   `json:",omitempty"`
	Pending        int      // bytes in the event's pipe after waking
}

// listFDs lists this process's open descriptors without the package's help:
// from /dev/fd where it lists them, else by fcntl on each number below 4096.
func listFDs() []int {
	var fds []int
	if d, err := os.Open("/dev/fd"); err == nil {
		names, _ := d.Readdirnames(-1)
		own := int(d.Fd())
		for _, name := range names {
			if fd, err := strconv.Atoi(name); err == nil && fd != own {
				fds = append(fds, fd)
			}
		}
		d.Close()
	}
	if len(fds) <= 3 { // FreeBSD without fdescfs lists only 0, 1 and 2
		fds = nil
		for fd := 0; fd < 4096; fd++ {
			if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
				fds = append(fds, fd)
			}
		}
	}
	slices.Sort(fds)
	return fds
}

// fdKind describes descriptor fd as "FIFO r", "FIFO w", "FIFO rw", "sock",
// "reg", ..., or "closed".
func fdKind(fd int) string {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return "closed"
	}
	kind := map[uint32]string{unix.S_IFIFO: "FIFO", unix.S_IFSOCK: "sock", unix.S_IFREG: "reg", unix.S_IFCHR: "chr", unix.S_IFDIR: "dir"}[uint32(st.Mode)&unix.S_IFMT]
	if kind == "FIFO" {
		fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
		kind += " " + map[int]string{unix.O_RDONLY: "r", unix.O_WRONLY: "w", unix.O_RDWR: "rw"}[fl&unix.O_ACCMODE]
	}
	return kind
}

// inheritable lists the descriptors from 3 up that this process got at
// exec, open and not close-on-exec (see inheritedAtExec), as "fd kind".
func inheritable() []string {
	var out []string
	for _, fd := range listFDs() {
		if fd >= 3 && inheritedAtExec(fd) {
			out = append(out, fmt.Sprintf("%d %s", fd, fdKind(fd)))
		}
	}
	return out
}

// helperPipeChild is a well-behaved child: it opens the event and the
// lifeline named by its arguments, reports what it saw, waits for the
// event, and reports how it woke.
func helperPipeChild(args []string) {
	r := pipeReport{Pid: os.Getpid(), Ppid: os.Getppid(), Inherited: inheritable()}
	r.Event, _ = strconv.Atoi(args[0])
	r.Lifeline, _ = strconv.Atoi(args[1])
	r.EventDev, r.EventIno = fstatID(r.Event)
	r.CloexecIn, r.LifelineIn = !inheritedAtExec(r.Event), !inheritedAtExec(r.Lifeline)
	fail := func(err error) {
		r.Err, r.Sentinel = err.Error(), sentinel(err)
		writeReport(os.Stdout, r)
		os.Exit(1)
	}
	ev, err := OpenEvent(args[0])
	if err != nil {
		fail(err)
	}
	parent, err := OpenLifeline(args[1])
	if err != nil {
		fail(err)
	}
	r.CloexecOut, r.LifelineOut = cloexecFlag(r.Event), cloexecFlag(r.Lifeline)
	r.Peer, _ = peerPid(r.Lifeline)
	if err := ev.Set(); err != nil {
		r.SetErr, r.SetUnsupported = err.Error(), errors.Is(err, errors.ErrUnsupported)
	}
	writeReport(os.Stdout, r)
	r.Woke, err = wokeBy(ev, parent)
	r.Pending, _ = unix.IoctlGetInt(r.Event, fionread)
	writeReport(os.Stdout, r)
	if err != nil {
		os.Exit(1)
	}
}

// helperPipeRelay starts "open - - lifeline 3" with its own descriptor 3
// passed on as 3, and relays the report: the socket's peer is then this
// process's parent, not the child's.
func helperPipeRelay([]string) {
	cmd := exec.Command(os.Args[0], "-", "-", "lifeline", "3")
	cmd.Env = helperEnv("open")
	cmd.ExtraFiles = []*os.File{os.NewFile(3, "lifeline")}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// fdSet returns this process's open descriptors.
func fdSet() map[int]bool {
	m := make(map[int]bool)
	for _, fd := range listFDs() {
		m[fd] = true
	}
	return m
}

// TestPipeHandoff runs the whole lesson and checks what the child saw: the
// read end of the parent's own pipe (same device and inode; the parent's
// bytes arrive), inherited and then made close-on-exec, a Unix socket whose
// peer is the parent, and no other descriptor from 3 up; the child cannot
// set the event; the parent gains only its end of the lifeline, until Wait.
func TestPipeHandoff(t *testing.T) {
	ev := testEvent(t)
	other := testEvent(t)
	// A decoy the parent could leak: a pipe without close-on-exec that is
	// not passed, as a library of the program's might make.
	var decoy [2]int
	if err := unix.Pipe(decoy[:]); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(decoy[0]); unix.Close(decoy[1]) })

	h, out := helperCommand(t, "pipe-child", "{event}", "{parent}")
	h.Pass("event", ev)
	before := fdSet()
	if err := h.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	var added []string
	for fd := range fdSet() {
		if !before[fd] {
			added = append(added, fmt.Sprintf("%d %s", fd, fdKind(fd)))
		}
	}
	// os/exec on Linux keeps a pidfd of the child in cmd.Process, which is
	// no pipe and no socket.
	if sockets := slices.DeleteFunc(slices.Clone(added), func(s string) bool { return !strings.HasSuffix(s, " sock") && !strings.Contains(s, "FIFO") }); len(sockets) != 1 || !strings.HasSuffix(sockets[0], " sock") {
		t.Errorf("parent gained %q in Start; want one socket, its end of the lifeline, and no pipe", added)
	}
	for _, fd := range []int{int(ev.Handle()), ev.h.w} {
		if !cloexecFlag(fd) {
			t.Errorf("parent's descriptor %d (%s) is not close-on-exec after Start", fd, fdKind(fd))
		}
	}

	// Two bytes, before the child waits: it sees exactly the parent's.
	if err := ev.Set(); err != nil {
		t.Fatal(err)
	}
	if err := ev.Set(); err != nil {
		t.Fatal(err)
	}
	r := readReport[pipeReport](t, out)
	if r.Err != "" {
		t.Fatalf("child: %s", r.Err)
	}
	checkPassedValues(t, h, r.Event, r.Lifeline)
	want := []string{fmt.Sprintf("%d FIFO r", r.Event), fmt.Sprintf("%d sock", r.Lifeline)}
	if !slices.Equal(r.Inherited, want) {
		t.Errorf("child inherited %q from 3 up, want %q: the event and the lifeline only", r.Inherited, want)
	}
	if r.CloexecIn || !r.CloexecOut || r.LifelineIn || !r.LifelineOut {
		t.Errorf("child: close-on-exec before and after Open: event %v %v, lifeline %v %v; want false, true", r.CloexecIn, r.CloexecOut, r.LifelineIn, r.LifelineOut)
	}
	dev, ino := fstatID(int(ev.Handle()))
	if r.EventDev != dev || r.EventIno != ino {
		t.Errorf("child's event is device %d inode %d; the parent's read end is %d %d", r.EventDev, r.EventIno, dev, ino)
	}
	if odev, oino := fstatID(int(other.Handle())); odev == dev && oino == ino {
		t.Errorf("two events have the same device and inode: the identity check proves nothing")
	}
	if r.Peer != os.Getpid() || r.Ppid != os.Getpid() {
		t.Errorf("child's lifeline peer is %d and its parent %d, want this process %d", r.Peer, r.Ppid, os.Getpid())
	}
	if !r.SetUnsupported {
		t.Errorf("child's Set on its read end = %q, want an error wrapping %v", r.SetErr, errors.ErrUnsupported)
	}

	r = readReport[pipeReport](t, out)
	if r.Woke != "signaled" || r.Pending != 2 {
		t.Errorf("child woke with %q and %d bytes in the pipe, want signaled and the parent's 2", r.Woke, r.Pending)
	}
	if err := h.Wait(); err != nil {
		t.Errorf("Wait: %v", err)
	}
	for fd := range fdSet() {
		if !before[fd] {
			t.Errorf("parent still has descriptor %d (%s) after Wait", fd, fdKind(fd))
		}
	}
}

// TestPipeLifelineNotParent: a Unix socket pair made by the grandparent,
// passed on by the parent, is refused as a lifeline: its peer is not the
// child's parent.
func TestPipeLifelineNotParent(t *testing.T) {
	pair, err := newSocketpair()
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pair[0])
	end := os.NewFile(uintptr(pair[1]), "lifeline")
	defer end.Close()
	cmd := exec.Command(os.Args[0])
	cmd.Env = helperEnv("pipe-relay")
	cmd.ExtraFiles = []*os.File{end}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("relay: %v", err)
	}
	var r pipeReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("report %q: %v", out, err)
	}
	if r.Sentinel != ErrParentGone.Error() || !strings.Contains(r.Err, "peer is pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("grandchild OpenLifeline of this process's socket = %q, want an error wrapping %q naming pid %d", r.Err, ErrParentGone, os.Getpid())
	}
}

// TestPipeEventEnds checks the read end alone, as a child holds it: it
// cannot Set; it is set while bytes wait in the pipe, even once the write
// end is closed; empty with no write end left, Wait reports the parent gone
// at once instead of waiting forever. And a pipe that is full is set.
func TestPipeEventEnds(t *testing.T) {
	ev := testEvent(t)
	fd, err := dupCloseOnExec(int(ev.Handle()))
	if err != nil {
		t.Fatal(err)
	}
	child := &Event{h: sysHandle{fd: fd, r: fd, w: -1}, objectState: made}
	defer child.Close()
	if err := child.Set(); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Set on the read end alone = %v, want an error wrapping %v", err, errors.ErrUnsupported)
	}
	short := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		return child.Wait(ctx)
	}
	if err := short(); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait on an unset event = %v, want %v", err, context.DeadlineExceeded)
	}
	// Fill the pipe: Set never blocks and never fails.
	for range 1 << 17 {
		if err := ev.Set(); err != nil {
			t.Fatalf("Set on a full pipe: %v", err)
		}
	}
	if err := short(); err != nil {
		t.Errorf("Wait on a full pipe = %v, want nil", err)
	}
	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
	if err := short(); err != nil {
		t.Errorf("Wait on a set event whose write end is closed = %v, want nil", err)
	}
	if err := child.Reset(); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	start := time.Now()
	if err := child.Wait(context.Background()); !errors.Is(err, ErrParentGone) {
		t.Errorf("Wait on an empty event with no write end = %v, want %v", err, ErrParentGone)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Wait took %v to see no write end left", d)
	}
}

// TestSharedMemoryKinds maps both ways the backend makes shared memory (the
// system's, and the file unlinked at once that macOS and the systems without
// shm_open get) twice each, as parent and child would, and checks that the
// child side recognizes each as shared memory and nothing else as such.
func TestSharedMemoryKinds(t *testing.T) {
	for _, way := range []struct {
		name string
		open func() (int, error)
	}{{"shmOpen", shmOpen}, {"tempMemory", tempMemory}} {
		t.Run(way.name, func(t *testing.T) {
			fd, err := way.open()
			if err != nil {
				t.Fatal(err)
			}
			h := sysHandle{fd: fd, r: -1, w: -1}
			defer h.close()
			if !cloexecFlag(fd) {
				t.Errorf("descriptor %d is not close-on-exec", fd)
			}
			if err := unix.Ftruncate(fd, 5000); err != nil {
				t.Fatal(err)
			}
			var st unix.Stat_t
			if err := unix.Fstat(fd, &st); err != nil {
				t.Fatal(err)
			}
			// On Linux a child takes only what is in /dev/shm for shared
			// memory: tempMemory is the fallback of other systems.
			if st.Nlink != 0 || !isSharedMemory(&st) && (way.name == "shmOpen" || runtime.GOOS != "linux") {
				t.Errorf("fstat: mode %#o, %d links: not shared memory without a name", st.Mode, st.Nlink)
			}
			a, err := mapMemory(&h)
			if err != nil {
				t.Fatal(err)
			}
			defer unmapMemory(a)
			b, err := mapMemory(&h)
			if err != nil {
				t.Fatal(err)
			}
			defer unmapMemory(b)
			if len(a) != 5000 || len(b) != 5000 {
				t.Errorf("mapped %d and %d bytes, want 5000", len(a), len(b))
			}
			copy(a[4990:], "across")
			if got := string(b[4990:4996]); got != "across" {
				t.Errorf("second mapping reads %q, want %q", got, "across")
			}
		})
	}
	file, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(file.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	if isSharedMemory(&st) {
		t.Errorf("the test binary, a regular file with a name, passes for shared memory")
	}
}

// TestOpenDescriptors checks both ways the backend finds the open
// descriptors against each other and against the test's own list: /dev/fd,
// where it lists them, and fcntl on each number below the limit, which
// alone runs on FreeBSD without fdescfs.
func TestOpenDescriptors(t *testing.T) {
	high, err := unix.FcntlInt(uintptr(os.Stdin.Fd()), unix.F_DUPFD, 900)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(high)
	unix.CloseOnExec(high)
	want := listFDs()
	if !slices.Contains(want, high) {
		t.Fatalf("the test's list %v lacks descriptor %d", want, high)
	}
	if got := scanDescriptors(0); !slices.Equal(got, want) {
		t.Errorf("scanDescriptors(0) = %v, want %v", got, want)
	}
	if got := scanDescriptors(high); slices.Contains(got, high) || !slices.Equal(got, want[:len(want)-1]) {
		t.Errorf("scanDescriptors(%d) = %v, want %v without %d", high, got, want, high)
	}
	if fds, ok := listDevFD(); ok {
		slices.Sort(fds)
		if !slices.Equal(fds, want) {
			t.Errorf("listDevFD() = %v, want %v", fds, want)
		}
	} else {
		t.Logf("/dev/fd does not list this process's descriptors here")
	}
}

// pipeFuzzFixtures makes descriptors that look inherited (no close-on-exec,
// recorded as open at start), from fuzzFixtureMin up: a pipe's read end
// (event), its write end, a FIFO open for reading and writing, a socket pair
// made by this process (a lifeline whose peer is not the parent), and a
// regular file. No lifeline can be accepted: its peer would have to be this
// process's parent. The record of what this process itself
// inherited, such as a fuzz worker's pipes, is emptied first.
func pipeFuzzFixtures(tb testing.TB) []fuzzFixture {
	tb.Helper()
	forgetInherited(tb)
	var fixtures []fuzzFixture
	add := func(name string, fd int, err error, event, lifeline error) {
		tb.Helper()
		fixtures = append(fixtures, unixFuzzFixture(tb, name, fd, err, event, lifeline,
			func(nfd int, st *unix.Stat_t) func() {
				inherited[nfd] = identify(st)
				return func() { delete(inherited, nfd) }
			},
			func(h uintptr, nfd int, st *unix.Stat_t) bool {
				var got unix.Stat_t
				return unix.Fstat(int(h), &got) == nil && identify(&got) == identify(st)
			}))
	}
	p, err := newPipe()
	add("a pipe's read end", p[0], err, nil, ErrWrongType)
	add("a pipe's write end", p[1], err, ErrWrongType, ErrWrongType)
	fifo := filepath.Join(tb.TempDir(), "fifo")
	fd := -1
	if err = unix.Mkfifo(fifo, 0o600); err == nil {
		fd, err = unix.Open(fifo, unix.O_RDWR|unix.O_CLOEXEC, 0)
	}
	add("a FIFO open for reading and writing", fd, err, ErrWrongType, ErrWrongType)
	s, err := newSocketpair()
	unix.Close(s[0])
	add("a socket pair's end made by this process", s[1], err, ErrWrongType, ErrParentGone)
	fd, err = unix.Open(os.Args[0], unix.O_RDONLY|unix.O_CLOEXEC, 0)
	add("a regular file", fd, err, ErrWrongType, ErrWrongType)
	return fixtures
}

// pipeFDState describes descriptor v: its flags and what it is.
func pipeFDState(v uintptr) string {
	if v > 1<<31-1 {
		return "no descriptor"
	}
	flags, err := unix.FcntlInt(v, unix.F_GETFD, 0)
	if err != nil {
		return err.Error()
	}
	dev, ino := fstatID(int(v))
	return fmt.Sprintf("flags %#x %s %d %d", flags, fdKind(int(v)), dev, ino)
}

// holdEventOpen is parentEnd.lifelineAlone of the pipe backend: there is no
// parent-death signal, but the event's pipe reports its last write end's
// close, which the parent's end is. A "hold-2s" process keeps a write end
// open for 2 s, so that only the lifeline can report the parent's end
// within the second the tests allow.
func holdEventOpen(_ *exec.Cmd, ev *Event) {
	holder := exec.Command(os.Args[0])
	holder.Env = helperEnv("hold-2s")
	fd, err := dupCloseOnExec(ev.h.w)
	if err != nil {
		panic(err)
	}
	w := os.NewFile(uintptr(fd), "event write end")
	defer w.Close()
	holder.ExtraFiles = []*os.File{w}
	if err := holder.Start(); err != nil {
		panic(err)
	}
}

// helperStarts adds to the helpers that the registered helper name starts
// itself: for a helper whose children depend on the platform.
func helperStarts(name string, starts ...string) {
	checkedHelpers[name] = append(checkedHelpers[name], starts...)
}
