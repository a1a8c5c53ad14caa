//go:build linux

package e2e

// Many children at once, their traces, a big message, and children that
// never say ready.

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestChildren runs handoff-parent -children 16 -message: every child must
// verify the event, the lifeline and the message, report ready, wake from
// the one set, and print the message intact; none may be left running.
func TestChildren(t *testing.T) {
	const n = 16
	const text = "handed over to 16 children: ünïcode, spaces and \"quotes\""
	both(t, func(t *testing.T, p platform) {
		env, _ := token(t)
		r := p.run(t, 2*limit, []string{env}, "handoff-parent", "-children", strconv.Itoa(n), "-message", text)
		if r.code != 0 {
			t.Fatalf("exit %d, want 0\n%v", r.code, r)
		}
		sum := fnv.New64a()
		sum.Write([]byte(text))
		for i := 1; i <= n; i++ {
			prefix := fmt.Sprintf("[%d] [CHILD] ", i)
			index(t, r.stdout, prefix+"reported ready to the parent")
			index(t, r.stdout, prefix+"Event signaled")
			index(t, r.stdout, fmt.Sprintf("%smessage (%d bytes, fnv64a %016x): %s", prefix, len(text), sum.Sum64(), text))
			index(t, r.stdout, fmt.Sprintf("[PARENT] child %d exited with code 0", i))
			match(t, r.stdout, regexp.QuoteMeta(prefix)+`verified message \d+: inherited, type `+p.memoryType(t)+fmt.Sprintf(`, %d bytes`, 8+len(text)))
		}
		ready := index(t, r.stdout, fmt.Sprintf("[PARENT] all %d children are ready", n))
		for i := 1; i <= n; i++ {
			if index(t, r.stdout, fmt.Sprintf("[%d] [CHILD] Event signaled", i)) < ready {
				// Output of different processes may interleave, but
				// no child can wake before all were ready.
				t.Logf("child %d's wake printed before the ready line (output order only)", i)
			}
		}
		gone(t, env, 5*time.Second)
	})
}

// TestChildrenTrace checks the timeline of -children 8 -trace: every child
// has its own rows, its wake has a latency after the set, and the spread
// between first and last is given.
func TestChildrenTrace(t *testing.T) {
	const n = 8
	both(t, func(t *testing.T, p platform) {
		r := p.run(t, 2*limit, nil, "handoff-parent", "-children", strconv.Itoa(n), "-trace")
		if r.code != 0 {
			t.Fatalf("exit %d, want 0\n%v", r.code, r)
		}
		for i := 1; i <= n; i++ {
			match(t, r.stdout, fmt.Sprintf(` *[0-9.]+  child%d +woke +result=signaled after_set_ms=[0-9.]+`, i))
			match(t, r.stdout, fmt.Sprintf(` *[0-9.]+  child%d +ready`, i))
		}
		m := match(t, r.stdout, fmt.Sprintf(` *[0-9.]+  parent +wake-spread +woke=%d children=%d first_ms=([0-9.]+) last_ms=([0-9.]+) spread_ms=([0-9.]+)`, n, n))
		first, _ := strconv.ParseFloat(m[1], 64)
		last, _ := strconv.ParseFloat(m[2], 64)
		spread, _ := strconv.ParseFloat(m[3], 64)
		if first < 0 || last < first || spread < last-first-0.002 || spread > last-first+0.002 {
			t.Errorf("first %v, last %v, spread %v: inconsistent", first, last, spread)
		}
		t.Logf("%s: %d children woke %.3f to %.3f ms after the set (spread %.3f ms)", p.name, n, first, last, spread)
	})
}

// TestBigMessage passes a 1 MiB message from a file.
func TestBigMessage(t *testing.T) {
	text := strings.Repeat("0123456789abcdef", 1<<16)
	dir, err := os.MkdirTemp("", "handoff-e2e-msg-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "message")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	both(t, func(t *testing.T, p platform) {
		r := p.run(t, limit, nil, "handoff-parent", "-message-file", p.hostPath(file))
		if r.code != 0 {
			t.Fatalf("exit %d, want 0\n%.2000v", r.code, r)
		}
		sum := fnv.New64a()
		sum.Write([]byte(text))
		// The child hashes what it read in the shared memory. The text it
		// prints after the hash is checked only in part: the parent's
		// own lines may land inside a write of 1 MiB to the shared pipe.
		if !strings.Contains(r.stdout, fmt.Sprintf("[CHILD] message (%d bytes, fnv64a %016x): %s", len(text), sum.Sum64(), text[:2048])) {
			t.Errorf("the child did not read the 1 MiB message intact")
		}
	})
}

// TestNeverReady runs a child that takes {ready} but never signals it: the
// parent must fail at -ready-timeout, kill it, and leave nothing running.
func TestNeverReady(t *testing.T) {
	both(t, func(t *testing.T, p platform) {
		env, _ := token(t)
		r := p.run(t, limit, []string{env}, "handoff-parent", "-ready-timeout", "1s", "--", p.path("probe"), "-sleep", "1h", "{event}", "{ready}")
		if r.code != codeTimeout {
			t.Fatalf("exit %d, want %d (timeout)\n%v", r.code, codeTimeout, r)
		}
		if !strings.Contains(r.stderr, "was not ready within 1s") {
			t.Errorf("stderr %q, want ...was not ready within 1s...", r.stderr)
		}
		if r.elapsed > 8*time.Second {
			t.Errorf("took %v", r.elapsed)
		}
		if strings.Contains(r.stdout, "event set") {
			t.Errorf("the event was set though the child was not ready:\n%s", r.stdout)
		}
		gone(t, env, 5*time.Second)
	})
}

