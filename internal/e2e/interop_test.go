//go:build linux

package e2e

// Go and C programs mixed: each parent with each child, refusals, a
// grandparent, and a C parent that dies or is killed.

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The interop tests run every parent against every child: handoff-parent,
// the C parent (c/examples/parent.c, built as cparent) and the classic
// inherit-all parent (classicparent), with handoff-child, the C child
// (c/examples/child.c, built as cchild) and the classic child
// (classicchild). docs/protocol.md is the contract they share.

// bothC runs f once per platform, as both does, with the C programs built.
func bothC(t *testing.T, f func(t *testing.T, p platform)) {
	t.Helper()
	both(t, func(t *testing.T, p platform) {
		if pipeBackend && p.name == "linux" {
			t.Skip("c/handoff.h keeps the Linux protocol (eventfd, pidfd), not the pipe backend that -tags handoff_pipe builds; the run without the tag covers it")
		}
		needC(t, p)
		f(t, p)
	})
}

// sent is what a parent reports it passed: the child's pid (if it says)
// and the values, "" for none.
type sent struct {
	pid, event, ready, lifeline string
}

// sentBy parses the report of parent, one of handoff-parent, cparent and
// classicparent.
func sentBy(t *testing.T, out, parent string) sent {
	t.Helper()
	if parent == "classicparent" {
		s := sent{event: match(t, out, `\[CLASSIC PARENT\] created inheritable event, handle (\d+)`)[1]}
		s.pid = match(t, out, `\[CLASSIC PARENT\] started child pid (\d+): .*`)[1]
		if m := regexp.MustCompile(`(?m)^\[CLASSIC PARENT\] created inheritable lifeline, handle (\d+)`).FindStringSubmatch(out); m != nil {
			s.lifeline = m[1]
		}
		return s
	}
	m := match(t, out, `\[PARENT\] started child pid (\d+): .* \(passed event=(\d+)(?: ready=(\d+))?(?: parent=(\d+))?\)`)
	return sent{pid: m[1], event: m[2], ready: m[3], lifeline: m[4]}
}

// TestInteropMatrix runs each parent with each child in each of the
// child's command-line forms: every run must exit 0, and a child that
// follows the protocol must report that it verified exactly the values its
// parent passed, and the lifeline when one was passed.
func TestInteropMatrix(t *testing.T) {
	type form struct {
		name     string
		args     []string // after the child's path, for handoff-parent and cparent
		lifeline bool     // a lifeline is passed
		handles  bool     // the handles argument, with the ready handshake
	}
	forms := []form{
		{"handles", []string{"-handles", "{handles}"}, true, true},
		{"event-parent", []string{"-event", "{event}", "-parent", "{parent}"}, true, false},
		{"bare", []string{"{event}"}, false, false},
	}
	type cell struct {
		parent, child string
		form          form
	}
	var cells []cell
	for _, parent := range []string{"handoff-parent", "cparent"} {
		for _, child := range []string{"handoff-child", "cchild"} {
			for _, f := range forms {
				cells = append(cells, cell{parent, child, f})
			}
		}
		cells = append(cells, cell{parent, "classicchild", forms[2]})
	}
	for _, child := range []string{"handoff-child", "cchild"} {
		cells = append(cells, cell{"classicparent", child, forms[2]}, cell{"classicparent", child, forms[1]})
	}
	cells = append(cells, cell{"classicparent", "classicchild", forms[2]})

	bothC(t, func(t *testing.T, p platform) {
		for _, c := range cells {
			t.Run(fmt.Sprintf("%s/%s/%s", c.parent, c.child, c.form.name), func(t *testing.T) {
				var args []string
				switch {
				case c.parent != "classicparent":
					args = append([]string{"--", p.path(c.child)}, c.form.args...)
				case c.form.lifeline:
					args = []string{"-lifeline", p.path(c.child)}
				default:
					args = []string{p.path(c.child)}
				}
				r := p.run(t, limit, nil, c.parent, args...)
				if r.code != 0 {
					t.Fatalf("%s %q: exit %d, want 0\n%v", c.parent, args, r.code, r)
				}
				if r.stderr != "" {
					t.Errorf("stderr not empty:\n%s", r.stderr)
				}
				s := sentBy(t, r.stdout, c.parent)
				if (s.lifeline != "") != c.form.lifeline {
					t.Errorf("lifeline passed: %q, want one: %v\n%s", s.lifeline, c.form.lifeline, r.stdout)
				}
				if c.parent != "classicparent" && (s.ready != "") != c.form.handles {
					t.Errorf("ready passed: %q, want one: %v\n%s", s.ready, c.form.handles, r.stdout)
				}
				checkChild(t, p, c.child, c.form.handles, s, r.stdout)
				if c.parent == "classicparent" {
					index(t, r.stdout, "[CLASSIC PARENT] child exited with code 0")
				} else {
					index(t, r.stdout, "[PARENT] child exited with code 0")
				}
				if c.form.handles && c.parent != "classicparent" {
					index(t, r.stdout, "[PARENT] the child is ready")
				}
			})
		}
	})
}

