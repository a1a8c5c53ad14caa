/*
 * order - c/handoff.h as the files of a program include it: after the
 * system's own headers (HANDOFF_TEST_SYSTEM_FIRST) or before them, twice,
 * with HANDOFF_IMPLEMENTATION (HANDOFF_TEST_IMPLEMENTATION) first or after
 * a plain include (HANDOFF_TEST_LATE), in C and C++. c/test/build.sh
 * builds it with each compiler and language standard, warnings as errors,
 * and links two files that each hold a private implementation
 * (HANDOFF_STATIC).
 */
#ifdef HANDOFF_TEST_SYSTEM_FIRST
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#endif
#endif

#if defined(HANDOFF_TEST_IMPLEMENTATION) && !defined(HANDOFF_TEST_LATE)
#define HANDOFF_IMPLEMENTATION
#endif
#include "handoff.h"
#include "handoff.h"

/* HANDOFF_TEST_LATE: the implementation after a plain include. */
#if defined(HANDOFF_TEST_IMPLEMENTATION) && defined(HANDOFF_TEST_LATE)
#define HANDOFF_IMPLEMENTATION
#include "handoff.h"
#endif

#ifndef HANDOFF_TEST_NAME
#define HANDOFF_TEST_NAME order_use
#endif

/* A use of the API, so that a private implementation is not all unused. */
int HANDOFF_TEST_NAME(const char *value);
int HANDOFF_TEST_NAME(const char *value)
{
	handoff_error e;
	unsigned long long v;
	return handoff_parse_value(value, &v, &e);
}

#ifdef HANDOFF_TEST_MAIN
int order_other(const char *value);
int main(int argc, char **argv)
{
	(void)argv;
	return HANDOFF_TEST_NAME(argc > 1 ? "4" : "8") | order_other("12");
}
#endif
