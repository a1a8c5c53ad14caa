//go:build linux

package e2e

// The C pair, built and run through its self-test.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// cPrograms are the C programs the interop tests build, by their binary
// names: the examples and c/handoff.h's tests of its child and parent
// sides.
var cPrograms = map[string]string{
	"cparent":   "c/examples/parent.c",
	"cchild":    "c/examples/child.c",
	"selftest":  "c/test/selftest.c",
	"starttest": "c/test/starttest.c",
}

// cBuilt builds the C programs of each platform once, the first time a test
// needs them.
var cBuilt struct {
	once [2]sync.Once
	err  [2]error
}

// needC builds the C programs for p into p.dir, or fails the test if they
// cannot be built.
func needC(t *testing.T, p platform) {
	t.Helper()
	i := 0
	if p.name == "windows" {
		i = 1
	}
	cBuilt.once[i].Do(func() { cBuilt.err[i] = buildC(p) })
	if cBuilt.err[i] != nil {
		t.Fatalf("building the C programs for %s: %v", p.name, cBuilt.err[i])
	}
}

// buildC builds each C program with exactly the command that c/handoff.h
// promises to build with, "cc -O2 -Ic c/examples/child.c" (Linux) or
// "x86_64-w64-mingw32-gcc -O2 -Ic c/examples/child.c" (Windows), run in a
// copy of the c folder, and moves the a.out or a.exe it makes into p.dir.
func buildC(p platform) error {
	compiler, output, exe := "cc", "a.out", ""
	if p.name == "windows" {
		compiler, output, exe = "x86_64-w64-mingw32-gcc", "a.exe", ".exe"
	}
	path, err := exec.LookPath(compiler)
	if err != nil {
		return err
	}
	src, err := filepath.Abs(filepath.Join("..", "..", "c"))
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "handoff-c-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := os.CopyFS(filepath.Join(tmp, "c"), os.DirFS(src)); err != nil {
		return fmt.Errorf("copying %s: %w", src, err)
	}
	for name, file := range cPrograms {
		cmd := exec.Command(path, "-O2", "-Ic", file)
		cmd.Dir = tmp
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s -O2 -Ic %s: %v\n%s", compiler, file, err, out)
		}
		if err := os.Rename(filepath.Join(tmp, output), filepath.Join(p.dir, name+exe)); err != nil {
			return err
		}
	}
	return nil
}

// TestCSelfTest runs c/handoff.h's self-test (c/test/selftest.c): the
// child side's checks against handles of kinds and origins that the
// example programs never get.
func TestCSelfTest(t *testing.T) {
	bothC(t, func(t *testing.T, p platform) {
		r := p.run(t, limit, nil, "selftest")
		if r.code != 0 || !strings.Contains(r.stdout, " checks, 0 failed") {
			t.Fatalf("selftest: exit %d, want 0 and no failed check\n%v", r.code, r)
		}
	})
}

// TestCStartTest runs c/handoff.h's test of its parent side
// (c/test/starttest.c), which starts itself as the child: failed execs,
// starts from a thread that ends, the child's signals, releases without a
// wait, NULL pointers, and on Windows non-ASCII paths and arguments and the
// child's parent.
func TestCStartTest(t *testing.T) {
	bothC(t, func(t *testing.T, p platform) {
		r := p.run(t, limit, nil, "starttest")
		if r.code != 0 || !strings.Contains(r.stdout, " checks, 0 failed") {
			t.Fatalf("starttest: exit %d, want 0 and no failed check\n%v", r.code, r)
		}
	})
}
