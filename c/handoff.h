/*
 * handoff.h - the handoff protocol in C: pass an unnamed event from a parent
 * to the child it starts by handle inheritance, and let the child check
 * what it got before it trusts it. The protocol is docs/protocol.md; this
 * header keeps it as the Go package github.com/handoff/handoff does.
 *
 * One header, C99 or later, usable from C and C++, nothing beyond the
 * platform's own libraries: Windows 10 or later (kernel32, which every
 * program links; what ntdll and kernelbase offer is loaded at run time) and
 * Linux (eventfd, pidfd; kernel 5.3 or later; glibc 2.34 or later, or
 * -pthread, for the thread that starts children). The pipe backend's
 * platforms (macOS, the BSDs) may follow; elsewhere it does not compile.
 *
 * Use: in exactly one source file of a program,
 *
 *     #define HANDOFF_IMPLEMENTATION
 *     #include "handoff.h"
 *
 * and include it plainly elsewhere, in any order with other headers. Define
 * HANDOFF_STATIC as well to make every function static, private to that
 * file. The public part includes only <stddef.h>; the implementation needs
 * no feature macro of the file that includes it.
 *
 * Child side:
 *
 *     int main(int argc, char **argv) {
 *         handoff_error e;
 *         handoff_handle ev, parent;
 *         handoff_init();              // first thing (Linux: see below)
 *         if (argc != 3)
 *             return fprintf(stderr, "usage: child EVENT PARENT\n"), HANDOFF_USAGE;
 *         if (handoff_open(argv[1], HANDOFF_EVENT, &ev, &e) != 0 ||
 *             handoff_open(argv[2], HANDOFF_LIFELINE, &parent, &e) != 0)
 *             return fprintf(stderr, "%s\n", e.text), e.code;
 *         switch (handoff_wait(ev, &parent, 30000, &e)) { ... }
 *     }
 *
 * Every function that can fail returns 0 or one of the HANDOFF_* codes
 * below, which are also the exit codes of a child that follows the
 * convention, and fills a handoff_error (if not NULL) with the code and a
 * message that names what failed, as "handoff: event 12345: not an
 * inherited handle: no such descriptor". A NULL pointer where one is needed,
 * or a size out of range, is HANDOFF_USAGE.
 *
 * Limits of this header against the Go package: a handles argument of at
 * most HANDOFF_MAX_HANDLES entries, names of at most 63 bytes and values of
 * at most 31 characters (longer ones are refused as bad values); the
 * parent fills placeholders in the child's arguments, not in its
 * environment; it passes events, ready objects and the lifeline it makes
 * itself, and any handle the caller gives under a kind. A child may open
 * and verify every kind, but this header only waits on and sets events.
 * Strings are UTF-8 (Windows: converted to UTF-16 for the system).
 */
#ifndef HANDOFF_H
#define HANDOFF_H

#include <stddef.h>

#if defined(_WIN32)
typedef void *handoff_handle; /* a HANDLE */
#define HANDOFF_NO_HANDLE ((handoff_handle)0)
#elif defined(__linux__)
typedef int handoff_handle; /* a file descriptor */
#define HANDOFF_NO_HANDLE (-1)
#else
#error "handoff.h supports Windows and Linux; the pipe backend's platforms (macOS, the BSDs) may follow"
#endif

#ifdef __cplusplus
extern "C" {
#endif

#ifndef HANDOFF_API
#if defined(HANDOFF_STATIC) && (defined(__GNUC__) || defined(__clang__))
#define HANDOFF_API static __attribute__((unused))
#elif defined(HANDOFF_STATIC)
#define HANDOFF_API static
#else
#define HANDOFF_API extern
#endif
#endif

/* Results, and the exit codes of a child (and parent) that follow the
 * convention. */
enum {
	HANDOFF_OK = 0,
	HANDOFF_FAILURE = 1,       /* a system call failed */
	HANDOFF_USAGE = 2,         /* bad flags or arguments; a NULL pointer */
	HANDOFF_BAD_VALUE = 3,     /* a value or handles argument not well formed */
	HANDOFF_NOT_INHERITED = 4, /* names no inherited handle, no handle passed under a name, or an object already opened under another value */
	HANDOFF_WRONG_TYPE = 5,    /* names an inherited handle of the wrong type */
	HANDOFF_PARENT_GONE = 6,   /* the parent exited first, or the lifeline names another process */
	HANDOFF_TIMEOUT = 7,       /* the wait ended at its timeout */
	HANDOFF_CHILD_FAILED = 8   /* parent: a child failed, or exited before it was ready */
};

/* Kinds, as the handles argument names them. */
enum {
	HANDOFF_EVENT = 0,     /* "event" */
	HANDOFF_LIFELINE = 1,  /* "lifeline" */
	HANDOFF_SEMAPHORE = 2, /* "semaphore" */
	HANDOFF_SHM = 3,       /* "shm" */
	HANDOFF_FILE = 4,      /* "file" */
	HANDOFF_READY = 5      /* "ready" */
};

/* Waits without a timeout. */
#define HANDOFF_INFINITE (-1LL)

/* The names the protocol reserves. */
#define HANDOFF_LIFELINE_NAME "parent"
#define HANDOFF_READY_NAME "ready"
#define HANDOFF_HANDLES_NAME "handles"

#define HANDOFF_MAX_HANDLES 64

typedef struct handoff_error {
	int code;       /* a HANDOFF_* result, 0 if none */
	char text[512]; /* what failed and why */
} handoff_error;

typedef struct handoff_entry {
	char name[64];
	int kind;
	char value[32];       /* as written */
	unsigned long long v; /* as parsed */
} handoff_entry;

/* A parsed handles argument. */
typedef struct handoff_handles {
	int n;
	handoff_entry entry[HANDOFF_MAX_HANDLES];
} handoff_handles;

/* ---- both sides ---- */

/* handoff_kind_name returns "event", "lifeline"... or NULL. */
HANDOFF_API const char *handoff_kind_name(int kind);

/* handoff_close closes h; HANDOFF_NO_HANDLE is ignored. A handle that
 * handoff_open returned is forgotten, so its object may be opened again. */
HANDOFF_API void handoff_close(handoff_handle h);

/* handoff_value_of returns the number a value names: the handle (Windows)
 * or descriptor (Linux). */
HANDOFF_API unsigned long long handoff_value_of(handoff_handle h);

/* ---- child side ---- */

/* handoff_init records the descriptors this process inherited (Linux): call
 * it first in main, before the program opens anything, so that a
 * descriptor it opens itself without close-on-exec, or an inherited number
 * that was closed and reused, does not pass for an inherited one. If it was
 * not called, the first handoff_open calls it. On Windows it does nothing.
 * The child side is meant for one thread: call it from one at a time. */
HANDOFF_API void handoff_init(void);

/* handoff_parse_value parses a value strictly: decimal without sign, spaces
 * or leading zeros, or hexadecimal after 0x or 0X; not 0, at most 32 bits,
 * not 0xFFFFFFFF; on Windows a multiple of 4. HANDOFF_BAD_VALUE if not. */
HANDOFF_API int handoff_parse_value(const char *s, unsigned long long *v, handoff_error *e);

/* handoff_parse_handles parses a handles argument,
 * name=kind:value[,name=kind:value]... (docs/protocol.md), into hs.
 * HANDOFF_BAD_VALUE if it is not well formed. */
HANDOFF_API int handoff_parse_handles(const char *s, handoff_handles *hs, handoff_error *e);

/* handoff_lookup returns the entry listed under name, or NULL. */
HANDOFF_API const handoff_entry *handoff_lookup(const handoff_handles *hs, const char *name);

/* handoff_open checks that value names a handle this process inherited, to
 * an object of kind want (for the lifeline: on its parent process) that no
 * earlier handoff_open returned under another value, then makes it not
 * inheritable and stores it in *h. The caller owns it. Results:
 * HANDOFF_BAD_VALUE, HANDOFF_NOT_INHERITED (also: the object was opened
 * under another value), HANDOFF_WRONG_TYPE, HANDOFF_PARENT_GONE (a
 * lifeline on another process), HANDOFF_FAILURE, HANDOFF_USAGE. The
 * identity: Linux, the inode and an eventfd's eventfd-id (kernels without
 * it cannot tell two eventfds apart, and let both pass); Windows,
 * CompareObjectHandles. */
HANDOFF_API int handoff_open(const char *value, int want, handoff_handle *h, handoff_error *e);

/* handoff_open_name opens the handle listed under name, which must be
 * listed with kind want (HANDOFF_WRONG_TYPE if not, HANDOFF_NOT_INHERITED if
 * no handle is listed under name), as handoff_open does. */
HANDOFF_API int handoff_open_name(const handoff_handles *hs, const char *name, int want, handoff_handle *h, handoff_error *e);

/* handoff_wait waits until the event ev is set (0), the lifeline, if not
 * NULL, ends (HANDOFF_PARENT_GONE), or timeout_ms milliseconds pass
 * (HANDOFF_TIMEOUT; HANDOFF_INFINITE for no limit). A set event wins over
 * the others. It does not reset the event. */
HANDOFF_API int handoff_wait(handoff_handle ev, const handoff_handle *lifeline, long long timeout_ms, handoff_error *e);

/* handoff_signal_ready signals the ready object and closes it. */
HANDOFF_API int handoff_signal_ready(handoff_handle ready, handoff_error *e);

/* handoff_parent_pid returns the pid of the process that started this one,
 * as the system records it, or -1. */
HANDOFF_API long handoff_parent_pid(void);

/* ---- parent side ---- */

/* handoff_event_new creates an unnamed, manual-reset event that is not
 * inheritable (Linux: an eventfd, close-on-exec, non-blocking). */
HANDOFF_API int handoff_event_new(handoff_handle *h, handoff_error *e);

/* handoff_event_set sets the event; every waiter wakes. */
HANDOFF_API int handoff_event_set(handoff_handle h, handoff_error *e);

/* A handle for handoff_start to pass, under a name. */
typedef struct handoff_pass {
	const char *name; /* lowercase letters, digits, '-', '_'; not parent, ready, handles */
	int kind;
	handoff_handle h; /* stays the caller's */
} handoff_pass;

/* handoff_start's flags. */
#define HANDOFF_EXPECT_READY 1

/* A child started by handoff_start. A zeroed one names no child. */
typedef struct handoff_child {
	long pid;                                  /* 0 if none */
	char **argv;                               /* the arguments, placeholders filled */
	int nvalues;
	handoff_entry values[HANDOFF_MAX_HANDLES]; /* name, kind, child-side value */
	char handles[HANDOFF_MAX_HANDLES * 112];   /* the handles argument */
	handoff_handle ready;                      /* the parent's ready event, HANDOFF_NO_HANDLE if none */
	int exited;                                /* after handoff_wait_child: it ended */
	int exit_code;                             /* its exit code, if it exited */
	int signal;                                /* Linux: the signal that ended it, 0 if none */
	handoff_handle process;                    /* Windows: the process handle; Linux: a pidfd */
	handoff_handle job;                        /* Windows: its kill-on-close job */
} handoff_child;

/* handoff_start starts argv[0] (UTF-8; found on PATH as execvp and
 * CreateProcess do, but with no shell for a file the kernel cannot
 * execute, as posix_spawn) with exactly the handles listed in pass, a ready
 * event if flags has HANDOFF_EXPECT_READY, and a lifeline if an argument
 * names {parent} or {handles}, nothing else but the standard handles. In the
 * arguments it replaces {name} with the child-side value of the handle
 * passed under name, {parent} with the lifeline's, {ready} with the ready
 * event's and {handles} with the handles argument. Each passed name and the
 * ready event must be named by {name} or {handles} in some argument. A
 * program that cannot be run is an error that names it, and its start
 * touches no passed object.
 *
 * Windows: a kill-on-close job held by this process alone; each handle
 * duplicated in this process, inheritable, for this start only (the
 * lifeline: a handle on this process with SYNCHRONIZE and
 * PROCESS_QUERY_LIMITED_INFORMATION), the child created in the job with
 * exactly those and the standard handles in its handle list, and the
 * duplicates closed as soon as CreateProcess returns. Linux: the handles at
 * 3, 4..., every other descriptor close-on-exec in the child, signals
 * unblocked and at their default action, a pidfd of this process as the
 * lifeline and SIGKILL as the parent-death signal; the fork is made by a
 * thread of the header's own that lives as long as the process (the
 * parent-death signal follows the thread that forks), so any thread may
 * call it. The child dies with this process.
 *
 * After success call handoff_wait_child until it reports the exit, then
 * handoff_child_release. */
HANDOFF_API int handoff_start(handoff_child *c, const char *const argv[], const handoff_pass *pass, int npass, int flags, handoff_error *e);

/* handoff_child_value returns the child-side value of the handle passed
 * under name ("parent" and "ready" included), or -1 if there is none. */
HANDOFF_API long long handoff_child_value(const handoff_child *c, const char *name);

/* handoff_wait_ready waits until the child signals its ready event (0),
 * exits first (HANDOFF_CHILD_FAILED), or timeout_ms pass (HANDOFF_TIMEOUT). */
HANDOFF_API int handoff_wait_ready(handoff_child *c, long long timeout_ms, handoff_error *e);

/* handoff_wait_child waits until the child exits (0: c->exited, c->exit_code
 * and c->signal tell how) or timeout_ms pass (HANDOFF_TIMEOUT: it still
 * runs). Once it reported the exit, it returns 0 at once. */
HANDOFF_API int handoff_wait_child(handoff_child *c, long long timeout_ms, handoff_error *e);

/* handoff_kill ends the child. */
HANDOFF_API void handoff_kill(handoff_child *c);

/* handoff_child_release releases what handoff_start kept: the ready event,
 * the arguments, the process (and on Windows the job, whose closing ends
 * whatever the child left behind). A child not yet waited for is killed and
 * reaped: none is left running or as a zombie. */
HANDOFF_API void handoff_child_release(handoff_child *c);

#ifdef __cplusplus
}
#endif
#endif /* HANDOFF_H */

