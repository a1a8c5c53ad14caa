package handoff

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// LifelineName is the name under which a [Handoff] passes the lifeline: a
// command whose arguments or environment contain "{parent}" gets a handle on
// its parent process there, to open with [OpenLifeline].
const LifelineName = "parent"

// An Object is something a [Handoff] can pass to a child: an [*Event], a
// [*Semaphore], a [*SharedMemory], or a file given with [File].
type Object interface {
	// object returns the handle to pass and the kind of object it names.
	object() (sysHandle, kind, error)
}

// A Handoff starts a child process that inherits exactly the handles passed
// to it, and tells the child their values through placeholders.
//
// Before Start, every occurrence of {name} in Cmd.Args and Cmd.Env is
// replaced with the child-side value, in decimal, of the handle passed under
// that name; {parent} with the value of the lifeline; {ready} with that of
// the ready object (see [Handoff.ExpectReady]); and {handles} with the handles
// argument, which lists them all with their kinds (see [Handles]). The
// lifeline is passed only if some argument or environment variable names
// {parent} or {handles}. A Handoff must not be copied.
//
// Start never writes into the caller's slices: it gives Cmd new Args, Env
// and ExtraFiles slices, filled, and a SysProcAttr of its own, a copy of the
// caller's, so that one environment or one SysProcAttr can serve many
// commands. If Start fails, Cmd is as the caller gave it, and Start may be
// called again (with a Cmd that os/exec can still start). [Handoff.Wait] and
// [Handoff.WaitReady] may be called from different goroutines at once; the
// other methods must not run concurrently with anything.
type Handoff struct {
	// Cmd is the command to start. After a successful Start, Cmd.Args,
	// Cmd.Env and Cmd.ExtraFiles (Unix) are new slices holding what the
	// child got, and Cmd.SysProcAttr a copy of the caller's with the
	// fields Start sets (Linux: Pdeathsig, if the caller left it 0); other
	// fields are left to the caller. On Windows Start creates the child
	// itself, as Cmd.Start would (see the package documentation).
	Cmd *exec.Cmd

	passed    []passed
	values    map[string]uintptr
	handles   *Handles // what {handles} stands for, once Start has made it
	err       error    // first error from Pass
	ready     *sysHandle
	wantReady bool

	// sys is the platform's part of a start, called in this order:
	// prepare(cmd, handles, lifeline) makes what the child inherits and
	// returns the child's values; start(cmd) starts the child and keeps
	// what waitReady needs of it (Linux: a pidfd taken at once; Windows:
	// the process handle), or, if it fails, leaves nothing running or
	// open; waitReady(ctx, ready, cmd) may run in several goroutines at
	// once; close() runs once, after Cmd.Wait and every waitReady have
	// returned. Start restores the Cmd it was given after a failure.
	sys sysLaunch

	// mu guards state and waited, and ready once Start has returned, and
	// is held while Kill uses sys and while Wait releases it. waiters counts
	// the WaitReady calls in progress, which Wait lets end before it
	// closes what they use.
	mu      sync.Mutex
	state   int
	waited  bool // Wait has released sys; guarded by mu, for Kill
	waiters sync.WaitGroup
}

type passed struct {
	name string
	obj  Object
}

const (
	stateNew = iota
	stateStarted
	stateDone
)

// Command returns a Handoff that will start cmd.
func Command(cmd *exec.Cmd) *Handoff {
	return &Handoff{Cmd: cmd}
}

// Pass arranges for the child to inherit a handle to obj, under name. The
// name is made of lowercase ASCII letters, digits, '-' and '_', and is not
// empty, [LifelineName], [ReadyName] or [HandlesName]. obj stays owned by the
// caller and must stay open until Start returns; the child gets a handle of
// its own. A bad or repeated name is reported by Start.
func (h *Handoff) Pass(name string, obj Object) {
	if h.err != nil {
		return
	}
	switch {
	case !validName(name):
		h.err = fmt.Errorf("handoff: invalid name %q", name)
	case name == LifelineName || name == ReadyName || name == HandlesName:
		h.err = fmt.Errorf("handoff: name %q is reserved", name)
	case h.index(name) >= 0:
		h.err = fmt.Errorf("handoff: name %q passed twice", name)
	case obj == nil || isNilObject(obj):
		h.err = fmt.Errorf("handoff: name %q: nil object", name)
	default:
		h.passed = append(h.passed, passed{name, obj})
	}
}

func isNilObject(obj Object) bool {
	switch o := obj.(type) {
	case *Event:
		return o == nil
	case *Semaphore:
		return o == nil
	case *SharedMemory:
		return o == nil
	}
	return false
}

