//go:build unix || windows

package handoff

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"
)

// The benchmarks' children are the test binary too, in these helper modes.
func init() {
	helpers["bench-bare"] = func([]string) {}
	helpers["bench-child"] = benchChild
	helpers["bench-pong"] = benchPong
}

// benchChild is the child side of the lesson: verify the event and the
// lifeline, wait, exit.
func benchChild(args []string) {
	ev, err := OpenEvent(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	parent, err := OpenLifeline(args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := ev.WaitParent(context.Background(), parent); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// BenchmarkStart compares the whole handoff (start the child, hand over the
// event and the lifeline, set, wait for its exit) with starting the same
// binary with nothing handed over. Compare the two with benchstat; the
// difference is handoff's overhead.
func BenchmarkStart(b *testing.B) {
	b.Run("bare", func(b *testing.B) {
		for b.Loop() {
			cmd := exec.Command(os.Args[0])
			cmd.Env = helperEnv("bench-bare")
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("handoff", func(b *testing.B) {
		for b.Loop() {
			ev, err := NewEvent()
			if err != nil {
				b.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "{event}", "{parent}")
			cmd.Env = helperEnv("bench-child")
			cmd.Stderr = os.Stderr
			h := Command(cmd)
			h.Pass("event", ev)
			if err := h.Start(); err != nil {
				b.Fatal(err)
			}
			if err := ev.Set(); err != nil {
				b.Fatal(err)
			}
			if err := h.Wait(); err != nil {
				b.Fatal(err)
			}
			ev.Close()
		}
	})
}

// benchPong answers every ping with a pong until its parent goes.
func benchPong(args []string) {
	ping, err := OpenEvent(args[0])
	if err != nil {
		panic(err)
	}
	pong, err := OpenEvent(args[1])
	if err != nil {
		panic(err)
	}
	parent, err := OpenLifeline(args[2])
	if err != nil {
		panic(err)
	}
	fmt.Println("ready")
	for {
		if err := ping.WaitParent(context.Background(), parent); err != nil {
			return
		}
		ping.Reset()
		if err := pong.Set(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

// BenchmarkWake passes the turn between the parent and a long-lived child
// over two handed-over events, and reports the round trip's median and 99th
// percentile.
func BenchmarkWake(b *testing.B) {
	if pipeBackend {
		b.Skip("the pipe backend's child holds only the read end of an event: it cannot set the pong")
	}
	ping, pong := benchEvent(b), benchEvent(b)
	cmd := exec.Command(os.Args[0], "{ping}", "{pong}", "{parent}")
	cmd.Env = helperEnv("bench-pong")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	h := Command(cmd)
	h.Pass("ping", ping)
	h.Pass("pong", pong)
	if err := h.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		h.Wait()
	}()
	if s := bufio.NewScanner(out); !s.Scan() || s.Text() != "ready" {
		b.Fatalf("child did not get ready: %q", s.Text())
	}
	ctx := context.Background()
	var rtt []time.Duration
	for b.Loop() {
		t := time.Now()
		ping.Set()
		if err := pong.Wait(ctx); err != nil {
			b.Fatal(err)
		}
		pong.Reset()
		rtt = append(rtt, time.Since(t))
	}
	reportPercentiles(b, rtt)
}

func benchEvent(b *testing.B) *Event {
	ev, err := NewEvent()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ev.Close() })
	return ev
}

// reportPercentiles reports the median and 99th percentile of d in
// microseconds.
func reportPercentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(p float64) float64 {
		return float64(d[int(p*float64(len(d)-1))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}
