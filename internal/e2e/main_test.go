//go:build linux

// Package e2e runs the built programs, handoff-parent and handoff-child with
// the test programs of internal/testprog, as black boxes: natively on Linux,
// and as Windows executables under Wine.
//
// TestMain builds the programs for Linux and, when Wine is available
// (HANDOFF_WINE=1, wine on PATH and WINEPREFIX prepared by
// tools/wine/setup.sh), for Windows. Every scenario then runs once per
// platform, as a subtest named after it. With CI=true a platform that cannot
// run fails its subtests instead of skipping them.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// programs are the packages TestMain builds, by their binary names.
var programs = map[string]string{
	"handoff-parent": "github.com/handoff/handoff/cmd/handoff-parent",
	"handoff-child":  "github.com/handoff/handoff/cmd/handoff-child",
	"classicchild":   "github.com/handoff/handoff/internal/testprog/classicchild",
	"classicparent":  "github.com/handoff/handoff/internal/testprog/classicparent",
	"probe":          "github.com/handoff/handoff/internal/testprog/probe",
	"claimchild":     "github.com/handoff/handoff/internal/e2e/claimchild",
}

// A platform is where the programs run: natively, or under Wine.
type platform struct {
	name string // "linux" or "windows"
	dir  string // the built programs
	err  error  // why the programs cannot run here, nil if they can
	off  string // why its cases are skipped on purpose, even in CI
}

// pipeBackend is set (pipe_test.go) when the tests are built with -tags
// handoff_pipe: the Linux programs are then built with it too, and use
// handoff's pipe backend, the one macOS and the BSDs get.
var pipeBackend bool

var linux, windows platform

func TestMain(m *testing.M) {
	if os.Getenv("HANDOFF_E2E_MAXRSS") == "1" {
		os.Exit(maxRSS(os.Args[1:]))
	}
	os.Exit(testMain(m))
}

// maxRSS runs the command args, as /usr/bin/time -f %M would, with this
// process's standard files, and prints to standard error the peak resident
// size of the process it started, "maxrss N KiB"; it exits with the
// command's code. TestMessageMapped runs the test binary so, where GNU time
// may be missing (a minimal Debian tree).
func maxRSS(args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, "maxrss:", err)
		return 1
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		fmt.Fprintf(os.Stderr, "maxrss %d KiB\n", ru.Maxrss) // Linux: in KiB
	}
	return cmd.ProcessState.ExitCode()
}

func testMain(m *testing.M) int {
	flag.Parse()
	dir, err := os.MkdirTemp("", "handoff-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)

	start := time.Now()
	linux = platform{name: "linux", dir: filepath.Join(dir, "linux")}
	if err := build(linux.dir, "linux", runtime.GOARCH); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	windows = platform{name: "windows", dir: filepath.Join(dir, "windows")}
	switch {
	case pipeBackend:
		// The tag changes nothing on Windows: the run without it covers
		// Windows.
		windows.off = "-tags handoff_pipe builds the same Windows programs as the run without it"
	default:
		windows.err = wineReady()
		if windows.err == nil {
			windows.err = build(windows.dir, "windows", "amd64")
		}
		if windows.err == nil {
			windows.err = warmWine(windows.dir)
		}
		if windows.err != nil {
			fmt.Fprintf(os.Stderr, "e2e: WINDOWS CASES CANNOT RUN: %v\n", windows.err)
		}
	}
	if testing.Verbose() {
		fmt.Printf("e2e: built and prepared in %v\n", time.Since(start).Round(time.Millisecond))
	}
	return m.Run()
}

// build builds the programs for goos/goarch into dir.
func build(dir, goos, goarch string) error {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("building the programs: %w", err)
	}
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	if pipeBackend && goos == "linux" {
		args = append(args, "-tags", "handoff_pipe")
	}
	for _, pkg := range programs {
		args = append(args, pkg)
	}
	cmd := exec.Command(gocmd, args...)
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("GOOS=%s go build: %v\n%s", goos, err, out)
	}
	return nil
}

// wineReady reports why Wine cannot run the Windows programs, if it cannot.
func wineReady() error {
	if os.Getenv("HANDOFF_WINE") != "1" {
		return errors.New("HANDOFF_WINE=1 is not set (bash scripts/test.sh sets it after tools/wine/setup.sh)")
	}
	if _, err := exec.LookPath("wine"); err != nil {
		return fmt.Errorf("HANDOFF_WINE=1 but: %w", err)
	}
	if _, err := exec.LookPath("wineserver"); err != nil {
		return fmt.Errorf("HANDOFF_WINE=1 but: %w", err)
	}
	if _, err := exec.LookPath("setarch"); err != nil {
		return fmt.Errorf("HANDOFF_WINE=1 but: %w", err)
	}
	if os.Getenv("WINEPREFIX") == "" {
		return errors.New("HANDOFF_WINE=1 but WINEPREFIX is not set (eval the output of tools/wine/setup.sh)")
	}
	return nil
}

