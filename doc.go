// Package handoff hands an unnamed event from a parent process to a child it
// starts, by handle inheritance, and lets the child prove what it received.
//
// The parent creates an [Event], attaches it to an [exec.Cmd] with a
// [Handoff], and starts the child. The child learns the handle value from its
// command line: the value the handle has in the child, which the parent
// fills in for a placeholder and which is not the parent's own (on Linux the
// passed descriptors are 3, 4, ... in the child; on Windows the values of
// the duplicates Start makes). The child turns it into a verified Event with
// [OpenEvent], and waits on it with [Event.WaitParent], which also returns
// [ErrParentGone] as soon as the parent exits.
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
//     and dies with its parent. A Handoff takes no context: a parent that
//     bounds the child's life builds its command with [exec.CommandContext],
//     whose context kills the child, and bounds its own waits with the
//     context it gives [Handoff.WaitReady].
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
// before anything waits on it. A [Group] does that for a set of children,
// all or nothing, and [ExitCode] gives the exit code of the protocol for an
// error.
//
// An event stays set until it is reset, and wakes every waiter: on Linux and
// macOS and the BSDs, Wait polls the event for readability without reading
// it, so that one waiter's wake leaves it set for the others.
//
// # What a child inherits, and what it proves
//
// A child inherits the handles a Handoff passes, its standard handles, and
// nothing else the parent holds; Start changes no handle of the parent's
// that it was not given. On Unix, the descriptors Go opens are
// close-on-exec; those a process inherited are marked close-on-exec when the
// package is initialized (see below), so that no child the program starts,
// with handoff or with os/exec, inherits them unless they are handed over
// again. A descriptor the program itself makes without close-on-exec (a C
// library's, say) reaches children that os/exec starts, but not handoff's:
// Start pads the child's ExtraFiles with nil entries up to the highest such
// descriptor, and os.StartProcess closes each in the child before exec, so
// the parent's descriptors stay as they are. A program that passes what it inherited on to a new copy of
// itself (a graceful restart, socket activation) puts those descriptors in
// the new command's ExtraFiles, as os/exec wants anyway; the close-on-exec
// mark does not stop that. One that calls syscall.Exec clears FD_CLOEXEC on
// them first.
//
// The child's proof that a value was inherited is a record made at package
// init, before the program's own code runs: on Unix the descriptors from 3
// up that were open and not close-on-exec then, each with its identity; on
// Windows the handle's inherit flag (see docs/windows.md). A value is opened
// once: it leaves the record, and an object already opened under one value
// is refused under another, so that, say, a child cannot report ready into
// the event it waits on. Values 0, 1 and 2 are never handed over: the
// standard handles are refused as the wrong type on every Unix backend.
// The record costs about 12 microseconds at init
// (BenchmarkRecordInherited).
//
// What is handed over is in the mode os/exec's ExtraFiles gives it: a file
// passed with [File] is put in blocking mode (its open file, and so its
// O_NONBLOCK, is shared with the parent's *os.File, as ExtraFiles does with
// Fd); on Linux an event, a semaphore and a ready object are eventfds in
// blocking mode, which handoff's own reads keep from blocking with
// RWF_NOWAIT (Linux 5.12; before it they are non-blocking), so that a
// classic child's plain read(2) waits for the parent's Set. On the pipe
// backend an event's, a semaphore's and a ready object's pipes stay
// non-blocking: POSIX has no other way to read a pipe without blocking, and
// the parent shares them; a child there waits with poll.
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
// size is sealed, made with MFD_NOEXEC_SEAL where the kernel has it. Start
// passes the handles through ExtraFiles, sets Pdeathsig (unless the caller
// set a signal) so the child is killed when the parent dies, and takes a
// pidfd of the child for [Handoff.WaitReady].
// The signal follows the thread that started the child, not the process
// (go.dev/issue/27505), so Start starts every child from a thread that
// lives as long as the process: the main thread, if the caller runs on it
// (the runtime never ends it), else one thread of its own. State the
// caller set on another locked thread (a namespace entered with setns, say)
// does not reach the child; state set on the main thread does.
// The lifeline is a pidfd of the parent.
//
// The child accepts a descriptor only if it is in the record made at init
// from /proc/self/fd, the same file (so that neither a descriptor the program
// made itself without close-on-exec nor, while the parent holds the event, a
// reused number passes), and its /proc/self/fdinfo shows the kind's object
// (a pidfd of the parent for the lifeline). Without /proc, no record can be
// made, and every open fails saying so.
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
// not 0, 1 or 2, in the record made at init (from /dev/fd, or by fcntl up to
// 1023), the same file as then, and of the file type and access mode of its
// kind. The
// kernel cannot tell a pipe of handoff's from any other pipe with the same
// access mode, nor an unlinked regular file from shared memory.
//
// # Other platforms
//
// Every function returns an error wrapping [errors.ErrUnsupported].
package handoff
