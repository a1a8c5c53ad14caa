/*
 * handoff.h - the handoff protocol in C: pass an unnamed event from a parent
 * to the child it starts by handle inheritance, and let the child check
 * what it got before it trusts it. The protocol is docs/protocol.md; this
 * header keeps it as the Go package github.com/handoff/handoff does.
 *
 * One header, C99, usable from C and C++, nothing beyond the platform's own
 * libraries: Windows (kernel32, which every program links; what ntdll and
 * kernelbase offer is loaded at run time with GetProcAddress) and Linux
 * (eventfd, pidfd; kernel 5.3 or later). The pipe backend's platforms
 * (macOS, the BSDs) may follow; elsewhere the header does not compile.
 *
 * Use: in exactly one source file of a program,
 *
 *     #define HANDOFF_IMPLEMENTATION
 *     #include "handoff.h"
 *
 * and include it plainly elsewhere. On Linux include it before any system
 * header, or define _GNU_SOURCE yourself: it needs syscall() and pipe2().
 *
 * Child side:
 *
 *     int main(int argc, char **argv) {
 *         handoff_error e;
 *         handoff_handle ev, parent;
 *         handoff_init();              // first thing (Linux: see below)
 *         if (handoff_open(argv[1], HANDOFF_EVENT, &ev, &e) != 0 ||
 *             handoff_open(argv[2], HANDOFF_LIFELINE, &parent, &e) != 0)
 *             return fprintf(stderr, "%s\n", e.text), e.code;
 *         switch (handoff_wait(ev, &parent, 30000, &e)) { ... }
 *     }
 *
 * Every function that can fail returns 0 or one of the HANDOFF_* codes
 * below, which are also the exit codes of a child that follows the
 * convention, and fills a handoff_error with the code and a message that
 * names what failed, as "handoff: event 12345: not an inherited handle: no
 * such descriptor".
 *
 * Limits of this header against the Go package: a handles argument of at
 * most HANDOFF_MAX_HANDLES entries, names of at most 63 bytes and values of
 * at most 31 characters (longer ones are refused as bad values); the
 * parent fills placeholders in the child's arguments, not in its
 * environment; it passes events, ready objects and the lifeline it makes
 * itself, and any handle the caller gives under a kind. A child may open
 * and verify every kind, but this header only waits on and sets events.
 */
#ifndef HANDOFF_H
#define HANDOFF_H

#if defined(_WIN32)
#ifndef _WIN32_WINNT
#define _WIN32_WINNT 0x0A00
#endif
#include <windows.h>
typedef HANDLE handoff_handle;
#define HANDOFF_NO_HANDLE ((HANDLE)NULL)
#elif defined(__linux__)
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
typedef int handoff_handle;
#define HANDOFF_NO_HANDLE (-1)
#else
#error "handoff.h supports Windows and Linux; the pipe backend's platforms (macOS, the BSDs) may follow"
#endif

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef HANDOFF_API
#define HANDOFF_API extern
#endif

/* Results, and the exit codes of a child (and parent) that follow the
 * convention. */
enum {
	HANDOFF_OK = 0,
	HANDOFF_FAILURE = 1,       /* a system call failed */
	HANDOFF_USAGE = 2,         /* bad flags or arguments */
	HANDOFF_BAD_VALUE = 3,     /* a value or handles argument not well formed */
	HANDOFF_NOT_INHERITED = 4, /* names no inherited handle, or no handle passed under a name */
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
	char value[32];     /* as written */
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

/* handoff_close closes h; HANDOFF_NO_HANDLE is ignored. */
HANDOFF_API void handoff_close(handoff_handle h);

/* handoff_value_of returns the number a value names: the handle (Windows)
 * or descriptor (Linux). */
HANDOFF_API unsigned long long handoff_value_of(handoff_handle h);

/* ---- child side ---- */

/* handoff_init records the descriptors this process inherited (Linux): call
 * it first in main, before the program opens anything, so that a
 * descriptor it opens itself without close-on-exec, or an inherited number
 * that was closed and reused, does not pass for an inherited one. If it was
 * not called, the first handoff_open calls it. On Windows it does nothing. */
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
 * an object of kind want (for the lifeline: on its parent process), then
 * makes it not inheritable and stores it in *h. The caller owns it. Results:
 * HANDOFF_BAD_VALUE, HANDOFF_NOT_INHERITED, HANDOFF_WRONG_TYPE,
 * HANDOFF_PARENT_GONE (a lifeline on another process), HANDOFF_FAILURE. */
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

/* handoff_parent_pid returns the pid of this process's parent as the system
 * sees it (Windows: the broker of a handoff parent). */
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

/* A child started by handoff_start. */
typedef struct handoff_child {
	long pid;
	char **argv;           /* the arguments, placeholders filled */
	int nvalues;
	handoff_entry values[HANDOFF_MAX_HANDLES]; /* name, kind, child-side value */
	char handles[HANDOFF_MAX_HANDLES * 112];   /* the handles argument */
	handoff_handle ready;  /* the parent's ready event, HANDOFF_NO_HANDLE if none */
	int exited;            /* after handoff_wait_child: it ended */
	int exit_code;         /* its exit code, if it exited */
	int signal;            /* Linux: the signal that ended it, 0 if none */
#ifdef _WIN32
	HANDLE process, job, broker;
#else
	int pidfd;
#endif
} handoff_child;

/* handoff_start starts argv[0] (found on PATH as execvp and CreateProcess
 * do) with exactly the handles listed in pass, a ready event if flags has
 * HANDOFF_EXPECT_READY, and a lifeline if an argument names {parent} or
 * {handles}, nothing else but the standard handles. In the arguments it
 * replaces {name} with the child-side value of the handle passed under
 * name, {parent} with the lifeline's, {ready} with the ready event's and
 * {handles} with the handles argument. Each passed name and the ready event
 * must be named by {name} or {handles} in some argument.
 *
 * Windows: a kill-on-close job and a broker in it (this executable,
 * suspended, never resumed) that holds inheritable duplicates of the
 * handles; the child is created with the broker as its parent and exactly
 * those in its handle list, so no handle is ever inheritable in this
 * process. Linux: the handles at 3, 4..., every other descriptor
 * close-on-exec in the child, a pidfd of this process as the lifeline and
 * SIGKILL as the parent-death signal. The child dies with this process.
 *
 * After success call handoff_wait_child until it reports the exit, then
 * handoff_child_release. */
HANDOFF_API int handoff_start(handoff_child *c, char *const argv[], const handoff_pass *pass, int npass, int flags, handoff_error *e);

/* handoff_child_value returns the child-side value of the handle passed
 * under name ("parent" and "ready" included), or -1 if there is none. */
HANDOFF_API long long handoff_child_value(const handoff_child *c, const char *name);

/* handoff_wait_ready waits until the child signals its ready event (0),
 * exits first (HANDOFF_CHILD_FAILED), or timeout_ms pass (HANDOFF_TIMEOUT). */
HANDOFF_API int handoff_wait_ready(handoff_child *c, long long timeout_ms, handoff_error *e);

/* handoff_wait_child waits until the child exits (0: c->exited, c->exit_code
 * and c->signal tell how) or timeout_ms pass (HANDOFF_TIMEOUT: it still
 * runs). */
HANDOFF_API int handoff_wait_child(handoff_child *c, long long timeout_ms, handoff_error *e);

/* handoff_kill ends the child. */
HANDOFF_API void handoff_kill(handoff_child *c);

/* handoff_child_release releases what handoff_start kept: the ready event,
 * the arguments, and (Windows) the broker and the job, whose closing ends
 * whatever the child left behind. */
HANDOFF_API void handoff_child_release(handoff_child *c);

#ifdef __cplusplus
}
#endif

