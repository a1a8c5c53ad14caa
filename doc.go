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
// [SharedMemory], or an open file given with [File]. Each is created by the
// parent unnamed and not inheritable, and passed under a name. A child opens
// each by kind ([OpenSemaphore], [OpenSharedMemory], [OpenFile]), and the
// same checks as for an event refuse an object of another kind with
// [ErrWrongType].
//
// The placeholder {handles} stands for the names argument, one
// argument that lists every handle passed with its name, kind and value
// (see [Handles]); a child parses it with [ParseHandles] and opens its
// objects by name, so that a name that was not passed is [ErrNotPassed]
// and a kind that does not match the list is [ErrWrongType].
//
// With [Handoff.ExpectReady], the child also gets a ready event, which it
// signals ([Handles.Ready], [SignalReady]) once it has verified everything
// it received. [Handoff.WaitReady] waits for that signal and for the
// child's exit together, so a parent that starts many children behind one
// event sets it only when all are ready, and learns of a failed handoff
// ([ErrNotReady]) before anything waits on it.
//
// # Values
//
// A value is a handle (Windows) or file descriptor (Unix) number written in
// decimal, as the classic sample does, or in hexadecimal with a 0x prefix. See
// [ParseValue] for the exact rules. Placeholders of the form {name} in the
// command's arguments and environment are replaced with the child-side value
// of the handle passed under that name; {parent} names the lifeline.
//
// # Windows
//
// The event is a manual-reset event object with no name; a semaphore a
// semaphore object; shared memory a section backed by the paging file,
// which starts with a small header of handoff's that keeps the exact size
// (NtQuerySection reports it rounded up to whole pages). No handle of
// handoff's is ever inheritable in the parent, not even while CreateProcess
// runs, so that other code of the parent that calls CreateProcess with
// bInheritHandles=TRUE and no handle list, as legacy code does, cannot pass
// one on to its own children. For each child, Start creates a job object
// with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, whose only handle the parent
// holds, and a broker in it: a process of the parent's own executable,
// created suspended and never resumed, so that it runs no instruction, and
// born in the job (PROC_THREAD_ATTRIBUTE_JOB_LIST). Start duplicates each
// passed handle into the broker, inheritable, lists exactly those
// duplicates in the child's PROC_THREAD_ATTRIBUTE_HANDLE_LIST (through
// SysProcAttr.AdditionalInheritedHandles), and creates the child with the
// broker as its parent process (SysProcAttr.ParentProcess, that is
// PROC_THREAD_ATTRIBUTE_PARENT_PROCESS): the child inherits from the
// broker, under the broker's values, and is born in the broker's job, so
// that there is no moment when it could outlive the parent. os/exec's
// inheritable copies of the child's standard handles go to the broker too.
// Once the child has exited, the broker is ended, which closes everything
// it held; closing the job, in [Handoff.Wait] or when the parent dies, ends
// the broker, the child and whatever the child left behind. Start sets
// SysProcAttr.ParentProcess and AdditionalInheritedHandles, and fails if
// the caller set either.
//
// The lifeline is an inheritable handle to the broker, with SYNCHRONIZE and
// PROCESS_QUERY_LIMITED_INFORMATION access: enough to wait for its end and
// to read its process ID, nothing more. The broker is the child's parent as
// the system sees it (the child's os.Getppid), and it lives as long as the
// parent's hold on the child: it ends when the child has exited, or with
// the job, when the parent dies.
//
// The child accepts a value only if GetHandleInformation reports
// HANDLE_FLAG_INHERIT on it and NtQueryObject names its type "Event"
// ("Process" for the lifeline, whose process ID must also be the child's
// parent's, the broker's). It then clears HANDLE_FLAG_INHERIT, so that its
// own children do not get the handle.
//
// # Linux
//
// The event is an eventfd; a semaphore an eventfd with EFD_SEMAPHORE, which
// the child tells from an event by fdinfo's eventfd-semaphore line (kernels
// since 6.5); shared memory a memfd whose size is sealed (F_SEAL_SHRINK,
// F_SEAL_GROW, F_SEAL_SEAL), which the child requires. Set writes to it and Reset reads it empty; Wait
// polls it for readability without reading, so every waiter wakes, as with a
// manual-reset event. Start passes the handles through ExtraFiles, marks
// every other descriptor of the parent close-on-exec (close_range with
// CLOSE_RANGE_CLOEXEC, which also covers descriptors the parent itself
// inherited), and sets Pdeathsig so the child is killed when the parent dies.
// The lifeline is a pidfd of the parent.
//
// The child accepts a descriptor only if it is open, not close-on-exec (a Go
// program's own descriptors are all close-on-exec), was already open, the
// same file, when the package was initialized (so that neither a descriptor
// the program made itself without close-on-exec nor, while the parent holds
// the event, a reused number passes: see README.md's Known limits),
// and its /proc/self/fdinfo shows an eventfd (a pidfd for the lifeline,
// whose pid must also be the parent's). It then marks it close-on-exec.
//
// # macOS and the BSDs
//
// The pipe backend, plain POSIX: it is also built on Linux with the
// handoff_pipe build tag (go test -tags handoff_pipe ./...), which is how CI
// runs it. An event is a pipe: Set writes a byte into it, Reset reads it
// empty, and Wait polls its read end for readability without reading, so
// every waiter wakes. The parent holds both ends and passes the read end; a
// child's Set of an event it opened returns an error wrapping
// [errors.ErrUnsupported], for it holds no write end. A read end with no
// bytes whose write ends are all closed ends Wait with [ErrParentGone]:
// nobody can set it any more. A ready object is a pipe whose write end only
// the child holds once Start returns: the parent sees the byte the child
// writes, or the end of file of its exit. A semaphore is a FIFO made in a
// private directory, opened for reading and writing (one descriptor that
// Acquire and Release use on both sides), and unlinked at once, holding one
// byte per count: what the FIFO holds (64 KiB on Linux, as little as 512
// bytes by POSIX) bounds the count, and a Release that does not fit adds
// what fits and says so. Shared memory is shm_open with a fresh name and
// O_EXCL, unlinked at once (Linux: in /dev/shm); shm_open2 with SHM_ANON on
// FreeBSD 13 and later; on macOS, where x/sys has no shm_open and calling it
// by number is deprecated, and elsewhere, a file made in a private temporary
// directory and unlinked at once, mapped shared.
//
// The lifeline is one end of a Unix stream socket pair, not a bare pipe:
// the parent keeps the other end, close-on-exec, until Wait, so the child's
// end reports end of file when the parent dies, and the kernel tells the
// child which process made the pair (SO_PEERCRED on Linux, LOCAL_PEERCRED's
// cr_pid on FreeBSD 13 and later, LOCAL_PEERPID on macOS), which must be its
// parent. Elsewhere no lifeline can be verified, and OpenLifeline fails.
// There is no parent-death signal: a child learns that its parent died from
// the lifeline, and one that does not wait on it is not killed.
//
// Start passes the handles through ExtraFiles and marks every other
// descriptor of the parent close-on-exec, one by one: it lists them from
// /dev/fd where that lists the process's descriptors (macOS; FreeBSD with
// fdescfs; Linux), as CPython's subprocess does, else asks fcntl about every
// number below the soft RLIMIT_NOFILE, above which the kernel makes none (on
// FreeBSD without fdescfs, that costs one fcntl per possible descriptor).
//
// The child accepts a descriptor if it is open, not close-on-exec, not 0, 1
// or 2, was already open, the same file (fstat's device, inode and type),
// when the package was initialized (recorded from /dev/fd, or by fcntl up to
// descriptor 1023: a higher one is refused as not inherited), and has the
// type of its kind: an event is the read end of a pipe (fstat S_ISFIFO, and
// F_GETFL O_RDONLY), a ready object the write end (O_WRONLY), a semaphore a
// FIFO open for reading and writing (O_RDWR), the lifeline a Unix stream
// socket whose peer is the parent, shared memory an object of shm_open (on
// Linux a file in /dev/shm's file system) or a regular file with no name
// left. It then marks it close-on-exec. What the kernel cannot tell: a pipe
// of handoff's from any other pipe with the same access mode (so a file
// passed with [File] that is a pipe's read end passes for an event, and an
// event's value passes [OpenFile]); an unlinked regular file from shared
// memory; that the parent is the only holder of the event's write end or of
// its end of the lifeline; and a reused number where pipes have no inode of
// their own (OpenBSD, DragonFly) or one that recurs (macOS hashes the pipe's
// address).
//
// # Other platforms
//
// Every function returns an error wrapping [errors.ErrUnsupported].
package handoff