// checkChild checks the output of a child that exited 0 after its parent
// sent it s: what it says it received, verified and waited for.
func checkChild(t *testing.T, p platform, child string, handles bool, s sent, out string) {
	t.Helper()
	if child == "classicchild" {
		waiting := index(t, out, fmt.Sprintf("[CLASSIC CHILD] pid %s: waiting on handle %s", s.pid, s.event))
		if index(t, out, "[CLASSIC CHILD] Event signaled") < waiting {
			t.Errorf("signaled before waiting:\n%s", out)
		}
		return
	}
	switch {
	case handles:
		list := fmt.Sprintf("event=event:%s,ready=ready:%s,parent=lifeline:%s", s.event, s.ready, s.lifeline)
		index(t, out, fmt.Sprintf("[CHILD] pid %s: got handles %q", s.pid, list))
	case s.lifeline != "":
		index(t, out, fmt.Sprintf("[CHILD] pid %s: got event handle %s, lifeline handle %s", s.pid, s.event, s.lifeline))
	default:
		index(t, out, fmt.Sprintf("[CHILD] pid %s: got event handle %s, no lifeline", s.pid, s.event))
	}
	verified := index(t, out, fmt.Sprintf("[CHILD] verified event %s: inherited, type %s", s.event, p.observed(t)["event"]))
	if s.lifeline != "" {
		m := match(t, out, fmt.Sprintf(`\[CHILD\] verified lifeline %s: inherited, type %s, parent pid (\d+)`, s.lifeline, p.observed(t)["parent"]))
		if m[1] == s.pid {
			t.Errorf("the lifeline's parent pid is the child's own:\n%s", out)
		}
	} else if strings.Contains(out, "verified lifeline") {
		t.Errorf("the child verified a lifeline that was not passed:\n%s", out)
	}
	if handles {
		index(t, out, "[CHILD] reported ready to the parent")
	}
	waiting := index(t, out, "[CHILD] waiting for the event (timeout 30s)")
	signaled := index(t, out, "[CHILD] Event signaled")
	exiting := index(t, out, "[CHILD] exiting with code 0")
	if !(verified < waiting && waiting < signaled && signaled < exiting) {
		t.Errorf("steps out of order:\n%s", out)
	}
}