/* ======================================================================== */

#ifdef HANDOFF_IMPLEMENTATION

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

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

HANDOFF_API const char *handoff_kind_name(int kind)
{
	if (kind < 0 || kind >= (int)(sizeof handoff__kinds / sizeof handoff__kinds[0]))
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

/* handoff__value parses s[0:n]; it returns NULL or why not. */
static const char *handoff__value(const char *s, size_t n, unsigned long long *v)
{
	unsigned base = 10;
	unsigned long long x = 0;
	size_t i = 0, ndigits;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	ndigits = n - i;
	if (ndigits == 0)
		return "no digits";
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
	if (base == 10 && ndigits > 1 && s[0] == '0')
		return "leading zero";
	if (x > 0xFFFFFFFFull)
		return "does not fit in 32 bits";
	if (x == 0)
		return "zero";
	if (x == 0xFFFFFFFFull)
		return "INVALID_HANDLE_VALUE";
	if (HANDOFF__ALIGN > 1 && x % HANDOFF__ALIGN != 0)
		return HANDOFF__ALIGN == 4 ? "not a multiple of 4" : "misaligned";
	*v = x;
	return NULL;
}

HANDOFF_API int handoff_parse_value(const char *s, unsigned long long *v, handoff_error *e)
{
	const char *why = handoff__value(s, strlen(s), v);
	if (why != NULL) {
		handoff__fail(e, HANDOFF_BAD_VALUE, "handoff: value \"%s\": bad handle value: %s", s, why);
		return HANDOFF_BAD_VALUE;
	}
	return 0;
}

HANDOFF_API int handoff_parse_handles(const char *s, handoff_handles *hs, handoff_error *e)
{
	const char *p = s;
	int i = 0, j;
	hs->n = 0;
#define HANDOFF__BAD(...)                                                                       \
	do {                                                                                    \
		char why_[256];                                                                 \
		snprintf(why_, sizeof why_, __VA_ARGS__);                                       \
		handoff__fail(e, HANDOFF_BAD_VALUE, "handoff: handles argument \"%s\": bad handle value: %s", s, why_); \
		hs->n = 0;                                                                      \
		return HANDOFF_BAD_VALUE;                                                       \
	} while (0)
	if (*s == '\0')
		HANDOFF__BAD("empty");
	for (;;) {
		const char *end = strchr(p, ','), *eq, *colon, *why;
		size_t len = end ? (size_t)(end - p) : strlen(p), nlen, klen, vlen;
		handoff_entry *en;
		int k = -1;
		i++;
		eq = (const char *)memchr(p, '=', len);
		if (eq == NULL)
			HANDOFF__BAD("entry %d (\"%.*s\"): no '='", i, (int)len, p);
		nlen = (size_t)(eq - p);
		if (!handoff__valid_name(p, nlen))
			HANDOFF__BAD("entry %d (\"%.*s\"): invalid name \"%.*s\"", i, (int)len, p, (int)nlen, p);
		colon = (const char *)memchr(eq + 1, ':', len - nlen - 1);
		if (colon == NULL)
			HANDOFF__BAD("entry %d (\"%.*s\"): no ':' between kind and value", i, (int)len, p);
		klen = (size_t)(colon - eq - 1);
		for (j = 0; j < (int)(sizeof handoff__kinds / sizeof handoff__kinds[0]); j++)
			if (strlen(handoff__kinds[j]) == klen && memcmp(handoff__kinds[j], eq + 1, klen) == 0)
				k = j;
		if (k < 0)
			HANDOFF__BAD("entry %d (\"%.*s\"): unknown kind \"%.*s\"", i, (int)len, p, (int)klen, eq + 1);
		vlen = len - nlen - 1 - klen - 1;
		if (hs->n == HANDOFF_MAX_HANDLES)
			HANDOFF__BAD("more than %d entries", HANDOFF_MAX_HANDLES);
		en = &hs->entry[hs->n];
		why = handoff__value(colon + 1, vlen, &en->v);
		if (why != NULL)
			HANDOFF__BAD("entry %d (\"%.*s\"): value \"%.*s\": %s", i, (int)len, p, (int)vlen, colon + 1, why);
		if (nlen >= sizeof en->name || vlen >= sizeof en->value)
			HANDOFF__BAD("entry %d: name or value too long for this implementation", i);
		for (j = 0; j < hs->n; j++) {
			if (strlen(hs->entry[j].name) == nlen && memcmp(hs->entry[j].name, p, nlen) == 0)
				HANDOFF__BAD("name \"%.*s\" listed twice", (int)nlen, p);
			if (hs->entry[j].v == en->v)
				HANDOFF__BAD("value %.*s listed for both \"%s\" and \"%.*s\"", (int)vlen, colon + 1, hs->entry[j].name, (int)nlen, p);
		}
		memcpy(en->name, p, nlen);
		en->name[nlen] = '\0';
		memcpy(en->value, colon + 1, vlen);
		en->value[vlen] = '\0';
		en->kind = k;
		hs->n++;
		if (end == NULL)
			break;
		p = end + 1;
	}
#undef HANDOFF__BAD
	return 0;
}

HANDOFF_API const handoff_entry *handoff_lookup(const handoff_handles *hs, const char *name)
{
	int i;
	for (i = 0; hs != NULL && i < hs->n; i++)
		if (strcmp(hs->entry[i].name, name) == 0)
			return &hs->entry[i];
	return NULL;
}

HANDOFF_API int handoff_open_name(const handoff_handles *hs, const char *name, int want, handoff_handle *h, handoff_error *e)
{
	const handoff_entry *en = handoff_lookup(hs, name);
	int code;
	*h = HANDOFF_NO_HANDLE;
	if (en == NULL) {
		handoff__fail(e, HANDOFF_NOT_INHERITED, "handoff: %s \"%s\": no handle passed under that name", handoff_kind_name(want), name);
		return HANDOFF_NOT_INHERITED;
	}
	if (en->kind != want) {
		handoff__fail(e, HANDOFF_WRONG_TYPE, "handoff: %s \"%s\": wrong type of object: listed as a %s", handoff_kind_name(want), name, handoff_kind_name(en->kind));
		return HANDOFF_WRONG_TYPE;
	}
	code = handoff_open(en->value, want, h, e);
	if (code != 0 && e != NULL) {
		/* "handoff: event 3: ..." becomes "handoff: event "event": event 3: ..." */
		char prefix[128];
		if (strncmp(e->text, "handoff: ", 9) == 0)
			memmove(e->text, e->text + 9, strlen(e->text + 9) + 1);
		snprintf(prefix, sizeof prefix, "handoff: %s \"%s\": ", handoff_kind_name(want), name);
		handoff__wrap(e, prefix);
	}
	return code;
}

/* handoff__fill writes arg with the placeholders replaced into a new string. */
static char *handoff__fill(const char *arg, const handoff_child *c)
{
	size_t cap = strlen(arg) + 1, n = 0;
	char *out;
	const char *p;
	int i;
	for (p = arg; *p; p++)
		if (*p == '{')
			cap += sizeof c->handles;
	out = (char *)malloc(cap);
	if (out == NULL)
		return NULL;
	for (p = arg; *p;) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;
		int done = 0;
		if (close != NULL) {
			size_t len = (size_t)(close - p - 1);
			if (len == strlen(HANDOFF_HANDLES_NAME) && memcmp(p + 1, HANDOFF_HANDLES_NAME, len) == 0) {
				n += (size_t)sprintf(out + n, "%s", c->handles);
				done = 1;
			}
			for (i = 0; !done && i < c->nvalues; i++) {
				if (strlen(c->values[i].name) == len && memcmp(c->values[i].name, p + 1, len) == 0) {
					n += (size_t)sprintf(out + n, "%s", c->values[i].value);
					done = 1;
				}
			}
		}
		if (done)
			p = close + 1;
		else
			out[n++] = *p++;
	}
	out[n] = '\0';
	return out;
}

