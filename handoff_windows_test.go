package handoff

// The whole handoff on Windows: what the child saw (handles, types,
// identity, inherit flags, job), the lifeline's end, the Event's semantics,
// Start's errors; and the Windows tests' common tools (probes, reports, pipes).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/handoff/handoff/internal/winapi"
	"golang.org/x/sys/windows"
)

func init() {
	registerHelper("child", helperChild)
}

// scanLimit bounds the handle values a probe tries: 4, 8, ... below it. The
// processes of these tests hold a few dozen handles; the probes check with
// SystemExtendedHandleInformation, where it is available, that no handle
// lies above the limit.
const scanLimit = 1 << 12

// helperTimeout bounds every wait of a test for a helper.
const helperTimeout = 30 * time.Second

// wakeTimeout bounds the waits that end within milliseconds when all is
// well, so that a broken product fails a test quickly.
const wakeTimeout = 5 * time.Second

// handleInfo is what a process sees of one of its handle values.
type handleInfo struct {
	Value   uintptr `json:"value"`
	Valid   bool    `json:"valid"` // GetHandleInformation succeeded
	Inherit bool    `json:"inherit"`
	Type    string  `json:"type,omitempty"`
}

func (hi handleInfo) String() string {
	if !hi.Valid {
		return fmt.Sprintf("%d(invalid)", hi.Value)
	}
	s := fmt.Sprintf("%d(%s", hi.Value, hi.Type)
	if hi.Inherit {
		s += ",inherit"
	}
	return s + ")"
}

// probe looks at handle value v in this process.
func probe(v uintptr) handleInfo {
	hi := handleInfo{Value: v}
	var flags uint32
	if winapi.GetHandleInformation(windows.Handle(v), &flags) != nil {
		return hi
	}
	hi.Valid = true
	hi.Inherit = flags&windows.HANDLE_FLAG_INHERIT != 0
	typ, err := winapi.ObjectType(windows.Handle(v))
	if err != nil {
		typ = "?" + err.Error()
	}
	hi.Type = typ
	return hi
}

// scanHandles probes every handle value 4, 8, ... below limit, as a probe
// child run on the real tool does, and returns the valid ones.
func scanHandles(limit uintptr) []handleInfo {
	var hs []handleInfo
	for v := uintptr(4); v < limit; v += 4 {
		if hi := probe(v); hi.Valid {
			hs = append(hs, hi)
		}
	}
	return hs
}

func inheritable(hs []handleInfo) []handleInfo {
	var out []handleInfo
	for _, hi := range hs {
		if hi.Inherit {
			out = append(out, hi)
		}
	}
	return out
}

func values(hs []handleInfo) []uintptr {
	vs := make([]uintptr, len(hs))
	for i, hi := range hs {
		vs[i] = hi.Value
	}
	return vs
}

// systemHandleEntry is SYSTEM_HANDLE_TABLE_ENTRY_INFO_EX.
type systemHandleEntry struct {
	Object                uintptr
	UniqueProcessID       uintptr
	HandleValue           uintptr
	GrantedAccess         uint32
	CreatorBackTraceIndex uint16
	ObjectTypeIndex       uint16
	HandleAttributes      uint32
	Reserved              uint32
}

// objInherit is OBJ_INHERIT in HandleAttributes.
const objInherit = 0x2

// systemHandles lists every handle of this process, with whether it is
// inheritable, from NtQuerySystemInformation(SystemExtendedHandleInformation):
// a complete list, unlike a scan, to check the scan against.
func systemHandles() ([]handleInfo, error) {
	entries, err := systemHandleEntries()
	if err != nil {
		return nil, err
	}
	self := uintptr(windows.GetCurrentProcessId())
	var hs []handleInfo
	for _, e := range entries {
		if e.UniqueProcessID == self {
			hs = append(hs, handleInfo{Value: e.HandleValue, Valid: true, Inherit: e.HandleAttributes&objInherit != 0})
		}
	}
	slices.SortFunc(hs, func(a, b handleInfo) int { return int(a.Value) - int(b.Value) })
	return hs, nil
}

// systemHandleEntries returns every handle of every process, from
// NtQuerySystemInformation(SystemExtendedHandleInformation).
func systemHandleEntries() ([]systemHandleEntry, error) {
	buf := make([]byte, 1<<16)
	for {
		var n uint32
		err := windows.NtQuerySystemInformation(windows.SystemExtendedHandleInformation, unsafe.Pointer(&buf[0]), uint32(len(buf)), &n)
		if err == windows.STATUS_INFO_LENGTH_MISMATCH && len(buf) < 1<<26 {
			buf = make([]byte, max(2*len(buf), int(n)+1<<12))
			continue
		}
		if err != nil {
			return nil, os.NewSyscallError("NtQuerySystemInformation", err)
		}
		break
	}
	// SYSTEM_HANDLE_INFORMATION_EX: NumberOfHandles, Reserved, Handles[].
	count := *(*uintptr)(unsafe.Pointer(&buf[0]))
	return slices.Clone(unsafe.Slice((*systemHandleEntry)(unsafe.Pointer(&buf[2*unsafe.Sizeof(uintptr(0))])), count)), nil
}