// ExpectReady arranges for Start to pass the child a ready object, under
// [ReadyName], which the child signals with [SignalReady] or [Handles.Ready]
// once it has verified what it received, and which [Handoff.WaitReady]
// waits for.
func (h *Handoff) ExpectReady() { h.wantReady = true }

// WaitReady waits until the child signals the ready object. If the child
// exits first, it returns an error wrapping [ErrNotReady]; if ctx is done
// first, [context.Cause] of ctx. Either way the child may still run: end it
// or Wait for it.
//
// WaitReady may run in another goroutine than [Handoff.Wait], which then
// lets it return (the child has exited) before it releases the ready object.
func (h *Handoff) WaitReady(ctx context.Context) error {
	h.mu.Lock()
	if h.state != stateStarted || h.ready == nil {
		h.mu.Unlock()
		return errors.New("handoff: WaitReady called before Start, after Wait, or without ExpectReady")
	}
	h.waiters.Add(1)
	ready := h.ready
	h.mu.Unlock()
	defer h.waiters.Done()
	return h.sys.waitReady(ctx, ready, h.Cmd)
}

func (h *Handoff) index(name string) int {
	for i, p := range h.passed {
		if p.name == name {
			return i
		}
	}
	return -1
}

func validName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Start fills the placeholders and starts the child with the passed
// handles, the ready object (if expected) and the lifeline (if named). How
// the child gets exactly these and nothing else the parent holds differs by
// platform: see the package documentation. No handle of the parent's
// becomes inheritable, whether or not the child starts. Start returns an
// error if a passed name appears in no argument or environment variable,
// for the child could not learn that value. After a successful Start, the
// caller must call Wait. After a failed one, Cmd is as the caller gave it
// and Start may be called again.
func (h *Handoff) Start() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.state != stateNew {
		return errors.New("handoff: Start called twice")
	}
	if h.err != nil {
		return h.err
	}
	if h.Cmd == nil {
		return errors.New("handoff: Start with a nil Cmd")
	}
	saved := *h.Cmd
	if err := h.start(); err != nil {
		h.closeReady()
		// The caller's Cmd as it was, but for what os/exec's own Start
		// changed in it (its Process, if the child started and a later
		// step failed, which the platform has ended and waited for).
		restore(h.Cmd, &saved)
		h.values, h.handles = nil, nil
		return err
	}
	h.state = stateStarted
	return nil
}

// restore puts back in cmd the fields of saved that Start changes.
func restore(cmd, saved *exec.Cmd) {
	cmd.Args, cmd.Env, cmd.ExtraFiles, cmd.SysProcAttr = saved.Args, saved.Env, saved.ExtraFiles, saved.SysProcAttr
}

func (h *Handoff) start() error {
	list := h.names(HandlesName)
	entries, handles, err := h.collect(list)
	if err != nil {
		return err
	}
	lifeline := list || h.names(LifelineName)
	// What prepare and start write goes into slices and a SysProcAttr of
	// Start's own: the caller's may be shared with other commands.
	h.Cmd.ExtraFiles = slices.Clip(h.Cmd.ExtraFiles)
	if sp := h.Cmd.SysProcAttr; sp != nil {
		own := *sp
		h.Cmd.SysProcAttr = &own
	} else {
		h.Cmd.SysProcAttr = new(syscall.SysProcAttr)
	}
	values, err := h.sys.prepare(h.Cmd, handles, lifeline)
	if err != nil {
		return err
	}
	if lifeline {
		entries = append(entries, handleEntry{name: LifelineName, kind: kindLifeline})
	}
	h.values = make(map[string]uintptr, len(values))
	for i, v := range values {
		h.values[entries[i].name] = v
		entries[i].value = FormatValue(v)
	}
	h.handles = &Handles{entries: entries}
	h.fill()
	return h.sys.start(h.Cmd)
}

// collect returns the entries of the handles argument, without their
// values, and the handles to pass, in the same order: the passed objects,
// then the ready object, which it makes, if expected. list tells whether
// the command names {handles}.
func (h *Handoff) collect(list bool) ([]handleEntry, []*sysHandle, error) {
	entries := make([]handleEntry, 0, len(h.passed)+2)
	handles := make([]*sysHandle, 0, len(h.passed)+2)
	for _, p := range h.passed {
		if !list && !h.names(p.name) {
			return nil, nil, fmt.Errorf("handoff: %q: no argument or environment variable of %s names {%s} or {%s}", p.name, h.Cmd.Path, p.name, HandlesName)
		}
		sh, k, err := p.obj.object()
		if err != nil {
			return nil, nil, fmt.Errorf("handoff: %s %q: %w", k, p.name, err)
		}
		entries, handles = append(entries, handleEntry{name: p.name, kind: k}), append(handles, &sh)
	}
	if h.wantReady {
		if !list && !h.names(ReadyName) {
			return nil, nil, fmt.Errorf("handoff: ExpectReady, but no argument or environment variable of %s names {%s} or {%s}", h.Cmd.Path, ReadyName, HandlesName)
		}
		r, err := newReady()
		if err != nil {
			return nil, nil, err
		}
		h.ready = &r
		entries, handles = append(entries, handleEntry{name: ReadyName, kind: kindReady}), append(handles, h.ready)
	}
	return entries, handles, nil
}

