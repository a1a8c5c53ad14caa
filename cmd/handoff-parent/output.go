package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/handoff/handoff/internal/trace"
)

// step reports a step that happened at t (from p.now): msg for a person,
// step and the details kv for the timeline.
func (p *parent) step(t int64, step, msg string, kv ...any) {
	if p.tracing() {
		p.rec.AddAt(t, step, kv...)
		return
	}
	fmt.Fprintf(p.stdout, "[PARENT] %s\n", msg)
}

// reportTimeout reports that the deadline, at t, killed one or more of n
// children.
func (p *parent) reportTimeout(t int64, n int) {
	msg := fmt.Sprintf("timeout: not every child exited within %v; killed them", p.timeout)
	if n == 1 {
		msg = fmt.Sprintf("timeout: the child did not exit within %v; killed it", p.timeout)
	}
	p.step(t, "timeout", msg, "after", p.timeout)
}

// reportExits reports, at t, how each child that was waited for ended. It
// is the one place that does. After the set, a child that exited is said to
// have exited with its code; before it (the run stopped the children), each
// is said to have ended, with its status.
func (p *parent) reportExits(children []*child, t int64, afterSet bool) {
	n := len(children)
	for _, c := range children {
		state := c.h.Cmd.ProcessState
		if state == nil {
			continue
		}
		kv := []any{"code", state.ExitCode()}
		if n > 1 {
			kv = append(kv, "child", c.index)
		}
		switch {
		case afterSet && state.Exited():
			p.step(t, "child-exited", fmt.Sprintf("%s exited with code %d", c.name(n), state.ExitCode()), kv...)
		case afterSet:
			p.step(t, "child-exited", fmt.Sprintf("%s ended: %v", c.name(n), state), append(kv, "status", state)...)
		default:
			p.step(t, "child-exited", fmt.Sprintf("%s ended: %v", c.name(n), state), kv...)
		}
	}
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

// setTraceEnv sets HANDOFF_TRACE=1 in this process's environment, which the
// children inherit, when tracing, and removes it otherwise, so that a child
// asked for no trace lines writes none. It changes the environment of the
// process rather than set each child's Cmd.Env, in which package handoff
// would replace the placeholders: the environment is passed as it is.
func setTraceEnv(tracing bool) error {
	if tracing {
		return os.Setenv(trace.EnvVar, "1")
	}
	return os.Unsetenv(trace.EnvVar)
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
