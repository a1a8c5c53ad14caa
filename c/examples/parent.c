/*
 * parent - the lesson's parent done properly, in C: it creates an unnamed
 * event, starts a child that inherits exactly that event (and a ready event
 * and a lifeline to the parent, when the child's arguments name them),
 * signals the event and waits for the child. The same command line, output
 * and exit codes as handoff-parent (cmd/handoff-parent), less -children,
 * -message and the trace:
 *
 *     parent [-timeout D] [-ready-timeout D] [-- CHILD ARGS...]
 *
 * Without "--" the child is the program named child next to this one, run
 * as "child -handles {handles}". In ARGS, {event} is replaced by the
 * child's value of the event, {parent} by the lifeline's, {ready} by the
 * ready event's and {handles} by the handles argument that lists them all.
 * One argument must name {event} or {handles}; the lifeline is passed only
 * if one names {parent} or {handles}, the ready handshake used only if one
 * names {ready} or {handles}. A child of the classic sample's convention
 * runs as "parent -- child {event}".
 *
 * Exit codes (docs/protocol.md): 0 the child exited 0, 1 a system call or
 * the start failed, 2 usage, 7 timeout (not ready within -ready-timeout,
 * default 10s, or not exited within -timeout, default 30s; 0: no limit),
 * 8 the child failed or exited before it was ready.
 *
 * Build: cc -O2 -Ic c/examples/parent.c
 *        x86_64-w64-mingw32-gcc -O2 -Ic c/examples/parent.c
 */
#define HANDOFF_IMPLEMENTATION
#include "handoff.h"

#include "cli.h"

#ifdef _WIN32
#define CHILD_NAME "child.exe"
#else
#define CHILD_NAME "child"
#endif

static const char synopsis[] = "[-timeout D] [-ready-timeout D] [-- CHILD ARGS...]";

/* help is the -h text after the synopsis. */
static const char help[] =
	"Without --, runs child (next to this program) as\n"
	"  child -handles {handles}\n"
	"After --, runs CHILD with {event}, {ready} and {parent} in ARGS replaced\n"
	"by the child's values of the event, the ready event and the lifeline (a\n"
	"handle on this process), and {handles} by the list of them all:\n"
	"name=kind:value,... A child that gets {ready} or {handles} must report\n"
	"ready before the event is set.\n\n"
	"Flags:\n"
	"  -ready-timeout D\n\tfail if the child has not reported ready within D of the start; 0 means no limit (default 10s)\n"
	"  -timeout D\n\tkill the child if it has not exited D after the event is set; 0 means no limit (default 30s)\n\n"
	"Exit codes:\n"
	"  0  ok: the child exited 0\n"
	"  1  other failure: a system call or the start of the child failed\n"
	"  2  usage: bad flags or arguments\n"
	"  7  timeout: the child was not ready within -ready-timeout, or did not exit within -timeout; it was killed\n"
	"  8  child failed: the child exited non-zero, was killed, or exited before it was ready\n";

/* named reports whether an argument of the command names ph. */
static int named(const char *const *cmd, const char *ph)
{
	for (; *cmd != NULL; cmd++)
		if (strstr(*cmd, ph) != NULL)
			return 1;
	return 0;
}

/* command_line shows the arguments as handoff-parent does: the program by
 * its base name, arguments with spaces or quotes quoted. */
static const char *command_line(char **argv, char *buf, size_t n)
{
	size_t o = 0;
	int i;
	buf[0] = '\0';
	for (i = 0; argv[i] != NULL && o + 4 < n; i++) {
		const char *a = argv[i], *p;
		if (i == 0)
			for (p = argv[0]; *p; p++)
				if (*p == '/' || *p == '\\')
					a = p + 1;
		if (i > 0)
			buf[o++] = ' ';
		if (*a == '\0' || strpbrk(a, " \t\"") != NULL) {
			buf[o++] = '"';
			for (p = a; *p && o + 4 < n; p++) {
				if (*p == '"' || *p == '\\')
					buf[o++] = '\\';
				buf[o++] = *p;
			}
			buf[o++] = '"';
		} else {
			o += (size_t)snprintf(buf + o, n - o, "%s", a);
			if (o >= n)
				o = n - 1;
		}
		buf[o] = '\0';
	}
	return buf;
}

/* state describes how the child ended, as Go's os.ProcessState does. */
static const char *state(const handoff_child *c, char *buf, size_t n)
{
	if (c->signal == 9)
		snprintf(buf, n, "signal: killed");
	else if (c->signal == 15)
		snprintf(buf, n, "signal: terminated");
	else if (c->signal != 0)
		snprintf(buf, n, "signal: %d", c->signal);
	else
		snprintf(buf, n, "exit status %d", c->exit_code);
	return buf;
}

/* default_child returns the path of child next to this program. */
static char *default_child(const char *argv0)
{
	static char path[4096];
	size_t dir = 0, i;
	for (i = 0; argv0[i]; i++)
		if (argv0[i] == '/' || argv0[i] == '\\')
			dir = i + 1;
	snprintf(path, sizeof path, "%.*s%s", (int)dir, argv0, CHILD_NAME);
	return path;
}