func stdHandles() [3]uintptr {
	var std [3]uintptr
	for i, n := range []uint32{windows.STD_INPUT_HANDLE, windows.STD_OUTPUT_HANDLE, windows.STD_ERROR_HANDLE} {
		h, _ := windows.GetStdHandle(n)
		std[i] = uintptr(h)
	}
	return std
}

// errName names the sentinel error that err wraps, for a report.
func errName(err error) string {
	if err == nil {
		return "nil"
	}
	for _, s := range []struct {
		err  error
		name string
	}{
		{ErrBadValue, "ErrBadValue"},
		{ErrNotInherited, "ErrNotInherited"},
		{ErrWrongType, "ErrWrongType"},
		{ErrParentGone, "ErrParentGone"},
		{context.DeadlineExceeded, "DeadlineExceeded"},
		{context.Canceled, "Canceled"},
	} {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	return "other"
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// emit writes v as one JSON line on stdout.
func emit(v any) {
	if err := json.NewEncoder(os.Stdout).Encode(v); err != nil {
		helperFatal("writing report: %v", err)
	}
}

// helperFatal ends a helper whose test setup failed.
func helperFatal(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "helper %s: %s\n", os.Getenv("HANDOFF_TEST_HELPER"), fmt.Sprintf(format, args...))
	os.Exit(3)
}

func envValue(name string) uintptr {
	v, err := strconv.ParseUint(os.Getenv(name), 10, 64)
	if err != nil {
		helperFatal("$%s: %v", name, err)
	}
	return uintptr(v)
}

// childReport is what the "child" helper saw before the event was set.
type childReport struct {
	Pid  int        `json:"pid"`
	Ppid int        `json:"ppid"`
	Std  [3]uintptr `json:"std"`

	// Every inheritable handle before OpenEvent: by a scan of the values
	// below scanLimit, and by SystemExtendedHandleInformation (SystemErr
	// says why not).
	Inheritable       []handleInfo `json:"inheritable"`
	SystemInheritable []uintptr    `json:"system_inheritable"`
	SystemMax         uintptr      `json:"system_max"`
	SystemErr         string       `json:"system_err,omitempty"`

	EventBefore handleInfo `json:"event_before"`
	EventErr    string     `json:"event_err"`
	EventMsg    string     `json:"event_msg,omitempty"`
	EventAfter  handleInfo `json:"event_after"`
	EventReopen string     `json:"event_reopen"` // OpenEvent of the same value again

	LifelineBefore handleInfo `json:"lifeline_before"`
	LifelineErr    string     `json:"lifeline_err"`
	LifelineMsg    string     `json:"lifeline_msg,omitempty"`
	LifelineAfter  handleInfo `json:"lifeline_after"`
	LifelinePid    uint32     `json:"lifeline_pid"`

	// Identity: the parent's own event handle and another event of the
	// parent, duplicated from the parent into this process, compared with
	// CompareObjectHandles to the handle that OpenEvent accepted.
	SameAsParentEvent bool   `json:"same_as_parent_event"`
	SameAsOtherEvent  bool   `json:"same_as_other_event"`
	IdentityErr       string `json:"identity_err,omitempty"`

	Decoy    handleInfo `json:"decoy"`
	DecoyErr string     `json:"decoy_err"`

	InJob           bool          `json:"in_job"`
	UnsetBefore     bool          `json:"unset_before"`
	DeadlineErr     string        `json:"deadline_err"`
	DeadlineElapsed time.Duration `json:"deadline_elapsed"`

	InheritableAfter []handleInfo `json:"inheritable_after"`
}

// wokeReport is what the "child" helper reports after its last wait.
type wokeReport struct {
	Err     string        `json:"err"`
	Msg     string        `json:"msg,omitempty"`
	Elapsed time.Duration `json:"elapsed"`
}

// helperChild is the child of a default handoff: args are {event} {parent};
// $HANDOFF_PARENT_EVENT, $HANDOFF_PARENT_OTHER and $HANDOFF_DECOY are handle
// values in the parent. It reports a childReport, waits for the event, and
// reports a wokeReport.
func helperChild(args []string) {
	if len(args) != 2 {
		helperFatal("want 2 arguments, have %q", args)
	}
	var r childReport
	r.Pid = os.Getpid()
	r.Ppid = os.Getppid()
	r.Std = stdHandles()
	all := scanHandles(scanLimit)
	r.Inheritable = inheritable(all)
	if sys, err := systemHandles(); err != nil {
		r.SystemErr = err.Error()
	} else {
		r.SystemInheritable = values(inheritable(sys))
		r.SystemMax = sys[len(sys)-1].Value
	}

	ev, _ := ParseValue(args[0])
	r.EventBefore = probe(ev)
	e, err := OpenEvent(args[0])
	r.EventErr, r.EventMsg = errName(err), errString(err)
	if err != nil {
		emit(r)
		return
	}
	defer e.Close()
	r.EventAfter = probe(ev)
	_, err = OpenEvent(args[0])
	r.EventReopen = errName(err)
	// The parent is the test, $HANDOFF_PARENT_PID.
	r.SameAsParentEvent, r.SameAsOtherEvent, err = sameAsParents(int(envValue("HANDOFF_PARENT_PID")), e,
		envValue("HANDOFF_PARENT_EVENT"), envValue("HANDOFF_PARENT_OTHER"))
	r.IdentityErr = errString(err)

	lv, _ := ParseValue(args[1])
	r.LifelineBefore = probe(lv)
	l, err := OpenLifeline(args[1])
	r.LifelineErr, r.LifelineMsg = errName(err), errString(err)
	if err != nil {
		emit(r)
		return
	}
	defer l.Close()
	r.LifelineAfter = probe(lv)
	r.LifelinePid, _ = windows.GetProcessId(windows.Handle(l.Handle()))

	decoy := envValue("HANDOFF_DECOY")
	r.Decoy = probe(decoy)
	_, err = OpenEvent(FormatValue(decoy))
	r.DecoyErr = errName(err)

	if err := winapi.IsProcessInJob(windows.CurrentProcess(), 0, &r.InJob); err != nil {
		helperFatal("IsProcessInJob: %v", err)
	}
	s, _ := windows.WaitForSingleObject(windows.Handle(e.Handle()), 0)
	r.UnsetBefore = s == uint32(windows.WAIT_TIMEOUT)

	// The parent lives and sets the event only after this report: the
	// wait must end at its deadline.
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	err = e.WaitParent(ctx, l)
	cancel()
	r.DeadlineErr, r.DeadlineElapsed = errName(err), time.Since(start)

	r.InheritableAfter = inheritable(scanHandles(scanLimit))
	emit(r)

	start = time.Now()
	ctx, cancel = context.WithTimeout(context.Background(), wakeTimeout)
	err = e.WaitParent(ctx, l)
	cancel()
	emit(wokeReport{Err: errName(err), Msg: errString(err), Elapsed: time.Since(start)})
}

// sameAsParents duplicates the parent's handle values parentEvent and
// parentOther into this process and reports whether each names the same
// object as e.
func sameAsParents(parentPid int, e *Event, parentEvent, parentOther uintptr) (same, other bool, err error) {
	parent, err := windows.OpenProcess(windows.PROCESS_DUP_HANDLE, false, uint32(parentPid))
	if err != nil {
		return false, false, os.NewSyscallError("OpenProcess", err)
	}
	defer windows.CloseHandle(parent)
	compare := func(v uintptr) (bool, error) {
		var dup windows.Handle
		err := windows.DuplicateHandle(parent, windows.Handle(v), windows.CurrentProcess(), &dup, 0, false, windows.DUPLICATE_SAME_ACCESS)
		if err != nil {
			return false, os.NewSyscallError("DuplicateHandle", err)
		}
		defer windows.CloseHandle(dup)
		return winapi.CompareObjectHandles(dup, windows.Handle(e.Handle())), nil
	}
	if same, err = compare(parentEvent); err != nil {
		return false, false, err
	}
	other, err = compare(parentOther)
	return same, other, err
}

// mustOpen opens a helper child's event args[0] and lifeline args[1], and
// ends the child if either fails.
func mustOpen(args []string) (*Event, *Lifeline) {
	e, err := OpenEvent(args[0])
	if err != nil {
		helperFatal("%v", err)
	}
	l, err := OpenLifeline(args[1])
	if err != nil {
		helperFatal("%v", err)
	}
	return e, l
}

// helperCommand returns a command that runs the named helper.
func helperCommand(helper string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = helperEnv(helper)
	return cmd
}

// lockedBuffer is a bytes.Buffer for a child's stderr, read while the child
// may still write.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// reports returns the lines that r delivers, one at a time.
func reports(r io.Reader) <-chan []byte {
	ch := make(chan []byte)
	go func() {
		defer close(ch)
		s := bufio.NewScanner(r)
		s.Buffer(nil, 1<<20)
		for s.Scan() {
			ch <- slices.Clone(s.Bytes())
		}
	}()
	return ch
}

// readReport decodes the next line from lines into v, which must come
// within timeout.
func readReport(t *testing.T, lines <-chan []byte, v any, timeout time.Duration) {
	t.Helper()
	select {
	case line, ok := <-lines:
		if !ok {
			t.Fatalf("helper ended its output before reporting %T", v)
		}
		if err := json.Unmarshal(line, v); err != nil {
			t.Fatalf("helper report %q: %v", line, err)
		}
	case <-time.After(timeout):
		t.Fatalf("no %T from the helper after %v", v, timeout)
	}
}

// pipe returns an os.Pipe whose handles are not inheritable. os.Pipe's are
// (syscall.Pipe makes them so on Windows), and os/exec's StdoutPipe and
// the pipe it makes for a Stderr that is not a file would leave the parent
// holding inheritable read ends, which would hide what Start leaves behind.
// The child still gets its ends: os/exec makes inheritable duplicates of
// them for the launch.
func pipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []*os.File{r, w} {
		if err := windows.SetHandleInformation(windows.Handle(f.Fd()), windows.HANDLE_FLAG_INHERIT, 0); err != nil {
			t.Fatalf("SetHandleInformation: %v", err)
		}
	}
	return r, w
}