func (h *Handoff) closeReady() {
	if h.ready != nil {
		h.ready.close()
		h.ready = nil
	}
}

// names reports whether the command's arguments or environment contain the
// placeholder of name.
func (h *Handoff) names(name string) bool {
	ph := "{" + name + "}"
	for _, s := range childArgs(h.Cmd) {
		if strings.Contains(s, ph) {
			return true
		}
	}
	for _, s := range h.Cmd.Env {
		if strings.Contains(s, ph) {
			return true
		}
	}
	return false
}

// fill gives Cmd new Args and Env slices, with the placeholders replaced
// by their values: the caller's may be shared with other commands.
func (h *Handoff) fill() {
	replace := func(in []string) []string {
		if in == nil {
			return nil
		}
		out := make([]string, len(in))
		for i, s := range in {
			out[i] = h.replace(s)
		}
		return out
	}
	h.Cmd.Args, h.Cmd.Env = replace(h.Cmd.Args), replace(h.Cmd.Env)
	h.sys.fill(h.Cmd, h.replace)
}

// replace returns s with each placeholder of a value Start knows, {name},
// replaced by the value, and {handles} by the handles argument; any other
// text in braces is left as it is. Names hold no braces, so a placeholder
// ends at the first '}' after its '{'.
func (h *Handoff) replace(s string) string {
	var b []byte
	done := 0 // s[:done] is in b
	for i := 0; i < len(s); i++ {
		if s[i] != '{' {
			continue
		}
		n := strings.IndexByte(s[i+1:], '}')
		if n < 0 {
			break
		}
		name := s[i+1 : i+1+n]
		var value string
		if v, ok := h.values[name]; ok {
			value = FormatValue(v)
		} else if name == HandlesName {
			value = h.handles.String()
		} else {
			continue
		}
		b = append(append(b, s[done:i]...), value...)
		i += n + 1
		done = i + 1
	}
	if done == 0 { // nothing replaced
		return s
	}
	return string(append(b, s[done:]...))
}

// Value returns the child-side value of the handle passed under name, of
// the lifeline under [LifelineName], or of the ready object under
// [ReadyName], and whether there is one. It is known once Start has returned
// without error.
func (h *Handoff) Value(name string) (uintptr, bool) {
	v, ok := h.values[name]
	return v, ok
}

// Handles returns the handles argument that {handles} stands for, parsed:
// every handle passed, with its name, kind and child-side value, as the
// child's [ParseHandles] returns it; its String method gives the argument's
// text. It is nil before Start, and known once Start has returned without
// error.
func (h *Handoff) Handles() *Handles { return h.handles }

// Wait waits for the child to exit, as [exec.Cmd.Wait] does, then releases
// what Start kept for the child's lifetime (on Windows, the job object, whose
// closing ends any process the child left behind; the ready object), once
// any [Handoff.WaitReady] in progress has returned. Call it instead of
// Cmd.Wait, once.
func (h *Handoff) Wait() error {
	h.mu.Lock()
	if h.state != stateStarted {
		h.mu.Unlock()
		return errors.New("handoff: Wait called before a successful Start, or twice")
	}
	h.state = stateDone
	h.mu.Unlock()
	err := h.sys.wait(h.Cmd)
	h.waiters.Wait()
	h.closeReady()
	h.mu.Lock()
	cerr := h.sys.close()
	h.waited = true
	h.mu.Unlock()
	if err == nil {
		err = cerr
	}
	return err
}

// waitReadyOrExit is the wait of [Handoff.WaitReady]: nil once the ready
// object is signaled, an error wrapping ErrNotReady if the child exits
// first, the cause of ctx if it is done first.
func waitReadyOrExit(ctx context.Context, ready *sysHandle, child *sysHandle, pid int) error {
	switch err := ready.wait(ctx, child); {
	case err == nil:
		return nil
	case errors.Is(err, ErrParentGone):
		return fmt.Errorf("handoff: child %d: %w", pid, ErrNotReady)
	default:
		return err
	}
}
