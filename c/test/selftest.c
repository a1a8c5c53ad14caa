/*
 * selftest - checks of c/handoff.h's child side that need handles a parent
 * cannot easily send: the program's own, reused numbers, kinds that the
 * example programs never pass. The end-to-end tests build it as they build
 * the examples (cc -O2 -Ic c/test/selftest.c, x86_64-w64-mingw32-gcc for
 * Windows) and run it; it prints one line per check and exits 0 only if
 * all passed.
 *
 * Linux: it starts itself again with an eventfd, a semaphore eventfd, an
 * unsealed and a sealed memfd and a pipe's read end left open across exec,
 * and that second run checks each against each kind, and that a number it
 * closed and reused, or an eventfd it made itself, is not inherited.
 * Windows: it makes handles of its own, inheritable, and checks their types
 * and the lifeline's checks against them.
 */
#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* this test's own needs: ftruncate, syscall */
#endif
#define HANDOFF_IMPLEMENTATION
#include "handoff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed, checks;

/* expect opens value as kind and checks the result code, and that the
 * message contains why. */
static void expect(const char *what, const char *value, int kind, int want, const char *why)
{
	handoff_handle h;
	handoff_error e;
	int got;
	memset(&e, 0, sizeof e);
	got = handoff_open(value, kind, &h, &e);
	checks++;
	if (got != want || (why != NULL && strstr(e.text, why) == NULL)) {
		failed++;
		printf("FAIL %s: handoff_open(%s, %s) = %d (%s), want %d (%s)\n", what, value, handoff_kind_name(kind), got,
		       e.text, want, why ? why : "");
		return;
	}
	printf("ok %s: %s as %s: %d %s\n", what, value, handoff_kind_name(kind), got, got ? e.text : "");
}

static void check(const char *what, int ok)
{
	checks++;
	if (!ok)
		failed++;
	printf("%s %s\n", ok ? "ok" : "FAIL", what);
}

static void value(char *buf, handoff_handle h) { sprintf(buf, "%llu", handoff_value_of(h)); }

static int finish(void)
{
	printf("# %d checks, %d failed\n", checks, failed);
	return failed ? 1 : 0;
}

#ifdef _WIN32

int main(void)
{
	SECURITY_ATTRIBUTES inherit = {sizeof(SECURITY_ATTRIBUTES), NULL, TRUE};
	HANDLE own = CreateEventW(NULL, TRUE, FALSE, NULL), ev = CreateEventW(&inherit, TRUE, FALSE, NULL);
	HANDLE sem = CreateSemaphoreW(&inherit, 0, 1, NULL), self, selfsync, twin;
	DWORD flags = 0;
	char v[32];
	handoff_init();
	DuplicateHandle(GetCurrentProcess(), GetCurrentProcess(), GetCurrentProcess(), &self,
			SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, TRUE, 0);
	DuplicateHandle(GetCurrentProcess(), GetCurrentProcess(), GetCurrentProcess(), &selfsync, SYNCHRONIZE, TRUE, 0);
	DuplicateHandle(GetCurrentProcess(), ev, GetCurrentProcess(), &twin, 0, TRUE, DUPLICATE_SAME_ACCESS);

	value(v, own);
	expect("own event, not inheritable", v, HANDOFF_EVENT, HANDOFF_NOT_INHERITED, "not inheritable");
	value(v, sem);
	expect("semaphore as an event", v, HANDOFF_EVENT, HANDOFF_WRONG_TYPE, "handle is a Semaphore, want an Event");
	value(v, ev);
	expect("event as a semaphore", v, HANDOFF_SEMAPHORE, HANDOFF_WRONG_TYPE, "handle is a Event, want a Semaphore");
	expect("event as a lifeline", v, HANDOFF_LIFELINE, HANDOFF_WRONG_TYPE, "want a Process");
	expect("event as shm", v, HANDOFF_SHM, HANDOFF_WRONG_TYPE, "want a Section");
	value(v, selfsync);
	expect("process handle without query access", v, HANDOFF_LIFELINE, HANDOFF_WRONG_TYPE, "PROCESS_QUERY_LIMITED_INFORMATION");
	value(v, self);
	expect("own process as the lifeline", v, HANDOFF_LIFELINE, HANDOFF_PARENT_GONE, "parent gone");
	value(v, ev);
	expect("inheritable event", v, HANDOFF_EVENT, 0, NULL);
	expect("the same event again", v, HANDOFF_EVENT, HANDOFF_NOT_INHERITED, "not inheritable");
	value(v, twin);
	expect("the same event under another value, as ready", v, HANDOFF_READY, HANDOFF_NOT_INHERITED, "names the object already opened");
	expect("the same event under another value", v, HANDOFF_EVENT, HANDOFF_NOT_INHERITED, "names the object already opened");
	check("the event is no longer inheritable", GetHandleInformation(ev, &flags) && !(flags & HANDLE_FLAG_INHERIT));
	value(v, sem);
	expect("semaphore as a semaphore", v, HANDOFF_SEMAPHORE, 0, NULL);
	return finish();
}

#else