/* ======================================================================== */

#if defined(HANDOFF_IMPLEMENTATION) && !defined(HANDOFF_IMPLEMENTED)
#define HANDOFF_IMPLEMENTED

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ----------------------------------------------------- both platforms -- */

static void handoff__fail(handoff_error *e, int code, const char *format, ...)
{
	va_list ap;
	if (e == NULL)
		return;
	e->code = code;
	va_start(ap, format);
	vsnprintf(e->text, sizeof e->text, format, ap);
	va_end(ap);
}

/* handoff__null reports a NULL pointer passed to function fn. */
static int handoff__null(handoff_error *e, const char *fn, const char *what)
{
	handoff__fail(e, HANDOFF_USAGE, "handoff: %s: %s is NULL", fn, what);
	return HANDOFF_USAGE;
}

/* handoff__wrap puts prefix before e's message. */
static void handoff__wrap(handoff_error *e, const char *prefix)
{
	char inner[384];
	if (e == NULL)
		return;
	memcpy(inner, e->text, sizeof inner - 1);
	inner[sizeof inner - 1] = '\0';
	snprintf(e->text, sizeof e->text, "%s%s", prefix, inner);
}

static const char *const handoff__kinds[] = {"event", "lifeline", "semaphore", "shm", "file", "ready"};
#define HANDOFF__NKINDS ((int)(sizeof handoff__kinds / sizeof handoff__kinds[0]))

HANDOFF_API const char *handoff_kind_name(int kind)
{
	if (kind < 0 || kind >= HANDOFF__NKINDS)
		return NULL;
	return handoff__kinds[kind];
}