/* handoff__names reports whether some argument contains {name}. */
static int handoff__names(char *const argv[], const char *name)
{
	char ph[80];
	int i;
	snprintf(ph, sizeof ph, "{%s}", name);
	for (i = 0; argv[i] != NULL; i++)
		if (strstr(argv[i], ph) != NULL)
			return 1;
	return 0;
}

/* handoff__plan checks the names to pass and records them in c; the values
 * follow once known. It returns whether a lifeline is needed, or -1. */
static int handoff__plan(handoff_child *c, char *const argv[], const handoff_pass *pass, int npass, int flags, handoff_error *e)
{
	int i, j, list = handoff__names(argv, HANDOFF_HANDLES_NAME);
	int lifeline = list || handoff__names(argv, HANDOFF_LIFELINE_NAME);
	if (argv == NULL || argv[0] == NULL) {
		handoff__fail(e, HANDOFF_USAGE, "handoff: no command");
		return -1;
	}
	if (npass + 2 > HANDOFF_MAX_HANDLES) {
		handoff__fail(e, HANDOFF_USAGE, "handoff: more than %d handles", HANDOFF_MAX_HANDLES - 2);
		return -1;
	}
	for (i = 0; i < npass; i++) {
		const char *name = pass[i].name;
		if (name == NULL || strlen(name) >= sizeof c->values[0].name || !handoff__valid_name(name, strlen(name))) {
			handoff__fail(e, HANDOFF_USAGE, "handoff: invalid name \"%s\"", name ? name : "(null)");
			return -1;
		}
		if (strcmp(name, HANDOFF_LIFELINE_NAME) == 0 || strcmp(name, HANDOFF_READY_NAME) == 0 || strcmp(name, HANDOFF_HANDLES_NAME) == 0) {
			handoff__fail(e, HANDOFF_USAGE, "handoff: name \"%s\" is reserved", name);
			return -1;
		}
		if (handoff_kind_name(pass[i].kind) == NULL || pass[i].kind == HANDOFF_LIFELINE || pass[i].kind == HANDOFF_READY) {
			handoff__fail(e, HANDOFF_USAGE, "handoff: name \"%s\": kind %d cannot be passed", name, pass[i].kind);
			return -1;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(pass[j].name, name) == 0) {
				handoff__fail(e, HANDOFF_USAGE, "handoff: name \"%s\" passed twice", name);
				return -1;
			}
		}
		if (!list && !handoff__names(argv, name)) {
			handoff__fail(e, HANDOFF_USAGE, "handoff: no argument of %s names {%s} or {%s}", argv[0], name, HANDOFF_HANDLES_NAME);
			return -1;
		}
		strcpy(c->values[i].name, name);
		c->values[i].kind = pass[i].kind;
	}
	c->nvalues = npass;
	if (flags & HANDOFF_EXPECT_READY) {
		if (!list && !handoff__names(argv, HANDOFF_READY_NAME)) {
			handoff__fail(e, HANDOFF_USAGE, "handoff: ready expected, but no argument of %s names {%s} or {%s}", argv[0], HANDOFF_READY_NAME, HANDOFF_HANDLES_NAME);
			return -1;
		}
		strcpy(c->values[c->nvalues].name, HANDOFF_READY_NAME);
		c->values[c->nvalues++].kind = HANDOFF_READY;
	}
	if (lifeline) {
		strcpy(c->values[c->nvalues].name, HANDOFF_LIFELINE_NAME);
		c->values[c->nvalues++].kind = HANDOFF_LIFELINE;
	}
	return lifeline;
}

