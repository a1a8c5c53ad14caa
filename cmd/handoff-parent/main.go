// Handoff-parent creates an event, starts a child that inherits exactly that
// event and a lifeline to the parent, signals the event and waits for the
// child: the classic handle inheritance lesson, done with package handoff.
//
// Usage:
//
//	handoff-parent [-timeout D] [-trace] [-json] [-- CHILD ARGS...]
//
// Without "--" the child is handoff-child, found next to handoff-parent's own
// executable and then on PATH, run as
//
//	handoff-child -event {event} -parent {parent}
//
// After "--" any command can be given. In its arguments, {event} is replaced
// by the child's value of the event's handle (Windows) or file descriptor
// (Linux), in decimal, and {parent} by the value of the lifeline, a handle on
// the parent process; one argument must name {event}, and the lifeline is
// passed only if one names {parent}. A child written to the classic sample's
// convention runs as "handoff-parent -- child {event}".
//
// The steps are: create the event, start the child (on Windows in a job
// object that kills it with the parent; on Linux with a parent-death
// signal), set the event, wait for the child, close everything. Each is
// reported as a "[PARENT] ..." line on standard output, between the child's
// own output; the child's standard error is the parent's. -timeout bounds the
// wait for the child (default 30s; 0 means no limit): at the deadline the
// parent kills the child and exits with the timeout code. The parent exits 0
// only if the child exited 0. The exit codes are listed by -h and in
// internal/exitcode.
//
// -trace and -json replace the "[PARENT]" lines with a timeline printed after
// the run: both processes' steps on one time axis, in milliseconds since the
// parent started, read from the system's monotonic clock in each process.
// -trace prints it as a table, -json as JSON lines, one object per step, and
// nothing else on standard output. The child learns to report its steps from
// HANDOFF_TRACE=1 in its environment and writes them as "handoff-trace: ..."
// lines on its standard output, which the parent reads; the child's other
// output goes to the parent's standard error. See internal/trace for the
// formats.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/exitcode"
	"github.com/handoff/handoff/internal/trace"
)

const synopsis = "handoff-parent [-timeout D] [-trace] [-json] [-- CHILD ARGS...]"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		code := exitcode.Of(err)
		if code != exitcode.OK {
			fmt.Fprintf(os.Stderr, "handoff-parent: %v\n", err)
		}
		os.Exit(code)
	}
}

// config is what the command line asks for.
type config struct {
	timeout     time.Duration
	trace, json bool
	command     []string // after "--"; nil for the default child
}

func run(args []string, stdout, stderr io.Writer) error {
	cfg, err := parse(args, stdout)
	if err != nil {
		return err
	}
	p := &parent{config: cfg, stdout: shared(stdout), stderr: shared(stderr), rec: trace.NewRecorder(trace.Parent)}
	if cfg.trace || cfg.json {
		if p.start, err = trace.Now(); err != nil {
			return err
		}
		p.rec.AddAt(p.start, "start", "pid", os.Getpid())
	}
	return p.run()
}

func parse(args []string, stdout io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("handoff-parent", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "kill the child if it has not exited after `D`; 0 means no limit")
	fs.BoolVar(&cfg.trace, "trace", false, "print both processes' steps as a table on one time axis, after the run")
	fs.BoolVar(&cfg.json, "json", false, "print both processes' steps as JSON lines, and nothing else on standard output")
	err := fs.Parse(args)
	if err == flag.ErrHelp {
		fmt.Fprintf(stdout, "usage: %s\n\n", synopsis)
		fmt.Fprintf(stdout, "Without --, runs handoff-child (next to this program, else on PATH) as\n")
		fmt.Fprintf(stdout, "  handoff-child -event {event} -parent {parent}\n")
		fmt.Fprintf(stdout, "After --, runs CHILD with {event} and {parent} in ARGS replaced by the\n")
		fmt.Fprintf(stdout, "child's values of the event and of the lifeline (a handle on this process).\n\nFlags:\n")
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		fmt.Fprintf(stdout, "\nExit codes:\n%s", exitcode.Table(true))
		return cfg, err
	}
	if err != nil {
		return cfg, usageError(err)
	}
	rest := fs.Args()
	dashdash := len(args) > len(rest) && args[len(args)-len(rest)-1] == "--"
	switch {
	case !dashdash && len(rest) > 0:
		return cfg, usageError(fmt.Errorf("unexpected argument %q: a child command goes after --", rest[0]))
	case dashdash && len(rest) == 0:
		return cfg, usageError(errors.New("no child command after --"))
	case cfg.timeout < 0:
		return cfg, usageError(fmt.Errorf("negative -timeout %v", cfg.timeout))
	case cfg.trace && cfg.json:
		return cfg, usageError(errors.New("-trace and -json exclude each other"))
	}
	if dashdash {
		named := false
		for _, a := range rest {
			named = named || strings.Contains(a, "{event}")
		}
		if !named {
			return cfg, usageError(fmt.Errorf("no argument of the child command names {event}: %q", rest))
		}
		cfg.command = rest
	}
	return cfg, nil
}

