package handoff

// Start on Windows as a user's program sees it: the child's parent, a
// passed pipe's end of file, Wait with a grandchild holding the child's
// output, SysProcAttr.CmdLine, exec.CommandContext, and the Cmd's other
// fields (standard streams, Dir, Env, ProcessState).

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
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

func init() {
	registerHelper("report-parent", helperReportParent)
	registerHelper("pipe-writer", helperPipeWriter)
	registerHelper("leave-grandchild", helperLeaveGrandchild, "sleep")
	registerHelper("cmd-fields", helperCmdFields)
}

// parentSeen is what a "report-parent" child saw of its parent.
type parentSeen struct {
	Ppid        int    `json:"ppid"`         // os.Getppid
	LifelinePid uint32 `json:"lifeline_pid"` // the process its lifeline names
}

// helperReportParent opens its event and lifeline (args {event} {parent}),
// reports its parent and waits for the event.
func helperReportParent(args []string) {
	e, l := mustOpen(args)
	pid, err := windows.GetProcessId(windows.Handle(l.Handle()))
	if err != nil {
		helperFatal("GetProcessId: %v", err)
	}
	emit(parentSeen{Ppid: os.Getppid(), LifelinePid: pid})
	ctx, cancel := context.WithTimeout(context.Background(), helperTimeout)
	defer cancel()
	if err := e.WaitParent(ctx, l); err != nil {
		helperFatal("WaitParent: %v", err)
	}
}

// childrenOf returns the processes whose parent is pid.
func childrenOf(t *testing.T, pid int) []uint32 {
	t.Helper()
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		t.Fatalf("CreateToolhelp32Snapshot() = %v", err)
	}
	defer windows.CloseHandle(snap)
	var pids []uint32
	pe := windows.ProcessEntry32{Size: uint32(unsafe.Sizeof(windows.ProcessEntry32{}))}
	for err = windows.Process32First(snap, &pe); err == nil; err = windows.Process32Next(snap, &pe) {
		if int(pe.ParentProcessID) == pid {
			pids = append(pids, pe.ProcessID)
		}
	}
	slices.Sort(pids)
	return pids
}

// TestChildParent: the child's parent, as the system sees it (os.Getppid),
// is the process that called Start, its lifeline names it, and Start
// created no process but the child. Not parallel: it counts this
// process's children.
func TestChildParent(t *testing.T) {
	before := childrenOf(t, os.Getpid())
	ev := testEvent(t)
	cmd := helperCommand("report-parent", "{event}", "{parent}")
	h := Command(cmd)
	h.Pass("event", ev)
	lines, waited := startHandoff(t, h)
	var r parentSeen
	readReport(t, lines, &r, helperTimeout)
	after := childrenOf(t, os.Getpid())
	if r.Ppid != os.Getpid() {
		t.Errorf("child's os.Getppid() = %d, want %d, the process that started it", r.Ppid, os.Getpid())
	}
	if int(r.LifelinePid) != os.Getpid() {
		t.Errorf("child's lifeline names process %d, want its parent %d", r.LifelinePid, os.Getpid())
	}
	var started []uint32
	for _, pid := range after {
		if !slices.Contains(before, pid) {
			started = append(started, pid)
		}
	}
	if want := []uint32{uint32(cmd.Process.Pid)}; !slices.Equal(started, want) {
		t.Errorf("processes Start created = %v, want only the child %v", started, want)
	}
	if err := ev.Set(); err != nil {
		t.Fatal(err)
	}
	*waited = true
	if err := h.Wait(); err != nil {
		t.Errorf("Wait() = %v", err)
	}
}