// startHandoff starts h, whose Cmd must not have Stdout or Stderr set, and
// returns the lines of the child's stdout. It creates no inheritable handle
// in this process other than what Start does. A cleanup kills the child if
// the test did not wait for it, and logs its stderr if the test failed.
func startHandoff(t *testing.T, h *Handoff) (lines <-chan []byte, waited *bool) {
	t.Helper()
	outR, outW := pipe(t)
	errR, errW := pipe(t)
	h.Cmd.Stdout, h.Cmd.Stderr = outW, errW
	err := h.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		t.Fatalf("Start() = %v", err)
	}
	stderr := new(lockedBuffer)
	copied := make(chan struct{})
	go func() {
		io.Copy(stderr, errR)
		errR.Close()
		close(copied)
	}()
	waited = new(bool)
	t.Cleanup(func() {
		if !*waited {
			h.Cmd.Process.Kill()
			h.Wait()
		}
		outR.Close()
		<-copied
		if t.Failed() {
			t.Logf("child's stderr:\n%s", stderr)
		}
	})
	return reports(outR), waited
}

// tempDir is t.TempDir for Wine 8, where the os.RemoveAll of t.TempDir's
// cleanup fails ("unlinkat ...: Invalid function": Wine answers
// NtSetInformationFile(FileDispositionInformationEx) with
// STATUS_NOT_IMPLEMENTED, on which Go does not fall back), but os.Remove
// works.
func tempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "handoff-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			os.Remove(filepath.Join(dir, e.Name()))
		}
		if err := os.Remove(dir); err != nil {
			t.Errorf("removing the test's temporary directory: %v", err)
		}
	})
	return dir
}

