// Package handoff hands an unnamed event from a parent process to a child it
// starts, by handle inheritance, and lets the child prove what it received.
//
// The parent creates an [Event], attaches it to an [exec.Cmd] with a
// [Handoff], and starts the child. The child learns the handle value from its
// command line (handle values are the same in both processes), turns it into
// a verified Event with [OpenEvent], and waits on it with [Event.WaitParent],
// which also returns [ErrParentGone] as soon as the parent exits.
//
// handoff fixes three flaws of the classic sample (CreateProcess with
// bInheritHandles=TRUE and the value as a bare decimal argv[1]):
//
//   - Only the handles a Handoff names are inherited, nothing else the parent
//     holds.
//   - The child refuses a value that does not name a live, inherited object
//     of the right type, with [ErrBadValue], [ErrNotInherited] or
//     [ErrWrongType], instead of waiting on whatever the value happens to
//     name.
//   - No wait is without an end: the child watches a lifeline to its parent,
//     the parent's context or timeout bounds the child, and the child dies
//     with its parent.
//
// # Objects, names and readiness
//
// Besides events, a [Handoff] passes any [Object]: a [Semaphore], a block of
// [SharedMemory], or an open file given with [File], each created unnamed and
// not inheritable and passed under a name. Placeholders of the form {name}
// in the command's arguments and environment become the child-side value of
// the handle passed under that name ({parent} names the lifeline); {handles}
// becomes the handles argument, one argument that lists every handle passed
// with its name, kind and value (see [Handles]). A child parses it with
// [ParseHandles] and opens its objects by name: a name that was not passed is
// [ErrNotPassed], a kind that does not match is [ErrWrongType]. A value is
// written in decimal, as the classic sample does, or in hexadecimal with a 0x
// prefix (see [ParseValue]). The protocol, for a child written in another
// language, is in docs/protocol.md.
//
// With [Handoff.ExpectReady], the child also gets a ready object, which it
// signals ([Handles.Ready], [SignalReady]) once it has verified everything it
// received. [Handoff.WaitReady] waits for that signal and for the child's exit
// together, so a parent that starts many children behind one event sets it
// only when all are ready, and learns of a failed handoff ([ErrNotReady])
// before anything waits on it.
//
// An event stays set until it is reset, and wakes every waiter: on Linux and
// macOS and the BSDs, Wait polls the event for readability without reading
// it, so that one waiter's wake leaves it set for the others.
//
// # Windows
//
// The event is a manual-reset event object; a semaphore a semaphore object;
// shared memory a section backed by the paging file, with a small header of
// handoff's that keeps the exact size.
//
// For each child, Start creates a job object with
// JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, whose only handle the parent holds,
// and duplicates each passed handle in the parent itself (for the lifeline,
// the parent's own process handle, with SYNCHRONIZE and
// PROCESS_QUERY_LIMITED_INFORMATION). It creates the child with its own
// CreateProcess call: the standard handles and those duplicates, nothing
// else, in PROC_THREAD_ATTRIBUTE_HANDLE_LIST, and the job in
// PROC_THREAD_ATTRIBUTE_JOB_LIST, so that the child is in its job before
// its first instruction and there is no moment when it could outlive the
// parent. The duplicates are inheritable only from right before that call
// until they are closed right after it: the child's values are theirs, and
// once Start returns the child holds the only copies. The child's parent,
// as the system sees it, is the parent. [Handoff.Wait] closes the job once
// the child has exited, which ends whatever the child left behind.
//
// Start does for the [exec.Cmd] what Cmd.Start does: Path, Args (and
// SysProcAttr.CmdLine, whose placeholders it fills too), Env, Dir, the
// standard streams, WaitDelay, Process and ProcessState. It refuses the
// SysProcAttr settings that would defeat the design (ParentProcess,
// AdditionalInheritedHandles, NoInheritHandles, CREATE_BREAKAWAY_FROM_JOB,
// inheritable process or thread attributes) and a Cmd made by
// exec.CommandContext, whose context only Cmd.Start can see: end such a
// child with context.AfterFunc and Process.Kill instead. Other code of the
// parent that calls CreateProcess with bInheritHandles=TRUE and no handle
// list while Start creates a child can catch a duplicate; Go's own
// os/exec cannot (docs/windows.md).
//
// The child accepts a value only if GetHandleInformation reports
// HANDLE_FLAG_INHERIT on it and NtQueryObject names the type of its kind
// ("Process" for the lifeline, whose process ID must be the child's parent's).
// It then clears HANDLE_FLAG_INHERIT, so that its own children do not get it.
// The inherit flag is weaker proof than Linux's record: a handle the child's
// own code made inheritable passes.
//
// # Linux
//
// The event is an eventfd; a semaphore an eventfd with EFD_SEMAPHORE, told
// from an event by fdinfo on kernels since 6.5; shared memory a memfd whose
// size is sealed. Start passes the handles through ExtraFiles, marks every
// other descriptor of the parent close-on-exec (close_range with
// CLOSE_RANGE_CLOEXEC, which also covers descriptors the parent itself
// inherited), and sets Pdeathsig so the child is killed when the parent dies.
// The signal follows the thread that started the child, not the process
// (go.dev/issue/27505), so Start starts every child from one thread of its
// own that lives as long as the process; state the caller set on its own
// locked thread (a namespace entered with setns, say) does not reach the
// child.
// The lifeline is a pidfd of the parent.
//
// The child accepts a descriptor only if it is open, not close-on-exec (a Go
// program's own descriptors all are), was already open, the same file, when
// the package was initialized (so that neither a descriptor the program made
// itself without close-on-exec nor, while the parent holds the event, a
// reused number passes), and its /proc/self/fdinfo shows the kind's object
// (a pidfd of the parent for the lifeline). It then marks it close-on-exec.
//
// # macOS and the BSDs
//
// The pipe backend, plain POSIX; Linux builds it with the handoff_pipe build
// tag, which is how it is tested. An event is a pipe whose read end the child
// gets: only the process that made the event can Set it (a child's Set
// returns an error wrapping [errors.ErrUnsupported]), and a child's Wait
// returns [ErrParentGone] once every write end is closed. A semaphore is a
// FIFO holding one byte per count, so what a FIFO holds bounds the count
// (64 KiB on Linux and macOS, 16 KiB to 64 KiB on the BSDs, as little as 512
// bytes by POSIX). Shared memory is POSIX shared memory, or a file, whose
// name is removed at once. The lifeline is one end of a Unix socket pair
// whose other end the parent keeps; the kernel tells the child which process
// made the pair (on macOS, FreeBSD 13 and later, and Linux; elsewhere
// [OpenLifeline] fails). There is no parent-death signal: a child learns that
// its parent died from the lifeline, and one that does not wait on it is not
// killed.
//
// The child checks what the kernel lets it check: that the descriptor is
// open, not close-on-exec, not 0, 1 or 2, the same file as when the package
// was initialized, and of the file type and access mode of its kind. The
// kernel cannot tell a pipe of handoff's from any other pipe with the same
// access mode, nor an unlinked regular file from shared memory.
//
// # Other platforms
//
// Every function returns an error wrapping [errors.ErrUnsupported].
package handoff
