// Handoff-parent creates an event, starts children that inherit exactly that
// event and a lifeline to the parent, signals the event and waits for the
// children: the classic handle inheritance lesson, done with package
// handoff.
//
// Usage:
//
//	handoff-parent [-children N] [-message TEXT | -message-file FILE] [-timeout D]
//	               [-ready-timeout D] [-trace | -json] [-- CHILD ARGS...]
//
// Without "--" the child is handoff-child, found next to handoff-parent's own
// executable and then on PATH, run as
//
//	handoff-child -handles {handles}
//
// After "--" any command can be given. In its arguments, {event} is replaced
// by the child's value of the event's handle (Windows) or file descriptor
// (Linux), in decimal; {parent} by the value of the lifeline, a handle on
// the parent process; {ready} by the value of the ready event; {message} by
// the value of the message's shared memory; and {handles} by the names
// argument, name=kind:value entries for all of them (see handoff.Handles).
// One argument must name {event} or {handles}. The lifeline is passed only if
// one names {parent} or {handles}, and the ready handshake is used only if
// one names {ready} or {handles}. A child written to the classic sample's
// convention runs as "handoff-parent -- child {event}".
//
// The steps are: create the event (and, with -message or -message-file,
// shared memory holding the message after its length, a little-endian
// uint64); start -children N children (on Windows each in a job object that
// kills it with the parent; on Linux with a parent-death signal); wait until
// every child has signaled its ready event, within -ready-timeout (default
// 10s), or else name the first child that was not ready, kill them all and
// never set the event; set the event once; wait for the children, within
// -timeout (default 30s; 0 means no limit), killing them at the deadline;
// close everything. Each step is reported as a "[PARENT] ..." line on
// standard output, between the children's own output, each of whose lines
// starts with "[i] " when there are several; the children's standard error
// is the parent's. The parent exits 0 only if every child exited 0. The exit
// codes are listed by -h and in internal/exitcode.
//
// -trace and -json replace the "[PARENT]" lines with a timeline printed after
// the run: every process's steps on one time axis, in milliseconds since the
// parent started, read from the system's monotonic clock in each process,
// with each child's wake latency after the set and, for several children,
// the spread between the first and the last to wake. -trace prints it as a
// table, -json as JSON lines, one object per step, and nothing else on
// standard output. A child learns to report its steps from HANDOFF_TRACE=1 in
// its environment and writes them as "handoff-trace: ..." lines on its
// standard output, which the parent reads; the child's other output goes to
// the parent's standard error. See internal/trace for the formats.
package main

import (
	"bytes"
	"context"
	"encoding/binary"
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

const synopsis = "handoff-parent [-children N] [-message TEXT | -message-file FILE] [-timeout D] [-ready-timeout D] [-trace | -json] [-- CHILD ARGS...]"

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
	timeout      time.Duration
	readyTimeout time.Duration
	trace, json  bool
	children     int
	message      []byte   // nil: no -message
	command      []string // after "--"; nil for the default child
}