// newInheritableEvent creates an event as the classic sample does: with an
// inheritable handle, which any CreateProcess with bInheritHandles=TRUE and
// no handle list hands to the child.
func newInheritableEvent(t *testing.T) windows.Handle {
	t.Helper()
	sa := &windows.SecurityAttributes{Length: uint32(unsafe.Sizeof(windows.SecurityAttributes{})), InheritHandle: 1}
	h, err := windows.CreateEvent(sa, 1, 0, nil)
	if err != nil {
		t.Fatalf("CreateEvent(inheritable) = %v", err)
	}
	t.Cleanup(func() { windows.CloseHandle(h) })
	return h
}

// ownInheritable returns this process's inheritable handles and how many
// job handles it holds.
func ownInheritable(t *testing.T) (inh []handleInfo, jobs int) {
	t.Helper()
	for _, hi := range scanHandles(scanLimit) {
		if hi.Inherit {
			inh = append(inh, hi)
		}
		if hi.Type == "Job" {
			jobs++
		}
	}
	return inh, jobs
}

// TestCompareObjectHandles checks the tool that TestHandoff proves identity
// with: CompareObjectHandles, which Wine implements, must tell the same
// object from another one.
func TestCompareObjectHandles(t *testing.T) {
	t.Parallel()
	a, b := testEvent(t), testEvent(t)
	var dup windows.Handle
	if err := windows.DuplicateHandle(windows.CurrentProcess(), windows.Handle(a.Handle()), windows.CurrentProcess(), &dup, 0, false, windows.DUPLICATE_SAME_ACCESS); err != nil {
		t.Fatal(err)
	}
	defer windows.CloseHandle(dup)
	ha, hb := windows.Handle(a.Handle()), windows.Handle(b.Handle())
	for _, c := range []struct {
		name   string
		h1, h2 windows.Handle
		want   bool
	}{
		{"same handle", ha, ha, true},
		{"duplicate", ha, dup, true},
		{"other event", ha, hb, false},
		{"duplicate and other", dup, hb, false},
	} {
		if got := winapi.CompareObjectHandles(c.h1, c.h2); got != c.want {
			t.Errorf("%s: winapi.CompareObjectHandles(%d, %d) = %v, want %v", c.name, c.h1, c.h2, got, c.want)
		}
	}
}

