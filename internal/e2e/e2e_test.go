//go:build linux

package e2e

// The Go programs end to end: the default run, the classic pair, the probe,
// wrong values and handles, timeouts, traces, and a parent that dies.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Exit codes, as internal/exitcode defines them. Repeated here: these tests
// check the programs' contract, not the package.
const (
	codeUsage        = 2
	codeBadValue     = 3
	codeNotInherited = 4
	codeWrongType    = 5
	codeParentGone   = 6
	codeTimeout      = 7
	codeChildFailed  = 8
)

// limit bounds every run that should end by itself.
const limit = 30 * time.Second

// match returns the submatches of the first line of out that re matches, or
// fails the test.
func match(t *testing.T, out, re string) []string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + re + `$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no line matches %q in:\n%s", re, out)
	}
	return m
}

// index returns the index of the line of out that is exactly line, or fails.
func index(t *testing.T, out, line string) int {
	t.Helper()
	i := slices.Index(strings.Split(out, "\n"), line)
	if i < 0 {
		t.Fatalf("no line %q in:\n%s", line, out)
	}
	return i
}

// passed parses handoff-parent's report of the child it started: its pid and
// the values passed ("" for none).
func passed(t *testing.T, out string) (pid, event, parent string) {
	t.Helper()
	m := match(t, out, `\[PARENT\] started child pid (\d+): .* \(passed event=(\d+)(?: message=\d+)?(?: ready=\d+)?(?: parent=(\d+))?\)`)
	return m[1], m[2], m[3]
}

// TestDefault runs handoff-parent with its own child: the child must report
// that it got the values the parent passed, verified them, and saw the event
// signaled.
func TestDefault(t *testing.T) {
	both(t, func(t *testing.T, p platform) {
		r := p.run(t, limit, nil, "handoff-parent")
		if r.code != 0 {
			t.Fatalf("handoff-parent: exit %d, want 0\n%v", r.code, r)
		}
		pid, ev, lifeline := passed(t, r.stdout)
		if lifeline == "" {
			t.Fatalf("handoff-parent passed no lifeline:\n%v", r)
		}
		out := r.stdout
		got := match(t, out, fmt.Sprintf(`\[CHILD\] pid %s: got handles "event=event:%s,ready=ready:\d+,parent=lifeline:%s"`, pid, ev, lifeline))[0]
		verified := index(t, out, fmt.Sprintf("[CHILD] verified event %s: inherited, type %s", ev, p.observed(t)["event"]))
		lifelineOK := match(t, out, fmt.Sprintf(`\[CHILD\] verified lifeline %s: inherited, type %s, parent pid \d+`, lifeline, p.observed(t)["parent"]))[0]
		waiting := index(t, out, "[CHILD] waiting for the event (timeout 30s)")
		signaled := index(t, out, "[CHILD] Event signaled")
		exiting := index(t, out, "[CHILD] exiting with code 0")
		exited := index(t, out, "[PARENT] child exited with code 0")
		if !(index(t, out, got) < verified && verified < index(t, out, lifelineOK) && verified < waiting && waiting < signaled && signaled < exiting && exiting < exited) {
			t.Errorf("steps out of order:\n%s", out)
		}
		if r.stderr != "" {
			t.Errorf("stderr not empty:\n%s", r.stderr)
		}
	})
}

// TestClassicChild runs a child written to the classic sample's convention
// through "--": it must wait on the value handoff-parent passed.
func TestClassicChild(t *testing.T) {
	both(t, func(t *testing.T, p platform) {
		r := p.run(t, limit, nil, "handoff-parent", "--", p.path("classicchild"), "{event}")
		if r.code != 0 {
			t.Fatalf("handoff-parent -- classicchild {event}: exit %d, want 0\n%v", r.code, r)
		}
		pid, ev, lifeline := passed(t, r.stdout)
		if lifeline != "" {
			t.Errorf("a lifeline (%s) was passed, but no argument names {parent}", lifeline)
		}
		waiting := index(t, r.stdout, fmt.Sprintf("[CLASSIC CHILD] pid %s: waiting on handle %s", pid, ev))
		if signaled := index(t, r.stdout, "[CLASSIC CHILD] Event signaled"); signaled < waiting {
			t.Errorf("signaled before waiting:\n%s", r.stdout)
		}
	})
}

// TestClassicParent runs handoff-child the classic way: an inheritable event,
// every inheritable handle inherited, a bare decimal argv[1].
func TestClassicParent(t *testing.T) {
	both(t, func(t *testing.T, p platform) {
		r := p.run(t, limit, nil, "classicparent", p.path("handoff-child"))
		if r.code != 0 {
			t.Fatalf("classicparent handoff-child: exit %d, want 0\n%v", r.code, r)
		}
		ev := match(t, r.stdout, `\[CLASSIC PARENT\] created inheritable event, handle (\d+)`)[1]
		pid := match(t, r.stdout, `\[CLASSIC PARENT\] started child pid (\d+): .*`)[1]
		index(t, r.stdout, fmt.Sprintf("[CHILD] pid %s: got event handle %s, no lifeline", pid, ev))
		verified := index(t, r.stdout, fmt.Sprintf("[CHILD] verified event %s: inherited, type %s", ev, p.observed(t)["event"]))
		if signaled := index(t, r.stdout, "[CHILD] Event signaled"); signaled < verified {
			t.Errorf("signaled before verified:\n%s", r.stdout)
		}
		index(t, r.stdout, "[CLASSIC PARENT] child exited with code 0")
	})
}

// TestProbe runs a child that lists every inheritable handle it holds: it
// must hold its standard handles and exactly the two handoff passed.
func TestProbe(t *testing.T) {
	both(t, func(t *testing.T, p platform) {
		r := p.run(t, limit, nil, "handoff-parent", "--", p.path("probe"), "{event}", "{parent}")
		if r.code != 0 {
			t.Fatalf("handoff-parent -- probe: exit %d, want 0\n%v", r.code, r)
		}
		_, ev, lifeline := passed(t, r.stdout)
		checkProbe(t, p, r.stdout, ev, lifeline)
	})
}

// TestBogusValues gives handoff-child values that name no inherited event:
// each must fail quickly with its documented exit code and say why.
func TestBogusValues(t *testing.T) {
	type bogus struct {
		args          []string
		code, winCode int
		stderr        string // for both: the library's sentinel text
		winStderr     string
	}
	const (
		bad          = "bad handle value"
		notInherited = "not an inherited handle"
		wrongType    = "wrong type of object"
	)
	tests := []bogus{
		// Windows handle values are multiples of 4.
		{[]string{"12345"}, codeNotInherited, codeBadValue, notInherited, bad},
		{[]string{"12344"}, codeNotInherited, codeNotInherited, notInherited, notInherited},
		{[]string{"0"}, codeBadValue, codeBadValue, bad, bad},
		{[]string{"abc"}, codeBadValue, codeBadValue, bad, bad},
		{[]string{"0xFFFFFFFF"}, codeBadValue, codeBadValue, bad, bad},
		{[]string{"4294967296"}, codeBadValue, codeBadValue, bad, bad},
		{[]string{" 42"}, codeBadValue, codeBadValue, bad, bad},
		{[]string{"42 "}, codeBadValue, codeBadValue, bad, bad},
		{[]string{"-event", "-1"}, codeBadValue, codeBadValue, bad, bad},
		{[]string{"-event", ""}, codeBadValue, codeBadValue, bad, bad},
		{[]string{"-event", "0x"}, codeBadValue, codeBadValue, bad, bad},
		// Linux: standard output, a pipe. Windows: 4 names one of the
		// child's own objects, if anything.
		{[]string{"1"}, codeWrongType, codeBadValue, wrongType, bad},
		{[]string{"4"}, codeNotInherited, codeNotInherited, notInherited, notInherited},
		// One value as the event and the lifeline: a misuse.
		{[]string{"-parent", "12344", "-event", "12344"}, codeUsage, codeUsage, "-parent 12344 is the event's value too", "-parent 12344 is the event's value too"},
		{[]string{}, codeUsage, codeUsage, "no VALUE", "no VALUE"},
		{[]string{"8", "12"}, codeUsage, codeUsage, "more than one VALUE", "more than one VALUE"},
		{[]string{"-bogus", "8"}, codeUsage, codeUsage, "flag provided but not defined", "flag provided but not defined"},
	}
	both(t, func(t *testing.T, p platform) {
		for _, tt := range tests {
			code, text := tt.code, tt.stderr
			if p.name == "windows" {
				code, text = tt.winCode, tt.winStderr
			}
			r := p.run(t, limit, nil, "handoff-child", tt.args...)
			if r.code != code {
				t.Errorf("handoff-child %q: exit %d, want %d\n%v", tt.args, r.code, code, r)
				continue
			}
			if !strings.HasPrefix(r.stderr, "handoff-child: ") || !strings.Contains(r.stderr, text) {
				t.Errorf("handoff-child %q: stderr %q, want handoff-child: ...%s...", tt.args, r.stderr, text)
			}
			if strings.Contains(r.stdout, "signaled") || strings.Contains(r.stdout, "waiting") {
				t.Errorf("handoff-child %q waited:\n%s", tt.args, r.stdout)
			}
			if r.elapsed > 3*time.Second {
				t.Errorf("handoff-child %q took %v, want under 3s", tt.args, r.elapsed)
			}
		}
	})
}

// TestWrongHandle passes handoff-child the lifeline as its event: it must
// refuse it as the wrong type, and handoff-parent report the child failed.
func TestWrongHandle(t *testing.T) {
	both(t, func(t *testing.T, p platform) {
		r := p.run(t, limit, nil, "handoff-parent", "--", p.path("handoff-child"), "-event", "{parent}", "-parent", "{event}")
		if r.code != codeChildFailed {
			t.Fatalf("exit %d, want %d (child failed)\n%v", r.code, codeChildFailed, r)
		}
		_, _, lifeline := passed(t, r.stdout)
		index(t, r.stdout, "[CHILD] exiting with code 5")
		index(t, r.stdout, "[PARENT] child exited with code 5")
		want := fmt.Sprintf("handoff-child: handoff: event %s: wrong type of object: ", lifeline)
		if !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "handoff-parent: child failed: exit code 5") {
			t.Errorf("stderr:\n%s\nwant %q and the parent's report", r.stderr, want)
		}
	})
}

// TestTimeout runs a child that never exits with -timeout 2s: the parent must
// kill it and exit with the timeout code soon after the deadline.
func TestTimeout(t *testing.T) {
	both(t, func(t *testing.T, p platform) { checkTimeout(t, p, "handoff-parent") })
}

// checkTimeout runs parent (handoff-parent or cparent) with -timeout 2s and
// a child that never exits: the parent must kill it and exit with the
// timeout code soon after the deadline, and say so.
func checkTimeout(t *testing.T, p platform, parent string) {
	t.Helper()
	env, _ := token(t)
	r := p.run(t, limit, []string{env}, parent, "-timeout", "2s", "--", p.path("probe"), "-sleep", "1h", "{event}")
	if r.code != codeTimeout {
		t.Fatalf("exit %d, want %d (timeout)\n%v", r.code, codeTimeout, r)
	}
	if r.elapsed < 2*time.Second || r.elapsed > 8*time.Second {
		t.Errorf("took %v, want 2s to 8s", r.elapsed)
	}
	index(t, r.stdout, "# sleeping 1h0m0s") // the child did run
	index(t, r.stdout, "[PARENT] timeout: the child did not exit within 2s; killed it")
	if !strings.Contains(r.stderr, parent+": timeout") {
		t.Errorf("stderr %q, want %s: timeout...", r.stderr, parent)
	}
	if d := gone(t, env, 5*time.Second); d > 0 {
		t.Logf("child gone %v after the parent exited", d)
	}
}

// event is one line of handoff-parent -json.
type event struct {
	T      float64        `json:"t_ms"`
	Who    string         `json:"who"`
	Step   string         `json:"step"`
	Detail map[string]any `json:"detail"`
}

// checkTimeline checks the merged timeline of a default run: both processes'
// steps, in time order, consistent with each other.
func checkTimeline(t *testing.T, p platform, events []event) {
	t.Helper()
	pos := map[string]int{}
	for i, e := range events {
		if i > 0 && e.T < events[i-1].T {
			t.Errorf("step %d %s/%s at %.3f ms comes after %.3f ms", i, e.Who, e.Step, e.T, events[i-1].T)
		}
		key := e.Who + "/" + e.Step
		if _, ok := pos[key]; ok {
			t.Errorf("step %s twice", key)
		}
		pos[key] = i
	}
	order := []string{
		"parent/start", "parent/event-created", "parent/child-started",
		"child/start", "child/event-verified", "child/lifeline-verified", "child/waiting", "child/woke", "child/exiting",
		"parent/child-exited", "parent/cleanup-done",
	}
	for i, key := range order {
		if _, ok := pos[key]; !ok {
			t.Fatalf("no step %s in %+v", key, events)
		}
		if i > 0 && pos[key] < pos[order[i-1]] {
			t.Errorf("step %s before %s", key, order[i-1])
		}
	}
	if _, ok := pos["parent/event-set"]; !ok {
		t.Fatalf("no step parent/event-set")
	}
	if pos["parent/event-set"] > pos["child/woke"] {
		t.Errorf("child woke before the parent set the event")
	}
	if events[0].Step != "start" || events[0].T != 0 {
		t.Errorf("first step %+v, want the parent's start at 0", events[0])
	}
	get := func(key, field string) string {
		if v, ok := events[pos[key]].Detail[field]; ok {
			return fmt.Sprint(v)
		}
		return ""
	}
	started := "parent/child-started"
	// The child's parent as the system sees it, which the lifeline names:
	// handoff-parent.
	ppid := get("parent/start", "pid")
	checks := []struct{ got, want, what string }{
		{get("child/start", "pid"), get(started, "pid"), "child's pid"},
		{get("child/start", "ppid"), ppid, "child's parent pid"},
		{get("child/lifeline-verified", "ppid"), get("child/start", "ppid"), "parent pid the lifeline names"},
		{get("child/event-verified", "value"), get(started, "event"), "event value"},
		{get("child/event-verified", "type"), p.observed(t)["event"], "event type"},
		{get("child/event-verified", "inherited"), "true", "event inherited"},
		{get("child/lifeline-verified", "value"), get(started, "parent"), "lifeline value"},
		{get("child/lifeline-verified", "type"), p.observed(t)["parent"], "lifeline type"},
		{get("child/woke", "result"), "signaled", "child woke by"},
		{get("child/exiting", "code"), "0", "child's exit code"},
		{get("parent/child-exited", "code"), "0", "child's exit code seen by the parent"},
	}
	for _, c := range checks {
		if c.got != c.want || c.got == "" {
			t.Errorf("%s: %q, want %q", c.what, c.got, c.want)
		}
	}
}

// TestJSON checks handoff-parent -json: only JSON lines on standard output,
// with both processes' steps on one time axis.
func TestJSON(t *testing.T) {
	both(t, func(t *testing.T, p platform) {
		r := p.run(t, limit, nil, "handoff-parent", "-json")
		if r.code != 0 {
			t.Fatalf("handoff-parent -json: exit %d, want 0\n%v", r.code, r)
		}
		checkKinds(t, r.stdout)
		var events []event
		for _, line := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
			var e event
			d := json.NewDecoder(strings.NewReader(line))
			d.DisallowUnknownFields()
			if err := d.Decode(&e); err != nil || e.Who == "" || e.Step == "" || e.Detail == nil {
				t.Fatalf("stdout line %q is not a step: %v\n%v", line, err, r)
			}
			events = append(events, e)
		}
		checkTimeline(t, p, events)
		if r.stderr != "" {
			t.Errorf("stderr not empty:\n%s", r.stderr)
		}
	})
}

// TestTraceTable checks handoff-parent -trace: the same steps as -json, as a
// table.
func TestTraceTable(t *testing.T) {
	both(t, func(t *testing.T, p platform) {
		r := p.run(t, limit, nil, "handoff-parent", "-trace")
		if r.code != 0 {
			t.Fatalf("handoff-parent -trace: exit %d, want 0\n%v", r.code, r)
		}
		rows := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if !regexp.MustCompile(`^ *time ms +who +step +details$`).MatchString(rows[0]) {
			t.Fatalf("header %q\n%v", rows[0], r)
		}
		row := regexp.MustCompile(`^ *(\d+\.\d{3})  (parent|child) +([a-z-]+)(?: +(.*))?$`)
		field := regexp.MustCompile(`([a-z_]+)=("(?:[^"\\]|\\.)*"|\S+)`)
		var events []event
		for _, line := range rows[1:] {
			m := row.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("row %q is not a step\n%v", line, r)
			}
			ms, _ := strconv.ParseFloat(m[1], 64)
			e := event{T: ms, Who: m[2], Step: m[3], Detail: map[string]any{}}
			for _, f := range field.FindAllStringSubmatch(m[4], -1) {
				v := f[2]
				if uq, err := strconv.Unquote(v); err == nil {
					v = uq
				}
				e.Detail[f[1]] = v
			}
			events = append(events, e)
		}
		checkTimeline(t, p, events)
		// The columns line up: every row's step starts where the header's does.
		col := strings.Index(rows[0], "step")
		for _, line := range rows[1:] {
			if len(line) < col || line[col-1] != ' ' || line[col] == ' ' {
				t.Errorf("row %q: step not in column %d", line, col)
			}
		}
	})
}

