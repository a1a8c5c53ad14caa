// Package testprog holds small programs that the end-to-end tests in
// internal/e2e build and run next to handoff-parent and handoff-child:
//
//   - classicchild: the classic sample's child, which takes a bare decimal
//     handle value as argv[1], waits on it without checking anything, and
//     prints "Event signaled".
//   - classicparent: the classic sample's parent, which creates an
//     inheritable event, starts a child with every inheritable handle
//     (CreateProcess with bInheritHandles=TRUE and no handle list; on Linux
//     fork and exec with the descriptor left open) and the value as the last
//     argument, sets the event and exits with the child's exit code. With
//     -lifeline it also passes a lifeline the same way, as "-event V -parent
//     P"; with -noset it never sets the event, so that a test can kill it
//     while its child waits.
//   - probe: lists every handle (Windows) or descriptor (Linux) it holds that
//     its own children would inherit, one "VALUE TYPE" line each.
//
// They are test fixtures, not examples: the classic ones do on purpose what
// package handoff exists to avoid.
package testprog