// maxChildren bounds -children.
const maxChildren = 1024

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
	var message, messageFile string
	fs := flag.NewFlagSet("handoff-parent", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "kill the children if they have not exited `D` after the event is set; 0 means no limit")
	fs.DurationVar(&cfg.readyTimeout, "ready-timeout", 10*time.Second, "fail if a child has not reported ready within `D` of the start; 0 means no limit")
	fs.IntVar(&cfg.children, "children", 1, fmt.Sprintf("start `N` children, 1 to %d, behind the one event", maxChildren))
	fs.StringVar(&message, "message", "", "also pass shared memory holding `TEXT`, which each child prints once woken")
	fs.StringVar(&messageFile, "message-file", "", "like -message, with the text read from `FILE` (- for standard input)")
	fs.BoolVar(&cfg.trace, "trace", false, "print both processes' steps as a table on one time axis, after the run")
	fs.BoolVar(&cfg.json, "json", false, "print both processes' steps as JSON lines, and nothing else on standard output")
	err := fs.Parse(args)
	if err == flag.ErrHelp {
		fmt.Fprintf(stdout, "usage: %s\n\n", synopsis)
		fmt.Fprintf(stdout, "Without --, runs handoff-child (next to this program, else on PATH) as\n")
		fmt.Fprintf(stdout, "  handoff-child -handles {handles}\n")
		fmt.Fprintf(stdout, "After --, runs CHILD with {event}, {message}, {ready} and {parent} in ARGS\n")
		fmt.Fprintf(stdout, "replaced by the child's values of the event, the message's shared memory,\n")
		fmt.Fprintf(stdout, "the ready event and the lifeline (a handle on this process), and {handles}\n")
		fmt.Fprintf(stdout, "by the list of them all: name=kind:value,... A child that gets {ready} or\n")
		fmt.Fprintf(stdout, "{handles} must report ready before the event is set.\n\nFlags:\n")
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
	case cfg.readyTimeout < 0:
		return cfg, usageError(fmt.Errorf("negative -ready-timeout %v", cfg.readyTimeout))
	case cfg.trace && cfg.json:
		return cfg, usageError(errors.New("-trace and -json exclude each other"))
	case cfg.children < 1 || cfg.children > maxChildren:
		return cfg, usageError(fmt.Errorf("-children %d out of range [1, %d]", cfg.children, maxChildren))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case set["message"] && set["message-file"]:
		return cfg, usageError(errors.New("-message and -message-file exclude each other"))
	case set["message"]:
		cfg.message = []byte(message)
	case set["message-file"]:
		var err error
		if messageFile == "-" {
			cfg.message, err = io.ReadAll(os.Stdin)
		} else {
			cfg.message, err = os.ReadFile(messageFile)
		}
		if err != nil {
			return cfg, usageError(fmt.Errorf("-message-file: %w", err))
		}
		if cfg.message == nil {
			cfg.message = []byte{}
		}
	}
	if dashdash {
		named := func(ph ...string) bool {
			for _, a := range rest {
				for _, p := range ph {
					if strings.Contains(a, p) {
						return true
					}
				}
			}
			return false
		}
		if !named("{event}", "{handles}") {
			return cfg, usageError(fmt.Errorf("no argument of the child command names {event} or {handles}: %q", rest))
		}
		if cfg.message != nil && !named("{message}", "{handles}") {
			return cfg, usageError(fmt.Errorf("-message given, but no argument of the child command names {message} or {handles}: %q", rest))
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

// child is one of the children of a run.
type child struct {
	index int // from 1
	h     *handoff.Handoff
	trace *trace.Collector
	err   error // from Wait
}

// name is how the child is called in messages: "child", or "child 3" when
// there are several.
func (c *child) name(n int) string {
	if n == 1 {
		return "child"
	}
	return fmt.Sprintf("child %d", c.index)
}

func (p *parent) run() error {
	ev, err := handoff.NewEvent()
	if err != nil {
		return fmt.Errorf("create event: %w", err)
	}
	defer ev.Close()
	p.step(p.now(), "event-created", fmt.Sprintf("created event, handle %d", ev.Handle()), "handle", ev.Handle())

	var msg *handoff.SharedMemory
	if p.message != nil {
		if msg, err = newMessage(p.message); err != nil {
			return fmt.Errorf("create message: %w", err)
		}
		defer msg.Close()
		p.step(p.now(), "message-created", fmt.Sprintf("created shared memory, handle %d, holding a message of %d bytes", msg.Handle(), len(p.message)),
			"handle", msg.Handle(), "bytes", len(p.message))
	}

	children := make([]*child, 0, p.children)
	// killAll ends every child started and waits for it, for a run that
	// stops before the children could finish.
	killAll := func() {
		for _, c := range children {
			if c.h.Cmd.ProcessState == nil {
				c.h.Cmd.Process.Kill()
				c.err = c.h.Wait()
			}
		}
		for _, c := range children {
			if c.trace != nil {
				c.trace.Close()
			}
		}
	}
	for i := range p.children {
		c := &child{index: i + 1}
		if err := p.startChild(c, ev, msg); err != nil {
			killAll()
			return err
		}
		children = append(children, c)
	}
	if _, ok := children[0].h.Value(handoff.ReadyName); ok {
		if failed, err := p.awaitReady(children); err != nil {
			killAll()
			return p.notReady(children, failed, err)
		}
	}

	// At the deadline, kill the children. killed is written before fired
	// is closed, and read only after.
	var (
		timer  *time.Timer
		killed bool
		fired  = make(chan struct{})
	)
	if p.timeout > 0 {
		timer = time.AfterFunc(p.timeout, func() {
			defer close(fired)
			t := p.now()
			for _, c := range children {
				if c.h.Cmd.Process.Kill() == nil {
					killed = true
				}
			}
			if killed && p.tracing() {
				p.rec.AddAt(t, "timeout", "after", p.timeout)
			}
		})
	}

	setAt := p.now()
	setErr := ev.Set()
	if setErr == nil {
		limit := "no timeout"
		if p.timeout > 0 {
			limit = "timeout " + p.timeout.String()
		}
		what := "the child"
		if len(children) > 1 {
			what = fmt.Sprintf("the %d children", len(children))
		}
		p.step(setAt, "event-set", "event set; waiting for "+what+" ("+limit+")")
	} else {
		// The children cannot be signaled: end them rather than wait in
		// vain.
		for _, c := range children {
			c.h.Cmd.Process.Kill()
		}
	}

	var wg sync.WaitGroup
	for _, c := range children {
		wg.Go(func() { c.err = c.h.Wait() })
	}
	wg.Wait()
	t := p.now()
	timedOut := false
	if timer != nil && !timer.Stop() {
		// The timer fired: wait for its Kills to return, which on Windows
		// can be after the children are gone.
		<-fired
		timedOut = killed
	}
	if timedOut && !p.tracing() {
		if len(children) == 1 {
			fmt.Fprintf(p.stdout, "[PARENT] timeout: the child did not exit within %v; killed it\n", p.timeout)
		} else {
			fmt.Fprintf(p.stdout, "[PARENT] timeout: not every child exited within %v; killed them\n", p.timeout)
		}
	}
	for _, c := range children {
		if c.trace != nil {
			c.trace.Close()
		}
		state := c.h.Cmd.ProcessState
		if state == nil {
			continue
		}
		kv := []any{"code", state.ExitCode()}
		if len(children) > 1 {
			kv = append(kv, "child", c.index)
		}
		if state.Exited() {
			p.step(t, "child-exited", fmt.Sprintf("%s exited with code %d", c.name(len(children)), state.ExitCode()), kv...)
		} else {
			p.step(t, "child-exited", fmt.Sprintf("%s ended: %v", c.name(len(children)), state), append(kv, "status", state)...)
		}
	}

	closeErr := ev.Close()
	if msg != nil {
		if err := msg.Close(); closeErr == nil {
			closeErr = err
		}
	}
	p.step(p.now(), "cleanup-done", "closed the event; done")
	if p.tracing() {
		if err := p.timeline(children, setAt); err != nil {
			return err
		}
	}

	if setErr != nil {
		return fmt.Errorf("set event: %w", setErr)
	}
	for _, c := range children {
		state := c.h.Cmd.ProcessState
		name := c.name(len(children))
		switch {
		case state == nil:
			return fmt.Errorf("wait for %s: %w", name, c.err)
		case timedOut && !state.Success():
			return exitcode.Errorf(exitcode.Timeout, "timeout: %s did not exit within %v; killed it", name, p.timeout)
		case !state.Exited():
			return exitcode.Errorf(exitcode.ChildFailed, "%s failed: %v", name, state)
		case !state.Success():
			return exitcode.Errorf(exitcode.ChildFailed, "%s failed: exit code %d", name, state.ExitCode())
		case c.err != nil && !errors.Is(c.err, exec.ErrWaitDelay):
			return fmt.Errorf("wait for %s: %w", name, c.err)
		}
	}
	if closeErr != nil {
		return fmt.Errorf("close: %w", closeErr)
	}
	return nil
}

// startChild starts child c, passing it the event and the message.
func (p *parent) startChild(c *child, ev *handoff.Event, msg *handoff.SharedMemory) error {
	n := p.children
	cmd, err := p.command()
	if err != nil {
		return err
	}
	h := handoff.Command(cmd)
	c.h = h
	h.Pass("event", ev)
	if msg != nil {
		h.Pass("message", msg)
	}
	if p.names("{ready}") || p.names("{handles}") {
		h.ExpectReady()
	}
	env := os.Environ()
	if p.tracing() {
		c.trace = trace.NewCollector(p.stderr)
		cmd.Stdout = c.trace
		cmd.Env = append(withoutTrace(env), trace.EnvVar+"=1")
	} else {
		cmd.Stdout = p.stdout
		if n > 1 {
			cmd.Stdout = &prefixWriter{w: p.stdout, prefix: fmt.Sprintf("[%d] ", c.index)}
		}
		if clean := withoutTrace(env); len(clean) < len(env) {
			cmd.Env = clean
		}
	}
	cmd.Stderr = p.stderr
	if n > 1 {
		cmd.Stderr = &prefixWriter{w: p.stderr, prefix: fmt.Sprintf("[%d] ", c.index)}
	}
	// The child's output is copied until every holder of the pipe has
	// closed it; a grandchild that keeps it must not hold up Wait for long.
	cmd.WaitDelay = time.Second

	t := p.now()
	if err := h.Start(); err != nil {
		return fmt.Errorf("start %s: %w", c.name(n), err)
	}
	evValue, _ := h.Value("event")
	kv := []any{"pid", cmd.Process.Pid, "event", evValue}
	if n > 1 {
		kv = append([]any{"child", c.index}, kv...)
	}
	passed := fmt.Sprintf("event=%d", evValue)
	for _, name := range []string{"message", handoff.ReadyName, handoff.LifelineName} {
		if v, ok := h.Value(name); ok {
			kv = append(kv, name, v)
			passed += fmt.Sprintf(" %s=%d", name, v)
		}
	}
	if p.tracing() {
		kv = append(kv, "took_ms", trace.Millis(trace.Event{Mono: p.now()}, t))
	}
	p.step(t, "child-started", fmt.Sprintf("started %s pid %d: %s (passed %s)", c.name(n), cmd.Process.Pid, commandLine(cmd.Args), passed), kv...)
	return nil
}

// awaitReady waits until every child has signaled that it verified what it
// received, within -ready-timeout. If one did not, it returns it, the first
// in order, and why.
func (p *parent) awaitReady(children []*child) (*child, error) {
	ctx := context.Background()
	if p.readyTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.readyTimeout)
		defer cancel()
	}
	errs := make([]error, len(children))
	var wg sync.WaitGroup
	for i, c := range children {
		wg.Go(func() { errs[i] = c.h.WaitReady(ctx) })
	}
	wg.Wait()
	for i, c := range children {
		if errs[i] != nil {
			return c, errs[i]
		}
	}
	what := "the child is"
	if n := len(children); n > 1 {
		what = fmt.Sprintf("all %d children are", n)
	}
	p.step(p.now(), "ready", what+" ready")
	return nil, nil
}