/* handoff__finish records the values, writes the handles argument and fills
 * the arguments. */
static int handoff__finish(handoff_child *c, char *const argv[], handoff_error *e)
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
	c->argv = (char **)calloc((size_t)argc + 1, sizeof *c->argv);
	if (c->argv == NULL) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: out of memory");
		return HANDOFF_FAILURE;
	}
	for (i = 0; i < argc; i++) {
		if ((c->argv[i] = handoff__fill(argv[i], c)) == NULL) {
			handoff__fail(e, HANDOFF_FAILURE, "handoff: out of memory");
			return HANDOFF_FAILURE;
		}
	}
	return 0;
}

HANDOFF_API long long handoff_child_value(const handoff_child *c, const char *name)
{
	int i;
	for (i = 0; i < c->nvalues; i++)
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

#ifdef __cplusplus
}
#endif

#if defined(_WIN32)
/* ------------------------------------------------------------- Windows -- */

#ifndef PROC_THREAD_ATTRIBUTE_JOB_LIST
#define PROC_THREAD_ATTRIBUTE_JOB_LIST 0x2000D
#endif

#ifdef __cplusplus
extern "C" {
#endif

HANDOFF_API void handoff_init(void) {}

HANDOFF_API void handoff_close(handoff_handle h)
{
	if (h != NULL && h != INVALID_HANDLE_VALUE)
		CloseHandle(h);
}

HANDOFF_API unsigned long long handoff_value_of(handoff_handle h) { return (unsigned long long)(ULONG_PTR)h; }

typedef LONG(NTAPI *handoff__NtQueryObject)(HANDLE, ULONG, PVOID, ULONG, PULONG);
typedef LONG(NTAPI *handoff__NtQueryInformationProcess)(HANDLE, ULONG, PVOID, ULONG, PULONG);

/* handoff__ntdll returns the address of an ntdll function, loaded at run
 * time, as every program has ntdll mapped. */
static FARPROC handoff__ntdll(const char *name)
{
	HMODULE m = GetModuleHandleW(L"ntdll.dll");
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
	FARPROC f = handoff__ntdll("NtQueryObject");
	memcpy(&query, &f, sizeof query);
	if (query == NULL) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: %s: ntdll has no NtQueryObject", what);
		return HANDOFF_FAILURE;
	}
	status = query(h, 2 /* ObjectTypeInformation */, buf, (ULONG)sizeof buf, &got);
	if (status < 0) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: %s: NtQueryObject: NTSTATUS 0x%08lx", what, (unsigned long)status);
		return HANDOFF_FAILURE;
	}
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
	FARPROC f = handoff__ntdll("NtQueryInformationProcess");
	memcpy(&query, &f, sizeof query);
	if (query == NULL || query(GetCurrentProcess(), 0 /* ProcessBasicInformation */, &info, (ULONG)sizeof info, NULL) < 0)
		return -1;
	return (long)info.InheritedFromUniqueProcessId;
}

HANDOFF_API int handoff_open(const char *value, int want, handoff_handle *out, handoff_error *e)
{
	unsigned long long v;
	DWORD flags;
	HANDLE h;
	char typ[64], what[64];
	const char *kind = handoff_kind_name(want), *expect;
	int code;
	*out = NULL;
	if (kind == NULL) {
		handoff__fail(e, HANDOFF_USAGE, "handoff: unknown kind %d", want);
		return HANDOFF_USAGE;
	}
	if ((code = handoff_parse_value(value, &v, e)) != 0)
		return code;
	h = (HANDLE)(ULONG_PTR)v;
	snprintf(what, sizeof what, "%s %s", kind, value);
	if (!GetHandleInformation(h, &flags)) {
		handoff__fail(e, HANDOFF_NOT_INHERITED, "handoff: %s: not an inherited handle: no such handle: GetHandleInformation: error %lu", what, GetLastError());
		return HANDOFF_NOT_INHERITED;
	}
	if (!(flags & HANDLE_FLAG_INHERIT)) {
		handoff__fail(e, HANDOFF_NOT_INHERITED, "handoff: %s: not an inherited handle: handle is not inheritable: one of this process's own", what);
		return HANDOFF_NOT_INHERITED;
	}
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
	if (want == HANDOFF_LIFELINE) {
		DWORD pid = GetProcessId(h);
		long ppid;
		if (pid == 0 && GetLastError() == ERROR_ACCESS_DENIED) {
			handoff__fail(e, HANDOFF_WRONG_TYPE, "handoff: %s: wrong type of object: process handle lacks PROCESS_QUERY_LIMITED_INFORMATION access", what);
			return HANDOFF_WRONG_TYPE;
		}
		if (pid == 0) {
			handoff__fail(e, HANDOFF_FAILURE, "handoff: %s: GetProcessId: error %lu", what, GetLastError());
			return HANDOFF_FAILURE;
		}
		if ((ppid = handoff_parent_pid()) < 0) {
			handoff__fail(e, HANDOFF_FAILURE, "handoff: %s: NtQueryInformationProcess failed", what);
			return HANDOFF_FAILURE;
		}
		if ((long)pid != ppid) {
			handoff__fail(e, HANDOFF_PARENT_GONE, "handoff: %s: parent gone: handle names process %lu, parent is %ld", what, (unsigned long)pid, ppid);
			return HANDOFF_PARENT_GONE;
		}
	}
	if (!SetHandleInformation(h, HANDLE_FLAG_INHERIT, 0)) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: %s: SetHandleInformation: error %lu", what, GetLastError());
		return HANDOFF_FAILURE;
	}
	*out = h;
	return 0;
}

static DWORD handoff__ms(long long timeout_ms)
{
	if (timeout_ms < 0)
		return INFINITE;
	return timeout_ms >= (long long)INFINITE ? INFINITE - 1 : (DWORD)timeout_ms;
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
	if (r == WAIT_FAILED)
		handoff__fail(e, HANDOFF_FAILURE, "WaitForMultipleObjects: error %lu", GetLastError());
	else if (r >= WAIT_ABANDONED_0 && r < WAIT_ABANDONED_0 + n)
		handoff__fail(e, HANDOFF_FAILURE, "WaitForMultipleObjects: abandoned mutex %lu", (unsigned long)(r - WAIT_ABANDONED_0));
	else
		handoff__fail(e, HANDOFF_FAILURE, "WaitForMultipleObjects: unexpected result 0x%lx", (unsigned long)r);
	return HANDOFF_FAILURE;
}

