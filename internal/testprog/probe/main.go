// Probe lists every handle (Windows) or file descriptor (Linux) that it holds
// and that its own children would inherit: on Windows the handles with
// HANDLE_FLAG_INHERIT, on Linux the descriptors without close-on-exec. A Go
// program makes all of its own handles non-inheritable, so what probe lists
// is what it inherited. The end-to-end tests run it as the child of
// handoff-parent to see that only the standard handles and the passed ones
// arrive.
//
// Usage:
//
//	probe [-max N] [-sleep D] [VALUE...]
//
// It prints, on standard output:
//
//	# probe pid PID
//	# stdio IN OUT ERR           the standard handles' values
//	# arg VALUE ...              for each VALUE: what it names, or why not
//	VALUE TYPE                   one line per inheritable handle, by value
//	# end N                      the number of VALUE TYPE lines
//	# sleeping D                 with -sleep, then it sleeps for D
//
// TYPE is the object type that NtQueryObject names on Windows ("Event",
// "Process", "File"...), and on Linux "eventfd", "pidfd", "pipe", "socket",
// "file" or the anon_inode name. On Windows the values scanned are 4 to -max
// (default 4096) in steps of 4, plus every VALUE; on Linux every open
// descriptor.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"
)

func main() {
	max := flag.Uint("max", 4096, "highest handle value to scan (Windows)")
	sleep := flag.Duration("sleep", 0, "sleep for `D` after listing")
	flag.Parse()
	fmt.Printf("# probe pid %d\n", os.Getpid())
	in, out, errh := stdio()
	fmt.Printf("# stdio %d %d %d\n", in, out, errh)
	var extra []uintptr
	for _, a := range flag.Args() {
		v, err := strconv.ParseUint(a, 0, 32)
		if err != nil {
			fmt.Printf("# arg %s not a number\n", a)
			continue
		}
		typ, inherit, err := describe(uintptr(v))
		if err != nil {
			fmt.Printf("# arg %s %v\n", a, err)
			continue
		}
		fmt.Printf("# arg %s %s inherit=%t\n", a, typ, inherit)
		extra = append(extra, uintptr(v))
	}
	list, err := inheritable(uintptr(*max), extra)
	if err != nil {
		fmt.Fprintf(os.Stderr, "probe: %v\n", err)
		os.Exit(1)
	}
	for _, h := range list {
		fmt.Printf("%d %s\n", h.value, h.typ)
	}
	fmt.Printf("# end %d\n", len(list))
	if *sleep > 0 {
		fmt.Printf("# sleeping %v\n", *sleep)
		time.Sleep(*sleep)
	}
}

// handle is one inheritable handle.
type handle struct {
	value uintptr
	typ   string
}
