package handoff

// The parent's end, on every backend: a parent that exits without setting
// the event, or is killed, and a killed parent whose child waits on
// nothing. What differs between the backends is supplied by parentEnd
// (parentgone_*_test.go).

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func init() {
	registerHelper("parent", helperParent)
	registerHelper("wait-for-set", helperWaitForSet)
	registerHelper("wait-forever", helperWaitForever)
}

// parentEnd is what the backends differ in at the parent's end.
var parentEnd struct {
	// modes are the ways a parent passes the child its end: "lifeline",
	// and on the pipe backend "no-lifeline" (the event's pipe, whose
	// only write end was the parent's).
	modes []string
	// endsChild tells that a child ends with its parent whatever it waits
	// on (Windows: the parent's job closes), and deathSignal that a child
	// that waits on nothing does (Windows: the job; Linux: the
	// parent-death signal). The pipe backend has neither.
	endsChild, deathSignal bool
	// lifelineAlone, where not nil, leaves the child of cmd, passed ev,
	// nothing but the lifeline to learn its parent's end from: on Linux
	// it makes the parent-death signal harmless; on the pipe backend it
	// keeps the event's write end open in another process for 2 s, so
	// that the event's pipe does not report the parent's end first.
	lifelineAlone func(cmd *exec.Cmd, ev *Event)
	// watch watches process pid, so that its pid cannot be reused while
	// the test watches it where the platform allows.
	watch func(t *testing.T, what string, pid int) procWatch
	// describe adds, in a parent helper, the platform's part of its
	// report; check checks it in the test.
	describe func(h *Handoff, r *parentReport)
	check    func(t *testing.T, r parentReport)
	// eventSet tells, in a child, whether ev is set, where the platform
	// can tell it apart from the parent's end (known).
	eventSet func(ev *Event) (set, known bool)
}

// procWatch watches a process.
type procWatch struct {
	// running reports whether the process runs (a zombie does not).
	running func() bool
	// wait waits up to limit for its end and returns when (monotonic) it
	// saw it, or false.
	wait func(limit time.Duration) (at int64, gone bool)
}

// parentLimit is how soon a child must see its parent's end, or be gone.
const parentLimit = time.Second

// parentReport is what a "parent" helper reports once its child is ready.
type parentReport struct {
	Pid   int  // the child's
	InJob bool `json:",omitempty"` // Windows: the child is in the Handoff's job
}

// helperParent starts the helper args[0] with its ready object, an event
// and, unless args[1] is "no-lifeline", a lifeline; a "wait-for-set" child
// sees the lifeline alone (parentEnd.lifelineAlone). Once the child is
// ready, it reports, and then exits without setting the event or waiting
// on the line "exit" on its standard input; it blocks until killed
// otherwise.
func helperParent(args []string) {
	ev, err := NewEvent()
	if err != nil {
		panic(err)
	}
	cmdArgs := []string{"{ready}", "{event}", "{parent}"}
	if args[1] == "no-lifeline" {
		cmdArgs = cmdArgs[:2]
	}
	cmd := exec.Command(os.Args[0], cmdArgs...)
	cmd.Env = helperEnv(args[0])
	cmd.Stderr = os.Stderr
	h := Command(cmd)
	h.Pass("event", ev)
	if args[0] == "wait-for-set" && args[1] != "no-lifeline" && parentEnd.lifelineAlone != nil {
		parentEnd.lifelineAlone(cmd, ev)
	}
	h.ExpectReady()
	if err := h.Start(); err != nil {
		panic(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	err = h.WaitReady(ctx)
	cancel()
	if err != nil {
		panic(err)
	}
	r := parentReport{Pid: cmd.Process.Pid}
	if parentEnd.describe != nil {
		parentEnd.describe(h, &r)
	}
	json.NewEncoder(os.Stdout).Encode(r)
	if in, _ := bufio.NewReader(os.Stdin).ReadString('\n'); in == "exit\n" {
		os.Exit(0)
	}
	select {}
}

// helperWaitForSet (args {ready} {event} [{parent}]) opens the event and
// the lifeline if it was passed one, signals ready, waits for the event and
// the end of its parent, and writes what woke it, with the monotonic time,
// to the file named by HANDOFF_TEST_RESULT: whole under another name, then
// renamed, so that the test sees all of it or nothing. Its parent ends only
// once it is ready, so that what the test sees is WaitParent's answer; if
// an open fails, the result says "open: " and why; if the event is set
// once WaitParent returned, it says so.
func helperWaitForSet(args []string) {
	what := "open: "
	ev, err := OpenEvent(args[1])
	var parent *Lifeline
	if err == nil && len(args) > 2 {
		parent, err = OpenLifeline(args[2])
	}
	if err == nil {
		err = SignalReady(args[0])
	}
	if err == nil {
		what = ""
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = ev.WaitParent(ctx, parent)
		cancel()
	}
	result := fmt.Sprintf("%d %s%s", monotonic(), what, sentinel(err))
	if what == "" && parentEnd.eventSet != nil {
		if set, known := parentEnd.eventSet(ev); known && set {
			result += " (event set)"
		}
	}
	name := os.Getenv("HANDOFF_TEST_RESULT")
	if os.WriteFile(name+".new", []byte(result), 0o644) == nil {
		os.Rename(name+".new", name)
	}
}

// helperWaitForever (args {ready} ...) signals ready and waits on nothing;
// it exits with 3 if it ever ends by itself.
func helperWaitForever(args []string) {
	if err := SignalReady(args[0]); err != nil {
		panic(err)
	}
	time.Sleep(time.Hour)
	os.Exit(3)
}

// waitResult waits up to 5 s for the result file of a "wait-for-set"
// child, and returns what woke it and how long after since (monotonic) it
// woke.
func waitResult(t *testing.T, path string, since int64) (what string, after time.Duration) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		got, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var woke int64
		if _, err := fmt.Sscan(string(got), &woke); err != nil {
			t.Fatalf("child result %q: %v", got, err)
		}
		_, what, _ := strings.Cut(string(got), " ")
		return what, time.Duration(woke - since)
	}
	t.Fatalf("child wrote no result in 5 s")
	return "", 0
}