HANDOFF_API int handoff_event_new(handoff_handle *h, handoff_error *e)
{
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

/* handoff__quote appends arg to the command line at *p as the C runtime's
 * argument parser reads it back (CommandLineToArgvW's rules). */
static void handoff__quote(wchar_t **p, const char *arg)
{
	wchar_t *o = *p;
	size_t i, slashes = 0;
	int quote = arg[0] == '\0' || strpbrk(arg, " \t\n\v\"") != NULL;
	if (quote)
		*o++ = L'"';
	for (i = 0; arg[i]; i++) {
		char ch = arg[i];
		if (ch == '\\') {
			slashes++;
		} else if (ch == '"') {
			for (; slashes > 0; slashes--)
				*o++ = L'\\';
			*o++ = L'\\';
		} else {
			slashes = 0;
		}
		*o++ = (wchar_t)(unsigned char)ch;
	}
	if (quote) {
		for (; slashes > 0; slashes--)
			*o++ = L'\\';
		*o++ = L'"';
	}
	*p = o;
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

/* handoff__attrs makes an attribute list of n entries. */
static LPPROC_THREAD_ATTRIBUTE_LIST handoff__attrs(DWORD n, handoff_error *e)
{
	SIZE_T size = 0;
	LPPROC_THREAD_ATTRIBUTE_LIST a;
	InitializeProcThreadAttributeList(NULL, n, 0, &size);
	a = (LPPROC_THREAD_ATTRIBUTE_LIST)malloc(size);
	if (a == NULL || !InitializeProcThreadAttributeList(a, n, 0, &size)) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: InitializeProcThreadAttributeList: error %lu", GetLastError());
		free(a);
		return NULL;
	}
	return a;
}

static void handoff__attrs_free(LPPROC_THREAD_ATTRIBUTE_LIST a)
{
	if (a != NULL) {
		DeleteProcThreadAttributeList(a);
		free(a);
	}
}

/* handoff__broker starts the broker in job: this executable, suspended and
 * never resumed, so that it runs no instruction, detached from any console,
 * inheriting nothing, born in the job. */
static int handoff__broker(handoff_child *c, handoff_error *e)
{
	wchar_t exe[32768], *cmdline;
	STARTUPINFOEXW si;
	PROCESS_INFORMATION pi;
	DWORD n = GetModuleFileNameW(NULL, exe, 32768);
	LPPROC_THREAD_ATTRIBUTE_LIST attrs;
	BOOL ok;
	if (n == 0 || n >= 32768) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: starting the broker: GetModuleFileName: error %lu", GetLastError());
		return HANDOFF_FAILURE;
	}
	if ((attrs = handoff__attrs(1, e)) == NULL)
		return HANDOFF_FAILURE;
	if (!UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_JOB_LIST, &c->job, sizeof c->job, NULL, NULL)) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: starting the broker: UpdateProcThreadAttribute: error %lu", GetLastError());
		handoff__attrs_free(attrs);
		return HANDOFF_FAILURE;
	}
	cmdline = (wchar_t *)malloc((n + 3) * sizeof *cmdline);
	if (cmdline == NULL) {
		handoff__attrs_free(attrs);
		handoff__fail(e, HANDOFF_FAILURE, "handoff: out of memory");
		return HANDOFF_FAILURE;
	}
	swprintf(cmdline, n + 3, L"\"%ls\"", exe);
	memset(&si, 0, sizeof si);
	si.StartupInfo.cb = sizeof si;
	si.lpAttributeList = attrs;
	ok = CreateProcessW(exe, cmdline, NULL, NULL, FALSE, CREATE_SUSPENDED | DETACHED_PROCESS | EXTENDED_STARTUPINFO_PRESENT,
			    NULL, NULL, &si.StartupInfo, &pi);
	free(cmdline);
	handoff__attrs_free(attrs);
	if (!ok) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: starting the broker: CreateProcess: error %lu", GetLastError());
		return HANDOFF_FAILURE;
	}
	CloseHandle(pi.hThread);
	c->broker = pi.hProcess;
	return 0;
}

static void handoff__abort(handoff_child *c)
{
	if (c->broker != NULL) {
		TerminateProcess(c->broker, 0);
		CloseHandle(c->broker);
		c->broker = NULL;
	}
	if (c->job != NULL) {
		CloseHandle(c->job);
		c->job = NULL;
	}
	handoff_close(c->ready);
	c->ready = NULL;
	handoff__free_argv(c);
}

