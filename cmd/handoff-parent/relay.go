package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"time"
)

// A relay copies the standard output of one of several children to the
// parent's, through a pipe the parent made and keeps the write end of, so
// that the parent can print its own lines in causal order: sync writes a
// marker into the pipe, after everything the child wrote before, and waits
// until the copy has reached it. The marker is left out of the copy.
type relay struct {
	r, w   *os.File // the pipe; w is the child's standard output
	out    io.Writer
	marker []byte
	synced chan struct{} // gets a value when the copy reaches a marker
	done   chan struct{} // closed at the end of the copy

	closeW sync.Once
}

// relayWait bounds the wait for the end of a child's output once the child
// has exited: a process it started may hold the pipe, as exec.Cmd's
// WaitDelay does for the pipes it makes.
const relayWait = time.Second

// newRelay returns a relay that copies to out; its w is the child's
// standard output.
func newRelay(out io.Writer) (*relay, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	// math/rand/v2's generator is seeded from the system's randomness at
	// start: no child can tell the marker in advance.
	var id [16]byte
	binary.LittleEndian.PutUint64(id[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(id[8:], rand.Uint64())
	rl := &relay{r: r, w: w, out: out, synced: make(chan struct{}, 1), done: make(chan struct{})}
	rl.marker = []byte("\x00handoff-parent-sync-" + hex.EncodeToString(id[:]) + "\x00")
	go rl.copy()
	return rl, nil
}

// copy copies the pipe to out until EOF, leaving the markers out.
func (rl *relay) copy() {
	defer close(rl.done)
	defer rl.r.Close()
	rl.copyFrom(rl.r)
}

// copyFrom copies r to out until EOF or an error, leaving the markers out,
// wherever its reads cut them.
func (rl *relay) copyFrom(r io.Reader) {
	buf := make([]byte, 32<<10)
	var data []byte
	for {
		n, err := r.Read(buf)
		data = append(data, buf[:n]...)
		for {
			i := bytes.Index(data, rl.marker)
			if i < 0 {
				break
			}
			rl.out.Write(data[:i])
			data = data[i+len(rl.marker):]
			select {
			case rl.synced <- struct{}{}:
			default:
			}
		}
		// Hold back what may be the start of a marker.
		keep := 0
		for k := min(len(data), len(rl.marker)-1); k > 0; k-- {
			if bytes.HasSuffix(data, rl.marker[:k]) {
				keep = k
				break
			}
		}
		if err != nil {
			keep = 0
		}
		if len(data) > keep {
			rl.out.Write(data[:len(data)-keep])
			data = append(data[:0:0], data[len(data)-keep:]...)
		}
		if err != nil {
			return
		}
	}
}

// syncLimit bounds a sync: a standard output that is not read holds up
// the copy, and must not hold up the set.
const syncLimit = 2 * time.Second

// sync returns once everything the child wrote before the call is copied,
// or ctx is done, or syncLimit has passed, or the copy has ended. It then
// closes the parent's write end, so the copy ends with the child: a relay
// syncs once.
func (rl *relay) sync(ctx context.Context) {
	defer rl.closeWriter()
	ctx, cancel := context.WithTimeout(ctx, syncLimit)
	defer cancel()
	written := make(chan bool, 1)
	go func() {
		_, err := rl.w.Write(rl.marker)
		written <- err == nil
	}()
	select {
	case ok := <-written:
		if !ok {
			return
		}
	case <-ctx.Done():
		return
	}
	select {
	case <-rl.synced:
	case <-rl.done:
	case <-ctx.Done():
	}
}

// closeWriter closes the parent's copy of the write end.
func (rl *relay) closeWriter() {
	rl.closeW.Do(func() { rl.w.Close() })
}

// wait waits for the end of the copy, once the child has exited, at most
// relayWait.
func (rl *relay) wait() {
	rl.closeWriter()
	t := time.NewTimer(relayWait)
	defer t.Stop()
	select {
	case <-rl.done:
	case <-t.C:
	}
}
