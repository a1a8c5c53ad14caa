package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
)

// TestRelayMarkers: the copy leaves out every marker, wherever the reads
// cut it, and only markers: a part of one that the output happens to hold
// is copied.
func TestRelayMarkers(t *testing.T) {
	m := "\x00sync-1234\x00"
	in := "[CHILD] reported ready\npart" + m + "ial\n" + m[:4] + "x" + m + m[:len(m)-1]
	want := "[CHILD] reported ready\npartial\n" + m[:4] + "x" + m[:len(m)-1]
	for _, tt := range []struct {
		name string
		r    io.Reader
	}{
		{"one read", strings.NewReader(in)},
		{"byte by byte", iotest.OneByteReader(strings.NewReader(in))},
		{"halves", iotest.HalfReader(strings.NewReader(in))},
	} {
		var out bytes.Buffer
		rl := &relay{out: &out, marker: []byte(m), synced: make(chan struct{}, 1)}
		rl.copyFrom(tt.r)
		if out.String() != want {
			t.Errorf("%s: copied %q, want %q", tt.name, out.String(), want)
		}
		select {
		case <-rl.synced:
		default:
			t.Errorf("%s: no marker seen", tt.name)
		}
	}
}

// TestRelaySync: once sync returns, everything written to the pipe before
// it is copied, a part of a line too; the copy ends once the write end is
// closed.
func TestRelaySync(t *testing.T) {
	var out lockedBuffer
	rl, err := newRelay(&out)
	if err != nil {
		t.Fatal(err)
	}
	const before = "[1] [CHILD] reported ready to the parent\n[1] [CHILD] half a li"
	if _, err := rl.w.Write([]byte(before)); err != nil {
		t.Fatal(err)
	}
	rl.sync(context.Background())
	if got := out.String(); got != before {
		t.Errorf("after sync, copied %q, want %q", got, before)
	}
	rl.wait()
	select {
	case <-rl.done:
	default:
		t.Errorf("the copy did not end once the write end was closed")
	}
}

// lockedBuffer is a bytes.Buffer that the copy and the test may use at
// once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