// handoffRun is a default handoff to the "child" helper, started.
type handoffRun struct {
	h                  *Handoff
	ev                 *Event
	evValue, lifeValue uintptr        // the child's values
	decoy              windows.Handle // an inheritable event, not passed
	lines              <-chan []byte
	waited             *bool
	started            time.Time
}

// startChild starts a default handoff of a new event to the "child" helper,
// with an inheritable decoy event in this process that is not passed. If
// before is not nil, it is called after the events are made and before
// Start.
func startChild(t *testing.T, before func()) *handoffRun {
	t.Helper()
	run := &handoffRun{ev: testEvent(t), decoy: newInheritableEvent(t)}
	other := testEvent(t)
	if before != nil {
		before()
	}
	cmd := helperCommand("child", "{event}", "{parent}")
	cmd.Env = append(cmd.Env,
		"HANDOFF_PARENT_PID="+strconv.Itoa(os.Getpid()),
		"HANDOFF_PARENT_EVENT="+FormatValue(run.ev.Handle()),
		"HANDOFF_PARENT_OTHER="+FormatValue(other.Handle()),
		"HANDOFF_DECOY="+FormatValue(uintptr(run.decoy)))
	run.h = Command(cmd)
	run.h.Pass("event", run.ev)
	run.started = time.Now()
	run.lines, run.waited = startHandoff(t, run.h)
	var ok bool
	if run.evValue, ok = run.h.Value("event"); !ok {
		t.Fatal(`Value("event") not known after Start`)
	}
	if run.lifeValue, ok = run.h.Value(LifelineName); !ok {
		t.Fatalf("Value(%q) not known after Start", LifelineName)
	}
	if want := []string{os.Args[0], FormatValue(run.evValue), FormatValue(run.lifeValue)}; !slices.Equal(cmd.Args, want) {
		t.Errorf("Args after Start = %q, want %q", cmd.Args, want)
	}
	return run
}