// TestTraceThirdPartyChild traces a child that knows nothing of tracing: its
// output goes to standard error, and the timeline holds the parent's steps.
func TestTraceThirdPartyChild(t *testing.T) {
	both(t, func(t *testing.T, p platform) {
		r := p.run(t, limit, nil, "handoff-parent", "-json", "--", p.path("classicchild"), "{event}")
		if r.code != 0 {
			t.Fatalf("exit %d, want 0\n%v", r.code, r)
		}
		var steps []string
		for _, line := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
			var e event
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				t.Fatalf("stdout line %q: %v", line, err)
			}
			steps = append(steps, e.Who+"/"+e.Step)
		}
		want := []string{"parent/start", "parent/event-created", "parent/child-started", "parent/event-set", "parent/child-exited", "parent/cleanup-done"}
		if !slices.Equal(steps, want) {
			t.Errorf("steps %q, want %q", steps, want)
		}
		index(t, r.stderr, "[CLASSIC CHILD] Event signaled")
	})
}

// TestKillParent kills handoff-parent while its child runs: the child must
// be gone within a few seconds; with the pipe backend, which has no
// parent-death signal, a child that does not wait on its lifeline must still
// run (and is then killed here).
func TestKillParent(t *testing.T) {
	both(t, func(t *testing.T, p platform) {
		env, _ := token(t)
		cmd := p.command(t.Context(), []string{env}, "handoff-parent", "--", p.path("probe"), "-sleep", "1h", "{event}", "{parent}")
		out := pipe(t, cmd, "stdout")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		closeWriters(cmd)
		if !out.waitFor("# sleeping", time.Now().Add(limit)) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the child did not start sleeping:\n%s", out)
		}
		child := childrenOf(t, env, cmd, out)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if pipeBackend {
			// No parent-death signal there: a child that does not wait
			// on its lifeline outlives its parent (doc.go, "macOS and
			// the BSDs").
			time.Sleep(300 * time.Millisecond)
			if len(withToken(t, env)) == 0 {
				t.Errorf("child %v is gone after its parent was killed; with the pipe backend it should still run", child)
			}
			for _, pid := range child {
				syscallKill(pid)
			}
		}
		d := gone(t, env, 5*time.Second)
		t.Logf("child %v gone %v after the parent was killed", child, d)
	})
}