// warmWine starts the Wine session with its standard files on /dev/null and
// keeps the server running after its last client, so that no Wine service
// process inherits a test's pipes or environment (see the exec wrapper
// of tools/wine), and
// checks that a Windows program runs.
func warmWine(dir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	server := exec.CommandContext(ctx, "wineserver", "-p")
	server.Env = wineEnv(os.Environ())
	if err := server.Run(); err != nil {
		// It exits 2 when a server already runs for this prefix.
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			return fmt.Errorf("wineserver -p: %w", err)
		}
	}
	boot := wineCommand(ctx, "cmd", "/c", "exit")
	boot.Env = wineEnv(os.Environ())
	if err := boot.Run(); err != nil {
		return fmt.Errorf("wine cmd /c exit: %w", err)
	}
	probe := wineCommand(ctx, filepath.Join(dir, "probe.exe"))
	probe.Env = wineEnv(os.Environ())
	out, err := probe.Output()
	if err != nil || !bytes.Contains(out, []byte("# end")) {
		return fmt.Errorf("a Windows program does not run under Wine (is bcryptprimitives.dll in the prefix? run tools/wine/setup.sh): %v: %q", err, out)
	}
	return nil
}

func wineEnv(env []string) []string {
	return append(env, "WINEDEBUG=-all")
}

// wineCommand returns the command that runs wine with args, with address
// space randomization off (setarch -R), as the go_windows_amd64_exec
// wrapper does: randomization puts the loader's heap, now and then, where
// Wine must map the shared user data, and the program then fails to start
// (see tools/wine/setup.sh). setarch execs wine: the command's pid is
// wine's.
func wineCommand(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "setarch", append([]string{"-R", "wine"}, args...)...)
}

// inCI reports whether the tests run in CI, where a platform that cannot run
// is a failure.
func inCI() bool {
	switch os.Getenv("CI") {
	case "", "0", "false":
		return false
	}
	return true
}

// both runs f once per platform, in subtests named after them.
func both(t *testing.T, f func(t *testing.T, p platform)) {
	t.Helper()
	for _, p := range []platform{linux, windows} {
		t.Run(p.name, func(t *testing.T) {
			if p.off != "" {
				t.Skip(p.off)
			}
			if p.err != nil {
				if inCI() {
					t.Fatalf("CI=true and the %s programs cannot run: %v", p.name, p.err)
				}
				t.Skipf("%s programs cannot run: %v", p.name, p.err)
			}
			f(t, p)
		})
	}
}