static int handoff__valid_name(const char *s, size_t n)
{
	size_t i;
	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!(('a' <= c && c <= 'z') || ('0' <= c && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

#ifdef _WIN32
#define HANDOFF__ALIGN 4u
#else
#define HANDOFF__ALIGN 1u
#endif

/* handoff__digits reads the digits of s[i:n] in base into *v, which stays
 * above 2^32-1 once it got there; it returns NULL or why not. */
static const char *handoff__digits(const char *s, size_t i, size_t n, unsigned base, unsigned long long *v)
{
	unsigned long long x = 0;
	for (; i < n; i++) {
		char c = s[i];
		unsigned d;
		if ('0' <= c && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && 'a' <= c && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && 'A' <= c && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return "invalid character";
		if (x <= 0xFFFFFFFFull)
			x = x * base + d;
	}
	*v = x;
	return NULL;
}

/* handoff__value parses s[0:n]; it returns NULL or why not. */
static const char *handoff__value(const char *s, size_t n, unsigned long long *v)
{
	unsigned base = 10;
	unsigned long long x = 0;
	size_t i = 0;
	const char *why;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (n == i)
		return "no digits";
	if ((why = handoff__digits(s, i, n, base, &x)) != NULL)
		return why;
	if (base == 10 && n > 1 && s[0] == '0')
		return "leading zero";
	if (x > 0xFFFFFFFFull)
		return "does not fit in 32 bits";
	if (x == 0)
		return "zero";
	if (x == 0xFFFFFFFFull)
		return "INVALID_HANDLE_VALUE";
	if (HANDOFF__ALIGN > 1 && x % HANDOFF__ALIGN != 0)
		return "not a multiple of 4";
	*v = x;
	return NULL;
}

HANDOFF_API int handoff_parse_value(const char *s, unsigned long long *v, handoff_error *e)
{
	const char *why;
	if (s == NULL || v == NULL)
		return handoff__null(e, "parse value", s == NULL ? "the value" : "the result");
	if ((why = handoff__value(s, strlen(s), v)) != NULL) {
		handoff__fail(e, HANDOFF_BAD_VALUE, "handoff: value \"%s\": bad handle value: %s", s, why);
		return HANDOFF_BAD_VALUE;
	}
	return 0;
}

/* handoff__kind returns the kind named s[0:n], or -1. */
static int handoff__kind(const char *s, size_t n)
{
	int k;
	for (k = 0; k < HANDOFF__NKINDS; k++)
		if (strlen(handoff__kinds[k]) == n && memcmp(handoff__kinds[k], s, n) == 0)
			return k;
	return -1;
}

/* handoff__entry parses the entry p[0:len], the i-th, into en; it returns
 * 0, or -1 with why not in why. */
static int handoff__entry(const char *p, size_t len, int i, handoff_entry *en, char *why, size_t nwhy)
{
	const char *eq = (const char *)memchr(p, '=', len), *colon, *bad;
	size_t nlen, klen, vlen;
	if (eq == NULL)
		return snprintf(why, nwhy, "entry %d (\"%.*s\"): no '='", i, (int)len, p), -1;
	nlen = (size_t)(eq - p);
	if (!handoff__valid_name(p, nlen))
		return snprintf(why, nwhy, "entry %d (\"%.*s\"): invalid name \"%.*s\"", i, (int)len, p, (int)nlen, p), -1;
	colon = (const char *)memchr(eq + 1, ':', len - nlen - 1);
	if (colon == NULL)
		return snprintf(why, nwhy, "entry %d (\"%.*s\"): no ':' between kind and value", i, (int)len, p), -1;
	klen = (size_t)(colon - eq - 1);
	if ((en->kind = handoff__kind(eq + 1, klen)) < 0)
		return snprintf(why, nwhy, "entry %d (\"%.*s\"): unknown kind \"%.*s\"", i, (int)len, p, (int)klen, eq + 1), -1;
	vlen = len - nlen - 1 - klen - 1;
	if ((bad = handoff__value(colon + 1, vlen, &en->v)) != NULL)
		return snprintf(why, nwhy, "entry %d (\"%.*s\"): value \"%.*s\": %s", i, (int)len, p, (int)vlen, colon + 1, bad), -1;
	if (nlen >= sizeof en->name || vlen >= sizeof en->value)
		return snprintf(why, nwhy, "entry %d: name or value too long for this implementation", i), -1;
	memcpy(en->name, p, nlen);
	en->name[nlen] = '\0';
	memcpy(en->value, colon + 1, vlen);
	en->value[vlen] = '\0';
	return 0;
}

/* handoff__twice reports whether en's name or value is in hs already. */
static int handoff__twice(const handoff_handles *hs, const handoff_entry *en, char *why, size_t nwhy)
{
	int j;
	for (j = 0; j < hs->n; j++) {
		if (strcmp(hs->entry[j].name, en->name) == 0)
			return snprintf(why, nwhy, "name \"%s\" listed twice", en->name), 1;
		if (hs->entry[j].v == en->v)
			return snprintf(why, nwhy, "value %s listed for both \"%s\" and \"%s\"", en->value, hs->entry[j].name, en->name), 1;
	}
	return 0;
}

HANDOFF_API int handoff_parse_handles(const char *s, handoff_handles *hs, handoff_error *e)
{
	const char *p = s;
	char why[256];
	int i = 0;
	if (s == NULL || hs == NULL)
		return handoff__null(e, "parse handles", s == NULL ? "the handles argument" : "the result");
	hs->n = 0;
	why[0] = '\0';
	if (*s == '\0')
		snprintf(why, sizeof why, "empty");
	while (why[0] == '\0') {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		handoff_entry *en = &hs->entry[hs->n];
		if (hs->n == HANDOFF_MAX_HANDLES) {
			snprintf(why, sizeof why, "more than %d entries", HANDOFF_MAX_HANDLES);
			break;
		}
		if (handoff__entry(p, len, ++i, en, why, sizeof why) != 0 || handoff__twice(hs, en, why, sizeof why))
			break;
		hs->n++;
		if (end == NULL)
			return 0;
		p = end + 1;
	}
	hs->n = 0;
	handoff__fail(e, HANDOFF_BAD_VALUE, "handoff: handles argument \"%s\": bad handle value: %s", s, why);
	return HANDOFF_BAD_VALUE;
}

HANDOFF_API const handoff_entry *handoff_lookup(const handoff_handles *hs, const char *name)
{
	int i;
	for (i = 0; hs != NULL && name != NULL && i < hs->n && i < HANDOFF_MAX_HANDLES; i++)
		if (strcmp(hs->entry[i].name, name) == 0)
			return &hs->entry[i];
	return NULL;
}

HANDOFF_API int handoff_open_name(const handoff_handles *hs, const char *name, int want, handoff_handle *h, handoff_error *e)
{
	const handoff_entry *en = handoff_lookup(hs, name);
	const char *kind = handoff_kind_name(want);
	char prefix[128];
	int code;
	if (hs == NULL || name == NULL || h == NULL)
		return handoff__null(e, "open", hs == NULL ? "the handles" : name == NULL ? "the name" : "the result");
	*h = HANDOFF_NO_HANDLE;
	if (kind == NULL) {
		handoff__fail(e, HANDOFF_USAGE, "handoff: open \"%s\": unknown kind %d", name, want);
		return HANDOFF_USAGE;
	}
	if (en == NULL) {
		handoff__fail(e, HANDOFF_NOT_INHERITED, "handoff: %s \"%s\": no handle passed under that name", kind, name);
		return HANDOFF_NOT_INHERITED;
	}
	if (en->kind != want) {
		handoff__fail(e, HANDOFF_WRONG_TYPE, "handoff: %s \"%s\": wrong type of object: listed as a %s", kind, name, handoff_kind_name(en->kind));
		return HANDOFF_WRONG_TYPE;
	}
	code = handoff_open(en->value, want, h, e);
	if (code != 0 && e != NULL) {
		/* "handoff: event 3: ..." becomes "handoff: event "event": event 3: ..." */
		if (strncmp(e->text, "handoff: ", 9) == 0)
			memmove(e->text, e->text + 9, strlen(e->text + 9) + 1);
		snprintf(prefix, sizeof prefix, "handoff: %s \"%s\": ", kind, name);
		handoff__wrap(e, prefix);
	}
	return code;
}

/* handoff__replacement returns what the placeholder p[0:n] ("{name}")
 * stands for in c's arguments, or NULL if it names nothing passed. */
static const char *handoff__replacement(const char *p, size_t n, const handoff_child *c)
{
	int i;
	if (n < 2 || p[0] != '{' || p[n - 1] != '}')
		return NULL;
	p++;
	n -= 2;
	if (n == strlen(HANDOFF_HANDLES_NAME) && memcmp(p, HANDOFF_HANDLES_NAME, n) == 0)
		return c->handles;
	for (i = 0; i < c->nvalues; i++)
		if (strlen(c->values[i].name) == n && memcmp(c->values[i].name, p, n) == 0)
			return c->values[i].value;
	return NULL;
}

/* handoff__fill writes arg with the placeholders replaced into out, if not
 * NULL, and returns the length. */
static size_t handoff__fill(const char *arg, const handoff_child *c, char *out)
{
	size_t n = 0;
	const char *p = arg;
	while (*p) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;
		const char *r = close ? handoff__replacement(p, (size_t)(close - p + 1), c) : NULL;
		size_t len = r ? strlen(r) : 1;
		if (out != NULL)
			memcpy(out + n, r ? r : p, len);
		n += len;
		p = r ? close + 1 : p + 1;
	}
	if (out != NULL)
		out[n] = '\0';
	return n;
}

/* handoff__names reports whether some argument contains {name}. */
static int handoff__names(const char *const argv[], const char *name)
{
	char ph[80];
	int i;
	snprintf(ph, sizeof ph, "{%s}", name);
	for (i = 0; argv[i] != NULL; i++)
		if (strstr(argv[i], ph) != NULL)
			return 1;
	return 0;
}

/* handoff__add records a value to pass under name, of kind. */
static void handoff__add(handoff_child *c, const char *name, int kind)
{
	handoff_entry *en = &c->values[c->nvalues++];
	snprintf(en->name, sizeof en->name, "%s", name);
	en->kind = kind;
}

/* handoff__check_pass checks pass[i]: its name, its kind, and that no
 * earlier one has its name. */
static int handoff__check_pass(const char *const argv[], const handoff_pass *pass, int i, int list, handoff_error *e)
{
	const char *name = pass[i].name;
	int j;
	if (name == NULL || strlen(name) >= sizeof ((handoff_entry *)0)->name || !handoff__valid_name(name, strlen(name)))
		return handoff__fail(e, HANDOFF_USAGE, "handoff: invalid name \"%s\"", name ? name : "(null)"), -1;
	if (strcmp(name, HANDOFF_LIFELINE_NAME) == 0 || strcmp(name, HANDOFF_READY_NAME) == 0 || strcmp(name, HANDOFF_HANDLES_NAME) == 0)
		return handoff__fail(e, HANDOFF_USAGE, "handoff: name \"%s\" is reserved", name), -1;
	if (handoff_kind_name(pass[i].kind) == NULL || pass[i].kind == HANDOFF_LIFELINE || pass[i].kind == HANDOFF_READY)
		return handoff__fail(e, HANDOFF_USAGE, "handoff: name \"%s\": kind %d cannot be passed", name, pass[i].kind), -1;
	for (j = 0; j < i; j++)
		if (strcmp(pass[j].name, name) == 0)
			return handoff__fail(e, HANDOFF_USAGE, "handoff: name \"%s\" passed twice", name), -1;
	if (!list && !handoff__names(argv, name))
		return handoff__fail(e, HANDOFF_USAGE, "handoff: no argument of %s names {%s} or {%s}", argv[0], name, HANDOFF_HANDLES_NAME), -1;
	return 0;
}

/* handoff__plan checks the arguments of handoff_start and records the names
 * to pass in c; the values follow once known. It returns whether a lifeline
 * is needed, or -1. */
static int handoff__plan(handoff_child *c, const char *const argv[], const handoff_pass *pass, int npass, int flags, handoff_error *e)
{
	int i, list, lifeline;
	if (argv == NULL || argv[0] == NULL)
		return handoff__fail(e, HANDOFF_USAGE, "handoff: start: no command"), -1;
	if (npass < 0 || npass + 2 > HANDOFF_MAX_HANDLES || (npass > 0 && pass == NULL))
		return handoff__fail(e, HANDOFF_USAGE, "handoff: start %s: %d handles to pass, want 0 to %d (and not NULL)", argv[0], npass, HANDOFF_MAX_HANDLES - 2), -1;
	list = handoff__names(argv, HANDOFF_HANDLES_NAME);
	lifeline = list || handoff__names(argv, HANDOFF_LIFELINE_NAME);
	for (i = 0; i < npass; i++) {
		if (handoff__check_pass(argv, pass, i, list, e) != 0)
			return -1;
		handoff__add(c, pass[i].name, pass[i].kind);
	}
	if (flags & HANDOFF_EXPECT_READY) {
		if (!list && !handoff__names(argv, HANDOFF_READY_NAME))
			return handoff__fail(e, HANDOFF_USAGE, "handoff: ready expected, but no argument of %s names {%s} or {%s}", argv[0], HANDOFF_READY_NAME, HANDOFF_HANDLES_NAME), -1;
		handoff__add(c, HANDOFF_READY_NAME, HANDOFF_READY);
	}
	if (lifeline)
		handoff__add(c, HANDOFF_LIFELINE_NAME, HANDOFF_LIFELINE);
	return lifeline;
}

/* handoff__finish records the values, writes the handles argument and fills
 * the arguments. */
static int handoff__finish(handoff_child *c, const char *const argv[], handoff_error *e)
{
	int i, argc = 0;
	size_t n = 0;
	c->handles[0] = '\0';
	for (i = 0; i < c->nvalues; i++) {
		handoff_entry *en = &c->values[i];
		snprintf(en->value, sizeof en->value, "%llu", en->v);
		n += (size_t)snprintf(c->handles + n, sizeof c->handles - n, "%s%s=%s:%s", i ? "," : "", en->name, handoff_kind_name(en->kind), en->value);
	}
	while (argv[argc] != NULL)
		argc++;
	if ((c->argv = (char **)calloc((size_t)argc + 1, sizeof *c->argv)) == NULL)
		return handoff__fail(e, HANDOFF_FAILURE, "handoff: out of memory"), HANDOFF_FAILURE;
	for (i = 0; i < argc; i++) {
		if ((c->argv[i] = (char *)malloc(handoff__fill(argv[i], c, NULL) + 1)) == NULL)
			return handoff__fail(e, HANDOFF_FAILURE, "handoff: out of memory"), HANDOFF_FAILURE;
		handoff__fill(argv[i], c, c->argv[i]);
	}
	return 0;
}

HANDOFF_API long long handoff_child_value(const handoff_child *c, const char *name)
{
	int i;
	for (i = 0; c != NULL && name != NULL && i < c->nvalues && i < HANDOFF_MAX_HANDLES; i++)
		if (strcmp(c->values[i].name, name) == 0)
			return (long long)c->values[i].v;
	return -1;
}

HANDOFF_API int handoff_signal_ready(handoff_handle ready, handoff_error *e)
{
	int code = handoff_event_set(ready, e);
	if (code != 0)
		handoff__wrap(e, "handoff: signal ready: ");
	handoff_close(ready);
	return code;
}

static void handoff__free_argv(handoff_child *c)
{
	int i;
	if (c->argv == NULL)
		return;
	for (i = 0; c->argv[i] != NULL; i++)
		free(c->argv[i]);
	free(c->argv);
	c->argv = NULL;
}

/* handoff__no_child checks that c names a started child. */
static int handoff__no_child(const handoff_child *c, const char *fn, handoff_error *e)
{
	if (c == NULL)
		return handoff__null(e, fn, "the child");
	if (c->pid <= 0) {
		handoff__fail(e, HANDOFF_USAGE, "handoff: %s: no child started", fn);
		return HANDOFF_USAGE;
	}
	return 0;
}

/* The objects this process's handoff_open returned, for the identity
 * check (one object, one value). */
#define HANDOFF__MAX_OPENED 256

#ifdef __cplusplus
}
#endif

#if defined(_WIN32)
/* ------------------------------------------------------------- Windows -- */

#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0A00
#endif
#if _WIN32_WINNT < 0x0600
#error "handoff.h's implementation needs _WIN32_WINNT 0x0600 or more (attribute lists); it runs on Windows 10 or later"
#endif
#include <windows.h>

#ifndef PROC_THREAD_ATTRIBUTE_JOB_LIST
#define PROC_THREAD_ATTRIBUTE_JOB_LIST 0x2000D
#endif

#ifdef __cplusplus
extern "C" {
#endif

static HANDLE handoff__opened[HANDOFF__MAX_OPENED];
static int handoff__nopened;

HANDOFF_API void handoff_init(void) {}

HANDOFF_API void handoff_close(handoff_handle h)
{
	int i;
	if (h == NULL || h == INVALID_HANDLE_VALUE)
		return;
	for (i = 0; i < handoff__nopened; i++)
		if (handoff__opened[i] == h)
			handoff__opened[i] = handoff__opened[--handoff__nopened];
	CloseHandle(h);
}

HANDOFF_API unsigned long long handoff_value_of(handoff_handle h) { return (unsigned long long)(ULONG_PTR)h; }

typedef LONG(NTAPI *handoff__NtQueryObject)(HANDLE, ULONG, PVOID, ULONG, PULONG);
typedef LONG(NTAPI *handoff__NtQueryInformationProcess)(HANDLE, ULONG, PVOID, ULONG, PULONG);
typedef BOOL(WINAPI *handoff__CompareObjectHandles)(HANDLE, HANDLE);

/* handoff__proc returns the address of a function of a system DLL that
 * every process has mapped (ntdll, kernelbase), found at run time: what a
 * Windows SDK or MinGW may not declare. */
static FARPROC handoff__proc(const wchar_t *dll, const char *name)
{
	HMODULE m = GetModuleHandleW(dll);
	return m ? GetProcAddress(m, name) : NULL;
}

/* handoff__type writes the name of the type of the object h names, as
 * NtQueryObject(ObjectTypeInformation) gives it, into out. */
static int handoff__type(HANDLE h, char *out, size_t n, handoff_error *e, const char *what)
{
	/* PUBLIC_OBJECT_TYPE_INFORMATION: a UNICODE_STRING whose buffer follows. */
	typedef struct {
		USHORT Length, MaximumLength;
		PWSTR Buffer;
	} handoff__unicode_string;
	handoff__unicode_string *name;
	unsigned long long buf[128];
	ULONG got = 0;
	LONG status;
	size_t i;
	handoff__NtQueryObject query;
	FARPROC f = handoff__proc(L"ntdll.dll", "NtQueryObject");
	memcpy(&query, &f, sizeof query);
	if (query == NULL)
		return handoff__fail(e, HANDOFF_FAILURE, "handoff: %s: ntdll has no NtQueryObject", what), HANDOFF_FAILURE;
	status = query(h, 2 /* ObjectTypeInformation */, buf, (ULONG)sizeof buf, &got);
	if (status < 0)
		return handoff__fail(e, HANDOFF_FAILURE, "handoff: %s: NtQueryObject: NTSTATUS 0x%08lx", what, (unsigned long)status), HANDOFF_FAILURE;
	name = (handoff__unicode_string *)(void *)buf;
	for (i = 0; i + 1 < n && i < name->Length / 2u; i++)
		out[i] = name->Buffer[i] < 128 ? (char)name->Buffer[i] : '?';
	out[i] = '\0';
	return 0;
}

HANDOFF_API long handoff_parent_pid(void)
{
	struct {
		PVOID ExitStatus, PebBaseAddress, AffinityMask, BasePriority;
		ULONG_PTR UniqueProcessId, InheritedFromUniqueProcessId;
	} info;
	handoff__NtQueryInformationProcess query;
	FARPROC f = handoff__proc(L"ntdll.dll", "NtQueryInformationProcess");
	memcpy(&query, &f, sizeof query);
	if (query == NULL || query(GetCurrentProcess(), 0 /* ProcessBasicInformation */, &info, (ULONG)sizeof info, NULL) < 0)
		return -1;
	return (long)info.InheritedFromUniqueProcessId;
}

/* handoff__inherited checks that h is a handle this process inherited:
 * valid, and inheritable, as no handle of its own is. */
static int handoff__inherited(HANDLE h, const char *what, handoff_error *e)
{
	DWORD flags;
	if (!GetHandleInformation(h, &flags)) {
		handoff__fail(e, HANDOFF_NOT_INHERITED, "handoff: %s: not an inherited handle: no such handle: GetHandleInformation: error %lu", what, GetLastError());
		return HANDOFF_NOT_INHERITED;
	}
	if (!(flags & HANDLE_FLAG_INHERIT)) {
		handoff__fail(e, HANDOFF_NOT_INHERITED, "handoff: %s: not an inherited handle: handle is not inheritable: one of this process's own", what);
		return HANDOFF_NOT_INHERITED;
	}
	return 0;
}

/* handoff__check_type checks that h names an object of kind want. */
static int handoff__check_type(HANDLE h, int want, const char *what, handoff_error *e)
{
	char typ[64];
	const char *expect;
	int code;
	if ((code = handoff__type(h, typ, sizeof typ, e, what)) != 0)
		return code;
	switch (want) {
	case HANDOFF_EVENT:
	case HANDOFF_READY: expect = "Event"; break;
	case HANDOFF_SEMAPHORE: expect = "Semaphore"; break;
	case HANDOFF_SHM: expect = "Section"; break;
	case HANDOFF_FILE: expect = "File"; break;
	default: expect = "Process"; break;
	}
	if (strcmp(typ, expect) != 0) {
		handoff__fail(e, HANDOFF_WRONG_TYPE, "handoff: %s: wrong type of object: handle is a %s, want a%s %s", what, typ, expect[0] == 'E' ? "n" : "", expect);
		return HANDOFF_WRONG_TYPE;
	}
	return 0;
}

/* handoff__check_lifeline checks that the process handle h names this
 * process's parent. */
static int handoff__check_lifeline(HANDLE h, const char *what, handoff_error *e)
{
	DWORD pid = GetProcessId(h);
	long ppid;
	if (pid == 0 && GetLastError() == ERROR_ACCESS_DENIED) {
		handoff__fail(e, HANDOFF_WRONG_TYPE, "handoff: %s: wrong type of object: process handle lacks PROCESS_QUERY_LIMITED_INFORMATION access", what);
		return HANDOFF_WRONG_TYPE;
	}
	if (pid == 0)
		return handoff__fail(e, HANDOFF_FAILURE, "handoff: %s: GetProcessId: error %lu", what, GetLastError()), HANDOFF_FAILURE;
	if ((ppid = handoff_parent_pid()) < 0)
		return handoff__fail(e, HANDOFF_FAILURE, "handoff: %s: NtQueryInformationProcess failed", what), HANDOFF_FAILURE;
	if ((long)pid != ppid) {
		handoff__fail(e, HANDOFF_PARENT_GONE, "handoff: %s: parent gone: handle names process %lu, parent is %ld", what, (unsigned long)pid, ppid);
		return HANDOFF_PARENT_GONE;
	}
	return 0;
}

/* handoff__check_once checks that h names no object that handoff_open
 * returned before, under another value (CompareObjectHandles, Windows 10
 * and later, found at run time). */
static int handoff__check_once(HANDLE h, const char *what, handoff_error *e)
{
	handoff__CompareObjectHandles same;
	FARPROC f = handoff__proc(L"kernelbase.dll", "CompareObjectHandles");
	int i;
	memcpy(&same, &f, sizeof same);
	if (same == NULL)
		return handoff__fail(e, HANDOFF_FAILURE, "handoff: %s: kernelbase has no CompareObjectHandles (Windows 10 or later)", what), HANDOFF_FAILURE;
	if (handoff__nopened == HANDOFF__MAX_OPENED)
		return handoff__fail(e, HANDOFF_FAILURE, "handoff: %s: more than %d handles open", what, HANDOFF__MAX_OPENED), HANDOFF_FAILURE;
	for (i = 0; i < handoff__nopened; i++) {
		if (same(h, handoff__opened[i])) {
			handoff__fail(e, HANDOFF_NOT_INHERITED, "handoff: %s: not an inherited handle: names the object already opened as handle %llu", what,
				      (unsigned long long)(ULONG_PTR)handoff__opened[i]);
			return HANDOFF_NOT_INHERITED;
		}
	}
	return 0;
}

HANDOFF_API int handoff_open(const char *value, int want, handoff_handle *out, handoff_error *e)
{
	unsigned long long v;
	HANDLE h;
	char what[64];
	const char *kind = handoff_kind_name(want);
	int code;
	if (value == NULL || out == NULL)
		return handoff__null(e, "open", value == NULL ? "the value" : "the result");
	*out = NULL;
	if (kind == NULL)
		return handoff__fail(e, HANDOFF_USAGE, "handoff: open %s: unknown kind %d", value, want), HANDOFF_USAGE;
	if ((code = handoff_parse_value(value, &v, e)) != 0)
		return code;
	h = (HANDLE)(ULONG_PTR)v;
	snprintf(what, sizeof what, "%s %s", kind, value);
	if ((code = handoff__inherited(h, what, e)) != 0 || (code = handoff__check_type(h, want, what, e)) != 0)
		return code;
	if (want == HANDOFF_LIFELINE && (code = handoff__check_lifeline(h, what, e)) != 0)
		return code;
	if ((code = handoff__check_once(h, what, e)) != 0)
		return code;
	if (!SetHandleInformation(h, HANDLE_FLAG_INHERIT, 0))
		return handoff__fail(e, HANDOFF_FAILURE, "handoff: %s: SetHandleInformation: error %lu", what, GetLastError()), HANDOFF_FAILURE;
	handoff__opened[handoff__nopened++] = h;
	*out = h;
	return 0;
}

static DWORD handoff__ms(long long timeout_ms)
{
	if (timeout_ms < 0)
		return INFINITE;
	return timeout_ms >= (long long)INFINITE ? INFINITE - 1 : (DWORD)timeout_ms;
}

/* handoff__wait_failed describes a result of WaitForMultipleObjects on n
 * handles that is none of those expected. */
static int handoff__wait_failed(DWORD r, DWORD n, handoff_error *e)
{
	if (r == WAIT_FAILED)
		handoff__fail(e, HANDOFF_FAILURE, "WaitForMultipleObjects: error %lu", GetLastError());
	else if (r >= WAIT_ABANDONED_0 && r < WAIT_ABANDONED_0 + n)
		handoff__fail(e, HANDOFF_FAILURE, "WaitForMultipleObjects: abandoned mutex %lu", (unsigned long)(r - WAIT_ABANDONED_0));
	else
		handoff__fail(e, HANDOFF_FAILURE, "WaitForMultipleObjects: unexpected result 0x%lx", (unsigned long)r);
	return HANDOFF_FAILURE;
}

HANDOFF_API int handoff_wait(handoff_handle ev, const handoff_handle *lifeline, long long timeout_ms, handoff_error *e)
{
	HANDLE hs[2];
	DWORD n = 1, r;
	hs[0] = ev;
	if (lifeline != NULL)
		hs[n++] = *lifeline;
	r = WaitForMultipleObjects(n, hs, FALSE, handoff__ms(timeout_ms));
	if (r == WAIT_OBJECT_0)
		return 0;
	if (r == WAIT_OBJECT_0 + 1 && lifeline != NULL) {
		handoff__fail(e, HANDOFF_PARENT_GONE, "parent gone");
		return HANDOFF_PARENT_GONE;
	}
	if (r == WAIT_TIMEOUT) {
		handoff__fail(e, HANDOFF_TIMEOUT, "timeout");
		return HANDOFF_TIMEOUT;
	}
	return handoff__wait_failed(r, n, e);
}

HANDOFF_API int handoff_event_new(handoff_handle *h, handoff_error *e)
{
	if (h == NULL)
		return handoff__null(e, "new event", "the result");
	/* No SECURITY_ATTRIBUTES: not inheritable. */
	*h = CreateEventW(NULL, TRUE, FALSE, NULL);
	if (*h == NULL) {
		handoff__fail(e, HANDOFF_FAILURE, "CreateEvent: error %lu", GetLastError());
		return HANDOFF_FAILURE;
	}
	return 0;
}

HANDOFF_API int handoff_event_set(handoff_handle h, handoff_error *e)
{
	if (!SetEvent(h)) {
		handoff__fail(e, HANDOFF_FAILURE, "SetEvent: error %lu", GetLastError());
		return HANDOFF_FAILURE;
	}
	return 0;
}

/* handoff__quote appends the UTF-16 argument w to the command line at *p as
 * the C runtime's argument parser reads it back (CommandLineToArgvW's
 * rules). */
static void handoff__quote(wchar_t **p, const wchar_t *w)
{
	wchar_t *o = *p;
	size_t slashes = 0;
	int quote = w[0] == L'\0' || wcspbrk(w, L" \t\n\v\"") != NULL;
	if (quote)
		*o++ = L'"';
	for (; *w; w++) {
		if (*w == L'\\') {
			slashes++;
		} else if (*w == L'"') {
			for (; slashes > 0; slashes--)
				*o++ = L'\\';
			*o++ = L'\\';
		} else {
			slashes = 0;
		}
		*o++ = *w;
	}
	if (quote) {
		for (; slashes > 0; slashes--)
			*o++ = L'\\';
		*o++ = L'"';
	}
	*p = o;
}

/* handoff__widen converts the UTF-8 string s to UTF-16, in memory the
 * caller frees; NULL if it is not UTF-8. */
static wchar_t *handoff__widen(const char *s)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
	wchar_t *w;
	if (n <= 0 || (w = (wchar_t *)malloc((size_t)n * sizeof *w)) == NULL)
		return NULL;
	if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
		free(w);
		return NULL;
	}
	return w;
}

/* handoff__command_line makes the command line of argv, UTF-8, in UTF-16. */
static wchar_t *handoff__command_line(char **argv, handoff_error *e)
{
	size_t len = 1;
	wchar_t *line = NULL, *p = NULL, *w;
	int i, pass;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; argv[i] != NULL; i++) {
			if ((w = handoff__widen(argv[i])) == NULL) {
				free(line);
				handoff__fail(e, HANDOFF_USAGE, "handoff: start %s: argument %d is not UTF-8 (or out of memory)", argv[0], i);
				return NULL;
			}
			if (pass == 0) {
				len += 2 * wcslen(w) + 3;
			} else {
				if (i > 0)
					*p++ = L' ';
				handoff__quote(&p, w);
			}
			free(w);
		}
		if (pass == 0 && (line = p = (wchar_t *)malloc(len * sizeof *line)) == NULL)
			return handoff__fail(e, HANDOFF_FAILURE, "handoff: out of memory"), (wchar_t *)NULL;
	}
	*p = L'\0';
	return line;
}