func usageError(err error) error {
	return exitcode.Errorf(exitcode.Usage, "%w (usage: %s; -h for help)", err, synopsis)
}

// parent is one run.
type parent struct {
	config
	stdout, stderr io.Writer
	rec            *trace.Recorder
	start          int64 // the first step's time, when tracing
}

func (p *parent) tracing() bool { return p.trace || p.json }

// now returns the time for a step about to happen, when tracing.
func (p *parent) now() int64 {
	if !p.tracing() {
		return 0
	}
	t, err := trace.Now()
	if err != nil {
		return p.start // readable at the start, so this does not happen
	}
	return t
}

// step reports a step that happened at t (from p.now): msg for a person,
// step and the details kv for the timeline.
func (p *parent) step(t int64, step, msg string, kv ...any) {
	if p.tracing() {
		p.rec.AddAt(t, step, kv...)
		return
	}
	fmt.Fprintf(p.stdout, "[PARENT] %s\n", msg)
}

func (p *parent) run() error {
	ev, err := handoff.NewEvent()
	if err != nil {
		return fmt.Errorf("create event: %w", err)
	}
	defer ev.Close()
	p.step(p.now(), "event-created", fmt.Sprintf("created event, handle %d", ev.Handle()), "handle", ev.Handle())

	cmd, err := p.command()
	if err != nil {
		return err
	}
	h := handoff.Command(cmd)
	h.Pass("event", ev)
	var collector *trace.Collector
	env := os.Environ()
	if p.tracing() {
		collector = trace.NewCollector(p.stderr)
		cmd.Stdout = collector
		cmd.Env = append(withoutTrace(env), trace.EnvVar+"=1")
	} else {
		cmd.Stdout = p.stdout
		if clean := withoutTrace(env); len(clean) < len(env) {
			cmd.Env = clean
		}
	}
	cmd.Stderr = p.stderr
	// The child's output is copied until every holder of the pipe has
	// closed it; a grandchild that keeps it must not hold up Wait for long.
	cmd.WaitDelay = time.Second

	t := p.now()
	if err := h.Start(); err != nil {
		return fmt.Errorf("start child: %w", err)
	}
	evValue, _ := h.Value("event")
	kv := []any{"pid", cmd.Process.Pid, "event", evValue}
	passed := fmt.Sprintf("event=%d", evValue)
	if v, ok := h.Value(handoff.LifelineName); ok {
		kv = append(kv, "parent", v)
		passed += fmt.Sprintf(" parent=%d", v)
	}
	if p.tracing() {
		kv = append(kv, "took_ms", trace.Millis(trace.Event{Mono: p.now()}, t))
	}
	p.step(t, "child-started", fmt.Sprintf("started child pid %d: %s (passed %s)", cmd.Process.Pid, commandLine(cmd.Args), passed), kv...)

	// At the deadline, kill the child. killed is written before fired is
	// closed, and read only after.
	var (
		timer  *time.Timer
		killed bool
		fired  = make(chan struct{})
	)
	if p.timeout > 0 {
		timer = time.AfterFunc(p.timeout, func() {
			defer close(fired)
			t := p.now()
			if cmd.Process.Kill() == nil {
				killed = true
				if p.tracing() {
					p.rec.AddAt(t, "timeout", "after", p.timeout)
				}
			}
		})
	}

	t = p.now()
	setErr := ev.Set()
	if setErr == nil {
		limit := "no timeout"
		if p.timeout > 0 {
			limit = "timeout " + p.timeout.String()
		}
		p.step(t, "event-set", "event set; waiting for the child ("+limit+")")
	} else {
		// The child cannot be signaled: end it rather than wait in vain.
		cmd.Process.Kill()
	}

	waitErr := h.Wait()
	t = p.now()
	timedOut := false
	if timer != nil && !timer.Stop() {
		// The timer fired: wait for its Kill to return, which on Windows
		// can be after the child is gone.
		<-fired
		timedOut = killed
	}
	if collector != nil {
		collector.Close()
	}
	state := cmd.ProcessState
	if timedOut && !p.tracing() {
		fmt.Fprintf(p.stdout, "[PARENT] timeout: the child did not exit within %v; killed it\n", p.timeout)
	}
	if state != nil {
		if state.Exited() {
			p.step(t, "child-exited", fmt.Sprintf("child exited with code %d", state.ExitCode()), "code", state.ExitCode())
		} else {
			p.step(t, "child-exited", fmt.Sprintf("child ended: %v", state), "code", state.ExitCode(), "status", state)
		}
	}

	closeErr := ev.Close()
	p.step(p.now(), "cleanup-done", "closed the event; done")

	if p.tracing() {
		if err := p.timeline(collector); err != nil {
			return err
		}
	}

	switch {
	case setErr != nil:
		return fmt.Errorf("set event: %w", setErr)
	case state == nil:
		return fmt.Errorf("wait for child: %w", waitErr)
	case timedOut && !state.Success():
		return exitcode.Errorf(exitcode.Timeout, "timeout: the child did not exit within %v; killed it", p.timeout)
	case !state.Exited():
		return exitcode.Errorf(exitcode.ChildFailed, "child failed: %v", state)
	case !state.Success():
		return exitcode.Errorf(exitcode.ChildFailed, "child failed: exit code %d", state.ExitCode())
	case waitErr != nil && !errors.Is(waitErr, exec.ErrWaitDelay):
		return fmt.Errorf("wait for child: %w", waitErr)
	case closeErr != nil:
		return fmt.Errorf("close event: %w", closeErr)
	}
	return nil
}