// TestParentDies runs handoff-child under a parent that passes -event and
// -parent, the classic way, and is killed without setting the event: the
// child must notice at once and exit with "parent gone".
func TestParentDies(t *testing.T) {
	both(t, func(t *testing.T, p platform) {
		env, _ := token(t)
		cmd, out, errOut := startUntil(t, p, env, "[CHILD] waiting for the event", "classicparent", "-lifeline", "-noset", p.path("handoff-child"))
		ev := match(t, out.String(), `\[CLASSIC PARENT\] created inheritable event, handle (\d+)`)[1]
		m := match(t, out.String(), `\[CLASSIC PARENT\] created inheritable lifeline, handle (\d+) \(pid (\d+)\)`)
		index(t, out.String(), fmt.Sprintf("[CHILD] verified lifeline %s: inherited, type %s, parent pid %s", m[1], p.observed(t)["parent"], m[2]))
		killed := time.Now()
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		d := endedAfterKill(t, out, errOut, killed)
		index(t, out.String(), "[CHILD] exiting with code 6")
		if !strings.Contains(errOut.String(), "handoff-child: wait for event "+ev+": parent gone") {
			t.Errorf("child's stderr %q, want handoff-child: ... parent gone", errOut)
		}
		if strings.Contains(out.String(), "signaled") {
			t.Errorf("the child says signaled:\n%s", out)
		}
		if d > 1500*time.Millisecond {
			t.Errorf("the child took %v to notice, want about 1s at most", d)
		}
		gone(t, env, 5*time.Second)
	})
}

