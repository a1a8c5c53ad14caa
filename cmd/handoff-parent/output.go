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

// reportTimeout reports that the deadline, at t, kills the children that
// have not exited.
func (p *parent) reportTimeout(t int64) {
	msg := fmt.Sprintf("timeout: not every child exited within %v; killed them", p.timeout)
	if p.children == 1 {
		msg = fmt.Sprintf("timeout: the child did not exit within %v; killed it", p.timeout)
	}
	p.step(t, "timeout", msg, "after", p.timeout)
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