HANDOFF_API int handoff_start(handoff_child *c, char *const argv[], const handoff_pass *pass, int npass, int flags, handoff_error *e)
{
	HANDLE list[HANDOFF_MAX_HANDLES + 3], self = GetCurrentProcess();
	DWORD std[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
	HANDLE *stdh[3];
	STARTUPINFOEXW si;
	PROCESS_INFORMATION pi;
	LPPROC_THREAD_ATTRIBUTE_LIST attrs = NULL;
	wchar_t *cmdline = NULL, *p;
	size_t len = 0;
	int i, n = 0, lifeline, code = HANDOFF_FAILURE;
	memset(c, 0, sizeof *c);
	if ((lifeline = handoff__plan(c, argv, pass, npass, flags, e)) < 0)
		return HANDOFF_USAGE;
	if ((flags & HANDOFF_EXPECT_READY) && handoff_event_new(&c->ready, e) != 0)
		return HANDOFF_FAILURE;
	if ((c->job = handoff__job(e)) == NULL || handoff__broker(c, e) != 0)
		goto fail;
	/* Each handle, inheritable, into the broker; the child inherits the
	 * broker's copies, under the broker's values. */
	for (i = 0; i < c->nvalues; i++) {
		HANDLE src = i < npass ? pass[i].h : c->values[i].kind == HANDOFF_READY ? c->ready : c->broker, d;
		DWORD access = 0, options = DUPLICATE_SAME_ACCESS;
		if (c->values[i].kind == HANDOFF_LIFELINE) {
			access = SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION;
			options = 0;
		}
		if (!DuplicateHandle(self, src, c->broker, &d, access, TRUE, options)) {
			handoff__fail(e, HANDOFF_FAILURE, "handoff: name \"%s\": DuplicateHandle: error %lu", c->values[i].name, GetLastError());
			goto fail;
		}
		c->values[i].v = (unsigned long long)(ULONG_PTR)d;
		list[n++] = d;
	}
	memset(&si, 0, sizeof si);
	si.StartupInfo.cb = sizeof si;
	si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
	stdh[0] = &si.StartupInfo.hStdInput;
	stdh[1] = &si.StartupInfo.hStdOutput;
	stdh[2] = &si.StartupInfo.hStdError;
	for (i = 0; i < 3; i++) {
		HANDLE h = GetStdHandle(std[i]), d;
		if (h == NULL || h == INVALID_HANDLE_VALUE)
			continue;
		if (!DuplicateHandle(self, h, c->broker, &d, 0, TRUE, DUPLICATE_SAME_ACCESS))
			continue; /* not a handle that can be duplicated: the child goes without */
		*stdh[i] = d;
		list[n++] = d;
	}
	if ((code = handoff__finish(c, argv, e)) != 0)
		goto fail;
	code = HANDOFF_FAILURE;
	for (i = 0; c->argv[i] != NULL; i++)
		len += 2 * strlen(c->argv[i]) + 3;
	if ((cmdline = (wchar_t *)malloc((len + 1) * sizeof *cmdline)) == NULL) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: out of memory");
		goto fail;
	}
	for (p = cmdline, i = 0; c->argv[i] != NULL; i++) {
		if (i > 0)
			*p++ = L' ';
		handoff__quote(&p, c->argv[i]);
	}
	*p = L'\0';
	if ((attrs = handoff__attrs(2, e)) == NULL)
		goto fail;
	if (!UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_PARENT_PROCESS, &c->broker, sizeof c->broker, NULL, NULL) ||
	    (n > 0 && !UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, list, (SIZE_T)n * sizeof list[0], NULL, NULL))) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: UpdateProcThreadAttribute: error %lu", GetLastError());
		goto fail;
	}
	si.lpAttributeList = attrs;
	if (!CreateProcessW(NULL, cmdline, NULL, NULL, TRUE, EXTENDED_STARTUPINFO_PRESENT, NULL, NULL, &si.StartupInfo, &pi)) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: start %s: CreateProcess: error %lu", c->argv[0], GetLastError());
		goto fail;
	}
	CloseHandle(pi.hThread);
	c->process = pi.hProcess;
	c->pid = (long)pi.dwProcessId;
	free(cmdline);
	handoff__attrs_free(attrs);
	return 0;
fail:
	free(cmdline);
	handoff__attrs_free(attrs);
	handoff__abort(c);
	return code;
}

HANDOFF_API int handoff_wait_ready(handoff_child *c, long long timeout_ms, handoff_error *e)
{
	HANDLE hs[2];
	DWORD r;
	hs[0] = c->ready;
	hs[1] = c->process;
	if (c->ready == NULL) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: no ready event");
		return HANDOFF_FAILURE;
	}
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
	handoff__fail(e, HANDOFF_FAILURE, "WaitForMultipleObjects: result 0x%lx, error %lu", (unsigned long)r, GetLastError());
	return HANDOFF_FAILURE;
}

HANDOFF_API int handoff_wait_child(handoff_child *c, long long timeout_ms, handoff_error *e)
{
	DWORD code = 0, r = WaitForSingleObject(c->process, handoff__ms(timeout_ms));
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
	/* The child is gone: end the broker, which closes every handle it held
	 * for the child (the standard handles' copies among them). */
	if (c->broker != NULL) {
		TerminateProcess(c->broker, 0);
		CloseHandle(c->broker);
		c->broker = NULL;
	}
	return 0;
}

HANDOFF_API void handoff_kill(handoff_child *c)
{
	if (c->process != NULL)
		TerminateProcess(c->process, 1);
}

HANDOFF_API void handoff_child_release(handoff_child *c)
{
	handoff__abort(c);
	if (c->process != NULL) {
		CloseHandle(c->process);
		c->process = NULL;
	}
}

#ifdef __cplusplus
}
#endif

#else
/* --------------------------------------------------------------- Linux -- */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef F_GET_SEALS
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#endif