// pipe makes an os.Pipe the command's stdout or stderr and reads it. Unlike
// exec's own pipes, Wait does not wait for it to close, so a test can see
// the command end while a child of it still holds the pipe.
func pipe(t *testing.T, cmd *exec.Cmd, which string) *lines {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if which == "stdout" {
		cmd.Stdout = w
	} else {
		cmd.Stderr = w
	}
	return readLines(r)
}

// closeWriters closes this process's copies of the pipes' write ends after
// Start, so that EOF comes when the command's processes end.
func closeWriters(cmd *exec.Cmd) {
	for _, w := range []any{cmd.Stdout, cmd.Stderr} {
		if f, ok := w.(*os.File); ok {
			f.Close()
		}
	}
}

// docKinds returns the JSON type that docs/trace.md gives each detail of
// each step, by who ("parent" or "child"), step and key.
func docKinds(t *testing.T) map[string]map[string]string {
	t.Helper()
	b, err := os.ReadFile("../../docs/trace.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| (parent|child) \\| `([a-z-]+)` \\| [^|]+ \\| ([^|]+) \\|$")
	detail := regexp.MustCompile("`([a-z][a-z0-9_]*)` (number|string|boolean)")
	kinds := map[string]map[string]string{}
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		k := map[string]string{}
		for _, d := range detail.FindAllStringSubmatch(m[3], -1) {
			k[d[1]] = d[2]
		}
		kinds[m[1]+"/"+m[2]] = k
	}
	if len(kinds) < 15 {
		t.Fatalf("docs/trace.md: only %d steps found", len(kinds))
	}
	return kinds
}

