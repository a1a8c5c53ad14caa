//go:build linux

package e2e

// The programs under abuse, each case as the command it is: an unread or
// failing standard output, a value used twice, placeholders in the
// environment, unbounded or stuck messages, a flood of trace lines, a
// set-uid child whose parent is killed, and many children, or a child's
// own deadline, against the parent's.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOutputNotRead runs handoff-parent with its standard output a FIFO
// whose reader never reads: -timeout and -ready-timeout must still end the
// run, children included, and the parent must exit 1 or with the run's own
// code, saying that its output was not read.
func TestOutputNotRead(t *testing.T) {
	dir := t.TempDir()
	msg := filepath.Join(dir, "message")
	if err := os.WriteFile(msg, []byte(strings.Repeat("x", 1<<20)), 0o644); err != nil {
		t.Fatal(err)
	}
	both(t, func(t *testing.T, p platform) {
		cases := [][]string{{"-message-file", p.hostPath(msg), "-timeout", "2s", "-ready-timeout", "3s"}}
		if p.name == "linux" {
			cases = append(cases, []string{"-children", "200", "-timeout", "2s", "-ready-timeout", "3s"})
		}
		for _, args := range cases {
			fifo := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			// The reader: open, never read.
			r, err := os.OpenFile(fifo, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			env, _ := token(t)
			ctx, cancel := context.WithTimeout(context.Background(), 2*limit)
			cmd := p.command(ctx, []string{env}, "handoff-parent", args...)
			var stderr strings.Builder
			cmd.Stdout, cmd.Stderr = w, &stderr
			err = cmd.Run()
			timedOut := ctx.Err() != nil
			cancel()
			w.Close()
			r.Close()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || !ee.Exited() || timedOut {
				t.Fatalf("handoff-parent %q with an unread standard output: %v (not ended by its bounds)\nstderr:\n%s", args, err, stderr.String())
			}
			if ee.ExitCode() != 1 && ee.ExitCode() != codeTimeout {
				t.Errorf("handoff-parent %q: exit %d, want 1 or %d\nstderr:\n%s", args, ee.ExitCode(), codeTimeout, stderr.String())
			}
			if !strings.Contains(stderr.String(), "standard output: not read") {
				t.Errorf("handoff-parent %q: stderr %q, want ...standard output: not read...", args, stderr.String())
			}
			gone(t, env, 5*time.Second)
		}
	})
}

// TestOutputFails runs handoff-parent with its standard output /dev/full,
// and, on Windows, closed: its own write error is its own, reported once,
// exit 1, with one child or two. On Linux a standard output closed at start
// is a /dev/null of Go's runtime, which nothing tells from one the caller
// chose (TestOutputDevNull).
func TestOutputFails(t *testing.T) {
	both(t, func(t *testing.T, p platform) {
		hows := []string{"full"}
		if p.name == "windows" {
			hows = append(hows, "closed")
		}
		for _, children := range []string{"1", "2"} {
			for _, how := range hows {
				ctx, cancel := context.WithTimeout(context.Background(), limit)
				cmd := p.command(ctx, nil, "handoff-parent", "-children", children)
				var stderr strings.Builder
				cmd.Stderr = &stderr
				if how == "full" {
					full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
					if err != nil {
						t.Fatal(err)
					}
					cmd.Stdout = full
					defer full.Close()
				} else {
					closeStdout(cmd)
				}
				err := cmd.Run()
				cancel()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != 1 {
					t.Errorf("handoff-parent -children %s >%s: %v, want exit 1\nstderr:\n%s", children, how, err, stderr.String())
				}
				if got := strings.Count(stderr.String(), "handoff-parent: "); got != 1 || !strings.Contains(stderr.String(), "handoff-parent: standard output: ") {
					t.Errorf("handoff-parent -children %s >%s: stderr %q, want one line handoff-parent: standard output: ...", children, how, stderr.String())
				}
			}
		}
	})
}

// TestOutputDevNull runs handoff-parent as a program that does not want
// its output runs it: standard output /dev/null opened read-write, as
// Python's subprocess.DEVNULL and service managers open it. That is no
// failure: exit 0.
func TestOutputDevNull(t *testing.T) {
	both(t, func(t *testing.T, p platform) {
		null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer null.Close()
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		cmd := p.command(ctx, nil, "handoff-parent")
		var stderr strings.Builder
		cmd.Stdout, cmd.Stderr = null, &stderr
		if err := cmd.Run(); err != nil {
			t.Errorf("handoff-parent >/dev/null (read-write): %v, want exit 0\nstderr:\n%s", err, stderr.String())
		}
	})
}

// TestChildValueTwice gives handoff-child one value as the event and as
// the lifeline: a usage error, not a check of the handle.
func TestChildValueTwice(t *testing.T) {
	both(t, func(t *testing.T, p platform) {
		for _, args := range [][]string{{"8", "-parent", "8"}, {"-event", "0x8", "-parent", "8"}} {
			r := p.run(t, limit, nil, "handoff-child", args...)
			if r.code != codeUsage || !strings.Contains(r.stderr, "-parent 8 is the event's value too") {
				t.Errorf("handoff-child %q: exit %d, stderr %q; want %d, ...-parent 8 is the event's value too...", args, r.code, r.stderr, codeUsage)
			}
		}
	})
}

// closeStdout makes cmd start with its standard output closed, as a
// shell's ">&-" does.
func closeStdout(cmd *exec.Cmd) {
	cmd.Args = append([]string{"sh", "-c", `exec "$@" >&-`, "sh"}, cmd.Args...)
	cmd.Path = "/bin/sh"
}

// TestEnvironmentAsIs runs a child that prints FOO, which names {event}
// and {parent}, with and without tracing: the environment is passed as it
// is, and no lifeline is passed to a child whose arguments do not ask for
// one, whatever the tracing.
func TestEnvironmentAsIs(t *testing.T) {
	const foo = "x{event}y{parent}"
	both(t, func(t *testing.T, p platform) {
		child := []string{"/bin/sh", "-c", `echo "FOO=[$FOO] TRACE=[$HANDOFF_TRACE]"`, "sh", "{event}"}
		unset := "" // how the child prints HANDOFF_TRACE when it is not set
		if p.name == "windows" {
			child = []string{"cmd", "/c", "echo", "FOO=[%FOO%]", "TRACE=[%HANDOFF_TRACE%]", "{event}"}
			unset = "%HANDOFF_TRACE%"
		}
		for _, mode := range [][]string{{}, {"-trace"}, {"-json"}, {"HANDOFF_TRACE=1"}} {
			env := []string{"FOO=" + foo}
			args := append([]string{}, mode...)
			if len(mode) == 1 && mode[0] == "HANDOFF_TRACE=1" {
				env, args = append(env, mode[0]), nil
			}
			r := p.run(t, limit, env, "handoff-parent", append(append(args, "--"), child...)...)
			if r.code != 0 {
				t.Fatalf("handoff-parent %q: exit %d, want 0\n%v", mode, r.code, r)
			}
			trace := unset
			if len(args) > 0 {
				trace = "1"
			}
			if out := r.stdout + r.stderr; !strings.Contains(out, "FOO=["+foo+"] TRACE=["+trace+"]") {
				t.Errorf("handoff-parent %q: the child did not see FOO=%s as it was, and HANDOFF_TRACE=%s:\n%v", mode, foo, trace, r)
			}
			for _, line := range strings.Split(r.stdout, "\n") {
				if strings.Contains(line, "started child") || strings.Contains(line, "child-started") {
					if strings.Contains(line, "parent=") || strings.Contains(line, `"parent":`) {
						t.Errorf("handoff-parent %q: a lifeline was passed, though no argument names {parent}: %s", mode, line)
					}
				}
			}
		}
	})
}

// TestMessageBounds gives handoff-parent messages it must refuse or give
// up on: an endless file (/dev/zero), one over -max-message, a FIFO that
// no one writes to: each a clear error and its documented code, never a
// crash or a hang, and nothing left running.
func TestMessageBounds(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	if err := os.WriteFile(small, []byte(strings.Repeat("m", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	both(t, func(t *testing.T, p platform) {
		type bound struct {
			args []string
			code int
			want string
			hold bool // a writer holds the FIFO open, and never writes
		}
		tests := []bound{
			{[]string{"-message-file", p.hostPath("/dev/zero")}, codeUsage, "more than -max-message 67108864 bytes", false},
			{[]string{"-message-file", p.hostPath(small), "-max-message", "99"}, codeUsage, "more than -max-message 99 bytes", false},
			{[]string{"-message", strings.Repeat("m", 100), "-max-message", "99"}, codeUsage, "100 bytes, more than -max-message 99", false},
			{[]string{"-message-file", p.hostPath(small), "-max-message", "-1"}, codeUsage, "negative -max-message", false},
			{[]string{"-message-file", p.hostPath(fifo), "-ready-timeout", "2s"}, codeTimeout, "not read within 2s", true},
			{[]string{"-message-file", p.hostPath(small), "-max-message", "100"}, 0, "", false},
		}
		if p.name == "linux" {
			// Under Wine a FIFO with no writer reads as empty.
			tests = append(tests, bound{[]string{"-message-file", fifo, "-ready-timeout", "2s"}, codeTimeout, "not read within 2s", false})
		}
		for _, tt := range tests {
			if tt.hold {
				w, err := os.OpenFile(fifo, os.O_RDWR, 0)
				if err != nil {
					t.Fatal(err)
				}
				defer w.Close()
			}
			env, _ := token(t)
			r := p.run(t, limit, []string{env}, "handoff-parent", tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) || strings.Contains(r.stderr, "goroutine ") {
				t.Errorf("handoff-parent %q: exit %d, stderr %q; want exit %d, ...%s...", tt.args, r.code, r.stderr, tt.code, tt.want)
			}
			gone(t, env, 5*time.Second)
		}
	})
}

// TestMessageMapped runs handoff-child, with a 32 MiB message, under the
// test binary's maxRSS (what /usr/bin/time -f %M does): the child maps the
// message and prints it from the mapping, so its peak resident size stays
// well under twice the message (a copy of the text, and one more to format
// it, took it to four times).
func TestMessageMapped(t *testing.T) {
	const size = 32 << 20
	file := filepath.Join(t.TempDir(), "message")
	if err := os.WriteFile(file, []byte(strings.Repeat("0123456789abcdef", size/16)), 0o644); err != nil {
		t.Fatal(err)
	}
	p := linux
	// Not {handles}: the lifeline would name handoff-parent, and maxRSS is
	// the child's parent.
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := p.command(ctx, []string{"HANDOFF_E2E_MAXRSS=1"}, "handoff-parent", "-message-file", file, "--", os.Args[0], p.path("handoff-child"), "-handles", "event=event:{event},message=shm:{message}")
	var stderr strings.Builder
	cmd.Stderr = &stderr // the 32 MiB of standard output are not kept
	if err := cmd.Run(); err != nil {
		t.Fatalf("handoff-parent -message-file (32 MiB) -- time handoff-child: %v\nstderr:\n%s", err, stderr.String())
	}
	m := match(t, stderr.String(), `maxrss (\d+) KiB`)
	kib, _ := strconv.Atoi(m[1])
	if kib*1024 >= 2*size {
		t.Errorf("handoff-child's peak resident size %d KiB with a message of %d KiB: the message was copied", kib, size>>10)
	}
	t.Logf("handoff-child's peak resident size %d KiB with a message of %d KiB", kib, size>>10)
}

// TestTraceBounded runs handoff-parent -json with a child that writes
// 20000 well-formed trace lines: the timeline keeps a bounded part of them
// and says, there and on standard error, how many were dropped. (The
// Windows programs are checked by handoff-parent's own TestRunTraceBounded
// under Wine.)
func TestTraceBounded(t *testing.T) {
	const n = 20000
	p := linux
	script := `i=0; while [ $i -lt ` + strconv.Itoa(n) + ` ]; do i=$((i+1)); echo 'handoff-trace: {"mono_ns":'$i',"step":"spam"}'; done`
	r := p.run(t, limit, nil, "handoff-parent", "-json", "--", "/bin/sh", "-c", script, "sh", "{event}")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\n%.3000v", r.code, r)
	}
	kept := strings.Count(r.stdout, `"who":"child","step":"spam"`)
	if kept == 0 || kept > 1024 {
		t.Errorf("the timeline holds %d of the child's %d steps, want some and a bounded number", kept, n)
	}
	match(t, r.stdout, `\{"t_ms":-?[0-9.]+,"who":"parent","step":"trace-dropped","detail":\{"child":1,"steps":`+strconv.Itoa(n-kept)+`\}\}`)
	if want := "dropped the " + strconv.Itoa(n-kept) + " after them"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q, want ...%s...", r.stderr, want)
	}
}

// TestSetuidChildLifeline runs a set-uid handoff-child (owned by nobody)
// under handoff-parent and kills the parent before it sets the event. The
// kernel clears the parent-death signal on a set-uid exec, so the lifeline
// is the child's only guard: the child must see the parent gone, say so,
// and exit 6, not be killed by a signal, nor wait on.
func TestSetuidChildLifeline(t *testing.T) {
	if os.Geteuid() != 0 {
		if inCI() {
			t.Fatal("CI=true and not root: cannot make a set-uid program of another user")
		}
		t.Skip("not root: cannot make a set-uid program of another user")
	}
	p := linux
	nobody := 65534
	bin := filepath.Join(t.TempDir(), "handoff-child")
	b, err := os.ReadFile(p.path("handoff-child"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, bin, string(b))
	if err := os.Chown(bin, nobody, -1); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(bin, 0o755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	env, _ := token(t)
	// sh execs the child, which stays handoff-parent's; {ready} in sh's $0
	// makes the parent wait for a ready object that the child, not given
	// it, never sets: the parent is killed while it waits.
	cmd, out, errOut := startUntil(t, p, env, "[CHILD] waiting for the event", "handoff-parent", "-ready-timeout", "0",
		"--", "/bin/sh", "-c", `exec "$@"`, "{ready}", bin, "-handles", "event=event:{event},parent=lifeline:{parent}")
	if m := match(t, out.String(), `\[CHILD\] pid (\d+): .*`); m != nil {
		status, err := os.ReadFile("/proc/" + m[1] + "/status")
		if err != nil || !strings.Contains(string(status), "\nUid:\t0\t65534\t") {
			t.Fatalf("the child does not run set-uid nobody: %v\n%s", err, status)
		}
	}
	killed := killWait(t, cmd)
	endedAfterKill(t, out, errOut, killed)
	index(t, out.String(), "[CHILD] exiting with code 6")
	if !strings.Contains(errOut.String(), "parent gone") {
		t.Errorf("child's stderr %q, want ...parent gone...", errOut)
	}
	gone(t, env, 5*time.Second)
}

// TestChildrenOutlastParent runs handoff-parent's own child, three of them,
// with -json: each child's wait for the event (the timeout it reports)
// must outlast the parent's own deadline for the set, -ready-timeout after
// the last start, so that no child gives up while the parent still may set
// the event; with -ready-timeout 0 the parent has no deadline, and neither
// has the child.
func TestChildrenOutlastParent(t *testing.T) {
	both(t, func(t *testing.T, p platform) {
		for _, ready := range []string{"40s", "0"} {
			r := p.run(t, limit, nil, "handoff-parent", "-children", "3", "-ready-timeout", ready, "-json")
			if r.code != 0 {
				t.Fatalf("exit %d, want 0\n%v", r.code, r)
			}
			want, err := time.ParseDuration(ready)
			if err != nil {
				t.Fatal(err)
			}
			waits := 0
			for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
				var e struct {
					Who, Step string
					Detail    map[string]any
				}
				if err := json.Unmarshal([]byte(line), &e); err != nil {
					t.Fatalf("stdout line %q: %v", line, err)
				}
				if !strings.HasPrefix(e.Who, "child") || e.Step != "waiting" {
					continue
				}
				waits++
				got, err := time.ParseDuration(fmt.Sprint(e.Detail["timeout"]))
				switch {
				case err != nil:
					t.Errorf("-ready-timeout %s: %s waits with timeout %v: %v", ready, e.Who, e.Detail["timeout"], err)
				case want == 0 && got != 0:
					t.Errorf("-ready-timeout 0: %s waits with timeout %v, want none (0)", e.Who, got)
				case want > 0 && got <= want:
					t.Errorf("-ready-timeout %s: %s waits with timeout %v, which ends before the parent's own deadline", ready, e.Who, got)
				}
			}
			if waits != 3 {
				t.Errorf("-ready-timeout %s: %d children reported their wait, want 3:\n%s", ready, waits, r.stdout)
			}
		}
	})
}

// TestManyChildren runs handoff-parent -children 1024, the top of its
// documented range, with the defaults: natively and under Wine, where the
// starts alone take longer than a child's default timeout. Only with
// HANDOFF_STRESS=full: under Wine 8 it takes minutes (0.1 to 0.4 s a
// start), and memory: about 18 MiB a Wine process (547 children took 10
// GB here), so the Windows case wants 20 GiB available, or is skipped
// saying so.
func TestManyChildren(t *testing.T) {
	const n = 1024
	if os.Getenv("HANDOFF_STRESS") != "full" {
		t.Skip("HANDOFF_STRESS=full runs it (1024 children; TestChildrenOutlastParent checks the deadlines)")
	}
	both(t, func(t *testing.T, p platform) {
		if avail := memAvailable(t); p.name == "windows" && avail < n*20<<20 {
			t.Skipf("%d Wine processes need about %d GiB; %d MiB available", n, n*20>>10, avail>>20)
		}
		env, _ := token(t)
		r := p.run(t, 30*time.Minute, []string{env}, "handoff-parent", "-children", strconv.Itoa(n))
		if r.code != 0 {
			t.Fatalf("exit %d, want 0\n%.4000s\n%.4000s", r.code, r.stdout, r.stderr)
		}
		if got := strings.Count(r.stdout, "] [CHILD] Event signaled\n"); got != n {
			t.Errorf("%d children say Event signaled, want %d", got, n)
		}
		gone(t, env, time.Minute)
	})
}

// memAvailable returns MemAvailable of /proc/meminfo, in bytes.
func memAvailable(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "MemAvailable:"); ok {
			kib, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatalf("/proc/meminfo: %q: %v", line, err)
			}
			return kib << 10
		}
	}
	t.Fatal("/proc/meminfo has no MemAvailable")
	return 0
}

// TestChildTimedOutWaiting runs two children of a command of one's own:
// the first to start waits with -timeout 1s, the other starts
// handoff-child only once the first has given up. The parent's error must
// name the cause: how long before the set the first was started.
func TestChildTimedOutWaiting(t *testing.T) {
	p := linux
	dir := t.TempDir()
	// No lifeline: sh stays the first child's parent.
	script := `if mkdir "$0/first" 2>/dev/null; then "$@" -timeout 1s; rc=$?; touch "$0/done"; exit $rc; fi
while [ ! -e "$0/done" ]; do sleep 0.05; done
exec "$@"`
	r := p.run(t, limit, nil, "handoff-parent", "-children", "2", "--", "/bin/sh", "-c", script, dir,
		p.path("handoff-child"), "-handles", "event=event:{event},ready=ready:{ready}")
	if r.code != codeChildFailed {
		t.Fatalf("exit %d, want %d\n%v", r.code, codeChildFailed, r)
	}
	match(t, r.stderr, `handoff-parent: child \d failed: exit code 7 \(the code of a timeout: it was started \d+(\.\d+)?s before the event was set, once every child had started and was ready\)`)
}