/* handoff__job creates a job object whose processes end when its last
 * handle closes. */
static HANDLE handoff__job(handoff_error *e)
{
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION info;
	HANDLE job = CreateJobObjectW(NULL, NULL);
	if (job == NULL) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: CreateJobObject: error %lu", GetLastError());
		return NULL;
	}
	memset(&info, 0, sizeof info);
	info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
	if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &info, sizeof info)) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: SetInformationJobObject: error %lu", GetLastError());
		CloseHandle(job);
		return NULL;
	}
	return job;
}

/* The handles duplicated, inheritable, for one start; closed right after. */
typedef struct handoff__launch {
	HANDLE list[HANDOFF_MAX_HANDLES + 3];
	int n;
	HANDLE job;
	STARTUPINFOEXW si;
	LPPROC_THREAD_ATTRIBUTE_LIST attrs;
} handoff__launch;

static void handoff__launch_free(handoff__launch *l)
{
	int i;
	for (i = 0; i < l->n; i++)
		CloseHandle(l->list[i]);
	l->n = 0;
	if (l->attrs != NULL) {
		DeleteProcThreadAttributeList(l->attrs);
		free(l->attrs);
		l->attrs = NULL;
	}
}

/* handoff__inheritable duplicates src in this process, inheritable, with
 * access (0: the same as src's), into the launch's list. */