// TestInteropRefused has handoff-parent and the C parent pass each child
// that follows the protocol what it must refuse, in each form: a lifeline
// where it wants the event (wrong type, 5), an event listed as a lifeline
// (wrong type), and the event's value as the lifeline's too (usage, 2: one
// value names one handle). The child must exit without waiting, and the
// parent with 8.
func TestInteropRefused(t *testing.T) {
	forms := []struct {
		name string
		args []string
		code int
		why  string // in the child's error
	}{
		{"swapped", []string{"-event", "{parent}", "-parent", "{event}"}, codeWrongType, "event VALUE: wrong type of object: handle is a Process"},
		{"listed-as-lifeline", []string{"-handles", "event=lifeline:{event}"}, codeWrongType, "wrong type of object: listed as a lifeline"},
		{"handles-lifeline", []string{"-handles", "event=event:{parent},other=event:{event}"}, codeWrongType, "event VALUE: wrong type of object: handle is a Process"},
		{"twice", []string{"-event", "{event}", "-parent", "{event}"}, codeUsage, "-parent VALUE is the event's value too"},
	}
	bothC(t, func(t *testing.T, p platform) {
		for _, parent := range []string{"handoff-parent", "cparent"} {
			for _, child := range []string{"handoff-child", "cchild"} {
				for _, f := range forms {
					t.Run(parent+"/"+child+"/"+f.name, func(t *testing.T) {
						r := p.run(t, limit, nil, parent, append([]string{"--", p.path(child)}, f.args...)...)
						if r.code != codeChildFailed {
							t.Fatalf("exit %d, want %d (child failed)\n%v", r.code, codeChildFailed, r)
						}
						s := sentBy(t, r.stdout, parent)
						// A usage error is reported before the child's steps.
						if f.code != codeUsage {
							index(t, r.stdout, fmt.Sprintf("[CHILD] exiting with code %d", f.code))
						}
						index(t, r.stdout, fmt.Sprintf("[PARENT] child exited with code %d", f.code))
						value := s.event
						if f.name != "twice" {
							value = s.lifeline
						}
						why := strings.ReplaceAll(f.why, "VALUE", value)
						if p.name == "linux" {
							why = strings.ReplaceAll(why, "handle is a Process", "descriptor is anon_inode:[pidfd]")
						}
						prefix := child + ": handoff: "
						if f.code == codeUsage {
							prefix = child + ": "
						}
						if !strings.Contains(r.stderr, prefix) || !strings.Contains(r.stderr, why) {
							t.Errorf("stderr:\n%s\nwant %s...%s...", r.stderr, prefix, why)
						}
						if !strings.Contains(r.stderr, fmt.Sprintf("%s: child failed: exit code %d", parent, f.code)) {
							t.Errorf("stderr:\n%s\nwant the parent's report", r.stderr)
						}
						if strings.Contains(r.stdout, "[CHILD] waiting") {
							t.Errorf("the child waited:\n%s", r.stdout)
						}
					})
				}
			}
		}
	})
}

// TestInteropGrandparent puts a shell between each parent and each child
// that follows the protocol (Linux sh, which forks the child; Windows cmd,
// both of which pass on what they inherited): the lifeline then names the
// child's grandparent, and the child must refuse it as "parent gone" (6).
func TestInteropGrandparent(t *testing.T) {
	bothC(t, func(t *testing.T, p platform) {
		for _, parent := range []string{"handoff-parent", "cparent"} {
			for _, child := range []string{"handoff-child", "cchild"} {
				t.Run(parent+"/"+child, func(t *testing.T) {
					line := p.path(child) + " -event {event} -parent {parent}"
					shell := []string{"sh", "-c", line + "; exit $?"} // a list: sh forks, not execs
					if p.name == "windows" {
						shell = []string{"cmd", "/c", line}
					}
					r := p.run(t, limit, nil, parent, append([]string{"--"}, shell...)...)
					if r.code != codeChildFailed {
						t.Fatalf("exit %d, want %d (child failed)\n%v", r.code, codeChildFailed, r)
					}
					s := sentBy(t, r.stdout, parent)
					index(t, r.stdout, fmt.Sprintf("[CHILD] verified event %s: inherited, type %s", s.event, p.observed(t)["event"]))
					index(t, r.stdout, "[CHILD] exiting with code 6")
					want := fmt.Sprintf("%s: handoff: lifeline %s: parent gone: ", child, s.lifeline)
					if !strings.Contains(r.stderr, want) {
						t.Errorf("stderr:\n%s\nwant %s...", r.stderr, want)
					}
				})
			}
		}
	})
}

