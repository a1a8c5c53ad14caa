package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/exitcode"
)

const synopsis = "handoff-parent [-children N] [-message TEXT | -message-file FILE] [-max-message N] [-timeout D] [-ready-timeout D] [-trace | -json] [-- CHILD ARGS...]"

// maxChildren bounds -children.
const maxChildren = 1024

// defaultMaxMessage is -max-message's default: 64 MiB.
const defaultMaxMessage = 64 << 20

// config is what the command line asks for.
type config struct {
	timeout      time.Duration
	readyTimeout time.Duration
	trace, json  bool
	children     int
	message      []byte       // nil: no -message
	messageFile  *messageFile // nil: no -message-file
	command      []string     // after "--"; nil for the default child
}

// parse parses the command line. On -h it prints the help on stdout and
// returns flag.ErrHelp; its other errors call for exit code 2.
func parse(args []string, stdout io.Writer) (config, error) {
	var cfg config
	var text, file string
	max := int64(defaultMaxMessage)
	fs := newFlagSet(&cfg, &text, &file, &max)
	err := fs.Parse(args)
	if err == flag.ErrHelp {
		printHelp(stdout, fs)
		return cfg, err
	}
	if err != nil {
		return cfg, usageError(err)
	}
	rest := fs.Args()
	dashdash := len(args) > len(rest) && args[len(args)-len(rest)-1] == "--"
	if err := cfg.check(dashdash, rest); err != nil {
		return cfg, err
	}
	if cfg.message, cfg.messageFile, err = message(fs, text, file, max); err != nil {
		return cfg, err
	}
	if dashdash {
		if err := checkCommand(rest, cfg.message != nil || cfg.messageFile != nil); err != nil {
			return cfg, err
		}
		cfg.command = rest
	}
	return cfg, nil
}

// newFlagSet returns the flags, which set cfg, the -message and
// -message-file texts and -max-message.
func newFlagSet(cfg *config, text, file *string, max *int64) *flag.FlagSet {
	fs := flag.NewFlagSet("handoff-parent", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.DurationVar(&cfg.timeout, "timeout", 30*time.Second, "kill the children if they have not exited `D` after the event is set; 0 means no limit")
	fs.DurationVar(&cfg.readyTimeout, "ready-timeout", 10*time.Second, "fail if a child has not reported ready within `D` of the start; 0 means no limit")
	fs.IntVar(&cfg.children, "children", 1, fmt.Sprintf("start `N` children, 1 to %d, behind the one event", maxChildren))
	fs.StringVar(text, "message", "", "also pass shared memory holding `TEXT`, which each child prints once woken")
	fs.StringVar(file, "message-file", "", "like -message, with the text read from `FILE` (- for standard input), within -ready-timeout")
	fs.Int64Var(max, "max-message", defaultMaxMessage, "refuse a message of more than `N` bytes")
	fs.BoolVar(&cfg.trace, "trace", false, "after the run, print the parent's and every child's steps as a table on one time axis, each at the moment it marks (docs/trace.md)")
	fs.BoolVar(&cfg.json, "json", false, "like -trace, as JSON lines (their schema: docs/trace.md), and nothing else on standard output")
	return fs
}

// printHelp prints the -h text.
func printHelp(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: %s\n\n", synopsis)
	fmt.Fprintf(w, "Without --, runs handoff-child (next to this program, else on PATH) as\n")
	fmt.Fprintf(w, "  handoff-child -handles {handles}\n")
	fmt.Fprintf(w, "After --, runs CHILD with {event}, {message}, {ready} and {parent} in ARGS\n")
	fmt.Fprintf(w, "replaced by the child's values of the event, the message's shared memory,\n")
	fmt.Fprintf(w, "the ready event and the lifeline (a handle on this process), and {handles}\n")
	fmt.Fprintf(w, "by the list of them all: name=kind:value,... A child that gets {ready} or\n")
	fmt.Fprintf(w, "{handles} must report ready before the event is set.\n\nFlags:\n")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprintf(w, "\nExit codes:\n%s", exitcode.Table(true))
}

// check refuses flags that make no sense, alone or together, and arguments
// that are not a child command after "--" (dashdash). rest is what follows
// the flags.
func (cfg *config) check(dashdash bool, rest []string) error {
	switch {
	case !dashdash && len(rest) > 0:
		return usageError(fmt.Errorf("unexpected argument %q: a child command goes after --", rest[0]))
	case dashdash && len(rest) == 0:
		return usageError(errors.New("no child command after --"))
	case cfg.timeout < 0:
		return usageError(fmt.Errorf("negative -timeout %v", cfg.timeout))
	case cfg.readyTimeout < 0:
		return usageError(fmt.Errorf("negative -ready-timeout %v", cfg.readyTimeout))
	case cfg.trace && cfg.json:
		return usageError(errors.New("-trace and -json exclude each other"))
	case cfg.children < 1 || cfg.children > maxChildren:
		return usageError(fmt.Errorf("-children %d out of range [1, %d]", cfg.children, maxChildren))
	}
	return nil
}

// message returns the message that -message (text) gives, or the file
// that -message-file (file) names, to be read at most max bytes: nil for
// none.
func message(fs *flag.FlagSet, text, file string, max int64) ([]byte, *messageFile, error) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case set["message"] && set["message-file"]:
		return nil, nil, usageError(errors.New("-message and -message-file exclude each other"))
	case max < 0:
		return nil, nil, usageError(fmt.Errorf("negative -max-message %d", max))
	case set["message"] && int64(len(text)) > max:
		return nil, nil, usageError(fmt.Errorf("-message: %d bytes, more than -max-message %d", len(text), max))
	case set["message"]:
		return []byte(text), nil, nil
	case set["message-file"]:
		return nil, &messageFile{name: file, max: max}, nil
	}
	return nil, nil, nil
}

// checkCommand refuses a child command that would not get the event, or the
// message if there is one.
func checkCommand(command []string, hasMessage bool) error {
	if !names(command, "{event}", "{handles}") {
		return usageError(fmt.Errorf("no argument of the child command names {event} or {handles}: %q", command))
	}
	if hasMessage && !names(command, "{message}", "{handles}") {
		return usageError(fmt.Errorf("-message given, but no argument of the child command names {message} or {handles}: %q", command))
	}
	return nil
}

// names reports whether an argument of command names one of the
// placeholders ph.
func names(command []string, ph ...string) bool {
	for _, a := range command {
		for _, p := range ph {
			if strings.Contains(a, p) {
				return true
			}
		}
	}
	return false
}

func usageError(err error) error {
	return exitcode.Errorf(handoff.ExitUsage, "%w (usage: %s; -h for help)", err, synopsis)
}
