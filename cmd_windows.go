package handoff

// What Cmd.Start and Cmd.Wait do for an exec.Cmd, done here for the child
// that Start creates itself: the path resolved as os/exec resolves it, the
// environment, the standard streams (an *os.File as it is, nil as the NUL
// device, any other reader or writer through a pipe and a goroutine that
// copies), Cmd.Process, and WaitDelay.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	"golang.org/x/sys/windows"
)

// cmdIO is what Start keeps of a Cmd's standard streams.
type cmdIO struct {
	closeAfterStart []*os.File // the child's ends made here
	closeAfterWait  []*os.File // this process's ends of the pipes made here
	pipeEnds        []*os.File // the child's ends of Cmd.StdinPipe's and its kin's pipes
	copies          []func() error
	errc            chan error // one result per copy
	running         int
}

// childSetup is what the child's creation takes from a Cmd.
type childSetup struct {
	path                  string
	argv                  []string
	env                   []uint16 // the environment block
	stdin, stdout, stderr *os.File
}

// checkCmd refuses a Cmd that Cmd.Start would refuse, and a Cmd made by
// exec.CommandContext: its context is kept in a field of exec.Cmd that only
// Cmd.Start can read, and Start creates the child itself.
func checkCmd(cmd *exec.Cmd) error {
	switch {
	case cmd.Err != nil:
		return fmt.Errorf("handoff: %w", cmd.Err)
	case cmd.Path == "":
		return errors.New("handoff: Cmd.Path is empty: no command")
	case cmd.Cancel != nil || hasContext(cmd):
		return errors.New("handoff: Cmd was made by exec.CommandContext, whose context Start cannot see on Windows: " +
			"make it with exec.Command, and end the child when the context is done, as with context.AfterFunc(ctx, func() { cmd.Process.Kill() })")
	}
	return nil
}

// hasContext reports whether exec.CommandContext gave cmd a context. The
// context is unexported; reflect reads whether it is set, nothing more.
func hasContext(cmd *exec.Cmd) bool {
	f := reflect.ValueOf(cmd).Elem().FieldByName("ctx")
	return f.IsValid() && f.Kind() == reflect.Interface && !f.IsNil()
}

// setup resolves cmd's path as os/exec does, composes its environment block,
// and opens the child's standard streams.
func (c *cmdIO) setup(cmd *exec.Cmd) (s childSetup, err error) {
	if s.path, err = lookExtensions(cmd.Path, cmd.Dir); err != nil {
		return s, fmt.Errorf("handoff: %w", err)
	}
	if cmd.Dir != "" && filepath.VolumeName(s.path) == "" && !os.IsPathSeparator(s.path[0]) {
		// CreateProcess finds a relative path from this process's
		// directory; os/exec, and Start, from Cmd.Dir.
		s.path = filepath.Join(cmd.Dir, s.path)
	}
	s.argv = cmd.Args
	if len(s.argv) == 0 {
		s.argv = []string{cmd.Path}
	}
	if s.env, err = envBlock(cmd.Environ()); err != nil {
		return s, err
	}
	if s.stdin, err = c.reader(cmd.Stdin); err != nil {
		return s, err
	}
	if s.stdout, err = c.writer(cmd.Stdout); err != nil {
		return s, err
	}
	s.stderr = s.stdout
	if cmd.Stderr == nil || !interfaceEqual(cmd.Stderr, cmd.Stdout) {
		if s.stderr, err = c.writer(cmd.Stderr); err != nil {
			return s, err
		}
	}
	// The child's ends of the pipes of Cmd.StdinPipe, StdoutPipe and
	// StderrPipe, which Cmd.Start closes once the child has started.
	for _, f := range pipeEnds(cmd) {
		if f == s.stdin || f == s.stdout || f == s.stderr {
			c.pipeEnds = append(c.pipeEnds, f)
		}
	}
	return s, nil
}

// lookExtensions is os/exec's lookExtensions: it finds the file path names,
// relative to dir, adding an extension of PATHEXT if path has none.
func lookExtensions(path, dir string) (string, error) {
	if filepath.Base(path) == path {
		path = "." + string(filepath.Separator) + path
	}
	if dir == "" || filepath.VolumeName(path) != "" || os.IsPathSeparator(path[0]) {
		return exec.LookPath(path)
	}
	joined := filepath.Join(dir, path)
	lp, err := exec.LookPath(joined)
	if err != nil {
		return "", err
	}
	return path + strings.TrimPrefix(lp, joined), nil
}

// envBlock returns env as CreateProcess takes it: sorted by name, each
// "name=value" ended by a NUL, and one more NUL at the end.
func envBlock(env []string) ([]uint16, error) {
	env = slices.Clone(env)
	name := func(s string) string {
		if i := strings.IndexByte(s[min(1, len(s)):], '='); i >= 0 {
			s = s[:i+1]
		}
		return strings.ToUpper(s)
	}
	slices.SortStableFunc(env, func(a, b string) int { return strings.Compare(name(a), name(b)) })
	var b []uint16
	for _, s := range env {
		if strings.IndexByte(s, 0) >= 0 {
			return nil, fmt.Errorf("handoff: environment variable %q holds a NUL", name(s))
		}
		b = utf16.AppendRune(append(b, utf16.Encode([]rune(s))...), 0)
	}
	if len(b) == 0 {
		b = append(b, 0)
	}
	return append(b, 0), nil
}

