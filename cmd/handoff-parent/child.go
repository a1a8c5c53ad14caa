package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/trace"
)

// child is one of the children of a run.
type child struct {
	index   int // from 1
	h       *handoff.Handoff
	trace   *trace.Collector
	relay   *relay    // its standard output, with several children
	err     error     // from Wait
	started time.Time // when Start returned
}

// name is how the child is called in messages: "child", or "child 3" when
// there are several.
func (c *child) name(n int) string {
	if n == 1 {
		return "child"
	}
	return fmt.Sprintf("child %d", c.index)
}

// startChild starts child c in g, passing it the event and the message.
func (p *parent) startChild(g *handoff.Group, c *child, ev *handoff.Event, msg *handoff.SharedMemory) error {
	cmd, err := p.childCommand()
	if err != nil {
		return err
	}
	c.h = handoff.Command(cmd)
	c.h.Pass("event", ev)
	if msg != nil {
		c.h.Pass("message", msg)
	}
	if p.command == nil || names(p.command, "{ready}", "{handles}") {
		c.h.ExpectReady()
	}
	if err := p.connect(c, cmd); err != nil {
		return fmt.Errorf("start %s: %w", c.name(p.children), err)
	}
	t := p.now()
	if err := g.Start(c.h); err != nil {
		if c.relay != nil {
			c.relay.closeWriter()
		}
		var ce *handoff.ChildError
		if errors.As(err, &ce) {
			err = ce.Err
		}
		return fmt.Errorf("start %s: %w", c.name(p.children), err)
	}
	c.started = time.Now()
	p.running.Add(1)
	p.reportStarted(c, t, p.now())
	return nil
}

// connect sets where the output of child c, to be run as cmd, goes: its
// trace lines to its collector when tracing, its lines prefixed with its
// number through a relay when there are several children. The child's
// environment is this process's (see setTraceEnv), never filled: cmd.Env
// stays nil, so that the placeholders are replaced in the arguments only,
// whatever the tracing.
func (p *parent) connect(c *child, cmd *exec.Cmd) error {
	several := p.children > 1
	prefix := fmt.Sprintf("[%d] ", c.index)
	switch {
	case p.tracing():
		c.trace = trace.NewCollector(p.stderr.children())
		cmd.Stdout = c.trace
	case several:
		rl, err := newRelay(p.stdout.forChild(several, prefix))
		if err != nil {
			return err
		}
		c.relay = rl
		cmd.Stdout = rl.w
	default:
		cmd.Stdout = p.stdout.forChild(several, prefix)
	}
	cmd.Stderr = p.stderr.forChild(several, prefix)
	// The child's output is copied until every holder of the pipe has
	// closed it; a grandchild that keeps it must not hold up Wait for long.
	cmd.WaitDelay = relayWait
	return nil
}

// exited reports child c, one of n, waited for with err: once its output
// is copied, how it ended. After the set, a child that exited is said to
// have exited with its code; before it (the run stopped the children), it
// is said to have ended, with its status. Group.OnExit calls it.
func (p *parent) exited(c *child, n int, err error) {
	c.err = err
	t := p.now()
	defer p.running.Add(-1)
	if c.relay != nil {
		c.relay.wait()
	}
	if c.trace != nil {
		c.trace.Close()
	}
	state := c.h.Cmd.ProcessState
	if state == nil {
		return
	}
	kv := []any{"code", state.ExitCode()}
	if n > 1 {
		kv = append(kv, "child", c.index)
	}
	switch {
	case p.eventSet && state.Exited():
		p.step(t, "child-exited", fmt.Sprintf("%s exited with code %d", c.name(n), state.ExitCode()), kv...)
	case p.eventSet:
		p.step(t, "child-exited", fmt.Sprintf("%s ended: %v", c.name(n), state), append(kv, "status", state)...)
	default:
		p.step(t, "child-exited", fmt.Sprintf("%s ended: %v", c.name(n), state), kv...)
	}
}

// reportStarted reports child c started: Start was called at begin and
// returned at end, the moment the step marks.
func (p *parent) reportStarted(c *child, begin, end int64) {
	n := p.children
	cmd := c.h.Cmd
	evValue, _ := c.h.Value("event")
	kv := []any{"pid", cmd.Process.Pid, "event", evValue}
	if n > 1 {
		kv = append([]any{"child", c.index}, kv...)
	}
	passed := fmt.Sprintf("event=%d", evValue)
	for _, name := range []string{"message", handoff.ReadyName, handoff.LifelineName} {
		if v, ok := c.h.Value(name); ok {
			kv = append(kv, name, v)
			passed += fmt.Sprintf(" %s=%d", name, v)
		}
	}
	if p.tracing() {
		kv = append(kv, "took_ms", trace.Millis(trace.Event{Mono: end}, begin))
	}
	p.step(end, "child-started", fmt.Sprintf("started %s pid %d: %s (passed %s)", c.name(n), cmd.Process.Pid, commandLine(cmd.Args), passed), kv...)
}

// childCommand returns the child's command, with the placeholders still in.
func (p *parent) childCommand() (*exec.Cmd, error) {
	if p.command != nil {
		return exec.Command(p.command[0], p.command[1:]...), nil
	}
	path, err := findChild()
	if err != nil {
		return nil, err
	}
	args := []string{"-handles", "{" + handoff.HandlesName + "}"}
	if d, ok := p.childTimeout(); ok {
		args = append(args, "-timeout", d.String())
	}
	return exec.Command(path, args...), nil
}

// childDefaultTimeout is handoff-child's own -timeout default.
const childDefaultTimeout = 30 * time.Second

// setMargin is what the parent allows, beyond its deadlines, for setting
// the event once every child is ready.
const setMargin = 5 * time.Second

// childTimeout returns the -timeout for handoff-child about to be started,
// and whether it differs from the child's default. The child's wait runs
// from its own start, but the parent sets the event only after it has
// started all the children (by p.startBy) and they are all ready (within
// -ready-timeout): so the parent passes each child a deadline that outlasts
// its own, never shorter than the child's default, and none when it has
// none (-ready-timeout 0). The parent, not the child, then bounds the wait
// before the set; the child's lifeline ends it if the parent dies. Many
// children under Wine take tens of seconds to start, more than the child's
// default of 30 s.
func (p *parent) childTimeout() (time.Duration, bool) {
	if p.readyTimeout == 0 {
		return 0, true
	}
	d := time.Until(p.startBy) + p.readyTimeout + setMargin
	d = (d + time.Second - 1).Truncate(time.Second)
	if d <= childDefaultTimeout {
		return 0, false
	}
	return d, true
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
