//go:build linux && !handoff_pipe

package handoff

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func init() {
	helpers["bench-raw-pong"] = benchRawPong
}

// benchRawPong is benchPong written directly on two blocking eventfds,
// descriptors 3 and 4: a read consumes a ping, a write sends the pong.
func benchRawPong([]string) {
	fmt.Println("ready")
	var b [8]byte
	for {
		if _, err := unix.Read(3, b[:]); err != nil {
			return
		}
		binary.NativeEndian.PutUint64(b[:], 1)
		if _, err := unix.Write(4, b[:]); err != nil {
			return
		}
	}
}

// BenchmarkWakeRawEventfd is the baseline of BenchmarkWake: the same ping-pong
// on bare eventfds with x/sys/unix, no handoff in the way.
func BenchmarkWakeRawEventfd(b *testing.B) {
	var files [2]*os.File
	for i := range files {
		fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC)
		if err != nil {
			b.Fatal(err)
		}
		files[i] = os.NewFile(uintptr(fd), "eventfd")
		defer files[i].Close()
	}
	ping, pong := int(files[0].Fd()), int(files[1].Fd())
	cmd := exec.Command(os.Args[0])
	cmd.Env = helperEnv("bench-raw-pong")
	cmd.ExtraFiles = files[:]
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	if s := bufio.NewScanner(out); !s.Scan() || s.Text() != "ready" {
		b.Fatalf("child did not get ready: %q", s.Text())
	}
	var buf [8]byte
	var rtt []time.Duration
	for b.Loop() {
		t := time.Now()
		binary.NativeEndian.PutUint64(buf[:], 1)
		if _, err := unix.Write(ping, buf[:]); err != nil {
			b.Fatal(err)
		}
		if _, err := unix.Read(pong, buf[:]); err != nil {
			b.Fatal(err)
		}
		rtt = append(rtt, time.Since(t))
	}
	reportPercentiles(b, rtt)
}
