package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/handoff/handoff"
	"github.com/handoff/handoff/internal/exitcode"
)

// A messageFile is the file -message-file names ("-": standard input),
// to be read at most max bytes.
type messageFile struct {
	name string
	max  int64
}

// newMessage returns shared memory holding the message after its length, a
// little-endian uint64, as handoff-child reads it; nil without -message or
// -message-file. The message of a file is read within -ready-timeout.
func (p *parent) newMessage() (*handoff.SharedMemory, error) {
	var m *handoff.SharedMemory
	var err error
	switch {
	case p.message != nil:
		if m, err = newMemory(len(p.message)); err == nil {
			copy(m.Bytes()[8:], p.message)
		}
	case p.messageFile != nil:
		m, err = p.messageFile.readWithin(p.readyTimeout)
	default:
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	n := len(m.Bytes()) - 8
	p.step(p.now(), "message-created", fmt.Sprintf("created shared memory, handle %d, holding a message of %d bytes", m.Handle(), n),
		"handle", m.Handle(), "bytes", n)
	return m, nil
}

// newMemory returns shared memory for a message of n bytes, its length
// written.
func newMemory(n int) (*handoff.SharedMemory, error) {
	m, err := handoff.NewSharedMemory(8 + n)
	if err != nil {
		return nil, fmt.Errorf("create message: %w", err)
	}
	binary.LittleEndian.PutUint64(m.Bytes(), uint64(n))
	return m, nil
}

// readWithin reads the message into shared memory, giving up after limit
// (0: no limit): a FIFO with no writer, or a standard input that never
// ends, does not hold up the run.
func (f *messageFile) readWithin(limit time.Duration) (*handoff.SharedMemory, error) {
	type result struct {
		m   *handoff.SharedMemory
		err error
	}
	done := make(chan result, 1)
	go func() {
		m, err := f.read()
		done <- result{m, err}
	}()
	var expired <-chan time.Time
	if limit > 0 {
		t := time.NewTimer(limit)
		defer t.Stop()
		expired = t.C
	}
	select {
	case r := <-done:
		return r.m, r.err
	case <-expired:
		// The read goes on in its goroutine until the process exits.
		return nil, exitcode.Errorf(handoff.ExitTimeout, "timeout: -message-file %s: not read within %v (-ready-timeout)", f.name, limit)
	}
}

// read reads the message into shared memory: a regular file straight into
// the mapping, anything else (a pipe, a device, a file of /proc, whose size
// says 0) through a buffer of at most max+1 bytes.
func (f *messageFile) read() (*handoff.SharedMemory, error) {
	file := os.Stdin
	if f.name != "-" {
		var err error
		if file, err = os.Open(f.name); err != nil {
			return nil, usageError(fmt.Errorf("-message-file: %w", err))
		}
		defer file.Close()
	}
	if file == nil {
		return nil, usageError(errors.New("-message-file -: no standard input"))
	}
	if fi, err := file.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
		if err := f.check(fi.Size()); err != nil {
			return nil, err
		}
		m, err := newMemory(int(fi.Size()))
		if err != nil {
			return nil, err
		}
		if _, err := io.ReadFull(file, m.Bytes()[8:]); err != nil {
			m.Close()
			return nil, usageError(fmt.Errorf("-message-file: %w", err))
		}
		return m, nil
	}
	b, err := io.ReadAll(io.LimitReader(file, f.max+1))
	if err != nil {
		return nil, usageError(fmt.Errorf("-message-file: %w", err))
	}
	if err := f.check(int64(len(b))); err != nil {
		return nil, err
	}
	m, err := newMemory(len(b))
	if err != nil {
		return nil, err
	}
	copy(m.Bytes()[8:], b)
	return m, nil
}

// check refuses a message of n bytes if it is more than max.
func (f *messageFile) check(n int64) error {
	if n > f.max {
		return usageError(fmt.Errorf("-message-file %s: more than -max-message %d bytes (-max-message raises the limit)", f.name, f.max))
	}
	return nil
}