static int handoff__inheritable(handoff__launch *l, HANDLE src, DWORD access, HANDLE *d)
{
	HANDLE self = GetCurrentProcess();
	if (!DuplicateHandle(self, src, self, d, access, TRUE, access ? 0 : DUPLICATE_SAME_ACCESS))
		return -1;
	l->list[l->n++] = *d;
	return 0;
}

/* handoff__duplicate duplicates each handle to pass, the ready event and
 * the lifeline, and records the duplicates' values, which are the
 * child's. */
static int handoff__duplicate(handoff_child *c, handoff__launch *l, const handoff_pass *pass, int npass, handoff_error *e)
{
	int i;
	for (i = 0; i < c->nvalues; i++) {
		HANDLE src = i < npass ? (HANDLE)pass[i].h : c->ready, d;
		DWORD access = 0;
		if (c->values[i].kind == HANDOFF_LIFELINE) {
			src = GetCurrentProcess();
			access = SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION;
		}
		if (handoff__inheritable(l, src, access, &d) != 0)
			return handoff__fail(e, HANDOFF_FAILURE, "handoff: name \"%s\": DuplicateHandle: error %lu", c->values[i].name, GetLastError()), HANDOFF_FAILURE;
		c->values[i].v = (unsigned long long)(ULONG_PTR)d;
	}
	return 0;
}

/* handoff__stdio duplicates the standard handles for the child, where
 * there are some; a handle that cannot be duplicated is left out. */
static void handoff__stdio(handoff__launch *l)
{
	static const DWORD which[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
	HANDLE *to[3];
	int i;
	to[0] = &l->si.StartupInfo.hStdInput;
	to[1] = &l->si.StartupInfo.hStdOutput;
	to[2] = &l->si.StartupInfo.hStdError;
	l->si.StartupInfo.dwFlags |= STARTF_USESTDHANDLES;
	for (i = 0; i < 3; i++) {
		HANDLE h = GetStdHandle(which[i]);
		if (h != NULL && h != INVALID_HANDLE_VALUE)
			handoff__inheritable(l, h, 0, to[i]);
	}
}

/* handoff__attributes makes the attribute list: the handle list and the
 * job. */
static int handoff__attributes(handoff__launch *l, handoff_error *e)
{
	SIZE_T size = 0;
	InitializeProcThreadAttributeList(NULL, 2, 0, &size);
	l->attrs = (LPPROC_THREAD_ATTRIBUTE_LIST)malloc(size);
	if (l->attrs == NULL || !InitializeProcThreadAttributeList(l->attrs, 2, 0, &size)) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: InitializeProcThreadAttributeList: error %lu", GetLastError());
		free(l->attrs);
		l->attrs = NULL;
		return HANDOFF_FAILURE;
	}
	if (!UpdateProcThreadAttribute(l->attrs, 0, PROC_THREAD_ATTRIBUTE_JOB_LIST, &l->job, sizeof l->job, NULL, NULL) ||
	    (l->n > 0 && !UpdateProcThreadAttribute(l->attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, l->list, (SIZE_T)l->n * sizeof l->list[0], NULL, NULL)))
		return handoff__fail(e, HANDOFF_FAILURE, "handoff: UpdateProcThreadAttribute: error %lu", GetLastError()), HANDOFF_FAILURE;
	l->si.lpAttributeList = l->attrs;
	return 0;
}

/* handoff__create creates the child, in its job, inheriting the list. */
static int handoff__create(handoff_child *c, handoff__launch *l, handoff_error *e)
{
	PROCESS_INFORMATION pi;
	wchar_t *line = handoff__command_line(c->argv, e);
	BOOL ok;
	if (line == NULL)
		return e != NULL ? e->code : HANDOFF_FAILURE;
	ok = CreateProcessW(NULL, line, NULL, NULL, l->n > 0, EXTENDED_STARTUPINFO_PRESENT, NULL, NULL, &l->si.StartupInfo, &pi);
	free(line);
	if (!ok)
		return handoff__fail(e, HANDOFF_FAILURE, "handoff: start %s: CreateProcess: error %lu", c->argv[0], GetLastError()), HANDOFF_FAILURE;
	CloseHandle(pi.hThread);
	c->process = pi.hProcess;
	c->pid = (long)pi.dwProcessId;
	return 0;
}

static void handoff__abort(handoff_child *c)
{
	if (c->job != NULL)
		CloseHandle(c->job); /* kill on close */
	if (c->process != NULL)
		CloseHandle(c->process);
	if (c->ready != NULL)
		CloseHandle(c->ready);
	c->job = c->process = c->ready = NULL;
	c->pid = 0;
	handoff__free_argv(c);
}

HANDOFF_API int handoff_start(handoff_child *c, const char *const argv[], const handoff_pass *pass, int npass, int flags, handoff_error *e)
{
	handoff__launch l;
	int code = HANDOFF_FAILURE;
	if (c == NULL)
		return handoff__null(e, "start", "the child");
	memset(c, 0, sizeof *c);
	memset(&l, 0, sizeof l);
	l.si.StartupInfo.cb = sizeof l.si;
	if (handoff__plan(c, argv, pass, npass, flags, e) < 0)
		return HANDOFF_USAGE;
	if ((flags & HANDOFF_EXPECT_READY) && handoff_event_new(&c->ready, e) != 0)
		return HANDOFF_FAILURE;
	if ((c->job = l.job = handoff__job(e)) == NULL || (code = handoff__duplicate(c, &l, pass, npass, e)) != 0)
		goto fail;
	handoff__stdio(&l);
	if ((code = handoff__finish(c, argv, e)) != 0 || (code = handoff__attributes(&l, e)) != 0 || (code = handoff__create(c, &l, e)) != 0)
		goto fail;
	handoff__launch_free(&l);
	return 0;
fail:
	handoff__launch_free(&l);
	handoff__abort(c);
	return code ? code : HANDOFF_FAILURE;
}

HANDOFF_API int handoff_wait_ready(handoff_child *c, long long timeout_ms, handoff_error *e)
{
	HANDLE hs[2];
	DWORD r;
	int code;
	if ((code = handoff__no_child(c, "wait for ready", e)) != 0)
		return code;
	if (c->ready == NULL)
		return handoff__fail(e, HANDOFF_USAGE, "handoff: no ready event"), HANDOFF_USAGE;
	hs[0] = c->ready;
	hs[1] = c->process;
	r = WaitForMultipleObjects(2, hs, FALSE, handoff__ms(timeout_ms));
	switch (r) {
	case WAIT_OBJECT_0:
		return 0;
	case WAIT_OBJECT_0 + 1:
		handoff__fail(e, HANDOFF_CHILD_FAILED, "child %ld exited before it was ready", c->pid);
		return HANDOFF_CHILD_FAILED;
	case WAIT_TIMEOUT:
		handoff__fail(e, HANDOFF_TIMEOUT, "timeout: child %ld was not ready in time", c->pid);
		return HANDOFF_TIMEOUT;
	}
	return handoff__wait_failed(r, 2, e);
}

HANDOFF_API int handoff_wait_child(handoff_child *c, long long timeout_ms, handoff_error *e)
{
	DWORD code = 0, r;
	int bad;
	if ((bad = handoff__no_child(c, "wait for child", e)) != 0 || c->exited)
		return bad;
	r = WaitForSingleObject(c->process, handoff__ms(timeout_ms));
	if (r == WAIT_TIMEOUT) {
		handoff__fail(e, HANDOFF_TIMEOUT, "timeout");
		return HANDOFF_TIMEOUT;
	}
	if (r != WAIT_OBJECT_0 || !GetExitCodeProcess(c->process, &code)) {
		handoff__fail(e, HANDOFF_FAILURE, "WaitForSingleObject: result 0x%lx, error %lu", (unsigned long)r, GetLastError());
		return HANDOFF_FAILURE;
	}
	c->exited = 1;
	c->exit_code = (int)code;
	return 0;
}