// command returns the child's command, with the placeholders still in.
func (p *parent) command() (*exec.Cmd, error) {
	if p.config.command != nil {
		return exec.Command(p.config.command[0], p.config.command[1:]...), nil
	}
	path, err := findChild()
	if err != nil {
		return nil, err
	}
	return exec.Command(path, "-event", "{event}", "-parent", "{"+handoff.LifelineName+"}"), nil
}

// findChild returns the path of handoff-child: next to this program's
// executable, else on PATH.
func findChild() (string, error) {
	name := "handoff-child"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	exe, err := os.Executable()
	if err == nil {
		path := filepath.Join(filepath.Dir(exe), name)
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
			return path, nil
		}
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s is neither next to this program nor on PATH: %w", name, err)
	}
	return path, nil
}

// timeline prints the parent's and the child's steps.
func (p *parent) timeline(c *trace.Collector) error {
	if bad := c.Bad(); len(bad) > 0 {
		fmt.Fprintf(p.stderr, "handoff-parent: %d malformed trace line(s) from the child, forwarded above; first: %v\n", len(bad), bad[0])
	}
	events := trace.Merge(p.rec.Events(), c.Events())
	var err error
	if p.json {
		err = trace.WriteJSON(p.stdout, p.start, events)
	} else {
		err = trace.WriteTable(p.stdout, p.start, events)
	}
	if err != nil {
		return fmt.Errorf("write timeline: %w", err)
	}
	return nil
}

// shared returns w for use by this process and, through os/exec, by the
// child: a file as it is, for the child to write to directly; any other
// writer behind a lock, for os/exec copies the child's output to it from
// goroutines of its own.
func shared(w io.Writer) io.Writer {
	if _, ok := w.(*os.File); ok {
		return w
	}
	return &lockedWriter{w: w}
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// withoutTrace returns env without any HANDOFF_TRACE setting, so that a
// child asked for no trace lines writes none.
func withoutTrace(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !(name == trace.EnvVar || runtime.GOOS == "windows" && strings.EqualFold(name, trace.EnvVar)) {
			out = append(out, kv)
		}
	}
	return out
}

// commandLine shows a command's arguments, the program by its base name.
func commandLine(args []string) string {
	s := make([]string, len(args))
	for i, a := range args {
		if i == 0 {
			a = filepath.Base(a)
		}
		if a == "" || strings.ContainsAny(a, " \t\"") {
			a = fmt.Sprintf("%q", a)
		}
		s[i] = a
	}
	return strings.Join(s, " ")
}