#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static int memfd(int sealed)
{
	int fd = (int)syscall(SYS_memfd_create, "selftest", 2u /* MFD_ALLOW_SEALING */);
	if (fd < 0 || ftruncate(fd, 4096) != 0)
		return -1;
	if (sealed)
		fcntl(fd, 1033 /* F_ADD_SEALS */, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	return fd;
}

/* second is the run that inherited fds[]: event, semaphore, unsealed
 * memfd, sealed memfd, pipe, then the event, the sealed memfd and the pipe
 * again under other numbers. */
static int second(char **fds)
{
	char v[32];
	int i, k, fd, reused;
	handoff__fdinfo info;
	/* want[i][kind]: the result of opening fds[i] as kind, before any
	 * open made it close-on-exec (-1: not checked). */
	static const int want[5][6] = {
		/* event       lifeline   semaphore  shm       file       ready */
		{-1, 5, -1, 5, 5, -1},    /* eventfd */
		{5, 5, -1, 5, 5, 5},      /* semaphore eventfd */
		{5, 5, 5, 5, -1, 5},      /* memfd, not sealed */
		{5, 5, 5, -1, -1, 5},     /* memfd, sealed */
		{5, 5, 5, 5, -1, 5},      /* pipe */
	};
	static const char *const names[] = {"eventfd", "semaphore eventfd", "unsealed memfd", "sealed memfd", "pipe"};
	handoff_init();
	for (i = 0; i < 5; i++) {
		for (k = 0; k < 6; k++) {
			char what[96];
			if (want[i][k] < 0)
				continue;
			if (i == 1 && k != HANDOFF_SEMAPHORE && (handoff__read_fdinfo(atoi(fds[1]), &info), info.semaphore[0] == '\0')) {
				printf("# kernel without eventfd-semaphore in fdinfo: a semaphore passes for an event\n");
				continue;
			}
			snprintf(what, sizeof what, "inherited %s", names[i]);
			expect(what, fds[i], k, want[i][k], "wrong type of object");
		}
	}
	expect("inherited eventfd", fds[0], HANDOFF_EVENT, 0, NULL);
	expect("inherited eventfd again", fds[0], HANDOFF_EVENT, HANDOFF_NOT_INHERITED, "close-on-exec");
	if (handoff__read_fdinfo(atoi(fds[5]), &info), info.id[0] == '\0') {
		printf("# kernel without eventfd-id in fdinfo: one eventfd under two values passes\n");
	} else {
		expect("the same eventfd under another value, as ready", fds[5], HANDOFF_READY, HANDOFF_NOT_INHERITED, "names the object already opened");
		expect("the same eventfd under another value", fds[5], HANDOFF_EVENT, HANDOFF_NOT_INHERITED, "names the object already opened");
	}
	expect("inherited semaphore eventfd", fds[1], HANDOFF_SEMAPHORE, 0, NULL);
	expect("inherited sealed memfd", fds[3], HANDOFF_SHM, 0, NULL);
	expect("inherited pipe", fds[4], HANDOFF_FILE, 0, NULL);
	expect("the same sealed memfd under another value", fds[6], HANDOFF_SHM, HANDOFF_NOT_INHERITED, "names the object already opened");
	expect("the same pipe under another value", fds[7], HANDOFF_FILE, HANDOFF_NOT_INHERITED, "names the object already opened");

	/* A number closed and reused by an eventfd of this process's own,
	 * made without close-on-exec: not inherited. */
	fd = atoi(fds[0]);
	close(fd);
	reused = eventfd(0, 0);
	check("the number was reused", reused == fd);
	expect("reused number", fds[0], HANDOFF_EVENT, HANDOFF_NOT_INHERITED, "was not open when this process started");
	fd = eventfd(0, 0);
	value(v, fd);
	expect("own eventfd, not close-on-exec", v, HANDOFF_EVENT, HANDOFF_NOT_INHERITED, "was not open when this process started");
	value(v, (int)syscall(SYS_pidfd_open, getpid(), 0));
	expect("own pidfd", v, HANDOFF_LIFELINE, HANDOFF_NOT_INHERITED, "close-on-exec");
	return finish();
}

int main(int argc, char **argv)
{
	int fds[8], p[2], i, status;
	char args[8][16], *next[11];
	pid_t pid;
	if (argc == 10 && strcmp(argv[1], "second") == 0)
		return second(argv + 2);
	if (pipe(p) != 0)
		return 1;
	fds[0] = eventfd(0, 0);
	fds[1] = eventfd(0, EFD_SEMAPHORE);
	fds[2] = memfd(0);
	fds[3] = memfd(1);
	fds[4] = p[0];
	fds[5] = dup(fds[0]); /* the eventfd under a second number */
	fds[6] = dup(fds[3]); /* the sealed memfd under a second number */
	fds[7] = dup(fds[4]); /* the pipe under a second number */
	next[0] = argv[0];
	next[1] = (char *)"second";
	for (i = 0; i < 8; i++) {
		if (fds[i] < 0) {
			printf("FAIL making descriptor %d\n", i);
			return 1;
		}
		snprintf(args[i], sizeof args[i], "%d", fds[i]);
		next[2 + i] = args[i];
	}
	next[10] = NULL;
	fflush(stdout);
	/* The descriptors stay open here, so that the reused eventfd's id
	 * differs from the inherited one's. */
	if ((pid = fork()) == 0) {
		execv("/proc/self/exe", next);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 1;
	return WEXITSTATUS(status);
}

#endif