HANDOFF_API void handoff_kill(handoff_child *c)
{
	if (c != NULL && c->pid > 0 && !c->exited)
		TerminateProcess(c->process, 1);
}

HANDOFF_API void handoff_child_release(handoff_child *c)
{
	if (c == NULL)
		return;
	if (c->pid > 0 && !c->exited) {
		TerminateProcess(c->process, 1);
		WaitForSingleObject(c->process, INFINITE);
	}
	handoff__abort(c);
}

#ifdef __cplusplus
}
#endif

#else
/* --------------------------------------------------------------- Linux -- */

/* Only what every C mode declares (no feature macro needed: the file may
 * have included system headers first, with -std=c99); the rest through
 * syscall(), declared here when the headers kept it back. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __cplusplus
extern "C" {
#else
extern long syscall(long, ...);
#endif
extern char **environ;

#ifdef O_CLOEXEC
#define HANDOFF__CLOEXEC O_CLOEXEC
#else
#define HANDOFF__CLOEXEC EFD_CLOEXEC /* the same flag */
#endif
#ifdef F_DUPFD_CLOEXEC
#define HANDOFF__DUPFD_CLOEXEC F_DUPFD_CLOEXEC
#else
#define HANDOFF__DUPFD_CLOEXEC 1030
#endif
#define HANDOFF__S_IFMT 0170000
#define HANDOFF__NSIG 65 /* signal() resets 1 to 64 */
#if defined(__mips__)
#define HANDOFF__SIG_SETMASK 3
#define HANDOFF__SIGSET_BYTES 16 /* the kernel's sigset_t: 128 signals */
#else
#define HANDOFF__SIG_SETMASK 2
#define HANDOFF__SIGSET_BYTES 8 /* 64 signals */
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#define HANDOFF__CLOSE_RANGE_CLOEXEC (1U << 2)
#ifndef F_GET_SEALS
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#endif

/* handoff__sigmask sets this thread's blocked signals with the system call
 * itself: all but glibc's own two (32 and 33, which must stay deliverable
 * for setxid and cancellation), or none. */
static void handoff__sigmask(int all)
{
	unsigned long long set[2] = {0, 0};
	if (all)
		set[0] = set[1] = ~0ULL & ~(3ULL << 31);
	syscall(SYS_rt_sigprocmask, HANDOFF__SIG_SETMASK, set, NULL, (size_t)HANDOFF__SIGSET_BYTES);
}

HANDOFF_API unsigned long long handoff_value_of(handoff_handle h) { return (unsigned long long)h; }

HANDOFF_API long handoff_parent_pid(void) { return (long)getppid(); }

/* What /proc/self/fdinfo tells of a descriptor. */
typedef struct handoff__fdinfo {
	int eventfd;       /* it has an eventfd-count line */
	char id[24];       /* eventfd-id, "" on kernels without it */
	char semaphore[4]; /* eventfd-semaphore: "1", "0", or "" before Linux 6.5 */
	char pid[24];      /* a pidfd's Pid: its process, -1 once it has exited */
} handoff__fdinfo;

/* handoff__fdinfo_line records the line "key:\tvalue" in info. */
static void handoff__fdinfo_line(char *line, handoff__fdinfo *info)
{
	char *colon = strchr(line, ':'), *v;
	if (colon == NULL)
		return;
	*colon = '\0';
	for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
		;
	if (strcmp(line, "eventfd-count") == 0)
		info->eventfd = 1;
	else if (strcmp(line, "eventfd-id") == 0)
		snprintf(info->id, sizeof info->id, "%s", v);
	else if (strcmp(line, "eventfd-semaphore") == 0)
		snprintf(info->semaphore, sizeof info->semaphore, "%s", v);
	else if (strcmp(line, "Pid") == 0)
		snprintf(info->pid, sizeof info->pid, "%s", v);
}

