/*
 * child - the lesson's child done properly, in C: it waits for an event
 * that its parent passed it by handle inheritance, after checking that it
 * really received one. The same command line, output and exit codes as
 * handoff-child (cmd/handoff-child), less -handles' message:
 *
 *     child [-event] VALUE [-parent VALUE] [-timeout D]
 *     child -handles LIST [-timeout D]
 *
 * VALUE is the event's handle (Windows) or descriptor (Linux), decimal or
 * 0x-prefixed hexadecimal; the bare form is the classic sample's convention.
 * -parent names the lifeline; -handles takes the handles argument, which
 * must list the event as "event" and may list the lifeline ("parent") and
 * the ready event ("ready"), which the child signals once it has verified
 * everything. -timeout bounds the wait (default 30s; 0: no limit).
 *
 * Exit codes (docs/protocol.md): 0 signaled, 1 a system call failed, 2
 * usage, 3 bad value, 4 not inherited, 5 wrong type, 6 parent gone,
 * 7 timeout.
 *
 * Build: cc -O2 -Ic c/examples/child.c
 *        x86_64-w64-mingw32-gcc -O2 -Ic c/examples/child.c
 */
#define HANDOFF_IMPLEMENTATION
#include "handoff.h"

#include "cli.h"

#ifdef _WIN32
#define EVENT_TYPE "Event"
#define LIFELINE_TYPE "Process"
#define PID() ((long)GetCurrentProcessId())
#else
#define EVENT_TYPE "eventfd"
#define LIFELINE_TYPE "pidfd"
#define PID() ((long)getpid())
#endif

static const char synopsis[] = "{[-event] VALUE [-parent VALUE] | -handles LIST} [-timeout D]";

/* help is the -h text after the synopsis. */
static const char help[] =
	"Flags:\n"
	"  -event VALUE\n\tthe event's VALUE (the parent's {event})\n"
	"  -handles LIST\n\tthe handles argument LIST (the parent's {handles}): name=kind:value,... with the event as \"event\", and optionally the lifeline and the ready event\n"
	"  -parent VALUE\n\tthe lifeline's VALUE (the parent's {parent}): a handle on the parent process\n"
	"  -timeout D\n\tgive up waiting after D; 0 means no limit (default 30s)\n\n"
	"Exit codes:\n"
	"  0  ok: the event was signaled\n"
	"  1  other failure: a system call failed\n"
	"  2  usage: bad flags or arguments\n"
	"  3  bad value: VALUE is not a well-formed handle value\n"
	"  4  not inherited: VALUE names no handle this process inherited, or -handles lists none under a needed name\n"
	"  5  wrong type: VALUE names an inherited handle of the wrong type\n"
	"  6  parent gone: the parent exited before it set the event (or -parent is not the parent)\n"
	"  7  timeout: the event was not set within -timeout\n";

/* show returns a value as given, quoted unless it is all letters and
 * digits, as handoff-child shows it. */
