/*
 * cli.h - what the example programs share with handoff-parent and
 * handoff-child's command lines: Go's flag syntax (-name VALUE, -name=VALUE,
 * --name, -h), Go's durations ("30s", "1m30s", "250ms"), and output lines
 * flushed as they are written.
 */
#ifndef HANDOFF_CLI_H
#define HANDOFF_CLI_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* cli_name is the program's name for messages: argv[0]'s base name,
 * without .exe. */
static char cli_name[64] = "handoff";

static void cli_set_name(const char *argv0)
{
	const char *base = argv0, *p;
	size_t n;
	for (p = argv0; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	n = strlen(base);
	if (n > 4 && (strcmp(base + n - 4, ".exe") == 0 || strcmp(base + n - 4, ".EXE") == 0))
		n -= 4;
	if (n >= sizeof cli_name)
		n = sizeof cli_name - 1;
	memcpy(cli_name, base, n);
	cli_name[n] = '\0';
}

/* cli_say prints one line on standard output, at once: a child started
 * after it must not print before it. */
static void cli_say(const char *format, ...)
{
	va_list ap;
	va_start(ap, format);
	vprintf(format, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* cli_error prints "NAME: message" on standard error. */
static void cli_error(const char *format, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", cli_name);
	va_start(ap, format);
	vfprintf(stderr, format, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

/* cli_usage_error reports a misuse, with the synopsis, and returns the
 * exit code for it, 2. */
static int cli_usage_error(const char *synopsis, const char *why)
{
	cli_error("%s (usage: %s %s; -h for help)", why, cli_name, synopsis);
	return 2;
}

/* cli_parse_duration parses a duration as Go's time.ParseDuration does, into
 * nanoseconds; it returns 0 if s is not one. */
static int cli_parse_duration(const char *s, long long *ns)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {{"ns", 1}, {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
	double total = 0;
	int neg = 0;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (strcmp(s, "0") == 0) {
		*ns = 0;
		return 1;
	}
	if (*s == '\0')
		return 0;
	while (*s) {
		double x = 0, frac = 0, scale = 1;
		int digits = 0, best = -1;
		size_t i, blen = 0;
		for (; *s >= '0' && *s <= '9'; s++, digits++)
			x = x * 10 + (*s - '0');
		if (*s == '.')
			for (s++; *s >= '0' && *s <= '9'; s++, digits++)
				frac += (*s - '0') * (scale /= 10);
		if (digits == 0)
			return 0;
		for (i = 0; i < sizeof units / sizeof units[0]; i++) {
			size_t n = strlen(units[i].unit);
			if (strncmp(s, units[i].unit, n) == 0 && n > blen)
				best = (int)i, blen = n;
		}
		if (best < 0)
			return 0;
		s += blen;
		total += (x + frac) * units[best].ns;
		if (total > 9.2e18)
			return 0;
	}
	*ns = (long long)(neg ? -total : total);
	return 1;
}

/* cli_duration formats ns as Go's time.Duration.String does. */
static const char *cli_duration(long long ns, char *buf, size_t n)
{
	char frac[16];
	long long whole, rest, unit;
	const char *suffix;
	int i;
	if (ns == 0)
		return "0s";
	if (ns < 1000) {
		snprintf(buf, n, "%lldns", ns);
		return buf;
	}
	if (ns < 1000000000LL) {
		unit = ns < 1000000 ? 1000 : 1000000;
		suffix = ns < 1000000 ? "\xc2\xb5s" : "ms";
	} else {
		unit = 1000000000LL;
		suffix = "s";
	}
	whole = ns / unit;
	rest = ns % unit;
	frac[0] = '\0';
	if (rest != 0) {
		int digits = unit == 1000 ? 3 : unit == 1000000 ? 6 : 9;
		snprintf(frac, sizeof frac, ".%0*lld", digits, rest);
		for (i = (int)strlen(frac) - 1; frac[i] == '0'; i--)
			frac[i] = '\0';
	}
	if (unit < 1000000000LL) {
		snprintf(buf, n, "%lld%s%s", whole, frac, suffix);
	} else if (whole < 60) {
		snprintf(buf, n, "%lld%ss", whole, frac);
	} else if (whole < 3600) {
		snprintf(buf, n, "%lldm%lld%ss", whole / 60, whole % 60, frac);
	} else {
		snprintf(buf, n, "%lldh%lldm%lld%ss", whole / 3600, whole / 60 % 60, whole % 60, frac);
	}
	return buf;
}

/* cli_ms returns a timeout in milliseconds, rounded up, for ns; 0 means
 * no limit, HANDOFF_INFINITE. */
static long long cli_ms(long long ns) { return ns == 0 ? -1 : (ns + 999999) / 1000000; }

/* A flag: a string or a duration. */
typedef struct cli_flag {
	const char *name;
	int duration;     /* else a string */
	const char **str; /* the string's value */
	long long *ns;    /* the duration's value */
	int set;
} cli_flag;

/* cli_flag_parse parses one argument at args[*i] that starts with '-' as
 * Go's flag package does. It returns 1 for a flag it took (moving *i past
 * its value), 0 for "--" (moving *i past it), 2 for -h or -help, and -1
 * with a message in err for a bad flag. */
static int cli_flag_parse(cli_flag *flags, int nflags, int argc, char **argv, int *i, char *err, size_t nerr)
{
	const char *a = argv[*i] + 1, *value = NULL;
	char name[64];
	size_t len;
	int k;
	if (*a == '-') {
		a++;
		if (*a == '\0') {
			(*i)++;
			return 0;
		}
	}
	if (*a == '-' || *a == '=') {
		snprintf(err, nerr, "bad flag syntax: %s", argv[*i]);
		return -1;
	}
	len = strcspn(a, "=");
	if (a[len] == '=')
		value = a + len + 1;
	snprintf(name, sizeof name, "%.*s", (int)len, a);
	for (k = 0; k < nflags; k++)
		if (strcmp(flags[k].name, name) == 0)
			break;
	if (k == nflags) {
		if (strcmp(name, "h") == 0 || strcmp(name, "help") == 0)
			return 2;
		snprintf(err, nerr, "flag provided but not defined: -%s", name);
		return -1;
	}
	if (value == NULL) {
		if (*i + 1 >= argc) {
			snprintf(err, nerr, "flag needs an argument: -%s", name);
			return -1;
		}
		value = argv[++*i];
	}
	(*i)++;
	flags[k].set = 1;
	if (!flags[k].duration) {
		*flags[k].str = value;
	} else if (!cli_parse_duration(value, flags[k].ns)) {
		snprintf(err, nerr, "invalid value \"%s\" for flag -%s: parse error", value, name);
		return -1;
	}
	return 1;
}

/* cli_flag_exit returns the exit code for a command line that
 * cli_flag_parse stopped at: for -h (r 2) it prints the help on standard
 * output, the synopsis, then help, which lists the flags and the exit
 * codes, and returns 0; for a bad flag (r -1) it reports err as a misuse
 * and returns 2. */
static int cli_flag_exit(int r, const char *synopsis, const char *help, const char *err)
{
	if (r == 2) {
		printf("usage: %s %s\n\n%s", cli_name, synopsis, help);
		fflush(stdout);
		return 0;
	}
	return cli_usage_error(synopsis, err);
}

#endif
