//go:build linux && !handoff_pipe

package handoff

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

func init() {
	helpers["bench-raw-pong"] = benchRawPong
	helpers["bench-gate-rawpoll"] = func(args []string) { benchGate(args, rawPollWait) }
	startRawPinger = startRawEventfdPinger
}

// gateProbes are the probes of BenchmarkStartGate on Linux: child=go-rawpoll
// is the Go child whose wait is a poll that the runtime does not see as a
// system call (rawPollWait). Beside child=go it measures what the runtime's
// return from a long blocking call adds to each wake.
var gateProbes = []gateKind{
	{"go-rawpoll", func(*testing.B) gateChild {
		return gateChild{[]string{os.Args[0]}, []string{"{parent}"}, helperEnv("bench-gate-rawpoll")}
	}},
}

// startSteps are BenchmarkStartSteps' steps on Linux before the parent's
// side of the handoff: the test binary started with two descriptors that its
// record at start tells by their inode alone (null-files), then with an
// eventfd and a pidfd, whose fdinfo it reads (anon-files).
var startSteps = []startStep{
	{"null-files", func() error { return runWithFiles(false) }},
	{"anon-files", func() error { return runWithFiles(true) }},
}

// startFloor is the step that Start's own work is measured over on Linux:
// the same child given the same descriptors, an eventfd and a pidfd, by
// os/exec alone.
const startFloor = "anon-files"

// runWithFiles starts the test binary, which checks nothing and exits, with
// two extra descriptors passed by os/exec alone: two of /dev/null, or an
// eventfd and a pidfd of this process, as a handoff passes.
func runWithFiles(anon bool) error {
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	if anon {
		efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
		if err != nil {
			return os.NewSyscallError("eventfd", err)
		}
		files = append(files, os.NewFile(uintptr(efd), "eventfd"))
		pfd, err := unix.PidfdOpen(os.Getpid(), 0)
		if err != nil {
			return os.NewSyscallError("pidfd_open", err)
		}
		files = append(files, os.NewFile(uintptr(pfd), "pidfd"))
	} else {
		for range 2 {
			f, err := os.Open(os.DevNull)
			if err != nil {
				return err
			}
			files = append(files, f)
		}
	}
	cmd := exec.Command(os.Args[0], "3", "4")
	cmd.Env = helperEnv("bench-bare")
	cmd.Stderr = os.Stderr
	cmd.ExtraFiles = files
	return cmd.Run()
}

// rawPollWait waits for the event or the lifeline with ppoll(2) made as a raw
// system call, which the runtime does not see. A wait made as a system call
// (Event.WaitParent) lets the runtime's monitor thread take the waiter's P
// once the call has lasted 10 ms, and the return must then find an idle P
// and wake the monitor, which starts polling again every 20 µs: with 64
// children on 2 cores, that is what the Go children pay beyond the C ones.
// Here the P stays with the waiter; the runtime's preemption signal, every
// 10 ms or so, makes ppoll fail with EINTR, and it yields (a stop of the
// world for the collector needs it to) and polls again.
//
// A probe, never a way to wait: it keeps a P from every other goroutine of
// the process for as long as it blocks.
func rawPollWait(ev *Event, parent *Lifeline) error {
	fds := []unix.PollFd{{Fd: int32(ev.h.fd), Events: unix.POLLIN}, {Fd: int32(parent.h.fd), Events: unix.POLLIN}}
	for {
		_, _, errno := unix.RawSyscall6(unix.SYS_PPOLL, uintptr(unsafe.Pointer(&fds[0])), uintptr(len(fds)), 0, 0, 0, 0)
		switch {
		case errno == unix.EINTR:
			runtime.Gosched()
			continue
		case errno != 0:
			return os.NewSyscallError("ppoll", errno)
		case fds[0].Revents&unix.POLLIN != 0:
			return nil
		}
		return ErrParentGone
	}
}

// startFailed reports whether err is a failure to start a process that
// running again may cure: none on Linux.
func startFailed(error) bool { return false }

// benchRawPong is benchPong written directly on two blocking eventfds,
// descriptors 3 and 4: a read consumes a ping, a write sends the pong.
func benchRawPong([]string) {
	fmt.Println("ready")
	var b [8]byte
	for {
		if _, err := unix.Read(3, b[:]); err != nil {
			return
		}
		binary.NativeEndian.PutUint64(b[:], 1)
		if _, err := unix.Write(4, b[:]); err != nil {
			return
		}
	}
}