static int handoff__read_fdinfo(int fd, handoff__fdinfo *info)
{
	char path[64], buf[4096], *line, *next;
	ssize_t n, got = 0;
	int f;
	memset(info, 0, sizeof *info);
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	if ((f = open(path, O_RDONLY | HANDOFF__CLOEXEC)) < 0)
		return -1;
	while (got < (ssize_t)sizeof buf - 1 && ((n = read(f, buf + got, sizeof buf - 1 - (size_t)got)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			got += n;
	close(f);
	buf[got] = '\0';
	for (line = buf; line != NULL && *line; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		handoff__fdinfo_line(line, info);
	}
	return 0;
}

/* The identity of what a descriptor refers to: its inode and, for an
 * eventfd, whose inode all eventfds share, its eventfd-id; for a pidfd
 * (one inode for all before Linux 6.9), its process. */
typedef struct handoff__fdid {
	int fd;
	dev_t dev;
	ino_t ino;
	int eventfd;
	char id[24];
	char pid[24];
} handoff__fdid;

#define HANDOFF__MAX_INHERITED 1024
static handoff__fdid handoff__inherited[HANDOFF__MAX_INHERITED];
static int handoff__ninherited = -1; /* -1: not recorded yet */
static handoff__fdid handoff__opened[HANDOFF__MAX_OPENED];
static int handoff__nopened;

static void handoff__identify(int fd, const struct stat *st, const handoff__fdinfo *info, handoff__fdid *id)
{
	memset(id, 0, sizeof *id);
	id->fd = fd;
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	if (info != NULL) {
		id->eventfd = info->eventfd;
		snprintf(id->id, sizeof id->id, "%s", info->id);
		snprintf(id->pid, sizeof id->pid, "%s", info->pid);
	}
}

/* handoff__same reports whether a and b name one object; two eventfds on a
 * kernel without eventfd-id cannot be told apart, and are not. */
static int handoff__same(const handoff__fdid *a, const handoff__fdid *b)
{
	if (a->dev != b->dev || a->ino != b->ino)
		return 0;
	if (a->pid[0] != '\0' || b->pid[0] != '\0')
		return strcmp(a->pid, b->pid) == 0;
	if (a->eventfd || b->eventfd)
		return a->id[0] != '\0' && strcmp(a->id, b->id) == 0;
	return 1;
}

HANDOFF_API void handoff_close(handoff_handle h)
{
	int i;
	if (h < 0)
		return;
	for (i = 0; i < handoff__nopened; i++)
		if (handoff__opened[i].fd == h)
			handoff__opened[i] = handoff__opened[--handoff__nopened];
	close(h);
}

/* handoff__record records fd, if it is open and not close-on-exec, as
 * inherited. */
static void handoff__record(int fd)
{
	int flags = fcntl(fd, F_GETFD);
	struct stat st;
	handoff__fdinfo info;
	if (flags < 0 || (flags & FD_CLOEXEC) || fstat(fd, &st) != 0)
		return;
	/* Only a file with no type (an anonymous inode) or a regular one can
	 * be an eventfd or a pidfd. */
	if ((st.st_mode & HANDOFF__S_IFMT) == 0 || S_ISREG(st.st_mode)) {
		handoff__read_fdinfo(fd, &info);
		handoff__identify(fd, &st, &info, &handoff__inherited[handoff__ninherited++]);
	} else {
		handoff__identify(fd, &st, NULL, &handoff__inherited[handoff__ninherited++]);
	}
}

HANDOFF_API void handoff_init(void)
{
	DIR *d;
	struct dirent *de;
	if (handoff__ninherited >= 0)
		return;
	handoff__ninherited = 0;
	if ((d = opendir("/proc/self/fd")) == NULL) /* close-on-exec: not listed as inherited */
		return;
	while ((de = readdir(d)) != NULL && handoff__ninherited < HANDOFF__MAX_INHERITED) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		if (*de->d_name == '\0' || *end != '\0' || fd < 0 || fd > INT32_MAX)
			continue;
		handoff__record((int)fd);
	}
	closedir(d);
}

/* handoff__no fails with code and the message "handoff: WHAT: ...". */
static int handoff__no(handoff_error *e, int code, const char *what, const char *format, ...)
{
	char why[384];
	va_list ap;
	va_start(ap, format);
	vsnprintf(why, sizeof why, format, ap);
	va_end(ap);
	handoff__fail(e, code, "handoff: %s: %s", what, why);
	return code;
}

static void handoff__target(int fd, char *out, size_t n)
{
	char path[64];
	long got;
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	got = syscall(SYS_readlinkat, -100 /* AT_FDCWD */, path, out, n - 1);
	if (got < 0)
		snprintf(out, n, "unknown (%s)", strerror(errno));
	else
		out[got] = '\0';
}

/* handoff__check_inherited checks that fd is one this process inherited,
 * still the same object, and reads its flags, fdinfo and identity. */
static int handoff__check_inherited(int fd, int *flags, handoff__fdinfo *info, handoff__fdid *id, const char *what, handoff_error *e)
{
	struct stat st;
	int i;
	if ((*flags = fcntl(fd, F_GETFD)) < 0) {
		if (errno == EBADF)
			return handoff__no(e, HANDOFF_NOT_INHERITED, what, "not an inherited handle: no such descriptor");
		return handoff__no(e, HANDOFF_FAILURE, what, "fcntl: %s", strerror(errno));
	}
	if (*flags & FD_CLOEXEC)
		return handoff__no(e, HANDOFF_NOT_INHERITED, what, "not an inherited handle: descriptor is close-on-exec: one of this process's own");
	if (fstat(fd, &st) != 0)
		return handoff__no(e, HANDOFF_FAILURE, what, "fstat: %s", strerror(errno));
	if (handoff__read_fdinfo(fd, info) != 0)
		return handoff__no(e, HANDOFF_FAILURE, what, "open /proc/self/fdinfo: %s", strerror(errno));
	handoff__identify(fd, &st, info, id);
	for (i = 0; i < handoff__ninherited; i++) {
		const handoff__fdid *r = &handoff__inherited[i];
		if (r->fd == fd && r->dev == id->dev && r->ino == id->ino && strcmp(r->id, id->id) == 0)
			return 0;
	}
	return handoff__no(e, HANDOFF_NOT_INHERITED, what, "not an inherited handle: descriptor was not open when this process started: one of its own");
}

/* handoff__check_eventfd checks that fd is an eventfd in the mode want
 * asks for (kernels since 6.5 show EFD_SEMAPHORE in fdinfo). */
static int handoff__check_eventfd(int fd, int want, const handoff__fdinfo *info, const char *what, handoff_error *e)
{
	char target[256];
	if (!info->eventfd) {
		handoff__target(fd, target, sizeof target);
		return handoff__no(e, HANDOFF_WRONG_TYPE, what, "wrong type of object: descriptor is %s, want an eventfd", target);
	}
	if (want == HANDOFF_SEMAPHORE && strcmp(info->semaphore, "0") == 0)
		return handoff__no(e, HANDOFF_WRONG_TYPE, what, "wrong type of object: descriptor is an eventfd in event mode, want one in semaphore mode (EFD_SEMAPHORE)");
	if (want != HANDOFF_SEMAPHORE && strcmp(info->semaphore, "1") == 0)
		return handoff__no(e, HANDOFF_WRONG_TYPE, what, "wrong type of object: descriptor is an eventfd in semaphore mode (EFD_SEMAPHORE), want an event");
	return 0;
}

/* handoff__check_shm checks that fd is a memfd whose size is sealed. */
static int handoff__check_shm(int fd, const char *what, handoff_error *e)
{
	char target[256];
	int seals, want = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
	handoff__target(fd, target, sizeof target);
	if (strncmp(target, "/memfd:", 7) != 0)
		return handoff__no(e, HANDOFF_WRONG_TYPE, what, "wrong type of object: descriptor is %s, want a memfd", target);
	if ((seals = fcntl(fd, F_GET_SEALS)) < 0)
		return handoff__no(e, HANDOFF_FAILURE, what, "fcntl: %s", strerror(errno));
	if ((seals & want) != want)
		return handoff__no(e, HANDOFF_WRONG_TYPE, what, "wrong type of object: memfd's size is not sealed (seals %#x): not one of handoff's", seals);
	return 0;
}

/* handoff__check_lifeline checks that fd is a pidfd of this process's
 * parent. */
static int handoff__check_lifeline(int fd, const handoff__fdinfo *info, const char *what, handoff_error *e)
{
	char target[256], *end;
	long pid;
	if (info->pid[0] == '\0') {
		handoff__target(fd, target, sizeof target);
		return handoff__no(e, HANDOFF_WRONG_TYPE, what, "wrong type of object: descriptor is %s, want a pidfd", target);
	}
	pid = strtol(info->pid, &end, 10);
	if (*end != '\0')
		return handoff__no(e, HANDOFF_FAILURE, what, "fdinfo Pid \"%s\" is not a number", info->pid);
	if (pid != (long)getppid())
		return handoff__no(e, HANDOFF_PARENT_GONE, what, "parent gone: pidfd names pid %ld, parent is %ld", pid, (long)getppid());
	return 0;
}

/* handoff__check_kind checks that fd names an object of kind want. */
static int handoff__check_kind(int fd, int want, const handoff__fdinfo *info, const char *what, handoff_error *e)
{
	char target[256];
	switch (want) {
	case HANDOFF_EVENT:
	case HANDOFF_READY:
	case HANDOFF_SEMAPHORE:
		return handoff__check_eventfd(fd, want, info, what, e);
	case HANDOFF_SHM:
		return handoff__check_shm(fd, what, e);
	case HANDOFF_FILE:
		handoff__target(fd, target, sizeof target);
		if (strncmp(target, "anon_inode:", 11) == 0 || strncmp(target, "pidfd:", 6) == 0)
			return handoff__no(e, HANDOFF_WRONG_TYPE, what, "wrong type of object: descriptor is %s, want a file", target);
		return 0;
	default:
		return handoff__check_lifeline(fd, info, what, e);
	}
}

/* handoff__check_once checks that id names no object that handoff_open
 * returned before, under another value. */
static int handoff__check_once(const handoff__fdid *id, const char *what, handoff_error *e)
{
	int i;
	for (i = 0; i < handoff__nopened; i++)
		if (handoff__same(id, &handoff__opened[i]))
			return handoff__no(e, HANDOFF_NOT_INHERITED, what, "not an inherited handle: names the object already opened as descriptor %d", handoff__opened[i].fd);
	if (handoff__nopened == HANDOFF__MAX_OPENED)
		return handoff__no(e, HANDOFF_FAILURE, what, "more than %d descriptors open", HANDOFF__MAX_OPENED);
	return 0;
}

HANDOFF_API int handoff_open(const char *value, int want, handoff_handle *out, handoff_error *e)
{
	unsigned long long v;
	int fd, flags, code;
	handoff__fdinfo info;
	handoff__fdid id;
	char what[64];
	const char *kind = handoff_kind_name(want);
	if (value == NULL || out == NULL)
		return handoff__null(e, "open", value == NULL ? "the value" : "the result");
	*out = -1;
	if (kind == NULL)
		return handoff__fail(e, HANDOFF_USAGE, "handoff: open %s: unknown kind %d", value, want), HANDOFF_USAGE;
	handoff_init();
	if ((code = handoff_parse_value(value, &v, e)) != 0)
		return code;
	snprintf(what, sizeof what, "%s %s", kind, value);
	if (v > INT32_MAX)
		return handoff__no(e, HANDOFF_NOT_INHERITED, what, "not an inherited handle: no such descriptor");
	fd = (int)v;
	if ((code = handoff__check_inherited(fd, &flags, &info, &id, what, e)) != 0 ||
	    (code = handoff__check_kind(fd, want, &info, what, e)) != 0 || (code = handoff__check_once(&id, what, e)) != 0)
		return code;
	if (fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0)
		return handoff__no(e, HANDOFF_FAILURE, what, "fcntl: %s", strerror(errno));
	handoff__opened[handoff__nopened++] = id;
	*out = fd;
	return 0;
}

/* handoff__left returns the milliseconds left of timeout_ms after
 * elapsed_ms, at least 0, or HANDOFF_INFINITE. */
static long long handoff__left(long long timeout_ms, long long elapsed_ms)
{
	if (timeout_ms < 0)
		return HANDOFF_INFINITE;
	return elapsed_ms >= timeout_ms ? 0 : timeout_ms - elapsed_ms;
}

/* handoff__now_ms reads CLOCK_MONOTONIC (1) through the system call, whose
 * timespec is two longs. */
static long long handoff__now_ms(void)
{
	struct {
		long sec, nsec;
	} ts = {0, 0};
	syscall(SYS_clock_gettime, 1, &ts);
	return (long long)ts.sec * 1000 + ts.nsec / 1000000;
}

/* handoff__poll polls fds for readability until one is readable (its
 * index), or timeout_ms pass (-1); -2 if poll failed. */
static int handoff__poll(struct pollfd *fds, int n, long long timeout_ms, handoff_error *e)
{
	long long start = handoff__now_ms();
	for (;;) {
		long long left = handoff__left(timeout_ms, handoff__now_ms() - start);
		int i, r = poll(fds, (nfds_t)n, left < 0 ? -1 : left > INT32_MAX ? INT32_MAX : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return handoff__fail(e, HANDOFF_FAILURE, "poll: %s", strerror(errno)), -2;
		if (r == 0) {
			if (left >= 0 && left <= INT32_MAX)
				return -1;
			continue;
		}
		for (i = 0; i < n; i++)
			if (fds[i].revents & (POLLERR | POLLNVAL))
				return handoff__fail(e, HANDOFF_FAILURE, "poll: descriptor %d: revents %#x", fds[i].fd, fds[i].revents), -2;
		for (i = 0; i < n; i++)
			if (fds[i].revents)
				return i;
	}
}

HANDOFF_API int handoff_wait(handoff_handle ev, const handoff_handle *lifeline, long long timeout_ms, handoff_error *e)
{
	struct pollfd fds[2];
	int n = 1;
	fds[0].fd = ev;
	fds[0].events = POLLIN;
	if (lifeline != NULL) {
		fds[1].fd = *lifeline;
		fds[1].events = POLLIN;
		n++;
	}
	switch (handoff__poll(fds, n, timeout_ms, e)) {
	case 0:
		return 0;
	case 1:
		handoff__fail(e, HANDOFF_PARENT_GONE, "parent gone");
		return HANDOFF_PARENT_GONE;
	case -1:
		handoff__fail(e, HANDOFF_TIMEOUT, "timeout");
		return HANDOFF_TIMEOUT;
	}
	return HANDOFF_FAILURE;
}

HANDOFF_API int handoff_event_new(handoff_handle *h, handoff_error *e)
{
	if (h == NULL)
		return handoff__null(e, "new event", "the result");
	*h = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (*h < 0) {
		handoff__fail(e, HANDOFF_FAILURE, "eventfd: %s", strerror(errno));
		return HANDOFF_FAILURE;
	}
	return 0;
}

/* handoff_event_set adds 1 to the eventfd's counter, which makes it
 * readable; a counter already at its maximum is set, too. */
HANDOFF_API int handoff_event_set(handoff_handle h, handoff_error *e)
{
	uint64_t one = 1;
	for (;;) {
		if (write(h, &one, sizeof one) == (ssize_t)sizeof one || errno == EAGAIN)
			return 0;
		if (errno != EINTR) {
			handoff__fail(e, HANDOFF_FAILURE, "write: %s", strerror(errno));
			return HANDOFF_FAILURE;
		}
	}
}

static int handoff__pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

/* handoff__cloexec_from marks every descriptor from first up close-on-exec:
 * close_range where the kernel has CLOSE_RANGE_CLOEXEC (5.11), else one by
 * one below the limit on descriptors. It runs in the forked child, so it
 * allocates nothing. */
static void handoff__cloexec_from(int first)
{
	struct rlimit rl;
	long fd, max = 65536;
	if (syscall(SYS_close_range, (unsigned)first, ~0U, HANDOFF__CLOSE_RANGE_CLOEXEC) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)(1 << 24))
		max = (long)rl.rlim_cur;
	for (fd = first; fd < max; fd++) {
		int flags = fcntl((int)fd, F_GETFD);
		if (flags >= 0 && !(flags & FD_CLOEXEC))
			fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC);
	}
}

/* handoff__resolve finds the file to execute for name, as execvp would:
 * name itself if it has a slash, else the first executable regular file
 * of that name in $PATH. It returns 0 or an errno. */
static int handoff__resolve(const char *name, char *path, size_t n)
{
	const char *dirs = getenv("PATH"), *p, *end;
	struct stat st;
	if (strchr(name, '/') != NULL)
		return snprintf(path, n, "%s", name) >= (int)n ? ENAMETOOLONG : 0;
	if (*name == '\0')
		return ENOENT;
	for (p = dirs != NULL ? dirs : "/bin:/usr/bin";; p = end + 1) {
		size_t len;
		end = strchr(p, ':');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		/* An empty entry is the current directory. */
		if (snprintf(path, n, "%.*s%s%s", (int)len, p, len ? "/" : "", name) < (int)n && access(path, X_OK) == 0 &&
		    stat(path, &st) == 0 && S_ISREG(st.st_mode))
			return 0;
		if (end == NULL)
			return ENOENT;
	}
}

/* A start, as the start thread runs it. */
typedef struct handoff__spawn {
	const char *path;
	char **argv;
	const int *src; /* to put at 3, 4... */
	int n;
	int report; /* the write end of the pipe that reports a failed exec */
	pid_t parent;
	pid_t pid; /* fork's result */
	int err;   /* fork's errno */
	int done;
} handoff__spawn;

/* handoff__exec runs in the forked child, with every signal blocked: it
 * puts the handles at 3, 4..., marks every other descriptor close-on-exec,
 * resets the signals as posix_spawn does, asks for SIGKILL when the start
 * thread (which lives as long as the process) ends, and executes the
 * program; if that fails it writes errno to the report pipe. Only
 * async-signal-safe calls. */
static void handoff__exec(const handoff__spawn *s)
{
	int i, err = 0;
	for (i = 0; i < s->n && err == 0; i++)
		if (dup2(s->src[i], 3 + i) < 0)
			err = errno;
	if (err == 0)
		handoff__cloexec_from(3 + s->n);
	for (i = 1; i < HANDOFF__NSIG; i++)
		signal(i, SIG_DFL); /* fails, harmlessly, for SIGKILL, SIGSTOP and glibc's own */
	if (err == 0 && prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
		err = errno;
	if (err == 0 && getppid() != s->parent)
		_exit(127); /* the parent died before the signal was set */
	if (err == 0) {
		handoff__sigmask(0);
		execve(s->path, s->argv, environ);
		err = errno;
	}
	while (write(s->report, &err, sizeof err) < 0 && errno == EINTR)
		;
	_exit(127);
}

static pthread_mutex_t handoff__lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t handoff__cond = PTHREAD_COND_INITIALIZER;
static handoff__spawn *handoff__request; /* the start asked for, or NULL */
static int handoff__starter_up, handoff__atfork;

/* handoff__starter is the start thread: it forks for every start, so that
 * the children's parent-death signal follows the process, not the thread
 * that called handoff_start. It blocks every signal, never returns, and
 * holds the lock but while it waits. */
static void *handoff__starter(void *arg)
{
	(void)arg;
	handoff__sigmask(1);
	pthread_mutex_lock(&handoff__lock);
	for (;;) {
		handoff__spawn *s;
		while (handoff__request == NULL || handoff__request->done)
			pthread_cond_wait(&handoff__cond, &handoff__lock);
		s = handoff__request;
		if ((s->pid = fork()) == 0)
			handoff__exec(s);
		s->err = errno;
		s->done = 1;
		pthread_cond_broadcast(&handoff__cond);
	}
	return NULL;
}

/* handoff__forked runs in the child of any fork of this process: the start
 * thread is not there, and the lock may be held by it. */
static void handoff__forked(void)
{
	static const pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static const pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
	memcpy(&handoff__lock, &lock, sizeof lock);
	memcpy(&handoff__cond, &cond, sizeof cond);
	handoff__request = NULL;
	handoff__starter_up = 0;
}

/* handoff__spawn_run has the start thread (started the first time) fork
 * for s, and waits until it has. */
static int handoff__spawn_run(handoff__spawn *s)
{
	pthread_attr_t attr;
	pthread_t t;
	int err = 0;
	pthread_mutex_lock(&handoff__lock);
	if (!handoff__starter_up && (err = pthread_attr_init(&attr)) == 0) {
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 256 * 1024);
		if (!handoff__atfork && (err = pthread_atfork(NULL, NULL, handoff__forked)) == 0)
			handoff__atfork = 1;
		if (err == 0 && (err = pthread_create(&t, &attr, handoff__starter, NULL)) == 0)
			handoff__starter_up = 1;
		pthread_attr_destroy(&attr);
	}
	while (err == 0 && handoff__request != NULL)
		pthread_cond_wait(&handoff__cond, &handoff__lock); /* another start */
	if (err == 0) {
		handoff__request = s;
		pthread_cond_broadcast(&handoff__cond);
		while (!s->done)
			pthread_cond_wait(&handoff__cond, &handoff__lock);
		handoff__request = NULL;
		pthread_cond_broadcast(&handoff__cond);
	}
	pthread_mutex_unlock(&handoff__lock);
	return err;
}

static void handoff__close_all(int *fds, int n)
{
	int i;
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* handoff__sources makes close-on-exec copies of the handles to pass at n+3
 * and up, so that the child's dup2 to 3, 4... never lands on one of them;
 * the lifeline is a pidfd of this process. */
static int handoff__sources(handoff_child *c, const handoff_pass *pass, int npass, int *src, handoff_error *e)
{
	int i, n = c->nvalues;
	for (i = 0; i < n; i++) {
		int h = i < npass ? pass[i].h : c->ready;
		if (c->values[i].kind == HANDOFF_LIFELINE) {
			if ((h = handoff__pidfd_open(getpid())) < 0) {
				handoff__fail(e, HANDOFF_FAILURE, "handoff: pidfd_open: %s", strerror(errno));
				return handoff__close_all(src, i), HANDOFF_FAILURE;
			}
			src[i] = fcntl(h, HANDOFF__DUPFD_CLOEXEC, n + 3);
			close(h);
		} else {
			src[i] = fcntl(h, HANDOFF__DUPFD_CLOEXEC, n + 3);
		}
		if (src[i] < 0) {
			handoff__fail(e, HANDOFF_FAILURE, "handoff: name \"%s\": fcntl: %s", c->values[i].name, strerror(errno));
			return handoff__close_all(src, i), HANDOFF_FAILURE;
		}
		c->values[i].v = (unsigned long long)(3 + i);
	}
	return 0;
}

/* handoff__report_pipe makes the pipe that reports a failed exec, both ends
 * close-on-exec and at n+3 or above, out of the way of the child's dup2. */
static int handoff__report_pipe(int p[2], int n, handoff_error *e)
{
	int low[2], i;
	if (syscall(SYS_pipe2, low, HANDOFF__CLOEXEC) != 0)
		return handoff__fail(e, HANDOFF_FAILURE, "handoff: pipe2: %s", strerror(errno)), HANDOFF_FAILURE;
	for (i = 0; i < 2; i++)
		p[i] = fcntl(low[i], HANDOFF__DUPFD_CLOEXEC, n + 3);
	handoff__close_all(low, 2);
	if (p[0] < 0 || p[1] < 0) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: fcntl: %s", strerror(errno));
		return handoff__close_all(p, 2), HANDOFF_FAILURE;
	}
	return 0;
}

/* handoff__fork starts the child of s through the start thread and reads
 * the report: 0 once the program runs, else an error that names it. */
static int handoff__fork(handoff_child *c, handoff__spawn *s, handoff_error *e)
{
	int p[2], err = 0;
	ssize_t got;
	if (handoff__report_pipe(p, s->n, e) != 0)
		return HANDOFF_FAILURE;
	s->report = p[1];
	if ((err = handoff__spawn_run(s)) != 0 || s->pid < 0) {
		handoff__close_all(p, 2);
		return handoff__fail(e, HANDOFF_FAILURE, "handoff: start %s: %s: %s", c->argv[0], err ? "pthread_create" : "fork", strerror(err ? err : s->err)), HANDOFF_FAILURE;
	}
	close(p[1]);
	while ((got = read(p[0], &err, sizeof err)) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (got != 0) {
		while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
			;
		return handoff__fail(e, HANDOFF_FAILURE, "handoff: start %s: exec %s: %s", c->argv[0], s->path, got == (ssize_t)sizeof err ? strerror(err) : "lost report"), HANDOFF_FAILURE;
	}
	c->pid = (long)s->pid;
	return 0;
}

static void handoff__abort(handoff_child *c)
{
	if (c->ready >= 0)
		close(c->ready);
	if (c->process >= 0)
		close(c->process);
	c->ready = c->process = c->job = -1;
	c->pid = 0;
	handoff__free_argv(c);
}

HANDOFF_API int handoff_start(handoff_child *c, const char *const argv[], const handoff_pass *pass, int npass, int flags, handoff_error *e)
{
	int src[HANDOFF_MAX_HANDLES], code, err;
	char path[4096];
	handoff__spawn s;
	if (c == NULL)
		return handoff__null(e, "start", "the child");
	memset(c, 0, sizeof *c);
	memset(&s, 0, sizeof s);
	c->ready = c->process = c->job = -1;
	if (handoff__plan(c, argv, pass, npass, flags, e) < 0)
		return HANDOFF_USAGE;
	if ((err = handoff__resolve(argv[0], path, sizeof path)) != 0)
		return handoff__fail(e, HANDOFF_FAILURE, "handoff: start %s: executable file not found: %s", argv[0], strerror(err)), HANDOFF_FAILURE;
	if ((flags & HANDOFF_EXPECT_READY) && handoff_event_new(&c->ready, e) != 0)
		return HANDOFF_FAILURE;
	if ((code = handoff__sources(c, pass, npass, src, e)) != 0)
		return handoff__abort(c), code;
	s.path = path;
	s.src = src;
	s.n = c->nvalues;
	s.parent = getpid();
	if ((code = handoff__finish(c, argv, e)) == 0) {
		s.argv = c->argv;
		code = handoff__fork(c, &s, e);
	}
	handoff__close_all(src, s.n);
	if (code == 0 && (c->process = handoff__pidfd_open(s.pid)) < 0) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: pidfd_open: %s", strerror(errno));
		syscall(SYS_kill, s.pid, SIGKILL);
		while (waitpid(s.pid, NULL, 0) < 0 && errno == EINTR)
			;
		code = HANDOFF_FAILURE;
	}
	if (code != 0)
		handoff__abort(c);
	return code;
}

HANDOFF_API int handoff_wait_ready(handoff_child *c, long long timeout_ms, handoff_error *e)
{
	struct pollfd fds[2];
	int code;
	if ((code = handoff__no_child(c, "wait for ready", e)) != 0)
		return code;
	if (c->ready < 0)
		return handoff__fail(e, HANDOFF_USAGE, "handoff: no ready event"), HANDOFF_USAGE;
	fds[0].fd = c->ready;
	fds[0].events = POLLIN;
	fds[1].fd = c->process;
	fds[1].events = POLLIN;
	switch (handoff__poll(fds, 2, timeout_ms, e)) {
	case 0:
		return 0;
	case 1:
		handoff__fail(e, HANDOFF_CHILD_FAILED, "child %ld exited before it was ready", c->pid);
		return HANDOFF_CHILD_FAILED;
	case -1:
		handoff__fail(e, HANDOFF_TIMEOUT, "timeout: child %ld was not ready in time", c->pid);
		return HANDOFF_TIMEOUT;
	}
	return HANDOFF_FAILURE;
}

/* handoff__reap waits for the child's exit status and records it. */
static int handoff__reap(handoff_child *c, handoff_error *e)
{
	int status;
	pid_t r;
	while ((r = waitpid((pid_t)c->pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (r < 0)
		return handoff__fail(e, HANDOFF_FAILURE, "waitpid: %s", strerror(errno)), HANDOFF_FAILURE;
	c->exited = 1;
	c->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	c->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	return 0;
}

HANDOFF_API int handoff_wait_child(handoff_child *c, long long timeout_ms, handoff_error *e)
{
	struct pollfd fd;
	int code;
	if ((code = handoff__no_child(c, "wait for child", e)) != 0 || c->exited)
		return code;
	fd.fd = c->process;
	fd.events = POLLIN;
	switch (handoff__poll(&fd, 1, timeout_ms, e)) {
	case -1:
		handoff__fail(e, HANDOFF_TIMEOUT, "timeout");
		return HANDOFF_TIMEOUT;
	case -2:
		return HANDOFF_FAILURE;
	}
	return handoff__reap(c, e);
}

HANDOFF_API void handoff_kill(handoff_child *c)
{
	/* Through the pidfd: never a process that took a reaped child's pid. */
	if (c != NULL && c->pid > 0 && !c->exited)
		syscall(SYS_pidfd_send_signal, c->process, SIGKILL, NULL, 0);
}

HANDOFF_API void handoff_child_release(handoff_child *c)
{
	if (c == NULL || c->pid <= 0)
		return;
	if (!c->exited) {
		handoff_kill(c);
		handoff__reap(c, NULL);
	}
	handoff__abort(c);
}

#ifdef __cplusplus
}
#endif

#endif /* platforms */
#endif /* HANDOFF_IMPLEMENTATION */