// checkChild reads the child's report and checks that it received exactly
// the event and the lifeline, inheritable, the parent's own objects, and
// made them not inheritable; then sets the event and checks that the child
// woke and exited 0.
func (run *handoffRun) checkChild(t *testing.T) {
	t.Helper()
	var r childReport
	readReport(t, run.lines, &r, helperTimeout)
	t.Logf("child: %d inheritable handles before OpenEvent: %v; std %v; event %v lifeline %v; decoy %v",
		len(r.Inheritable), r.Inheritable, r.Std, r.EventBefore, r.LifelineBefore, r.Decoy)
	// The child's parent, as the system sees it, is the process that
	// started it: no process stands between the two.
	if r.Ppid != os.Getpid() {
		t.Errorf("child's parent = %d, want the test %d", r.Ppid, os.Getpid())
	}

	// Exactly the standard handles, the event and the lifeline were
	// inherited: the decoy, inheritable in the parent, was not.
	want := []uintptr{r.Std[0], r.Std[1], r.Std[2], run.evValue, run.lifeValue}
	slices.Sort(want)
	if got := values(r.Inheritable); !slices.Equal(got, want) {
		t.Errorf("child's inheritable handles = %v, want %v (std %v, event %d, lifeline %d)",
			r.Inheritable, want, r.Std, run.evValue, run.lifeValue)
	}
	if r.SystemErr != "" {
		t.Logf("SystemExtendedHandleInformation: %s; the scan is not cross-checked", r.SystemErr)
	} else {
		if !slices.Equal(r.SystemInheritable, values(r.Inheritable)) {
			t.Errorf("child's inheritable handles by SystemExtendedHandleInformation = %v, by scan %v", r.SystemInheritable, values(r.Inheritable))
		}
		if r.SystemMax >= scanLimit {
			t.Errorf("child holds handle %d, beyond the scan's limit %d", r.SystemMax, scanLimit)
		}
	}

	// The event: inherited, an Event, the parent's very object, and no
	// longer inheritable once accepted.
	if r.EventErr != "nil" {
		t.Fatalf("child: OpenEvent(%q) = %s (%s), want nil", FormatValue(run.evValue), r.EventErr, r.EventMsg)
	}
	if !r.EventBefore.Inherit || r.EventBefore.Type != "Event" {
		t.Errorf("child's event before OpenEvent: %v, want an inheritable Event", r.EventBefore)
	}
	if !r.EventAfter.Valid || r.EventAfter.Inherit || r.EventAfter.Type != "Event" {
		t.Errorf("child's event after OpenEvent: %v, want a valid Event, not inheritable", r.EventAfter)
	}
	if r.EventReopen != "ErrNotInherited" {
		t.Errorf("child: second OpenEvent(%q) = %s, want ErrNotInherited", FormatValue(run.evValue), r.EventReopen)
	}
	if r.IdentityErr != "" {
		t.Fatalf("child: identity check: %s", r.IdentityErr)
	}
	if !r.SameAsParentEvent {
		t.Fatalf("child: CompareObjectHandles(parent's event, received event) = false, want true")
	}
	if r.SameAsOtherEvent {
		t.Errorf("child: CompareObjectHandles(parent's other event, received event) = true, want false")
	}

	// The lifeline: an inheritable handle to this process, no longer
	// inheritable once accepted.
	if r.LifelineErr != "nil" {
		t.Fatalf("child: OpenLifeline(%q) = %s (%s), want nil", FormatValue(run.lifeValue), r.LifelineErr, r.LifelineMsg)
	}
	if !r.LifelineBefore.Inherit || r.LifelineBefore.Type != "Process" {
		t.Errorf("child's lifeline before OpenLifeline: %v, want an inheritable Process", r.LifelineBefore)
	}
	if !r.LifelineAfter.Valid || r.LifelineAfter.Inherit {
		t.Errorf("child's lifeline after OpenLifeline: %v, want valid, not inheritable", r.LifelineAfter)
	}
	if int(r.LifelinePid) != os.Getpid() {
		t.Errorf("child's lifeline names process %d, want its parent, the test %d", r.LifelinePid, os.Getpid())
	}
	wantAfter := []uintptr{r.Std[0], r.Std[1], r.Std[2]}
	slices.Sort(wantAfter)
	if got := values(r.InheritableAfter); !slices.Equal(got, wantAfter) {
		t.Errorf("child's inheritable handles after opening = %v, want only std %v", r.InheritableAfter, wantAfter)
	}

	// The decoy's value names nothing inherited in the child.
	if r.DecoyErr != "ErrNotInherited" || r.Decoy.Inherit {
		t.Errorf("child: decoy %d: %v, OpenEvent = %s, want not inheritable and ErrNotInherited", run.decoy, r.Decoy, r.DecoyErr)
	}

	if !r.InJob {
		t.Errorf("child is in no job")
	}
	if !r.UnsetBefore {
		t.Errorf("child's event was set before the parent set it")
	}
	if r.DeadlineErr != "DeadlineExceeded" || r.DeadlineElapsed < 100*time.Millisecond || r.DeadlineElapsed > time.Second {
		t.Errorf("child: WaitParent(100ms deadline) = %s after %v, want DeadlineExceeded after 100ms", r.DeadlineErr, r.DeadlineElapsed)
	}

	if err := run.ev.Set(); err != nil {
		t.Fatalf("Set() = %v", err)
	}
	set := time.Now()
	var w wokeReport
	readReport(t, run.lines, &w, wakeTimeout)
	if w.Err != "nil" {
		t.Errorf("child: WaitParent after Set = %s (%s), want nil", w.Err, w.Msg)
	}
	*run.waited = true
	if err := run.h.Wait(); err != nil {
		t.Errorf("Wait() = %v", err)
	}
	t.Logf("child reported %v after Start, woke %v after Set (its wait: %v)", set.Sub(run.started), time.Since(set), w.Elapsed)
}

// inheritableHandoffObjects returns, described, the inheritable handles of
// this process that are objects of run's handoff, by identity: the passed
// event (CompareObjectHandles), the lifeline (a Process handle on this
// process) and its job (CompareObjectHandles).
func inheritableHandoffObjects(run *handoffRun) []string {
	var found []string
	for _, hi := range inheritable(scanHandles(scanLimit)) {
		h := windows.Handle(hi.Value)
		switch {
		case winapi.CompareObjectHandles(h, windows.Handle(run.ev.Handle())):
			found = append(found, fmt.Sprintf("%v is the passed event, inheritable", hi))
		case run.h.sys.job != 0 && winapi.CompareObjectHandles(h, run.h.sys.job):
			found = append(found, fmt.Sprintf("%v is the child's job, inheritable", hi))
		case hi.Type == "Process":
			if pid, err := windows.GetProcessId(h); err == nil && int(pid) == os.Getpid() {
				found = append(found, fmt.Sprintf("%v is a handle on this process, as the lifeline, inheritable", hi))
			}
		}
	}
	return found
}

