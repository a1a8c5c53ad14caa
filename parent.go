package handoff

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// LifelineName is the name under which a [Handoff] passes the lifeline: a
// command whose arguments or environment contain "{parent}" gets a handle on
// its parent process there, to open with [OpenLifeline].
const LifelineName = "parent"

// A Handoff starts a child process that inherits exactly the handles passed
// to it, and tells the child their values through placeholders.
//
// Before Start, every occurrence of {name} in Cmd.Args and Cmd.Env is
// replaced with the child-side value, in decimal, of the handle passed under
// that name, and {parent} with the value of the lifeline, which is passed
// only if some argument or environment variable names it. A Handoff must not
// be copied or reused after Start.
type Handoff struct {
	// Cmd is the command to start. Start sets fields of Cmd.SysProcAttr
	// (Windows: AdditionalInheritedHandles, CreationFlags; Linux: Pdeathsig)
	// and appends to Cmd.ExtraFiles (Linux); other fields are left to the
	// caller.
	Cmd *exec.Cmd

	passed []passed
	values map[string]uintptr
	err    error // first error from Pass
	sys    sysLaunch
	state  int
}

type passed struct {
	name string
	h    *sysHandle
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

// Pass arranges for the child to inherit a handle to e, under name. The name
// is made of lowercase ASCII letters, digits, '-' and '_', and is neither
// empty nor [LifelineName]. The Event stays owned by the caller and must stay
// open until Start returns; the child gets a handle of its own. A bad or
// repeated name is reported by Start.
func (h *Handoff) Pass(name string, e *Event) {
	if h.err != nil {
		return
	}
	switch {
	case !validName(name):
		h.err = fmt.Errorf("handoff: invalid name %q", name)
	case name == LifelineName:
		h.err = fmt.Errorf("handoff: name %q is reserved for the lifeline", name)
	case h.index(name) >= 0:
		h.err = fmt.Errorf("handoff: name %q passed twice", name)
	case e == nil:
		h.err = fmt.Errorf("handoff: name %q: nil event", name)
	default:
		h.passed = append(h.passed, passed{name, &e.h})
	}
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

// Start fills the placeholders, starts the child with the passed handles and
// the lifeline (if named), and releases the parent's inheritable copies of
// them before it returns, whether or not the child started. It returns an
// error if a passed name appears in no argument or environment variable, for
// the child could not learn that value. After a successful Start, the caller
// must call Wait.
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
	for _, p := range h.passed {
		if !h.names(p.name) {
			return fmt.Errorf("handoff: no argument or environment variable of %s names {%s}", h.Cmd.Path, p.name)
		}
	}
	handles := make([]*sysHandle, len(h.passed))
	for i, p := range h.passed {
		handles[i] = p.h
	}
	lifeline := h.names(LifelineName)
	values, err := h.sys.prepare(h.Cmd, handles, lifeline)
	if err != nil {
		return err
	}
	h.values = make(map[string]uintptr, len(values))
	for i, p := range h.passed {
		h.values[p.name] = values[i]
	}
	if lifeline {
		h.values[LifelineName] = values[len(values)-1]
	}
	h.fill()
	return h.sys.start(h.Cmd)
}

// names reports whether the command's arguments or environment contain the
// placeholder of name.
func (h *Handoff) names(name string) bool {
	ph := "{" + name + "}"
	for _, s := range h.Cmd.Args {
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
	pairs := make([]string, 0, 2*len(h.values))
	for name, v := range h.values {
		pairs = append(pairs, "{"+name+"}", FormatValue(v))
	}
	r := strings.NewReplacer(pairs...)
	for i, s := range h.Cmd.Args {
		h.Cmd.Args[i] = r.Replace(s)
	}
	for i, s := range h.Cmd.Env {
		h.Cmd.Env[i] = r.Replace(s)
	}
}

// Value returns the child-side value of the handle passed under name, or of
// the lifeline under [LifelineName], and whether there is one. It is known
// once Start has returned without error.
func (h *Handoff) Value(name string) (uintptr, bool) {
	v, ok := h.values[name]
	return v, ok
}

// Wait waits for the child to exit, as [exec.Cmd.Wait] does, then releases
// what Start kept for the child's lifetime (on Windows, the job object, whose
// closing ends any process the child left behind). Call it instead of
// Cmd.Wait.
func (h *Handoff) Wait() error {
	if h.state != stateStarted || h.Cmd == nil || h.Cmd.Process == nil {
		return errors.New("handoff: not started")
	}
	h.state = stateDone
	err := h.Cmd.Wait()
	if cerr := h.sys.close(); err == nil {
		err = cerr
	}
	return err
}