// checkParentGone checks the result of a "wait-for-set" child: WaitParent
// answered ErrParentGone within parentLimit of since, when its parent ended
// as how says, and the event was not set.
func checkParentGone(t *testing.T, result string, since int64, how string) {
	t.Helper()
	what, lag := waitResult(t, result, since)
	t.Logf("child woke with %q %v after its parent %s", what, lag, how)
	if what != ErrParentGone.Error() {
		t.Errorf("child woke with %q, want WaitParent's %q", what, ErrParentGone)
	}
	if lag > parentLimit {
		t.Errorf("child saw its parent gone %v after the parent %s, want < %v", lag, how, parentLimit)
	}
}

// parentRun is a "parent" helper started by a test.
type parentRun struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	r     parentReport
}

// startGoneParent starts a "parent" helper of child in mode, and returns it
// once its child is ready. Its child is killed at the end of the test.
func startGoneParent(t *testing.T, child, mode, result string) *parentRun {
	t.Helper()
	cmd := exec.Command(os.Args[0], helperArg(child), mode)
	cmd.Env = helperEnv("parent", "HANDOFF_TEST_RESULT="+result)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW := pipe(t)
	cmd.Stdout = outW
	err = cmd.Start()
	outW.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	p := &parentRun{cmd: cmd, stdin: stdin}
	if err := json.NewDecoder(outR).Decode(&p.r); err != nil {
		t.Fatalf("reading the parent's report: %v", err)
	}
	return p
}

// TestParentGone: a parent starts a child and exits without setting the
// event, or is killed. The child must see ErrParentGone within a second of
// the parent's end: from the lifeline, or, on the pipe backend with no
// lifeline, from the event's pipe, whose only write end was the parent's.
// Where the child ends with its parent (Windows), it and the process its
// lifeline names must be gone within that second, and if the child
// reported anything, it must be that.
func TestParentGone(t *testing.T) {
	for _, mode := range parentEnd.modes {
		for _, how := range []string{"exited", "was killed"} {
			t.Run(mode+"/"+strings.Fields(how)[len(strings.Fields(how))-1], func(t *testing.T) {
				result := filepath.Join(tempDir(t), "result")
				p := startGoneParent(t, "wait-for-set", mode, result)
				procs := map[string]procWatch{"child": parentEnd.watch(t, "child", p.r.Pid)}
				for name, w := range procs {
					if !w.running() {
						t.Fatalf("the %s does not run before its parent's end", name)
					}
				}
				since := monotonic()
				if how == "exited" {
					fmt.Fprintln(p.stdin, "exit")
				} else if err := p.cmd.Process.Kill(); err != nil {
					t.Fatalf("kill parent: %v", err)
				}
				err := p.cmd.Wait()
				if how == "exited" {
					if err != nil {
						t.Fatalf("helper parent: %v", err)
					}
					// The child woke before this process saw the
					// parent's exit, or soon after.
					since = monotonic()
				} else if err == nil {
					t.Errorf("killed parent: Wait = nil, want its death")
				}
				if parentEnd.endsChild {
					for name, w := range procs {
						at, gone := w.wait(5 * parentLimit)
						took := time.Duration(at - since)
						switch {
						case !gone:
							t.Errorf("the %s still runs %v after its parent %s", name, took, how)
						case took > parentLimit:
							t.Errorf("the %s was gone %v after its parent %s, want < %v", name, took, how, parentLimit)
						}
					}
					if _, err := os.Stat(result); errors.Is(err, os.ErrNotExist) {
						t.Logf("the child was ended before WaitParent returned")
						return
					}
				}
				checkParentGone(t, result, since, how)
			})
		}
	}
}

// TestKillParentKillsChild kills a live parent (it blocks after Start)
// whose child waits on nothing. The child must be gone within a second
// where the backend has a parent-death signal or job (Linux, Windows), and
// still running, not a zombie, where it has none (the pipe backend), as
// doc.go says.
func TestKillParentKillsChild(t *testing.T) {
	p := startGoneParent(t, "wait-forever", "lifeline", "")
	parent := parentEnd.watch(t, "parent", p.cmd.Process.Pid)
	child := parentEnd.watch(t, "child", p.r.Pid)
	if !parent.running() || !child.running() {
		t.Fatalf("before the kill: parent running %v, child running %v; want both", parent.running(), child.running())
	}
	if parentEnd.check != nil {
		parentEnd.check(t, p.r)
	}
	killed := monotonic()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill parent: %v", err)
	}
	if !parentEnd.deathSignal {
		time.Sleep(3 * parentLimit / 10)
		if !child.running() {
			t.Errorf("child %d that waits on nothing is gone after its parent was killed; doc.go says it stays", p.r.Pid)
		}
		return
	}
	at, gone := child.wait(5 * parentLimit)
	took := time.Duration(at - killed)
	if !gone {
		t.Fatalf("child %d still running %v after its parent was killed", p.r.Pid, took)
	}
	t.Logf("child %d gone %v after its parent was killed", p.r.Pid, took)
	if took > parentLimit {
		t.Errorf("child %d gone %v after its parent was killed, want < %v", p.r.Pid, took, parentLimit)
	}
}