int main(int argc, char **argv)
{
	long long timeout = 30000000000LL, ready_timeout = 10000000000LL;
	cli_flag flags[] = {{"timeout", 1, NULL, NULL, 0}, {"ready-timeout", 1, NULL, NULL, 0}};
	char err[700], line[4096], t1[64], t2[64], st[64], passed[256];
	const char *def[4], *const *cmd = NULL;
	int i = 1, r = 1, code;
	handoff_handle ev;
	handoff_pass pass[1];
	handoff_child c;
	handoff_error e;
	long long v;

	cli_set_name(argv[0]);
	flags[0].ns = &timeout;
	flags[1].ns = &ready_timeout;
	while (i < argc && argv[i][0] == '-' && argv[i][1] != '\0' && (r = cli_flag_parse(flags, 2, argc, argv, &i, err, sizeof err)) == 1)
		;
	if (r == 2 || r < 0)
		return cli_flag_exit(r, synopsis, help, err);
	if (r == 0) {
		if (i == argc)
			return cli_usage_error(synopsis, "no child command after --");
		cmd = (const char *const *)(argv + i); /* C lets char ** become that only through a cast */
	} else if (i < argc) {
		snprintf(err, sizeof err, "unexpected argument \"%s\": a child command goes after --", argv[i]);
		return cli_usage_error(synopsis, err);
	}
	if (timeout < 0 || ready_timeout < 0)
		return cli_usage_error(synopsis, timeout < 0 ? "negative -timeout" : "negative -ready-timeout");
	if (cmd == NULL) {
		def[0] = default_child(argv[0]);
		def[1] = "-handles";
		def[2] = "{handles}";
		def[3] = NULL;
		cmd = def;
	}
	if (!named(cmd, "{event}") && !named(cmd, "{handles}"))
		return cli_usage_error(synopsis, "no argument of the child command names {event} or {handles}");

	if (handoff_event_new(&ev, &e) != 0) {
		cli_error("create event: %s", e.text);
		return HANDOFF_FAILURE;
	}
	cli_say("[PARENT] created event, handle %llu", handoff_value_of(ev));
	pass[0].name = "event";
	pass[0].kind = HANDOFF_EVENT;
	pass[0].h = ev;
	if (handoff_start(&c, cmd, pass, 1, named(cmd, "{ready}") || named(cmd, "{handles}") ? HANDOFF_EXPECT_READY : 0, &e) != 0) {
		cli_error("start child: %s", e.text);
		handoff_close(ev);
		return HANDOFF_FAILURE;
	}
	snprintf(passed, sizeof passed, "event=%lld", handoff_child_value(&c, "event"));
	if ((v = handoff_child_value(&c, HANDOFF_READY_NAME)) >= 0)
		snprintf(passed + strlen(passed), sizeof passed - strlen(passed), " ready=%lld", v);
	if ((v = handoff_child_value(&c, HANDOFF_LIFELINE_NAME)) >= 0)
		snprintf(passed + strlen(passed), sizeof passed - strlen(passed), " parent=%lld", v);
	cli_say("[PARENT] started child pid %ld: %s (passed %s)", c.pid, command_line(c.argv, line, sizeof line), passed);

	if (c.ready != HANDOFF_NO_HANDLE) {
		code = handoff_wait_ready(&c, cli_ms(ready_timeout), &e);
		if (code != 0) {
			handoff_kill(&c);
			handoff_wait_child(&c, HANDOFF_INFINITE, NULL);
			cli_say("[PARENT] child ended: %s", state(&c, st, sizeof st));
			if (code == HANDOFF_CHILD_FAILED)
				cli_error("child (pid %ld) exited before it was ready (%s); the event was not set", c.pid, st);
			else if (code == HANDOFF_TIMEOUT)
				cli_error("timeout: child (pid %ld) was not ready within %s; killed the children; the event was not set", c.pid, cli_duration(ready_timeout, t1, sizeof t1));
			else
				cli_error("wait for child (pid %ld) to be ready: %s", c.pid, e.text);
			handoff_child_release(&c);
			handoff_close(ev);
			return code;
		}
		cli_say("[PARENT] the child is ready");
	}

	if (handoff_event_set(ev, &e) != 0) {
		/* The child cannot be signaled: end it rather than wait in vain. */
		handoff_kill(&c);
		handoff_wait_child(&c, HANDOFF_INFINITE, NULL);
		handoff_child_release(&c);
		handoff_close(ev);
		cli_error("set event: %s", e.text);
		return HANDOFF_FAILURE;
	}
	if (timeout > 0)
		cli_say("[PARENT] event set; waiting for the child (timeout %s)", cli_duration(timeout, t1, sizeof t1));
	else
		cli_say("[PARENT] event set; waiting for the child (no timeout)");
	code = handoff_wait_child(&c, cli_ms(timeout), &e);
	if (code == HANDOFF_TIMEOUT) {
		handoff_kill(&c);
		handoff_wait_child(&c, HANDOFF_INFINITE, NULL);
		cli_say("[PARENT] timeout: the child did not exit within %s; killed it", cli_duration(timeout, t1, sizeof t1));
	} else if (code != 0) {
		cli_error("wait for child: %s", e.text);
		handoff_kill(&c);
		handoff_child_release(&c);
		handoff_close(ev);
		return HANDOFF_FAILURE;
	}
	if (c.signal == 0 && c.exited)
		cli_say("[PARENT] child exited with code %d", c.exit_code);
	else
		cli_say("[PARENT] child ended: %s", state(&c, st, sizeof st));
	handoff_child_release(&c);
	handoff_close(ev);
	cli_say("[PARENT] closed the event; done");

	if (code == HANDOFF_TIMEOUT && !(c.exited && c.signal == 0 && c.exit_code == 0)) {
		cli_error("timeout: child did not exit within %s; killed it", cli_duration(timeout, t2, sizeof t2));
		return HANDOFF_TIMEOUT;
	}
	if (c.signal != 0) {
		cli_error("child failed: %s", state(&c, st, sizeof st));
		return HANDOFF_CHILD_FAILED;
	}
	if (c.exit_code != 0) {
		cli_error("child failed: exit code %d", c.exit_code);
		return HANDOFF_CHILD_FAILED;
	}
	return 0;
}