// TestHandoff runs the default handoff and checks, in the parent, that
// Start left nothing inheritable behind, and in the child, that it received
// exactly the event and the lifeline, inheritable, the parent's own
// objects, and made them not inheritable. Not parallel: it compares this
// process's handle table before and after Start.
func TestHandoff(t *testing.T) {
	var before []handleInfo
	var jobsBefore int
	run := startChild(t, func() { before, jobsBefore = ownInheritable(t) })

	// The parent after Start: its own handle was never made inheritable,
	// and the inheritable duplicates are gone.
	if hi := probe(run.ev.Handle()); !hi.Valid || hi.Inherit || hi.Type != "Event" {
		t.Errorf("parent's event after Start: %v, want a valid, not inheritable Event", hi)
	}
	// The values passed to the child were the duplicates', closed since:
	// in this process the same numbers may name anything now (under Wine
	// 10, the test's own inheritable standard handles). What Windows lets
	// the test check is by identity: no inheritable handle of this process
	// is the passed event, a handle on this process (what the lifeline
	// is), or the job.
	for _, leak := range inheritableHandoffObjects(run) {
		t.Errorf("parent after Start: %s", leak)
	}
	after, jobsAfter := ownInheritable(t)
	if !slices.Equal(after, before) {
		t.Errorf("parent's inheritable handles after Start = %v, want %v as before", after, before)
	}
	if jobsAfter != jobsBefore+1 {
		t.Errorf("parent holds %d job handles after Start, want %d (the child's job)", jobsAfter, jobsBefore+1)
	}

	run.checkChild(t)
	if _, jobs := ownInheritable(t); jobs != jobsBefore {
		t.Errorf("parent holds %d job handles after Wait, want %d", jobs, jobsBefore)
	}
}

// TestHandoffConcurrent runs default handoffs side by side: each child must
// get its own event and lifeline and nothing of its siblings', such as the
// inheritable copies of their standard handles that os/exec makes for each
// launch.
func TestHandoffConcurrent(t *testing.T) {
	t.Parallel()
	for i := range 6 {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			startChild(t, nil).checkChild(t)
		})
	}
}

