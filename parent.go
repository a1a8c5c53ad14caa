package handoff

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
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
// {parent} or {handles}. A Handoff must not be copied or reused after Start.
type Handoff struct {
	// Cmd is the command to start. Start sets fields of Cmd.SysProcAttr
	// (Linux: Pdeathsig) and appends to Cmd.ExtraFiles (Unix); other
	// fields are left to the caller. On Windows Start creates the child
	// itself, as Cmd.Start would (see the package documentation).
	Cmd *exec.Cmd

	passed    []passed
	values    map[string]uintptr
	handles   *Handles // what {handles} stands for, once Start has made it
	err       error    // first error from Pass
	ready     *sysHandle
	wantReady bool
	sys       sysLaunch
	state     int
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
func (h *Handoff) WaitReady(ctx context.Context) error {
	if h.state != stateStarted || h.ready == nil {
		return errors.New("handoff: WaitReady: not started, or ExpectReady not called")
	}
	return h.sys.waitReady(ctx, h.ready, h.Cmd)
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
// caller must call Wait.
func (h *Handoff) Start() error {
	if h.state != stateNew {
		return errors.New("handoff: already started")
	}
	h.state = stateStarted
	if h.err != nil {
		return h.err
	}
	if h.Cmd == nil {
		return errors.New("handoff: nil Cmd")
	}
	list := h.names(HandlesName)
	entries, handles, err := h.collect(list)
	if err != nil {
		return err
	}
	lifeline := list || h.names(LifelineName)
	values, err := h.sys.prepare(h.Cmd, handles, lifeline)
	if err != nil {
		h.closeReady()
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
	if err := h.sys.start(h.Cmd); err != nil {
		h.closeReady()
		return err
	}
	return nil
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
			return nil, nil, fmt.Errorf("handoff: no argument or environment variable of %s names {%s} or {%s}", h.Cmd.Path, p.name, HandlesName)
		}
		sh, k, err := p.obj.object()
		if err != nil {
			return nil, nil, fmt.Errorf("handoff: name %q: %w", p.name, err)
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

// fill replaces the placeholders with their values.
func (h *Handoff) fill() {
	pairs := make([]string, 0, 2*len(h.values)+2)
	for name, v := range h.values {
		pairs = append(pairs, "{"+name+"}", FormatValue(v))
	}
	pairs = append(pairs, "{"+HandlesName+"}", h.handles.String())
	r := strings.NewReplacer(pairs...)
	for i, s := range h.Cmd.Args {
		h.Cmd.Args[i] = r.Replace(s)
	}
	for i, s := range h.Cmd.Env {
		h.Cmd.Env[i] = r.Replace(s)
	}
	h.sys.fill(h.Cmd, r)
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
// closing ends any process the child left behind; the ready object). Call it
// instead of Cmd.Wait.
func (h *Handoff) Wait() error {
	if h.state != stateStarted || h.Cmd == nil || h.Cmd.Process == nil {
		return errors.New("handoff: not started")
	}
	h.state = stateDone
	err := h.sys.wait(h.Cmd)
	h.closeReady()
	if cerr := h.sys.close(); err == nil {
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
		return fmt.Errorf("handoff: child %d exited before it was ready: %w", pid, ErrNotReady)
	default:
		return err
	}
}