// path returns how a program of p's names another of its programs on a
// command line: a Windows path under Wine.
func (p platform) path(name string) string {
	if p.name == "windows" {
		return `Z:` + strings.ReplaceAll(filepath.Join(p.dir, name+".exe"), "/", `\`)
	}
	return filepath.Join(p.dir, name)
}

// hostPath returns how a program of p names the file at path of this
// machine: a Windows path under Wine.
func (p platform) hostPath(path string) string {
	if p.name == "windows" {
		return `Z:` + strings.ReplaceAll(path, "/", `\`)
	}
	return path
}

// probeWords are the words the probe prints for an event and a lifeline
// (its own names: NtQueryObject's on Windows, its reading of /proc on Linux;
// with the pipe backend an event is a pipe and a lifeline a socket).
func (p platform) probeWords() (event, lifeline string) {
	switch {
	case p.name == "windows":
		return "Event", "Process"
	case pipeBackend:
		return "pipe", "socket"
	}
	return "eventfd", "pidfd"
}

var (
	observedMu    sync.Mutex
	observedTypes = map[string]map[string]string{}
)

// observed returns what the probe saw of the objects handoff-parent passes,
// by name ("event", "ready", "message", "parent"): the type the probe
// names, from the system (NtQueryObject on Windows, /proc on Linux), not
// from handoff-child's words, so that what the child says it verified is
// compared with something that does not come from the child. The probe
// runs once per platform, as handoff-parent's child with -message, and
// exits without signaling ready: handoff-parent then fails, as it should.
func (p platform) observed(t *testing.T) map[string]string {
	t.Helper()
	observedMu.Lock()
	defer observedMu.Unlock()
	if m, ok := observedTypes[p.name]; ok {
		return m
	}
	r := p.run(t, limit, nil, "handoff-parent", "-message", "probe", "--", p.path("probe"), "{handles}")
	arg := match(t, r.stdout, `# arg (\S+) not a number`)[1]
	types := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^(\d+) (\S+)$`).FindAllStringSubmatch(r.stdout, -1) {
		types[m[1]] = m[2]
	}
	byName := map[string]string{}
	for _, e := range strings.Split(arg, ",") {
		name, rest, _ := strings.Cut(e, "=")
		_, value, _ := strings.Cut(rest, ":")
		typ, ok := types[value]
		if !ok {
			t.Fatalf("the probe did not list %s (%s), passed as %q:\n%s", value, name, e, r.stdout)
		}
		byName[name] = typ
	}
	for _, name := range []string{"event", "parent", "message"} {
		if byName[name] == "" {
			t.Fatalf("the probe's handles argument %q has no %s:\n%s", arg, name, r.stdout)
		}
	}
	observedTypes[p.name] = byName
	return byName
}

// memoryType is a pattern of the type handoff-child may report for shared
// memory: on Windows what the probe saw ("Section"); on Linux and the pipe
// backend the probe sees a memfd or a shm file as a file, and has no word
// of its own to compare the child's with, so any.
func (p platform) memoryType(t *testing.T) string {
	if p.name == "windows" {
		return regexp.QuoteMeta(p.observed(t)["message"])
	}
	return `\S+`
}

// command returns the command that runs program name of p with args; under
// Wine, the unix process is wine's, whose pid is the Windows program's unix
// pid. Standard input is /dev/null; env entries are added to the test's
// environment.
func (p platform) command(ctx context.Context, env []string, name string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	base := os.Environ()
	if p.name == "windows" {
		cmd = wineCommand(ctx, append([]string{filepath.Join(p.dir, name+".exe")}, args...)...)
		base = wineEnv(base)
	} else {
		cmd = exec.CommandContext(ctx, filepath.Join(p.dir, name), args...)
	}
	clean := base[:0:0]
	for _, kv := range base {
		if !strings.HasPrefix(kv, "HANDOFF_TRACE=") {
			clean = append(clean, kv)
		}
	}
	cmd.Env = append(clean, env...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// result is how a program run ended.
type result struct {
	code           int
	stdout, stderr string
	elapsed        time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("exit %d after %v\n--- stdout:\n%s--- stderr:\n%s", r.code, r.elapsed.Round(time.Millisecond), r.stdout, r.stderr)
}

// wineNoiseLine is a line that Wine 10's client code writes to a process's
// standard error when its request to the wineserver fails as the process
// is being torn down ("wine client error:6a0: sendmsg: Socket operation on
// non-socket"), seen now and then as a job ends its processes: the
// runtime's words, not the program's, which Windows never writes.
var wineNoiseLine = regexp.MustCompile(`(?m)^wine client error:[0-9a-f]+: [^\n]*\n?`)

// wineNoise splits stderr into what the program wrote and Wine's own lines.
func wineNoise(stderr string) (kept, noise string) {
	noise = strings.Join(wineNoiseLine.FindAllString(stderr, -1), "")
	return wineNoiseLine.ReplaceAllString(stderr, ""), noise
}

// run runs program name of p to its end, killing it after limit. Under
// Wine, Wine's own lines are left out of its standard error, and logged.
func (p platform) run(t *testing.T, limit time.Duration, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := p.command(ctx, env, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{code: -1, elapsed: time.Since(start), stdout: crlf(stdout.String()), stderr: crlf(stderr.String())}
	if p.name == "windows" {
		var noise string
		r.stderr, noise = wineNoise(r.stderr)
		if noise != "" {
			t.Logf("%s %q: Wine's own lines on stderr, left out:\n%s", name, args, noise)
		}
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		r.code = 0
	case errors.As(err, &ee) && ee.Exited():
		r.code = ee.ExitCode()
	case ctx.Err() != nil:
		t.Fatalf("%s %q: not done within %v, killed\n%v", name, args, limit, r)
	default:
		t.Fatalf("%s %q: %v\n%v", name, args, err, r)
	}
	t.Logf("%s %s: %v", name, strings.Join(args, " "), r)
	return r
}

func crlf(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// lines is a program's output, line by line, as it arrives.
type lines struct {
	mu   sync.Mutex
	all  []string
	more chan struct{} // closed and replaced on each new line, and at EOF
	eof  bool
	at   time.Time // when EOF came
}

// readLines reads r line by line until EOF, in a goroutine.
func readLines(r io.Reader) *lines {
	l := &lines{more: make(chan struct{})}
	go func() {
		s := bufio.NewScanner(r)
		for s.Scan() {
			l.mu.Lock()
			l.all = append(l.all, strings.TrimSuffix(s.Text(), "\r"))
			close(l.more)
			l.more = make(chan struct{})
			l.mu.Unlock()
		}
		l.mu.Lock()
		l.eof, l.at = true, time.Now()
		close(l.more)
		l.mu.Unlock()
	}()
	return l
}

// waitFor waits until a line contains s, or EOF, or the deadline; it
// reports whether one did.
func (l *lines) waitFor(s string, deadline time.Time) bool {
	for {
		l.mu.Lock()
		for _, line := range l.all {
			if strings.Contains(line, s) {
				l.mu.Unlock()
				return true
			}
		}
		more, eof := l.more, l.eof
		l.mu.Unlock()
		if eof {
			return false
		}
		select {
		case <-more:
		case <-time.After(time.Until(deadline)):
			return false
		}
	}
}

// waitEOF waits for EOF until the deadline and returns when it came, or the
// zero time.
func (l *lines) waitEOF(deadline time.Time) time.Time {
	for {
		l.mu.Lock()
		more, eof, at := l.more, l.eof, l.at
		l.mu.Unlock()
		if eof {
			return at
		}
		select {
		case <-more:
		case <-time.After(time.Until(deadline)):
			return time.Time{}
		}
	}
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.all, "\n") + "\n"
}

// token returns an environment entry unique to this test, to find its
// processes by.
func token(t *testing.T) (env, value string) {
	value = fmt.Sprintf("%d-%d-%s", os.Getpid(), time.Now().UnixNano(), strings.ReplaceAll(t.Name(), "/", "-"))
	return "HANDOFF_E2E_TOKEN=" + value, value
}

// endedAfterKill waits up to 5 s for the end of the output and error
// output of a child whose parent was killed at killed, and returns how long
// after the kill its output ended; it fails t if it did not.
func endedAfterKill(t *testing.T, out, errOut *lines, killed time.Time) time.Duration {
	t.Helper()
	at := out.waitEOF(time.Now().Add(5 * time.Second))
	errOut.waitEOF(time.Now().Add(5 * time.Second))
	if at.IsZero() {
		t.Fatalf("the child still runs 5s after its parent was killed:\n%s", out)
	}
	d := at.Sub(killed)
	t.Logf("child ended %v after its parent was killed", d)
	return d
}

// childrenOf returns the pids of the live processes with the token entry
// env other than cmd's, and fails t if there is none; out is cmd's output,
// for the message.
func childrenOf(t *testing.T, env string, cmd *exec.Cmd, out fmt.Stringer) []int {
	t.Helper()
	var child []int
	for _, pid := range withToken(t, env) {
		if pid != cmd.Process.Pid {
			child = append(child, pid)
		}
	}
	if len(child) == 0 {
		t.Fatalf("no child process found by its environment; parent %d\n%s", cmd.Process.Pid, out)
	}
	return child
}

// withToken returns the pids of the live processes whose environment holds
// the token entry env: Wine's processes too, whose Linux environment is
// their Windows one.
func withToken(t *testing.T, env string) []int {
	t.Helper()
	procs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, dir := range procs {
		pid, err := strconv.Atoi(filepath.Base(dir))
		if err != nil {
			continue
		}
		b, err := os.ReadFile(dir + "/environ")
		if err != nil {
			continue // gone, or not ours to read
		}
		if !bytes.Contains(append([]byte{0}, b...), []byte("\x00"+env+"\x00")) {
			continue
		}
		if stat, err := os.ReadFile(dir + "/stat"); err == nil {
			// "pid (comm) S ...": a zombie has ended.
			if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
				continue
			}
		}
		pids = append(pids, pid)
	}
	return pids
}

// gone waits until no process holds the token entry env, and reports how
// long that took, or fails the test after limit.
func gone(t *testing.T, env string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		pids := withToken(t, env)
		if len(pids) == 0 {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			for _, pid := range pids {
				cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
				t.Errorf("process %d still runs after %v: %q", pid, limit, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
				syscallKill(pid)
			}
			t.FailNow()
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func syscallKill(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}