// rawPinger is the baseline of the wake: the same ping-pong on bare eventfds
// with x/sys/unix, no handoff in the way.
type rawPinger struct {
	send, recv int // the descriptors of the ping and of the pong
}

func (p rawPinger) ping() error {
	var buf [8]byte
	binary.NativeEndian.PutUint64(buf[:], 1)
	if _, err := unix.Write(p.send, buf[:]); err != nil {
		return os.NewSyscallError("write", err)
	}
	if _, err := unix.Read(p.recv, buf[:]); err != nil {
		return os.NewSyscallError("read", err)
	}
	return nil
}

func startRawEventfdPinger(b *testing.B) pinger {
	var files [2]*os.File
	for i := range files {
		fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
		if err != nil {
			b.Fatal(os.NewSyscallError("eventfd", err))
		}
		files[i] = os.NewFile(uintptr(fd), "eventfd")
		b.Cleanup(func() { files[i].Close() })
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = helperEnv("bench-raw-pong")
	cmd.ExtraFiles = files[:]
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	if s := bufio.NewScanner(out); !s.Scan() || s.Text() != "ready" {
		b.Fatalf("child did not get ready: %q", s.Text())
	}
	return rawPinger{int(files[0].Fd()), int(files[1].Fd())}
}

// memoryChildren are the children of BenchmarkChildMemory on Linux.
var memoryChildren = []memoryChild{
	{"handoff-child", "handoff-child", []string{"-event", "{event}", "-parent", "{parent}"}},
	{"go-classic-child", "classicchild", []string{"{event}"}},
	{"c-child", "c-child", []string{"{event}"}},
}

// childPeak runs path as a child of this process with the event passed,
// and returns the child's peak RSS in bytes: VmHWM of /proc/PID/status, read
// once a thread of the child is blocked in poll, its wait, before the event
// is set. (wait4's ru_maxrss would not do: a child started by vfork counts
// the parent's RSS from before its exec.)
func childPeak(path string, args []string) (int64, error) {
	ev, err := NewEvent()
	if err != nil {
		return 0, err
	}
	defer ev.Close()
	cmd := exec.Command(path, args...)
	cmd.Stderr = os.Stderr
	h := Command(cmd)
	h.Pass("event", ev)
	if err := h.Start(); err != nil {
		return 0, err
	}
	peak, perr := peakWhenPolling(cmd.Process.Pid)
	if err := ev.Set(); err != nil {
		cmd.Process.Kill()
		h.Wait()
		return 0, err
	}
	if err := h.Wait(); err != nil {
		return 0, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return peak, perr
}

// peakWhenPolling waits until a thread of process pid is blocked in poll or
// ppoll, then returns the process's VmHWM in bytes.
func peakWhenPolling(pid int) (int64, error) {
	proc := fmt.Sprintf("/proc/%d", pid)
	for deadline := time.Now().Add(10 * time.Second); ; {
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("process %d did not block in poll within 10s", pid)
		}
		if inPoll(proc) {
			break
		}
		time.Sleep(100 * time.Microsecond)
	}
	status, err := os.ReadFile(proc + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(v, "%d kB", &kb); err != nil {
				return 0, fmt.Errorf("%s/status: VmHWM:%s: %w", proc, v, err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("%s/status: no VmHWM", proc)
}

// inPoll reports whether a thread of the process is in ppoll, or in poll
// where there is one (amd64: 7), as /proc/PID/task/TID/syscall shows.
func inPoll(proc string) bool {
	tasks, _ := os.ReadDir(proc + "/task")
	for _, t := range tasks {
		b, _ := os.ReadFile(proc + "/task/" + t.Name() + "/syscall")
		nr, _, _ := strings.Cut(string(b), " ")
		if nr == strconv.Itoa(unix.SYS_PPOLL) || runtime.GOARCH == "amd64" && nr == "7" {
			return true
		}
	}
	return false
}

// The programs the benchmarks run, by file name, and how to build each: Go
// packages of this module, and the C programs of tools/baseline.
var (
	goPrograms = map[string]string{
		"handoff-parent": "./cmd/handoff-parent",
		"handoff-child":  "./cmd/handoff-child",
		"classicparent":  "./internal/testprog/classicparent",
		"classicchild":   "./internal/testprog/classicchild",
		"go-noop":        "./tools/baseline/gonoop",
	}
	cPrograms = map[string]string{
		"c-parent": "parent",
		"c-child":  "child",
		"c-noop":   "noop",
		"c-gate":   "gate",
	}
)

// buildPrograms builds the programs for goos into dir: the Go ones with
// GOFLAGS as the environment has it, the C ones with cc, if there is one
// (missing C programs are left out of the runs, with a note).
func buildPrograms(dir, goos, cc string) error {
	args := []string{"build", "-o", dir + "/"}
	for _, pkg := range goPrograms {
		args = append(args, pkg)
	}
	cmd := exec.Command("go", args...)
	goarch := runtime.GOARCH
	if goos == "windows" {
		goarch = "amd64" // what Wine runs here, and what mingw builds
	}
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("GOOS=%s go build: %v\n%s", goos, err, out)
	}
	// gonoop builds as "gonoop"; the runs call it go-noop.
	ext := map[string]string{"linux": "", "windows": ".exe"}[goos]
	if err := os.Rename(filepath.Join(dir, "gonoop"+ext), filepath.Join(dir, "go-noop"+ext)); err != nil {
		return err
	}
	if _, err := exec.LookPath(cc); err != nil {
		fmt.Fprintf(os.Stderr, "bench: no %s: the C programs are left out for %s\n", cc, goos)
		return nil
	}
	for name, src := range cPrograms {
		if src != "noop" {
			src += "_" + goos
		}
		cmd := exec.Command(cc, "-O2", "-Wall", "-o", filepath.Join(dir, name+ext), filepath.Join("tools", "baseline", src+".c"))
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s %s.c: %v\n%s", cc, src, err, out)
		}
	}
	return nil
}

// built holds the programs built into $HANDOFF_BENCH_BIN, per GOOS, for the
// whole test binary.
var built = struct {
	sync.Mutex
	err map[string]error
}{err: map[string]error{}}

// programsFor returns a directory of the programs built for goos: with
// HANDOFF_BENCH_BIN set (scripts/bench.sh sets it), $HANDOFF_BENCH_BIN/goos,
// built there once per test binary, where the Windows benchmarks find them
// too; else a temporary directory of b's.
func programsFor(b *testing.B, goos string) string {
	cc := map[string]string{"linux": "gcc", "windows": "x86_64-w64-mingw32-gcc"}[goos]
	base := os.Getenv("HANDOFF_BENCH_BIN")
	if base == "" {
		dir := b.TempDir()
		if err := buildPrograms(dir, goos, cc); err != nil {
			b.Fatal(err)
		}
		return dir
	}
	dir := filepath.Join(base, goos)
	built.Lock()
	defer built.Unlock()
	err, ok := built.err[goos]
	if !ok {
		err = os.MkdirAll(dir, 0o755)
		if err == nil {
			err = buildPrograms(dir, goos, cc)
		}
		built.err[goos] = err
	}
	if err != nil {
		b.Fatal(err)
	}
	return dir
}

// benchPrograms returns the directory of the built programs for this
// platform.
func benchPrograms(b *testing.B) string { return programsFor(b, "linux") }

// A run is one of the programs that BenchmarkRun times from start to exit.
type run struct {
	name string
	args []string // the program, then its arguments; paths relative to the programs' directory
}

// runs are what BenchmarkRun compares: bare starts of a C and a Go program
// that do nothing, the classic pair in C and in Go (inheritable event,
// inherit-all start, bare decimal value), and handoff-parent running
// handoff-child.
var runs = []run{
	{"c-noop", []string{"c-noop"}},
	{"go-noop", []string{"go-noop"}},
	{"c-pair", []string{"c-parent", "c-child"}},
	{"go-pair", []string{"classicparent", "classicchild"}},
	{"handoff", []string{"handoff-parent"}},
}

// BenchmarkRun times whole runs of the built programs, from the start of the
// parent to its exit, in rounds of one run of each, each first in turn:
// natively and, with HANDOFF_WINE=1 (scripts/test.sh and scripts/bench.sh
// set it after tools/wine/setup.sh), the Windows builds under Wine, started
// by the wine64 loader directly with a warm wineserver. It reports each
// median in ms, and the ratio of handoff's to the C pair's (target under
// Wine: at most 1.25) and to the Go pair's. With HANDOFF_BENCH_BEFORE_BIN set to a directory
// holding linux/ and windows/ builds of handoff-parent and handoff-child
// from another revision, they run too, as handoff-before.
func BenchmarkRun(b *testing.B) {
	b.Run("on=linux", func(b *testing.B) {
		benchRuns(b, "linux", programsFor(b, "linux"), nil)
	})
	b.Run("on=wine", func(b *testing.B) {
		loader, err := wineLoader()
		if err != nil {
			b.Skip(err)
		}
		benchRuns(b, "windows", programsFor(b, "windows"), loader)
	})
}

// benchRuns times the runs of the programs built for goos in dir, each
// started through loader if there is one.
func benchRuns(b *testing.B, goos, dir string, loader []string) {
	all, dirs := runs, make([]string, len(runs))
	for i := range dirs {
		dirs[i] = dir
	}
	if before := os.Getenv("HANDOFF_BENCH_BEFORE_BIN"); before != "" {
		all = append(all, run{"handoff-before", []string{"handoff-parent"}})
		dirs = append(dirs, filepath.Join(before, goos))
	}
	var todo []run
	var cmds [][]string
	for ri, r := range all {
		var argv []string
		ok := true
		for _, a := range r.args {
			p := filepath.Join(dirs[ri], a)
			if loader != nil {
				p += ".exe"
			}
			if _, err := os.Stat(p); err != nil {
				ok = false
				break
			}
			if loader != nil && len(argv) > 0 {
				p = winPath(p)
			}
			argv = append(argv, p)
		}
		if !ok {
			b.Logf("%s: not built, left out", r.name)
			continue
		}
		todo = append(todo, r)
		cmds = append(cmds, append(append([]string(nil), loader...), argv...))
	}
	times := make([][]float64, len(todo))
	failed := 0
	for round := 0; b.Loop(); round++ {
		// Each run first in turn: a run after a Go program's costs more
		// than one after a C program's.
		for k := range cmds {
			i := (k + round) % len(cmds)
			argv := cmds[i]
			for try := 1; ; try++ {
				cmd := exec.Command(argv[0], argv[1:]...)
				cmd.Dir = dir
				var stderr strings.Builder
				cmd.Stderr = &stderr
				t := time.Now()
				err := cmd.Run()
				d := time.Since(t)
				if err == nil {
					times[i] = append(times[i], millis(d))
					break
				}
				// Under load, Wine has been seen to end a run with exit
				// status 1 and nothing on standard error, once in a few
				// hundred, in C and Go pairs alike, and its CreateProcess
				// to fail with "Internal error": a failed run under Wine
				// is told, and run again, twice at most.
				if loader == nil {
					b.Fatalf("%s: %v\n%s", todo[i].name, err, stderr.String())
				}
				b.Logf("%s, try %d: %v\n%s", todo[i].name, try, err, stderr.String())
				if failed++; try == 3 {
					b.Fatalf("%s failed 3 times in a row", todo[i].name)
				}
			}
		}
	}
	if failed > 0 {
		b.ReportMetric(float64(failed), "failed-runs")
	}
	on := "linux"
	if loader != nil {
		on = "wine"
	}
	median, samples := map[string]float64{}, map[string][]float64{}
	for i, r := range todo {
		median[r.name], samples[r.name] = quantile(times[i], 0.5), times[i]
		b.ReportMetric(median[r.name], r.name+"-ms")
		recordSamples(b, "run-"+on+"-"+r.name+"-ms", times[i])
	}
	if h, c := median["handoff"], median["c-pair"]; h > 0 && c > 0 {
		b.ReportMetric(h/c, "handoff/c-pair")
	}
	if h, g := median["handoff"], median["go-pair"]; h > 0 && g > 0 {
		b.ReportMetric(h/g, "handoff/go-pair")
	}
	if h, g := samples["handoff"], samples["go-pair"]; len(h) > 0 && len(g) > 0 {
		b.ReportMetric(inRound(h, g), "handoff/go-pair-in-round")
	}
}

// runParts are the runs of BenchmarkRunParts: the whole default run taken
// apart, each run adding a part of it to the Go pair. Arguments that start
// with "@" name a program in the programs' directory. classicparent appends
// the event's bare value to the child's arguments.
var runParts = []run{
	{"go-pair", []string{"@classicparent", "@classicchild"}},
	// handoff's parent (its start-up, Start, the group and its output),
	// with the classic child, given the event only.
	{"parent", []string{"@handoff-parent", "--", "@classicchild", "{event}"}},
	// handoff's child (its start-up, the record, its checks and its
	// -timeout), from the classic parent.
	{"child", []string{"@classicparent", "@handoff-child"}},
	// the same child without a timeout of its own.
	{"child-no-timeout", []string{"@classicparent", "@handoff-child", "-timeout", "0"}},
	// both programs, the event only.
	{"event", []string{"@handoff-parent", "--", "@handoff-child", "{event}"}},
	// both, and the lifeline.
	{"lifeline", []string{"@handoff-parent", "--", "@handoff-child", "-event", "{event}", "-parent", "{parent}"}},
	// the default run: the handles argument and the ready round trip too.
	{"handoff", []string{"@handoff-parent"}},
}

// BenchmarkRunParts takes the whole default run of BenchmarkRun apart, on
// Linux: the runs of runParts in rounds of one run of each, each first in
// turn, and each one over the Go pair's in the same round, the median over
// the rounds (inRound).
func BenchmarkRunParts(b *testing.B) {
	dir := programsFor(b, "linux")
	times := make([][]float64, len(runParts))
	for round := 0; b.Loop(); round++ {
		for k := range runParts {
			i := (k + round) % len(runParts)
			var argv []string
			for _, a := range runParts[i].args {
				if prog, ok := strings.CutPrefix(a, "@"); ok {
					a = filepath.Join(dir, prog)
				}
				argv = append(argv, a)
			}
			cmd := exec.Command(argv[0], argv[1:]...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			t := time.Now()
			if err := cmd.Run(); err != nil {
				b.Fatalf("%s: %v\n%s", runParts[i].name, err, stderr.String())
			}
			times[i] = append(times[i], millis(time.Since(t)))
		}
	}
	b.ReportMetric(quantile(times[0], 0.5), "go-pair-ms")
	for i, r := range runParts[1:] {
		b.ReportMetric(inRound(times[i+1], times[0]), r.name+"/go-pair")
	}
}

// BenchmarkRunGate is BenchmarkStartGate with the built programs: the
// whole run of handoff-parent -children N -json, natively and under Wine,
// whose timeline gives, per round: start-ms, from the parent's start until
// every child was ready; first-woke-µs and last-woke-µs, the earliest and
// the latest of the children's wake after the set; and spread-µs. Unlike
// BenchmarkStartGate's, these children exit as soon as they woke, as
// handoff-child does, and the parent collects their output.
func BenchmarkRunGate(b *testing.B) {
	for _, on := range []string{"linux", "wine"} {
		b.Run("on="+on, func(b *testing.B) {
			var loader []string
			goos, parent := "linux", "handoff-parent"
			if on == "wine" {
				var err error
				if loader, err = wineLoader(); err != nil {
					b.Skip(err)
				}
				goos, parent = "windows", "handoff-parent.exe"
			}
			argv := append(loader, filepath.Join(programsFor(b, goos), parent))
			for _, n := range []int{1, 4, 16, 64} {
				b.Run(fmt.Sprintf("children=%d", n), func(b *testing.B) {
					var start, first, last, spread []float64
					failed := 0
					for b.Loop() {
						g, err := runProgramGate(argv, n)
						for try := 1; err != nil && loader != nil && try < 3; try++ {
							// Wine's CreateProcess fails now and then under
							// load ("Internal error"), as docs/windows.md
							// says: a failed round is told, and run
							// again, twice at most.
							b.Logf("round failed, run again: %v", err)
							failed++
							g, err = runProgramGate(argv, n)
						}
						if err != nil {
							b.Fatal(err)
						}
						start = append(start, millis(g.start))
						first = append(first, float64(g.first)/1e3)
						last = append(last, float64(g.last)/1e3)
						spread = append(spread, float64(g.last-g.first)/1e3)
					}
					m := quantile(start, 0.5)
					b.ReportMetric(m, "start-ms")
					b.ReportMetric(m/float64(n), "start-ms/child")
					b.ReportMetric(quantile(first, 0.5), "first-woke-µs")
					b.ReportMetric(quantile(last, 0.5), "last-woke-µs")
					b.ReportMetric(quantile(spread, 0.5), "spread-µs")
					recordSamples(b, fmt.Sprintf("rungate-%s-%d-start-ms", on, n), start)
					recordSamples(b, fmt.Sprintf("rungate-%s-%d-last-woke-us", on, n), last)
					if failed > 0 {
						b.ReportMetric(float64(failed), "failed-rounds")
					}
				})
			}
		})
	}
}

// runProgramGate runs handoff-parent -children n -json and reads its
// timeline.
func runProgramGate(argv []string, n int) (gate, error) {
	var g gate
	cmd := exec.Command(argv[0], append(argv[1:], "-children", strconv.Itoa(n), "-json")...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return g, fmt.Errorf("handoff-parent -children %d: %v\n%s", n, err, stderr.String())
	}
	woke := 0
	for line := range strings.Lines(string(out)) {
		var step struct {
			T      float64        `json:"t_ms"`
			Who    string         `json:"who"`
			Step   string         `json:"step"`
			Detail map[string]any `json:"detail"`
		}
		if err := json.Unmarshal([]byte(line), &step); err != nil {
			return g, fmt.Errorf("handoff-parent -json: %q: %w", line, err)
		}
		switch {
		case step.Who == "parent" && step.Step == "ready":
			g.start = time.Duration(step.T * 1e6)
		case step.Step == "woke" && step.Detail["result"] == "signaled":
			ms, ok := step.Detail["after_set_ms"].(float64)
			if !ok {
				return g, fmt.Errorf("handoff-parent -json: %q: after_set_ms is not a number", line)
			}
			d := int64(ms * 1e6)
			if woke == 0 || d < g.first {
				g.first = d
			}
			if woke == 0 || d > g.last {
				g.last = d
			}
			woke++
		}
	}
	if woke != n || g.start == 0 {
		return g, fmt.Errorf("handoff-parent -children %d -json: %d children woke, ready at %v", n, woke, g.start)
	}
	return g, nil
}

// wineLoader returns the command that runs a Windows program under Wine,
// with the Wine session started, or why there is none.
func wineLoader() ([]string, error) {
	if os.Getenv("HANDOFF_WINE") != "1" {
		return nil, errors.New("HANDOFF_WINE=1 is not set (scripts/test.sh and scripts/bench.sh set it after tools/wine/setup.sh)")
	}
	if os.Getenv("WINEPREFIX") == "" {
		return nil, errors.New("HANDOFF_WINE=1 but WINEPREFIX is not set")
	}
	// Debian's wine is a shell script that execs this loader; the shell
	// would add its own start to every run.
	loader := "/usr/lib/wine/wine64"
	if _, err := os.Stat(loader); err != nil {
		if loader, err = exec.LookPath("wine64"); err != nil {
			return nil, fmt.Errorf("no wine64 loader: %w", err)
		}
	}
	wineOnce.Do(func() { wineErr = warmWine(loader) })
	if wineErr != nil {
		return nil, wineErr
	}
	return []string{loader}, nil
}

var (
	wineOnce sync.Once
	wineErr  error
)

// warmWine starts a persistent wineserver and the Wine session with their
// standard files on /dev/null, so that the runs find the session warm and
// no Wine service holds a pipe of ours.
func warmWine(loader string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := exec.CommandContext(ctx, "wineserver", "-p").Run(); err != nil {
		// It exits 2 when a server already runs for this prefix.
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			return fmt.Errorf("wineserver -p: %w", err)
		}
	}
	if err := exec.CommandContext(ctx, loader, "cmd", "/c", "exit").Run(); err != nil {
		return fmt.Errorf("%s cmd /c exit: %w", loader, err)
	}
	return nil
}

// winPath returns the Windows name of an absolute Linux path: Wine maps the
// root to drive Z:.
func winPath(p string) string {
	return `Z:` + strings.ReplaceAll(p, "/", `\`)
}
