package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/exitcode"
)

const synopsis = "handoff-child {[-event] VALUE [-parent VALUE] | -handles LIST} [-timeout D]"

// config is what the command line asks for.
type config struct {
	event, parent string
	hasParent     bool   // -parent was given, even if empty
	handles       string // -handles, the handles argument
	hasHandles    bool   // -handles was given
	timeout       time.Duration
}

// parse parses the command line. Flags and the bare VALUE may come in any
// order; after "--" everything is taken as it is. On -h it prints the help
// on stdout and returns flag.ErrHelp; its other errors call for exit code 2.
func parse(args []string, stdout io.Writer) (config, error) {
	cfg := config{}
	fs := newFlagSet(&cfg)
	bare, err := parseFlags(fs, args)
	if err == flag.ErrHelp {
		printHelp(stdout, fs)
		return cfg, err
	}
	if err != nil {
		return cfg, usageError(err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["handles"] {
		cfg.hasHandles = true
		return cfg, cfg.checkHandles(bare, set)
	}
	err = cfg.checkValue(bare, set)
	return cfg, err
}

// newFlagSet returns the flags, which set cfg.
func newFlagSet(cfg *config) *flag.FlagSet {
	fs := flag.NewFlagSet("handoff-child", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cfg.event, "event", "", "the event's `VALUE` (handoff-parent's {event})")
	fs.StringVar(&cfg.parent, "parent", "", "the lifeline's `VALUE` (handoff-parent's {parent}): a handle on the parent process")
	fs.StringVar(&cfg.handles, "handles", "", "the handles argument `LIST` (handoff-parent's {handles}): name=kind:value,... with the event as \"event\", and optionally the lifeline, the ready event and the message")
	fs.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "give up waiting after `D`; 0 means no limit")
	return fs
}

// parseFlags parses args with fs, flags before and after bare arguments,
// which it returns: all of them after "--".
func parseFlags(fs *flag.FlagSet, args []string) (bare []string, err error) {
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(bare, rest...), nil
		}
		if len(rest) == 0 {
			return bare, nil
		}
		bare = append(bare, rest[0])
		args = rest[1:]
	}
}

// printHelp prints the -h text.
func printHelp(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: %s\n\nFlags:\n", synopsis)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintf(w, "\nExit codes:\n%s", exitcode.Table(false))
}

// checkHandles checks a command line with -handles: bare holds its bare
// arguments and set the flags given.
func (cfg *config) checkHandles(bare []string, set map[string]bool) error {
	switch {
	case len(bare) > 0:
		return usageError(fmt.Errorf("both -handles and VALUE %q", bare[0]))
	case set["event"] || set["parent"]:
		return usageError(errors.New("-handles excludes -event and -parent"))
	case cfg.timeout < 0:
		return usageError(fmt.Errorf("negative -timeout %v", cfg.timeout))
	}
	return nil
}

// checkValue checks a command line that gives the event's value, as VALUE
// (one of bare) or as -event, and takes it.
func (cfg *config) checkValue(bare []string, set map[string]bool) error {
	switch {
	case len(bare) > 1:
		return usageError(fmt.Errorf("more than one VALUE: %q", bare))
	case len(bare) == 1 && set["event"]:
		return usageError(fmt.Errorf("both -event %q and VALUE %q", cfg.event, bare[0]))
	case len(bare) == 1:
		cfg.event = bare[0]
	case !set["event"]:
		return usageError(errors.New("no VALUE"))
	}
	if cfg.timeout < 0 {
		return usageError(fmt.Errorf("negative -timeout %v", cfg.timeout))
	}
	cfg.hasParent = set["parent"]
	if cfg.hasParent && sameValue(cfg.event, cfg.parent) {
		return usageError(fmt.Errorf("-parent %s is the event's value too: one value names one handle", cfg.parent))
	}
	return nil
}

// sameValue reports whether a and b are well-formed values of the same
// number, such as 3 and 0x3. A value that is not well formed is the
// event's or the lifeline's own fault, reported when it is opened.
func sameValue(a, b string) bool {
	va, erra := handoff.ParseValue(a)
	vb, errb := handoff.ParseValue(b)
	return erra == nil && errb == nil && va == vb
}

func usageError(err error) error {
	return exitcode.Errorf(handoff.ExitUsage, "%w (usage: %s; -h for help)", err, synopsis)
}