// TestInteropBogus gives handoff-child and the C child the same bogus
// command lines: the C child must exit with handoff-child's code, within
// the codes documented for them, quickly, with the same kind of error and
// without waiting.
func TestInteropBogus(t *testing.T) {
	sweep := [][]string{
		{"12345"}, {"12344"}, {"0"}, {"abc"}, {"0xFFFFFFFF"}, {"4294967296"}, {" 42"}, {"42 "}, {"+4"}, {"012"},
		{"0x4"}, {"0X10"}, {"1"}, {"4"}, {"-event", "-1"}, {"-event", ""}, {"-event", "0x"}, {"-event", "0x1000"},
		{"-parent", "12344", "-event", "12344"}, {"-handles", ""}, {"-handles", "x"}, {"-handles", "Event=event:4"},
		{"-handles", "event=bogus:4"}, {"-handles", "event=event:4,event=event:8"}, {"-handles", "event=event:4,e2=event:0x4"},
		{"-handles", "event=event:4,"}, {"-handles", "event=event:12344"}, {"-handles", "parent=lifeline:12344"},
		{"-handles", "event=event:1"}, {"-handles", "event=event:4", "8"}, {"-handles", "event=event:4", "-event", "4"},
		{}, {"8", "12"}, {"-bogus", "8"}, {"-event"}, {"-timeout", "x", "8"}, {"-timeout", "-1s", "8"}, {"-event", "8", "12"},
	}
	// What each error code's message must contain.
	sentinel := map[int]string{
		codeBadValue:     "bad handle value",
		codeNotInherited: "", // "not an inherited handle" or "no handle passed under that name"
		codeWrongType:    "wrong type of object",
	}
	bothC(t, func(t *testing.T, p platform) {
		for _, args := range sweep {
			goChild := p.run(t, limit, nil, "handoff-child", args...)
			c := p.run(t, limit, nil, "cchild", args...)
			if c.code != goChild.code {
				t.Errorf("cchild %q: exit %d, handoff-child exits %d\n%v", args, c.code, goChild.code, c)
				continue
			}
			want, ok := sentinel[c.code]
			switch {
			case c.code == codeUsage:
				// The same complaint, before the usage line.
				g, _, _ := strings.Cut(strings.TrimPrefix(goChild.stderr, "handoff-child: "), " (usage: ")
				cs, _, _ := strings.Cut(strings.TrimPrefix(c.stderr, "cchild: "), " (usage: ")
				if g != cs || !strings.HasPrefix(c.stderr, "cchild: ") {
					t.Errorf("cchild %q: stderr %q, handoff-child's %q", args, c.stderr, goChild.stderr)
				}
			case !ok:
				t.Errorf("cchild %q: exit %d, not a code for a bogus value\n%v", args, c.code, c)
			case want == "" && !strings.Contains(c.stderr, "not an inherited handle") && !strings.Contains(c.stderr, "no handle passed under that name"),
				want != "" && !strings.Contains(c.stderr, want),
				!strings.HasPrefix(c.stderr, "cchild: "):
				t.Errorf("cchild %q: exit %d with stderr %q, want cchild: ...%s...", args, c.code, c.stderr, want)
			}
			if strings.Contains(c.stdout, "signaled") || strings.Contains(c.stdout, "waiting") {
				t.Errorf("cchild %q waited:\n%s", args, c.stdout)
			}
			if c.elapsed > 3*time.Second {
				t.Errorf("cchild %q took %v, want under 3s", args, c.elapsed)
			}
		}
	})
}