// TestNotReadyExit runs three children, all claimchild: two good ones,
// which signal ready, and the one that claimed first, which exits 2 with its
// ready object unsignaled once the others are ready. The parent must name
// that one, by its index and pid, say why, never set the event, and leave
// nothing running.
func TestNotReadyExit(t *testing.T) {
	both(t, func(t *testing.T, p platform) {
		const n = 3
		env, _ := token(t)
		dir := t.TempDir()
		r := p.run(t, limit, []string{env}, "handoff-parent", "-children", strconv.Itoa(n), "--", p.path("claimchild"), p.hostPath(dir), strconv.Itoa(n), "{handles}")
		if r.code != codeChildFailed {
			t.Fatalf("exit %d, want %d (child failed)\n%v", r.code, codeChildFailed, r)
		}
		claimed := match(t, r.stdout, `\[(\d+)\] claimchild: pid (\d+) claimed`)
		match(t, r.stderr, fmt.Sprintf(`handoff-parent: child %s \(pid %s\) exited before it was ready \(exit status 2\); the event was not set`, claimed[1], claimed[2]))
		ready := regexp.MustCompile(`(?m)^\[(\d+)\] claimchild: pid \d+ ready\r?$`).FindAllStringSubmatch(r.stdout, -1)
		if len(ready) != n-1 {
			t.Errorf("%d good children said they were ready, want %d:\n%s", len(ready), n-1, r.stdout)
		}
		for _, m := range ready {
			if m[1] == claimed[1] {
				t.Errorf("child %s both claimed and was ready:\n%s", m[1], r.stdout)
			}
		}
		if strings.Contains(r.stdout, "woke signaled") || strings.Contains(r.stdout, "event set") {
			t.Errorf("the event was set though a child was not ready:\n%s", r.stdout)
		}
		gone(t, env, 5*time.Second)
	})
}

// TestChildrenOrder runs handoff-parent with one child and with many, round
// after round, and checks that its standard output holds the lines in
// causal order: every child's "reported ready", written before it
// signaled ready, before the parent's "ready" line; the parent's "event
// set" before every child's "Event signaled", which only the set can
// cause; and each child's "exiting" before the parent's line of its exit.
func TestChildrenOrder(t *testing.T) {
	both(t, func(t *testing.T, p platform) {
		many, rounds := 32, 10
		if p.name == "windows" {
			many, rounds = 16, 4 // each start takes a tenth of a second under Wine
		}
		for _, n := range []int{1, many} {
			for round := range rounds {
				if !childrenInOrder(t, p, n, round) {
					return
				}
			}
		}
	})
}

// childrenInOrder runs handoff-parent -children n once and checks the
// order of its lines; with one child the lines have no "[i] " prefix.
func childrenInOrder(t *testing.T, p platform, n, round int) bool {
	t.Helper()
	r := p.run(t, 2*limit, nil, "handoff-parent", "-children", strconv.Itoa(n))
	if r.code != 0 {
		t.Fatalf("-children %d, round %d: exit %d, want 0\n%v", n, round, r.code, r)
	}
	out := r.stdout
	ready, set := "[PARENT] the child is ready", "[PARENT] event set; waiting for the child (timeout 30s)"
	if n > 1 {
		ready = fmt.Sprintf("[PARENT] all %d children are ready", n)
		set = fmt.Sprintf("[PARENT] event set; waiting for the %d children (timeout 30s)", n)
	}
	readyAt, setAt := index(t, out, ready), index(t, out, set)
	if setAt < readyAt {
		t.Errorf("-children %d, round %d: event set before all were ready:\n%s", n, round, out)
	}
	for i := 1; i <= n; i++ {
		child, exited := fmt.Sprintf("[%d] [CHILD] ", i), fmt.Sprintf("[PARENT] child %d exited with code 0", i)
		if n == 1 {
			child, exited = "[CHILD] ", "[PARENT] child exited with code 0"
		}
		if got := index(t, out, child+"reported ready to the parent"); got > readyAt {
			t.Errorf("-children %d, round %d: child %d's ready report at line %d, after the parent's ready at line %d:\n%s", n, round, i, got, readyAt, out)
		}
		if got := index(t, out, child+"Event signaled"); got < setAt {
			t.Errorf("-children %d, round %d: child %d's wake at line %d, before the parent's 'event set' at line %d:\n%s", n, round, i, got, setAt, out)
		}
		if got := index(t, out, exited); got < index(t, out, child+"exiting with code 0") {
			t.Errorf("-children %d, round %d: child %d's exit reported at line %d, before it said it was exiting:\n%s", n, round, i, got, out)
		}
	}
	return !t.Failed()
}