// notReady reports a run that ended before the set because child failed
// did not become ready (err), once every child has ended: what became of
// each child, the timeline if asked for, and the error to exit with.
func (p *parent) notReady(children []*child, failed *child, err error) error {
	n := len(children)
	t := p.now()
	for _, c := range children {
		if state := c.h.Cmd.ProcessState; state != nil {
			kv := []any{"code", state.ExitCode()}
			if n > 1 {
				kv = append(kv, "child", c.index)
			}
			p.step(t, "child-exited", fmt.Sprintf("%s ended: %v", c.name(n), state), kv...)
		}
	}
	if p.tracing() {
		if terr := p.timeline(children, 0); terr != nil {
			return terr
		}
	}
	name := fmt.Sprintf("%s (pid %d)", failed.name(n), failed.h.Cmd.Process.Pid)
	switch {
	case errors.Is(err, handoff.ErrNotReady):
		how := ""
		if state := failed.h.Cmd.ProcessState; state != nil {
			how = fmt.Sprintf(" (%v)", state)
		}
		return exitcode.Errorf(exitcode.ChildFailed, "%s exited before it was ready%s; the event was not set", name, how)
	case errors.Is(err, context.DeadlineExceeded):
		return exitcode.Errorf(exitcode.Timeout, "timeout: %s was not ready within %v; killed the children; the event was not set", name, p.readyTimeout)
	}
	return fmt.Errorf("wait for %s to be ready: %w", name, err)
}