// TestInteropParentDies runs the C child under a classic parent that
// passes -event and -parent and is killed without setting the event: the
// child must notice at once and exit with "parent gone".
func TestInteropParentDies(t *testing.T) {
	bothC(t, func(t *testing.T, p platform) {
		env, _ := token(t)
		cmd, out, errOut := startUntil(t, p, env, "[CHILD] waiting for the event", "classicparent", "-lifeline", "-noset", p.path("cchild"))
		// The classic parent says whom it started once CreateProcess or
		// fork has returned, which may be after the child's first lines.
		if !out.waitFor("[CLASSIC PARENT] started child pid", time.Now().Add(limit)) {
			t.Fatalf("classicparent never said whom it started:\n%s", out)
		}
		s := sentBy(t, out.String(), "classicparent")
		ppid := match(t, out.String(), `\[CLASSIC PARENT\] created inheritable lifeline, handle \d+ \(pid (\d+)\)`)[1]
		index(t, out.String(), fmt.Sprintf("[CHILD] verified lifeline %s: inherited, type %s, parent pid %s", s.lifeline, p.observed(t)["parent"], ppid))
		killed := killWait(t, cmd)
		d := endedAfterKill(t, out, errOut, killed)
		index(t, out.String(), "[CHILD] stopped waiting: parent gone")
		index(t, out.String(), "[CHILD] exiting with code 6")
		if !strings.Contains(errOut.String(), "cchild: wait for event "+s.event+": parent gone") {
			t.Errorf("child's stderr %q, want cchild: wait for event %s: parent gone...", errOut, s.event)
		}
		if d > 1500*time.Millisecond {
			t.Errorf("the child took %v to notice, want about 1s at most", d)
		}
		gone(t, env, 5*time.Second)
	})
}

// TestInteropKillCParent kills the C parent while its child runs: the
// child must be gone within a few seconds, killed with its parent (Linux:
// the parent-death signal; Windows: the job).
func TestInteropKillCParent(t *testing.T) {
	bothC(t, func(t *testing.T, p platform) {
		env, _ := token(t)
		cmd, out, _ := startUntil(t, p, env, "# sleeping", "cparent", "--", p.path("probe"), "-sleep", "1h", "{event}", "{parent}")
		child := childrenOf(t, env, cmd, out)
		killWait(t, cmd)
		d := gone(t, env, 5*time.Second)
		t.Logf("child %v gone %v after the parent was killed", child, d)
	})
}

// startUntil starts program name of p with the token entry env, reading its
// standard output and error line by line, and returns once a line of its
// output contains line; it fails the test if none does within limit.
func startUntil(t *testing.T, p platform, env, line, name string, args ...string) (*exec.Cmd, *lines, *lines) {
	t.Helper()
	cmd := p.command(t.Context(), []string{env}, name, args...)
	out, errOut := pipe(t, cmd, "stdout"), pipe(t, cmd, "stderr")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	closeWriters(cmd)
	if !out.waitFor(line, time.Now().Add(limit)) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("%s %q: no line %q:\n%s\n%s", name, args, line, out, errOut)
	}
	return cmd, out, errOut
}

// killWait kills cmd's process, waits for it, and returns when it killed it.
func killWait(t *testing.T, cmd *exec.Cmd) time.Time {
	t.Helper()
	at := time.Now()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	return at
}

// TestInteropCParentProbe runs the probe under the C parent: the probe
// must hold its standard handles and exactly the two handles passed, each
// of its type, and nothing else that it would pass on. Then the same with
// the C parent started by the classic parent, which leaves it holding the
// classic event, inheritable: the probe must not get that either.
func TestInteropCParentProbe(t *testing.T) {
	bothC(t, func(t *testing.T, p platform) {
		r := p.run(t, limit, nil, "cparent", "--", p.path("probe"), "{event}", "{parent}")
		if r.code != 0 {
			t.Fatalf("cparent -- probe: exit %d, want 0\n%v", r.code, r)
		}
		s := sentBy(t, r.stdout, "cparent")
		checkProbe(t, p, r.stdout, s.event, s.lifeline)

		r = p.run(t, limit, nil, "classicparent", p.path("cparent"), "--", p.path("probe"), "{event}", "{parent}")
		if r.code != 0 {
			t.Fatalf("classicparent cparent -- probe: exit %d, want 0\n%v", r.code, r)
		}
		classic := match(t, r.stdout, `\[CLASSIC PARENT\] created inheritable event, handle (\d+)`)[1]
		// The classic parent appends its event's value: the probe
		// describes it in its own process, where it must not be inherited.
		c := sentBy(t, r.stdout, "cparent")
		match(t, r.stdout, fmt.Sprintf(`\[PARENT\] started child pid %s: probe(\.exe)? %s %s %s \(passed event=%[2]s parent=%[3]s\)`, c.pid, c.event, c.lifeline, classic))
		checkProbe(t, p, r.stdout, c.event, c.lifeline)
	})
}