// pipeEnds returns the child's ends of the pipes that Cmd.StdinPipe,
// StdoutPipe and StderrPipe made, which exec.Cmd keeps unexported until its
// Start closes them. reflect reads which files they are, nothing more.
func pipeEnds(cmd *exec.Cmd) []*os.File {
	f := reflect.ValueOf(cmd).Elem().FieldByName("childIOFiles")
	if !f.IsValid() || f.Kind() != reflect.Slice {
		return nil
	}
	var ends []*os.File
	for i := range f.Len() {
		e := f.Index(i)
		if e.Kind() == reflect.Interface && !e.IsNil() && e.Elem().Type() == reflect.TypeFor[*os.File]() {
			for _, std := range []any{cmd.Stdin, cmd.Stdout, cmd.Stderr} {
				if file, ok := std.(*os.File); ok && reflect.ValueOf(file).Pointer() == e.Elem().Pointer() {
					ends = append(ends, file)
				}
			}
		}
	}
	return ends
}

// interfaceEqual is os/exec's: a == b, false where comparing panics.
func interfaceEqual(a, b any) (eq bool) {
	defer func() { recover() }()
	return a == b
}

// reader returns the child's standard input for r.
func (c *cmdIO) reader(r io.Reader) (*os.File, error) {
	if r == nil {
		f, err := os.Open(os.DevNull)
		if err != nil {
			return nil, fmt.Errorf("handoff: the child's standard input: %w", err)
		}
		c.closeAfterStart = append(c.closeAfterStart, f)
		return f, nil
	}
	if f, ok := r.(*os.File); ok {
		return f, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("handoff: the child's standard input: %w", err)
	}
	c.closeAfterStart = append(c.closeAfterStart, pr)
	c.closeAfterWait = append(c.closeAfterWait, pw)
	c.copies = append(c.copies, func() error {
		_, err := io.Copy(pw, r)
		// The child may exit, or close its input, before reading it all.
		if errors.Is(err, windows.ERROR_BROKEN_PIPE) || errors.Is(err, windows.ERROR_NO_DATA) {
			err = nil
		}
		if cerr := pw.Close(); err == nil && !errors.Is(cerr, os.ErrClosed) {
			err = cerr
		}
		return err
	})
	return pr, nil
}

// writer returns the child's standard output or error for w.
func (c *cmdIO) writer(w io.Writer) (*os.File, error) {
	if w == nil {
		f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("handoff: the child's output: %w", err)
		}
		c.closeAfterStart = append(c.closeAfterStart, f)
		return f, nil
	}
	if f, ok := w.(*os.File); ok {
		return f, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("handoff: the child's output: %w", err)
	}
	c.closeAfterStart = append(c.closeAfterStart, pw)
	c.closeAfterWait = append(c.closeAfterWait, pr)
	c.copies = append(c.copies, func() error {
		_, err := io.Copy(w, pr)
		pr.Close() // in case io.Copy stopped at an error of w's
		return err
	})
	return pw, nil
}

// started closes the child's ends, which the child now holds, and starts
// the copies.
func (c *cmdIO) started() {
	closeFiles(c.closeAfterStart)
	closeFiles(c.pipeEnds)
	c.closeAfterStart, c.pipeEnds = nil, nil
	c.errc = make(chan error, len(c.copies))
	c.running = len(c.copies)
	for _, fn := range c.copies {
		go func() { c.errc <- fn() }()
	}
	c.copies = nil
}

// wait waits for the copies, for at most cmd.WaitDelay when it is set, as
// Cmd.Wait does: at that point it closes this process's ends of the pipes
// and returns exec.ErrWaitDelay.
func (c *cmdIO) wait(cmd *exec.Cmd) error {
	var timeout <-chan time.Time
	if cmd.WaitDelay > 0 && c.running > 0 {
		t := time.NewTimer(cmd.WaitDelay)
		defer t.Stop()
		timeout = t.C
	}
	var err error
	for c.running > 0 {
		select {
		case e := <-c.errc:
			c.running--
			if err == nil {
				err = e
			}
		case <-timeout:
			closeFiles(c.closeAfterWait)
			for ; c.running > 0; c.running-- {
				<-c.errc
			}
			err = exec.ErrWaitDelay
		}
	}
	closeFiles(c.closeAfterWait)
	c.closeAfterWait = nil
	return err
}

// abort closes what setup opened, for a Start that failed; the pipes of
// Cmd.StdinPipe and its kin stay the caller's.
func (c *cmdIO) abort() {
	closeFiles(c.closeAfterStart)
	closeFiles(c.closeAfterWait)
	c.closeAfterStart, c.closeAfterWait, c.pipeEnds, c.copies = nil, nil, nil, nil
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}