// TestEventWindows checks the manual-reset semantics of an Event in one process.
func TestEventWindows(t *testing.T) {
	t.Parallel()
	e := testEvent(t)
	h := windows.Handle(e.Handle())
	if hi := probe(uintptr(h)); !hi.Valid || hi.Inherit || hi.Type != "Event" {
		t.Fatalf("NewEvent's handle: %v, want a valid Event, not inheritable", hi)
	}

	timeout := func(t *testing.T, name string) {
		t.Helper()
		const d = 50 * time.Millisecond
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		err := e.Wait(ctx)
		elapsed := time.Since(start)
		if !errors.Is(err, context.DeadlineExceeded) || elapsed < d || elapsed > time.Second {
			t.Errorf("%s: Wait(%v deadline) = %v after %v, want %v after %v", name, d, err, elapsed, context.DeadlineExceeded, d)
		}
	}
	timeout(t, "new event")

	// Two waiters, both blocked, both wake on one Set.
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- e.Wait(context.Background()) }()
	}
	select {
	case err := <-errs:
		t.Fatalf("Wait returned %v before Set", err)
	case <-time.After(50 * time.Millisecond):
	}
	if err := e.Set(); err != nil {
		t.Fatalf("Set() = %v", err)
	}
	for i := range 2 {
		select {
		case err := <-errs:
			if err != nil {
				t.Errorf("waiter %d: Wait() = %v, want nil", i, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("waiter %d still waits 5s after Set", i)
		}
	}

	// It stays set, and a set event wins over a done context.
	for name, ctx := range map[string]context.Context{"background": context.Background(), "canceled": canceled()} {
		if err := e.Wait(ctx); err != nil {
			t.Errorf("Wait(%s) on a set event = %v, want nil", name, err)
		}
	}
	if s, _ := windows.WaitForSingleObject(h, 0); s != windows.WAIT_OBJECT_0 {
		t.Errorf("WaitForSingleObject after two waits = %#x, want WAIT_OBJECT_0 (manual reset)", s)
	}

	if err := e.Reset(); err != nil {
		t.Fatalf("Reset() = %v", err)
	}
	timeout(t, "after Reset")
	cause := errors.New("the cause")
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(10*time.Millisecond, func() { cancel(cause) })
	if err := e.Wait(ctx); err != cause {
		t.Errorf("Wait(ctx canceled with a cause) = %v, want %v", err, cause)
	}

	// WaitParent with a lifeline on a process that lives (this one) ends at
	// its deadline.
	var self windows.Handle
	if err := windows.DuplicateHandle(windows.CurrentProcess(), windows.CurrentProcess(), windows.CurrentProcess(), &self, windows.SYNCHRONIZE, false, 0); err != nil {
		t.Fatal(err)
	}
	l := &Lifeline{h: sysHandle{self}, objectState: made}
	defer l.Close()
	ctx, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	if err := e.WaitParent(ctx, l); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitParent(50ms deadline, live parent) = %v, want %v", err, context.DeadlineExceeded)
	}

	if err := e.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if got := e.Handle(); got != 0 {
		t.Errorf("Handle() after Close = %d, want 0", got)
	}
	if err := e.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Close() = %v, want %v", err, os.ErrClosed)
	}
	if err := e.Set(); err == nil {
		t.Errorf("Set() after Close = nil, want an error")
	}
	done := make(chan error, 1)
	go func() { done <- e.Wait(context.Background()) }()
	select {
	case err := <-done:
		if err == nil {
			t.Errorf("Wait() after Close = nil, want an error")
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("Wait() after Close still waits after 5s")
	}
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// TestStartErrorsRelease checks that Start fails where it must, and that a failed
// Start leaves no inheritable handle and no job behind. Not parallel: it
// compares this process's handle table before and after.
func TestStartErrorsRelease(t *testing.T) {
	ev := testEvent(t)
	dir := tempDir(t)
	missing := filepath.Join(dir, "missing.exe")
	notExe := filepath.Join(dir, "not-a-program.exe")
	if err := os.WriteFile(notExe, []byte("not a program\n"), 0o777); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cmd  *exec.Cmd
		pass func(h *Handoff)
		want string // in Start's error
	}{
		{"name not in args", helperCommand("child", "{parent}"), func(h *Handoff) { h.Pass("event", ev) }, "{event}"},
		{"name only in another name", helperCommand("child", "{events}"), func(h *Handoff) { h.Pass("event", ev) }, "{event}"},
		{"bad name", helperCommand("child", "{Event}"), func(h *Handoff) { h.Pass("Event", ev) }, "invalid name"},
		{"empty name", helperCommand("child", "{}"), func(h *Handoff) { h.Pass("", ev) }, "invalid name"},
		{"lifeline name", helperCommand("child", "{parent}"), func(h *Handoff) { h.Pass(LifelineName, ev) }, "reserved"},
		{"name twice", helperCommand("child", "{event}"), func(h *Handoff) { h.Pass("event", ev); h.Pass("event", ev) }, "twice"},
		{"nil object", helperCommand("child", "{event}"), func(h *Handoff) { h.Pass("event", nil) }, "nil object"},
		{"nil Cmd", nil, func(h *Handoff) {}, "nil Cmd"},
		// Start gets as far as CreateProcess, with the duplicates and the job
		// made.
		{"no such program", exec.Command(missing, "{event}", "{parent}"), func(h *Handoff) { h.Pass("event", ev) }, "missing.exe"},
		{"not a program", exec.Command(notExe, "{event}", "{parent}"), func(h *Handoff) { h.Pass("event", ev) }, "not-a-program.exe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, jobsBefore := ownInheritable(t)
			h := Command(tt.cmd)
			tt.pass(h)
			err := h.Start()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start() = %v, want an error containing %q", err, tt.want)
			}
			after, jobsAfter := ownInheritable(t)
			if !slices.Equal(after, before) {
				t.Errorf("inheritable handles after a failed Start = %v, want %v as before", after, before)
			}
			if jobsAfter != jobsBefore {
				t.Errorf("job handles after a failed Start = %d, want %d as before", jobsAfter, jobsBefore)
			}
			if hi := probe(ev.Handle()); hi.Inherit {
				t.Errorf("event after a failed Start: %v, want not inheritable", hi)
			}
			if err := h.Start(); err == nil {
				t.Errorf("second Start() = nil, want an error")
			}
			if err := wait(h); err == nil || strings.HasPrefix(err.Error(), "panic") {
				t.Errorf("Wait() after a failed Start = %v, want an error", err)
			}
		})
	}
	if err := wait(Command(helperCommand("child"))); err == nil || strings.HasPrefix(err.Error(), "panic") {
		t.Errorf("Wait() before Start = %v, want an error", err)
	}
}

// wait calls h.Wait, turning a panic into an error.
func wait(h *Handoff) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return h.Wait()
}

// releasePastMax checks, on a semaphore at 0, what Release promises on
// Windows: the count can reach MaxSemaphore, and a release past it is an
// error that adds nothing.
func releasePastMax(t *testing.T, sem *Semaphore) {
	t.Helper()
	if err := sem.Release(MaxSemaphore); err != nil {
		t.Fatalf("Release(MaxSemaphore) at 0 = %v", err)
	}
	if err := sem.Release(1); err == nil {
		t.Errorf("Release past MaxSemaphore = nil error")
	}
}