// checkProbe checks the list of a probe whose parent passed it event and
// lifeline: exactly those and the standard handles, each of its type.
func checkProbe(t *testing.T, p platform, out, event, lifeline string) {
	t.Helper()
	stdio := strings.Fields(match(t, out, `# stdio (\d+ \d+ \d+)`)[1])
	evWord, lifelineWord := p.probeWords()
	want := map[string]string{event: evWord, lifeline: lifelineWord}
	for _, v := range stdio {
		want[v] = "" // any type
	}
	if len(want) != 5 {
		t.Fatalf("event %s, lifeline %s and stdio %v are not 5 distinct values", event, lifeline, stdio)
	}
	got := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^(\d+) (\S+)$`).FindAllStringSubmatch(out, -1) {
		got[m[1]] = m[2]
	}
	if n := match(t, out, `# end (\d+)`)[1]; n != strconv.Itoa(len(got)) {
		t.Fatalf("probe says %s handles, listed %d:\n%s", n, len(got), out)
	}
	for v, typ := range got {
		w, ok := want[v]
		switch {
		case !ok:
			t.Errorf("child inherited %s (%s), which its parent did not pass", v, typ)
		case w != "" && typ != w:
			t.Errorf("child's %s is a %s, want %s", v, typ, w)
		}
	}
	for v := range want {
		if _, ok := got[v]; !ok {
			t.Errorf("child did not inherit %s", v)
		}
	}
	if t.Failed() {
		t.Logf("probe output:\n%s", out)
	}
}

// TestInteropCParentEnds checks the C parent's ends other than success:
// a child that outlives -timeout, one that exits before it is ready, one
// that is not ready within -ready-timeout, and usage errors, which must
// exit with handoff-parent's code.
func TestInteropCParentEnds(t *testing.T) {
	bothC(t, func(t *testing.T, p platform) {
		t.Run("timeout", func(t *testing.T) { checkTimeout(t, p, "cparent") })
		t.Run("not-ready", func(t *testing.T) {
			r := p.run(t, limit, nil, "cparent", "--", p.path("probe"), "{ready}", "{event}")
			if r.code != codeChildFailed {
				t.Fatalf("exit %d, want %d (child failed)\n%v", r.code, codeChildFailed, r)
			}
			index(t, r.stdout, "# end 5") // stdio, ready, event
			if !strings.Contains(r.stderr, "exited before it was ready") || strings.Contains(r.stdout, "event set") {
				t.Errorf("want a child that exited before it was ready and no set:\n%v", r)
			}
		})
		t.Run("ready-timeout", func(t *testing.T) {
			env, _ := token(t)
			r := p.run(t, limit, []string{env}, "cparent", "-ready-timeout", "1s", "--", p.path("probe"), "-sleep", "1h", "{ready}", "{event}")
			if r.code != codeTimeout {
				t.Fatalf("exit %d, want %d (timeout)\n%v", r.code, codeTimeout, r)
			}
			if !strings.Contains(r.stderr, "was not ready within 1s") || strings.Contains(r.stdout, "event set") {
				t.Errorf("want a child that was not ready in time and no set:\n%v", r)
			}
			gone(t, env, 5*time.Second)
		})
		t.Run("usage", func(t *testing.T) {
			for _, args := range [][]string{{"-bogus"}, {"--"}, {"extra"}, {"--", "x"}, {"-timeout", "x"}, {"-timeout", "-1s", "--", "x", "{event}"}} {
				goParent := p.run(t, limit, nil, "handoff-parent", args...)
				c := p.run(t, limit, nil, "cparent", args...)
				if c.code != codeUsage || goParent.code != codeUsage {
					t.Errorf("%q: cparent exits %d, handoff-parent %d, want %d\n%v", args, c.code, goParent.code, codeUsage, c)
				}
				if !strings.HasPrefix(c.stderr, "cparent: ") || !strings.Contains(c.stderr, "(usage: ") {
					t.Errorf("%q: stderr %q, want cparent: ... (usage: ...)", args, c.stderr)
				}
			}
		})
	})
}
