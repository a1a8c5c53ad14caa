package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// With HANDOFF_CHILD_TEST_MAIN=1 the test binary is handoff-child: tests of
// the child side run it as a real child, for it accepts only handles that it
// really inherited.
func TestMain(m *testing.M) {
	if os.Getenv("HANDOFF_CHILD_TEST_MAIN") == "1" {
		os.Exit(exit(run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
	}
	os.Exit(m.Run())
}

// childCommand returns a command that runs the test binary as handoff-child
// with args.
func childCommand(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "HANDOFF_CHILD_TEST_MAIN=1", "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	return cmd
}

// runCommand runs cmd and returns its standard output and exit code.
func runCommand(t *testing.T, cmd *exec.Cmd) (stdout string, code int) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout = &out
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return out.String(), cmd.ProcessState.ExitCode()
}

// checkSteps checks that stdout is the child's "[CHILD] pid N" line ending
// in start, then exactly the lines of want.
func checkSteps(t *testing.T, stdout, start string, want []string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 1+len(want) || !strings.HasPrefix(lines[0], "[CHILD] pid ") || !strings.HasSuffix(lines[0], start) {
		t.Fatalf("printed:\n%s", stdout)
	}
	for i, w := range want {
		if lines[1+i] != w {
			t.Errorf("line %d = %q, want %q", 1+i, lines[1+i], w)
		}
	}
}