// checkKinds checks every line of handoff-parent -json output: the members
// of docs/trace.md, each of its type, a step it lists, and each detail of
// the JSON type it gives; it returns the lines.
func checkKinds(t *testing.T, stdout string) []event {
	t.Helper()
	kinds := docKinds(t)
	var events []event
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		var raw map[string]any
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			t.Fatalf("stdout line %q: %v", line, err)
		}
		_, isNumber := raw["t_ms"].(float64)
		who, isWho := raw["who"].(string)
		step, isStep := raw["step"].(string)
		detail, isDetail := raw["detail"].(map[string]any)
		if len(raw) != 4 || !isNumber || !isWho || !isStep || !isDetail {
			t.Errorf("line %s: want members t_ms (number), who, step (strings) and detail (object)", line)
			continue
		}
		class := "parent"
		if strings.HasPrefix(who, "child") {
			class = "child"
		}
		want, ok := kinds[class+"/"+step]
		if !ok {
			t.Errorf("line %s: step %s/%s is not in docs/trace.md", line, class, step)
			continue
		}
		for key, v := range detail {
			var got string
			switch v.(type) {
			case float64:
				got = "number"
			case bool:
				got = "boolean"
			case string:
				got = "string"
			default:
				got = fmt.Sprintf("%T", v)
			}
			if want[key] != got {
				t.Errorf("line %s: detail %s is a JSON %s, docs/trace.md says %q", line, key, got, want[key])
			}
		}
		var e event
		json.Unmarshal([]byte(line), &e)
		events = append(events, e)
	}
	return events
}