#ifdef __cplusplus
extern "C" {
#endif

HANDOFF_API void handoff_close(handoff_handle h)
{
	if (h >= 0)
		close(h);
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

static int handoff__read_fdinfo(int fd, handoff__fdinfo *info)
{
	char path[64], buf[4096], *line, *next;
	ssize_t n, got = 0;
	int f;
	memset(info, 0, sizeof *info);
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	if ((f = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while (got < (ssize_t)sizeof buf - 1 && ((n = read(f, buf + got, sizeof buf - 1 - (size_t)got)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			got += n;
	close(f);
	buf[got] = '\0';
	for (line = buf; line != NULL && *line; line = next) {
		char *colon, *v;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if ((colon = strchr(line, ':')) == NULL)
			continue;
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
	return 0;
}

/* The identity of what a descriptor refers to: its inode and, for an
 * eventfd, whose inode all eventfds share, its eventfd-id. */
typedef struct handoff__fdid {
	int fd;
	dev_t dev;
	ino_t ino;
	char id[24];
} handoff__fdid;

#define HANDOFF__MAX_INHERITED 1024
static handoff__fdid handoff__inherited[HANDOFF__MAX_INHERITED];
static int handoff__ninherited = -1; /* -1: not recorded yet */

static void handoff__identify(int fd, const struct stat *st, const handoff__fdinfo *info, handoff__fdid *id)
{
	memset(id, 0, sizeof *id);
	id->fd = fd;
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	if (info != NULL)
		snprintf(id->id, sizeof id->id, "%s", info->id);
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
		int flags;
		struct stat st;
		handoff__fdinfo info;
		if (*de->d_name == '\0' || *end != '\0' || fd < 0 || fd > INT32_MAX)
			continue;
		flags = fcntl((int)fd, F_GETFD);
		if (flags < 0 || (flags & FD_CLOEXEC) || fstat((int)fd, &st) != 0)
			continue;
		/* Only a file with no type (an anonymous inode) or a regular one
		 * can be an eventfd. */
		if ((st.st_mode & S_IFMT) == 0 || S_ISREG(st.st_mode)) {
			handoff__read_fdinfo((int)fd, &info);
			handoff__identify((int)fd, &st, &info, &handoff__inherited[handoff__ninherited++]);
		} else {
			handoff__identify((int)fd, &st, NULL, &handoff__inherited[handoff__ninherited++]);
		}
	}
	closedir(d);
}

static void handoff__target(int fd, char *out, size_t n)
{
	char path[64];
	ssize_t got;
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	got = readlink(path, out, n - 1);
	if (got < 0)
		snprintf(out, n, "unknown (%s)", strerror(errno));
	else
		out[got] = '\0';
}

HANDOFF_API int handoff_open(const char *value, int want, handoff_handle *out, handoff_error *e)
{
	unsigned long long v;
	int fd, flags, code, i, found = 0;
	struct stat st;
	handoff__fdinfo info;
	handoff__fdid id;
	char what[64], target[256];
	const char *kind = handoff_kind_name(want);
	*out = -1;
	if (kind == NULL) {
		handoff__fail(e, HANDOFF_USAGE, "handoff: unknown kind %d", want);
		return HANDOFF_USAGE;
	}
	handoff_init();
	if ((code = handoff_parse_value(value, &v, e)) != 0)
		return code;
	snprintf(what, sizeof what, "%s %s", kind, value);
#define HANDOFF__NO(code_, ...)                                                                 \
	do {                                                                                    \
		char why_[384];                                                                 \
		snprintf(why_, sizeof why_, __VA_ARGS__);                                       \
		handoff__fail(e, code_, "handoff: %s: %s", what, why_);                         \
		return code_;                                                                   \
	} while (0)
	if (v > INT32_MAX)
		HANDOFF__NO(HANDOFF_NOT_INHERITED, "not an inherited handle: no such descriptor");
	fd = (int)v;
	if ((flags = fcntl(fd, F_GETFD)) < 0) {
		if (errno == EBADF)
			HANDOFF__NO(HANDOFF_NOT_INHERITED, "not an inherited handle: no such descriptor");
		HANDOFF__NO(HANDOFF_FAILURE, "fcntl: %s", strerror(errno));
	}
	if (flags & FD_CLOEXEC)
		HANDOFF__NO(HANDOFF_NOT_INHERITED, "not an inherited handle: descriptor is close-on-exec: one of this process's own");
	if (fstat(fd, &st) != 0)
		HANDOFF__NO(HANDOFF_FAILURE, "fstat: %s", strerror(errno));
	if (handoff__read_fdinfo(fd, &info) != 0)
		HANDOFF__NO(HANDOFF_FAILURE, "open /proc/self/fdinfo: %s", strerror(errno));
	handoff__identify(fd, &st, &info, &id);
	for (i = 0; i < handoff__ninherited; i++) {
		const handoff__fdid *r = &handoff__inherited[i];
		if (r->fd == fd)
			found = r->dev == id.dev && r->ino == id.ino && strcmp(r->id, id.id) == 0;
	}
	if (!found)
		HANDOFF__NO(HANDOFF_NOT_INHERITED, "not an inherited handle: descriptor was not open when this process started: one of its own");
	switch (want) {
	case HANDOFF_EVENT:
	case HANDOFF_READY:
	case HANDOFF_SEMAPHORE:
		if (!info.eventfd) {
			handoff__target(fd, target, sizeof target);
			HANDOFF__NO(HANDOFF_WRONG_TYPE, "wrong type of object: descriptor is %s, want an eventfd", target);
		}
		/* Kernels since 6.5 show EFD_SEMAPHORE in fdinfo. */
		if (want == HANDOFF_SEMAPHORE && strcmp(info.semaphore, "0") == 0)
			HANDOFF__NO(HANDOFF_WRONG_TYPE, "wrong type of object: descriptor is an eventfd in event mode, want one in semaphore mode (EFD_SEMAPHORE)");
		if (want != HANDOFF_SEMAPHORE && strcmp(info.semaphore, "1") == 0)
			HANDOFF__NO(HANDOFF_WRONG_TYPE, "wrong type of object: descriptor is an eventfd in semaphore mode (EFD_SEMAPHORE), want an event");
		break;
	case HANDOFF_SHM: {
		int seals, want_seals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
		handoff__target(fd, target, sizeof target);
		if (strncmp(target, "/memfd:", 7) != 0)
			HANDOFF__NO(HANDOFF_WRONG_TYPE, "wrong type of object: descriptor is %s, want a memfd", target);
		if ((seals = fcntl(fd, F_GET_SEALS)) < 0)
			HANDOFF__NO(HANDOFF_FAILURE, "fcntl: %s", strerror(errno));
		if ((seals & want_seals) != want_seals)
			HANDOFF__NO(HANDOFF_WRONG_TYPE, "wrong type of object: memfd's size is not sealed (seals %#x): not one of handoff's", seals);
		break;
	}
	case HANDOFF_FILE:
		handoff__target(fd, target, sizeof target);
		if (strncmp(target, "anon_inode:", 11) == 0 || strncmp(target, "pidfd:", 6) == 0)
			HANDOFF__NO(HANDOFF_WRONG_TYPE, "wrong type of object: descriptor is %s, want a file", target);
		break;
	case HANDOFF_LIFELINE: {
		char *end;
		long pid;
		if (info.pid[0] == '\0') {
			handoff__target(fd, target, sizeof target);
			HANDOFF__NO(HANDOFF_WRONG_TYPE, "wrong type of object: descriptor is %s, want a pidfd", target);
		}
		pid = strtol(info.pid, &end, 10);
		if (*end != '\0')
			HANDOFF__NO(HANDOFF_FAILURE, "fdinfo Pid \"%s\" is not a number", info.pid);
		if (pid != (long)getppid())
			HANDOFF__NO(HANDOFF_PARENT_GONE, "parent gone: pidfd names pid %ld, parent is %ld", pid, (long)getppid());
		break;
	}
	}
	if (fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0)
		HANDOFF__NO(HANDOFF_FAILURE, "fcntl: %s", strerror(errno));
#undef HANDOFF__NO
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

static long long handoff__now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
		if (r < 0) {
			handoff__fail(e, HANDOFF_FAILURE, "poll: %s", strerror(errno));
			return -2;
		}
		if (r == 0) {
			if (left >= 0 && left <= INT32_MAX)
				return -1;
			continue;
		}
		for (i = 0; i < n; i++) {
			if (fds[i].revents & (POLLERR | POLLNVAL)) {
				handoff__fail(e, HANDOFF_FAILURE, "poll: descriptor %d: revents %#x", fds[i].fd, fds[i].revents);
				return -2;
			}
		}
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
	if (syscall(SYS_close_range, (unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)(1 << 24))
		max = (long)rl.rlim_cur;
	for (fd = first; fd < max; fd++) {
		int flags = fcntl((int)fd, F_GETFD);
		if (flags >= 0 && !(flags & FD_CLOEXEC))
			fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC);
	}
}

static void handoff__abort(handoff_child *c, int *src, int nsrc)
{
	int i;
	for (i = 0; src != NULL && i < nsrc; i++)
		handoff_close(src[i]);
	handoff_close(c->ready);
	c->ready = -1;
	handoff__free_argv(c);
}

HANDOFF_API int handoff_start(handoff_child *c, char *const argv[], const handoff_pass *pass, int npass, int flags, handoff_error *e)
{
	int src[HANDOFF_MAX_HANDLES], report[2], i, n, lifeline, err = 0, code;
	pid_t parent = getpid(), pid;
	ssize_t got;
	memset(c, 0, sizeof *c);
	c->ready = -1;
	c->pidfd = -1;
	if ((lifeline = handoff__plan(c, argv, pass, npass, flags, e)) < 0)
		return HANDOFF_USAGE;
	n = c->nvalues;
	if ((flags & HANDOFF_EXPECT_READY) && handoff_event_new(&c->ready, e) != 0)
		return HANDOFF_FAILURE;
	/* Close-on-exec copies of the handles at n+3 and up, so that the
	 * child's dup2 to 3, 4... never lands on one of them. */
	for (i = 0; i < n; i++) {
		int h = i < npass ? pass[i].h : c->values[i].kind == HANDOFF_READY ? c->ready : -1;
		if (c->values[i].kind == HANDOFF_LIFELINE) {
			int self = handoff__pidfd_open(parent);
			if (self < 0) {
				handoff__fail(e, HANDOFF_FAILURE, "handoff: pidfd_open: %s", strerror(errno));
				handoff__abort(c, src, i);
				return HANDOFF_FAILURE;
			}
			src[i] = fcntl(self, F_DUPFD_CLOEXEC, n + 3);
			close(self);
		} else {
			src[i] = fcntl(h, F_DUPFD_CLOEXEC, n + 3);
		}
		if (src[i] < 0) {
			handoff__fail(e, HANDOFF_FAILURE, "handoff: name \"%s\": fcntl: %s", c->values[i].name, strerror(errno));
			handoff__abort(c, src, i);
			return HANDOFF_FAILURE;
		}
		c->values[i].v = (unsigned long long)(3 + i);
	}
	if ((code = handoff__finish(c, argv, e)) != 0) {
		handoff__abort(c, src, n);
		return code;
	}
	if (pipe2(report, O_CLOEXEC) != 0) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: pipe2: %s", strerror(errno));
		handoff__abort(c, src, n);
		return HANDOFF_FAILURE;
	}
	pid = fork();
	if (pid == 0) {
		/* The child: the handles at 3, 4... (dup2's copy is not
		 * close-on-exec), everything else from there up close-on-exec,
		 * killed when the parent dies. Only async-signal-safe calls. */
		for (i = 0; i < n && err == 0; i++)
			if (dup2(src[i], 3 + i) < 0)
				err = errno;
		if (err == 0)
			handoff__cloexec_from(3 + n);
		if (err == 0 && prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
			err = errno;
		if (err == 0 && getppid() != parent)
			_exit(1); /* the parent died before the signal was set */
		if (err == 0) {
			execvp(c->argv[0], c->argv);
			err = errno;
		}
		while (write(report[1], &err, sizeof err) < 0 && errno == EINTR)
			;
		_exit(127);
	}
	close(report[1]);
	for (i = 0; i < n; i++)
		close(src[i]);
	if (pid < 0) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: fork: %s", strerror(errno));
		close(report[0]);
		handoff_child_release(c);
		return HANDOFF_FAILURE;
	}
	c->pid = (long)pid;
	while ((got = read(report[0], &err, sizeof err)) < 0 && errno == EINTR)
		;
	close(report[0]);
	if (got == (ssize_t)sizeof err) {
		waitpid(pid, NULL, 0);
		handoff__fail(e, HANDOFF_FAILURE, "handoff: start %s: %s", c->argv[0], strerror(err));
		handoff_child_release(c);
		return HANDOFF_FAILURE;
	}
	/* The child is not reaped before handoff_wait_child: its pid is its
	 * own until then. */
	if ((c->pidfd = handoff__pidfd_open(pid)) < 0) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: pidfd_open: %s", strerror(errno));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		handoff_child_release(c);
		return HANDOFF_FAILURE;
	}
	return 0;
}

HANDOFF_API int handoff_wait_ready(handoff_child *c, long long timeout_ms, handoff_error *e)
{
	struct pollfd fds[2];
	if (c->ready < 0) {
		handoff__fail(e, HANDOFF_FAILURE, "handoff: no ready event");
		return HANDOFF_FAILURE;
	}
	fds[0].fd = c->ready;
	fds[0].events = POLLIN;
	fds[1].fd = c->pidfd;
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

HANDOFF_API int handoff_wait_child(handoff_child *c, long long timeout_ms, handoff_error *e)
{
	struct pollfd fd;
	int status;
	pid_t r;
	fd.fd = c->pidfd;
	fd.events = POLLIN;
	switch (handoff__poll(&fd, 1, timeout_ms, e)) {
	case -1:
		handoff__fail(e, HANDOFF_TIMEOUT, "timeout");
		return HANDOFF_TIMEOUT;
	case -2:
		return HANDOFF_FAILURE;
	}
	while ((r = waitpid((pid_t)c->pid, &status, 0)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		handoff__fail(e, HANDOFF_FAILURE, "waitpid: %s", strerror(errno));
		return HANDOFF_FAILURE;
	}
	c->exited = 1;
	c->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	c->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	return 0;
}

HANDOFF_API void handoff_kill(handoff_child *c)
{
	/* Through the pidfd: never a process that took a reaped child's pid. */
	if (c->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL, 0);
}

HANDOFF_API void handoff_child_release(handoff_child *c)
{
	handoff__abort(c, NULL, 0);
	handoff_close(c->pidfd);
	c->pidfd = -1;
}

#ifdef __cplusplus
}
#endif

#endif /* platforms */
#endif /* HANDOFF_IMPLEMENTATION */
#endif /* HANDOFF_H */