static const char *show(const char *v, char *buf, size_t n)
{
	const char *p;
	size_t o = 0;
	int plain = *v != '\0';
	for (p = v; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			plain = 0;
	if (plain) {
		snprintf(buf, n, "%s", v);
		return buf;
	}
	buf[o++] = '"';
	for (p = v; *p && o + 6 < n; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, n - o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, n - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* finish reports the exit code, and the error if there is one, and
 * returns the code. */
static int finish(int code, const char *err)
{
	cli_say("[CHILD] exiting with code %d", code);
	if (code != 0)
		cli_error("%s", err);
	return code;
}

int main(int argc, char **argv)
{
	const char *event = NULL, *parent = NULL, *handles = NULL, *bare[2] = {NULL, NULL};
	long long timeout = 30000000000LL;
	cli_flag flags[] = {
		{"event", 0, NULL, NULL, 0},
		{"parent", 0, NULL, NULL, 0},
		{"handles", 0, NULL, NULL, 0},
		{"timeout", 1, NULL, NULL, 0},
	};
	char err[600], b1[256], b2[256], tbuf[64];
	int i = 1, nbare = 0, code, has_parent;
	handoff_handles hs;
	handoff_handle ev, lifeline = HANDOFF_NO_HANDLE, ready;
	handoff_error e;
	long ppid;

	handoff_init(); /* before anything is opened */
	cli_set_name(argv[0]);
	flags[0].str = &event;
	flags[1].str = &parent;
	flags[2].str = &handles;
	flags[3].ns = &timeout;
	/* Flags and the bare VALUE in any order; after "--", values only. */
	while (i < argc) {
		int r = 1;
		if (argv[i][0] == '-' && argv[i][1] != '\0')
			r = cli_flag_parse(flags, 4, argc, argv, &i, err, sizeof err);
		else if (nbare++ < 2)
			bare[nbare - 1] = argv[i++];
		else
			i++;
		if (r == 2 || r < 0)
			return cli_flag_exit(r, synopsis, help, err);
		if (r == 0) {
			for (; i < argc; i++)
				if (nbare++ < 2)
					bare[nbare - 1] = argv[i];
			break;
		}
	}
	if (flags[2].set) {
		if (nbare > 0) {
			snprintf(err, sizeof err, "both -handles and VALUE \"%s\"", bare[0]);
			return cli_usage_error(synopsis, err);
		}
		if (flags[0].set || flags[1].set)
			return cli_usage_error(synopsis, "-handles excludes -event and -parent");
	} else {
		if (nbare > 1) {
			snprintf(err, sizeof err, "more than one VALUE: [\"%s\" \"%s\"%s]", bare[0], bare[1], nbare > 2 ? " ..." : "");
			return cli_usage_error(synopsis, err);
		}
		if (nbare == 1 && flags[0].set) {
			snprintf(err, sizeof err, "both -event \"%s\" and VALUE \"%s\"", event, bare[0]);
			return cli_usage_error(synopsis, err);
		}
		if (nbare == 1)
			event = bare[0];
		else if (!flags[0].set)
			return cli_usage_error(synopsis, "no VALUE");
	}
	if (timeout < 0) {
		snprintf(err, sizeof err, "negative -timeout -%s", cli_duration(-timeout, tbuf, sizeof tbuf));
		return cli_usage_error(synopsis, err);
	}
	has_parent = flags[1].set;
	if (has_parent) {
		/* One value names one handle: as the event and the lifeline it is a
		 * misuse, not a handle to check. */
		unsigned long long ve, vp;
		if (handoff_parse_value(event, &ve, &e) == 0 && handoff_parse_value(parent, &vp, &e) == 0 && ve == vp) {
			snprintf(err, sizeof err, "-parent %s is the event's value too: one value names one handle", parent);
			return cli_usage_error(synopsis, err);
		}
	}

	ppid = handoff_parent_pid();
	if (handles != NULL) {
		cli_say("[CHILD] pid %ld: got handles %s", PID(), show(handles, b1, sizeof b1));
		if ((code = handoff_parse_handles(handles, &hs, &e)) != 0)
			return finish(code, e.text);
		has_parent = handoff_lookup(&hs, HANDOFF_LIFELINE_NAME) != NULL;
		code = handoff_open_name(&hs, "event", HANDOFF_EVENT, &ev, &e);
	} else {
		if (has_parent)
			cli_say("[CHILD] pid %ld: got event handle %s, lifeline handle %s", PID(), show(event, b1, sizeof b1), show(parent, b2, sizeof b2));
		else
			cli_say("[CHILD] pid %ld: got event handle %s, no lifeline", PID(), show(event, b1, sizeof b1));
		code = handoff_open(event, HANDOFF_EVENT, &ev, &e);
	}
	if (code != 0)
		return finish(code, e.text);
	cli_say("[CHILD] verified event %llu: inherited, type " EVENT_TYPE, handoff_value_of(ev));

	if (has_parent) {
		if (handles != NULL)
			code = handoff_open_name(&hs, HANDOFF_LIFELINE_NAME, HANDOFF_LIFELINE, &lifeline, &e);
		else
			code = handoff_open(parent, HANDOFF_LIFELINE, &lifeline, &e);
		if (code != 0)
			return finish(code, e.text);
		cli_say("[CHILD] verified lifeline %llu: inherited, type " LIFELINE_TYPE ", parent pid %ld", handoff_value_of(lifeline), ppid);
	}

	if (handles != NULL && handoff_lookup(&hs, HANDOFF_READY_NAME) != NULL) {
		if ((code = handoff_open_name(&hs, HANDOFF_READY_NAME, HANDOFF_READY, &ready, &e)) != 0 ||
		    (code = handoff_signal_ready(ready, &e)) != 0)
			return finish(code, e.text);
		cli_say("[CHILD] reported ready to the parent");
	}

	if (timeout > 0)
		cli_say("[CHILD] waiting for the event (timeout %s)", cli_duration(timeout, tbuf, sizeof tbuf));
	else
		cli_say("[CHILD] waiting for the event (no timeout)");
	code = handoff_wait(ev, has_parent ? &lifeline : NULL, cli_ms(timeout), &e);
	switch (code) {
	case 0:
		cli_say("[CHILD] Event signaled");
		break;
	case HANDOFF_PARENT_GONE:
		cli_say("[CHILD] stopped waiting: parent gone");
		snprintf(err, sizeof err, "wait for event %llu: parent gone: the parent exited without setting it", handoff_value_of(ev));
		break;
	case HANDOFF_TIMEOUT:
		cli_say("[CHILD] stopped waiting: timeout");
		snprintf(err, sizeof err, "wait for event %llu: timeout: not set within %s", handoff_value_of(ev), cli_duration(timeout, tbuf, sizeof tbuf));
		break;
	default:
		cli_say("[CHILD] stopped waiting: the wait failed");
		snprintf(err, sizeof err, "wait for event %llu: %s", handoff_value_of(ev), e.text);
		break;
	}
	handoff_close(ev);
	handoff_close(lifeline);
	return finish(code, err);
}