// names reports whether the child command names placeholder ph.
func (p *parent) names(ph string) bool {
	if p.config.command == nil {
		return true // the default child takes {handles}
	}
	for _, a := range p.config.command {
		if strings.Contains(a, ph) {
			return true
		}
	}
	return false
}

// newMessage returns shared memory holding msg after its length, a
// little-endian uint64, as handoff-child reads it.
func newMessage(msg []byte) (*handoff.SharedMemory, error) {
	m, err := handoff.NewSharedMemory(8 + len(msg))
	if err != nil {
		return nil, err
	}
	binary.LittleEndian.PutUint64(m.Bytes(), uint64(len(msg)))
	copy(m.Bytes()[8:], msg)
	return m, nil
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
	return exec.Command(path, "-handles", "{"+handoff.HandlesName+"}"), nil
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

// timeline prints the parent's and the children's steps. Each child's
// "woke" step gets its latency after the set; with several children, a
// last step gives the spread between the first and the last to wake.
func (p *parent) timeline(children []*child, setAt int64) error {
	n := len(children)
	lists := [][]trace.Event{p.rec.Events()}
	var first, last int64
	woke := 0
	for _, c := range children {
		if c.trace == nil {
			continue
		}
		if bad := c.trace.Bad(); len(bad) > 0 {
			fmt.Fprintf(p.stderr, "handoff-parent: %d malformed trace line(s) from %s, forwarded above; first: %v\n", len(bad), c.name(n), bad[0])
		}
		events := c.trace.Events()
		for i := range events {
			if n > 1 {
				events[i].Who = fmt.Sprintf("child%d", c.index)
			}
			if r, _ := events[i].Get("result"); events[i].Step == "woke" && r == "signaled" {
				if setAt == 0 {
					continue // the event was never set
				}
				d := events[i].Mono - setAt
				events[i].Detail = append(events[i].Detail, trace.Field{Key: "after_set_ms", Value: trace.Millis(trace.Event{Mono: events[i].Mono}, setAt)})
				if woke == 0 || d < first {
					first = d
				}
				if woke == 0 || d > last {
					last = d
				}
				woke++
			}
		}
		lists = append(lists, events)
	}
	events := trace.Merge(lists...)
	if n > 1 {
		summary := trace.Event{Mono: p.now(), Who: trace.Parent, Step: "wake-spread", Detail: trace.Fields("woke", woke, "children", n)}
		if woke > 0 {
			summary.Detail = append(summary.Detail,
				trace.Field{Key: "first_ms", Value: trace.Millis(trace.Event{Mono: first}, 0)},
				trace.Field{Key: "last_ms", Value: trace.Millis(trace.Event{Mono: last}, 0)},
				trace.Field{Key: "spread_ms", Value: trace.Millis(trace.Event{Mono: last - first}, 0)})
		}
		events = append(events, summary)
	}
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

// prefixWriter writes prefix at the start of every line, for the output of
// one of several children.
type prefixWriter struct {
	w      io.Writer
	prefix string
	mid    bool // within a line
}

func (pw *prefixWriter) Write(b []byte) (int, error) {
	n := len(b)
	var out []byte
	for len(b) > 0 {
		if !pw.mid {
			out = append(out, pw.prefix...)
		}
		line, rest, nl := bytes.Cut(b, []byte("\n"))
		out = append(out, line...)
		if nl {
			out = append(out, '\n')
		}
		pw.mid = !nl
		b = rest
	}
	_, err := pw.w.Write(out)
	return n, err
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