// TestJSONKinds runs handoff-parent -children 3 -message -json: every
// detail of every step is of the JSON type docs/trace.md gives it (pid,
// took_ms, code and values numbers; inherited a boolean), and each step
// marks the moment docs/trace.md says: child-started the end of its Start,
// which began took_ms earlier, after the step before it; a child's ready
// before the parent learned of it; the set before every wake.
func TestJSONKinds(t *testing.T) {
	both(t, func(t *testing.T, p platform) {
		const n = 3
		r := p.run(t, limit, nil, "handoff-parent", "-children", strconv.Itoa(n), "-message", "typed", "-json")
		if r.code != 0 {
			t.Fatalf("exit %d, want 0\n%v", r.code, r)
		}
		events := checkKinds(t, r.stdout)
		at := map[string]float64{}
		var prev float64 // the parent's step before each start
		started := 0
		for _, e := range events {
			at[e.Who+"/"+e.Step] = e.T
			if e.Who != "parent" {
				continue
			}
			if e.Step == "child-started" {
				started++
				took, ok := e.Detail["took_ms"].(float64)
				// Three decimals each, cut: allow 2 µs.
				if !ok || e.T-took < prev-0.002 {
					t.Errorf("child-started at %.3f ms, took_ms %v: its Start began before the step before it, at %.3f ms\n%s", e.T, e.Detail["took_ms"], prev, r.stdout)
				}
			}
			prev = e.T
		}
		if started != n {
			t.Fatalf("%d child-started steps, want %d\n%s", started, n, r.stdout)
		}
		for i := 1; i <= n; i++ {
			who := fmt.Sprintf("child%d", i)
			if at[who+"/ready"] > at["parent/ready"] || at["parent/ready"] > at["parent/event-set"] || at["parent/event-set"] > at[who+"/woke"] {
				t.Errorf("%s ready at %.3f, parent ready at %.3f, event set at %.3f, %s woke at %.3f: out of causal order",
					who, at[who+"/ready"], at["parent/ready"], at["parent/event-set"], who, at[who+"/woke"])
			}
		}
	})
}