// helperPipeWriter opens its event, lifeline and file (args {event}
// {parent} {out}), writes "written" to the file, closes it, and waits for
// the event.
func helperPipeWriter(args []string) {
	e, l := mustOpen(args)
	f, err := OpenFile(args[2])
	if err != nil {
		helperFatal("%v", err)
	}
	if _, err := f.WriteString("written"); err != nil {
		helperFatal("%v", err)
	}
	if err := f.Close(); err != nil {
		helperFatal("%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), helperTimeout)
	defer cancel()
	if err := e.WaitParent(ctx, l); err != nil {
		helperFatal("WaitParent: %v", err)
	}
}

// TestPassedPipeEOF: a parent passes a pipe's write end with File, closes
// its own once Start has returned, and reads the child's output to its end
// before it sets the event: the end of file comes as soon as the child has
// closed its handle, for no other process holds a copy.
func TestPassedPipeEOF(t *testing.T) {
	t.Parallel()
	r, w := pipe(t)
	defer r.Close()
	ev := testEvent(t)
	h := Command(helperCommand("pipe-writer", "{event}", "{parent}", "{out}"))
	h.Pass("event", ev)
	h.Pass("out", File(w))
	_, waited := startHandoff(t, h)
	w.Close()
	read := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(r)
		read <- string(b)
	}()
	select {
	case got := <-read:
		if got != "written" {
			t.Errorf("read %q from the pipe, want %q", got, "written")
		}
	case <-time.After(helperTimeout):
		t.Errorf("no end of file %v after Start, though the child closed its end: a copy of the write end is open somewhere", helperTimeout)
		h.Cmd.Process.Kill()
	}
	if err := ev.Set(); err != nil {
		t.Fatal(err)
	}
	*waited = true
	if err := h.Wait(); err != nil {
		t.Errorf("Wait() = %v", err)
	}
}

// helperLeaveGrandchild opens its event and lifeline, starts a grandchild
// that sleeps with this process's standard output as its own, reports the
// grandchild's pid and exits.
func helperLeaveGrandchild(args []string) {
	mustOpen(args)
	cmd := exec.Command(os.Args[0])
	cmd.Env = helperEnv("sleep")
	cmd.Stdout = os.Stdout
	if err := cmd.Start(); err != nil {
		helperFatal("%v", err)
	}
	emit(hangReport{Grandchild: cmd.Process.Pid})
}

// TestWaitGrandchildHoldsOutput: the child leaves a grandchild that holds
// its standard output, a pipe the parent copies from, and exits. Wait
// returns, with the child's output, and ends the grandchild: the job's
// closing, once the child has exited, ends what the child left in it.
func TestWaitGrandchildHoldsOutput(t *testing.T) {
	t.Parallel()
	out := new(lockedBuffer)
	cmd := helperCommand("leave-grandchild", "{event}", "{parent}")
	cmd.Stdout = out
	h := Command(cmd)
	h.Pass("event", testEvent(t))
	if err := h.Start(); err != nil {
		t.Fatalf("Start() = %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- h.Wait() }()
	var r hangReport
	returned := false
	select {
	case err := <-done:
		returned = true
		if err != nil {
			t.Errorf("Wait() = %v", err)
		}
	case <-time.After(helperTimeout):
		t.Errorf("Wait() still waits %v after Start, though the child exited", helperTimeout)
	}
	if err := json.Unmarshal([]byte(out.String()), &r); err != nil || r.Grandchild == 0 {
		t.Fatalf("child's output %q: %v, want its grandchild's pid", out, err)
	}
	if p, err := windows.OpenProcess(windows.SYNCHRONIZE|windows.PROCESS_TERMINATE, false, uint32(r.Grandchild)); err == nil {
		defer windows.CloseHandle(p)
		if _, ok := waitGone(p, gone); !ok {
			windows.TerminateProcess(p, 1)
			t.Errorf("grandchild %d runs after Wait returned", r.Grandchild)
		}
	}
	if !returned {
		<-done
	}
}

// TestCmdLine: with SysProcAttr.CmdLine set, Windows gives the child that
// command line rather than one composed from Args: Start fills its
// placeholders, into a copy (the caller's SysProcAttr is left as it was),
// and refuses placeholders that only Args has, for the child would never
// see them.
func TestCmdLine(t *testing.T) {
	t.Parallel()
	t.Run("filled", func(t *testing.T) {
		t.Parallel()
		ev := testEvent(t)
		cmd := exec.Command(os.Args[0])
		cmd.Env = helperEnv("report-parent")
		line := windows.EscapeArg(os.Args[0]) + " {event} {parent}"
		cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: line}
		h := Command(cmd)
		h.Pass("event", ev)
		lines, waited := startHandoff(t, h)
		var r parentSeen
		readReport(t, lines, &r, helperTimeout) // the child opened both
		if cmd.SysProcAttr.CmdLine != line {
			t.Errorf("SysProcAttr.CmdLine after Start = %q, want %q as the caller set it", cmd.SysProcAttr.CmdLine, line)
		}
		ev.Set()
		*waited = true
		if err := h.Wait(); err != nil {
			t.Errorf("Wait() = %v", err)
		}
	})
	t.Run("only-in-args", func(t *testing.T) {
		t.Parallel()
		cmd := helperCommand("report-parent", "{event}", "{parent}")
		cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: windows.EscapeArg(os.Args[0])}
		h := Command(cmd)
		h.Pass("event", testEvent(t))
		err := h.Start()
		if err == nil {
			cmd.Process.Kill()
			h.Wait()
		}
		if err == nil || !strings.Contains(err.Error(), "{event}") {
			t.Errorf("Start() with {event} in Args only, CmdLine set = %v, want an error naming {event}", err)
		}
	})
}

// TestCommandContext: Start cannot see the context of a Cmd made by
// exec.CommandContext (it is exec.Cmd's own), so it refuses such a Cmd,
// with or without its Cancel, saying what to do instead, and starts
// nothing.
func TestCommandContext(t *testing.T) {
	t.Parallel()
	for _, cancel := range []bool{true, false} {
		t.Run(fmt.Sprintf("cancel=%v", cancel), func(t *testing.T) {
			cmd := exec.CommandContext(context.Background(), os.Args[0], "{event}")
			cmd.Env = helperEnv("exit")
			if !cancel {
				cmd.Cancel = nil
			}
			h := Command(cmd)
			h.Pass("event", testEvent(t))
			err := h.Start()
			if err == nil {
				cmd.Process.Kill()
				h.Wait()
			}
			if err == nil || !strings.Contains(err.Error(), "exec.CommandContext") || !strings.Contains(err.Error(), "context.AfterFunc") {
				t.Errorf("Start() of a Cmd from exec.CommandContext = %v, want a refusal that names it and says what to do", err)
			}
			if cmd.Process != nil {
				t.Errorf("Start() set Cmd.Process, want nothing started")
			}
		})
	}
}

// cmdFields is what a "cmd-fields" child saw.
type cmdFields struct {
	Stdin string `json:"stdin"`
	Dir   string `json:"dir"`
	Var   string `json:"var"`
}

// helperCmdFields opens its event (args {event}), reports its standard
// input, directory and $HANDOFF_VAR on standard output, writes "stderr" to
// standard error, and exits with code 3.
func helperCmdFields(args []string) {
	e, err := OpenEvent(args[0])
	if err != nil {
		helperFatal("%v", err)
	}
	e.Close()
	in, _ := io.ReadAll(os.Stdin)
	dir, _ := os.Getwd()
	emit(cmdFields{Stdin: string(in), Dir: dir, Var: os.Getenv("HANDOFF_VAR")})
	fmt.Fprintln(os.Stderr, "stderr")
	os.Exit(3)
}

// TestCmdFields: the Cmd's fields work as with Cmd.Start: a Stdin that is
// a reader, a Stdout and Stderr that are one writer, Dir, Env; Wait
// returns an *exec.ExitError with the child's code and sets ProcessState;
// the pipe of StdoutPipe reaches its end of file.
func TestCmdFields(t *testing.T) {
	t.Parallel()
	dir := tempDir(t)
	t.Run("writers", func(t *testing.T) {
		var out bytes.Buffer
		cmd := exec.Command(os.Args[0], "{event}")
		cmd.Env = helperEnv("cmd-fields", "HANDOFF_VAR=set")
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader("input")
		cmd.Stdout, cmd.Stderr = &out, &out
		h := Command(cmd)
		h.Pass("event", testEvent(t))
		if err := h.Start(); err != nil {
			t.Fatalf("Start() = %v", err)
		}
		err := h.Wait()
		if ee := (*exec.ExitError)(nil); !errors.As(err, &ee) || ee.ExitCode() != 3 {
			t.Errorf("Wait() = %v, want an *exec.ExitError with code 3", err)
		}
		if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 3 {
			t.Errorf("ProcessState after Wait = %v, want exit code 3", cmd.ProcessState)
		}
		report, rest, _ := strings.Cut(out.String(), "\n")
		var r cmdFields
		if err := json.Unmarshal([]byte(report), &r); err != nil {
			t.Fatalf("child's output %q: %v", out.String(), err)
		}
		if want := (cmdFields{Stdin: "input", Dir: dir, Var: "set"}); !strings.EqualFold(r.Dir, want.Dir) || r.Stdin != want.Stdin || r.Var != want.Var {
			t.Errorf("child saw %+v, want %+v", r, want)
		}
		if strings.TrimSpace(rest) != "stderr" {
			t.Errorf("child's stderr in the shared writer = %q, want %q", rest, "stderr\n")
		}
	})
	t.Run("StdoutPipe", func(t *testing.T) {
		cmd := exec.Command(os.Args[0], "{event}")
		cmd.Env = helperEnv("cmd-fields")
		cmd.Dir = filepath.Clean(dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		h := Command(cmd)
		h.Pass("event", testEvent(t))
		if err := h.Start(); err != nil {
			t.Fatalf("Start() = %v", err)
		}
		read := make(chan []string, 1)
		go func() {
			var lines []string
			for s := bufio.NewScanner(stdout); s.Scan(); {
				lines = append(lines, s.Text())
			}
			read <- lines
		}()
		select {
		case lines := <-read:
			if len(lines) != 1 {
				t.Errorf("read %q from StdoutPipe, want one report", lines)
			}
		case <-time.After(helperTimeout):
			t.Errorf("no end of file from StdoutPipe %v after Start: its write end is still open here", helperTimeout)
			cmd.Process.Kill()
		}
		h.Wait()
	})
}
