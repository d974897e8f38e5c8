/*
 * check.h: the checks the C test programs count, shared by api_test.c and
 * abuse_test.c. Each failed check prints one line on stderr with the library's last
 * error message; the program prints "N passed, M failed" at the end.
 */

#ifndef HAMUSTRO_TEST_CHECK_H
#define HAMUSTRO_TEST_CHECK_H

#include "hamustro.h"

#include <stdio.h>
#include <string.h>

static int passed;
static int failed;

/* This thread's last error message, in a buffer of the thread's own. */
static const char *last_message(void)
{
    static _Thread_local char message[1100];
    hamustro_last_error_message(message, sizeof message);
    return message;
}

/* Records one check; on failure prints where and the library's last message. */
static void check_at(int ok, const char *what, int line)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    fprintf(stderr, "FAIL line %d: %s (last error: %s)\n", line, what, last_message());
}

#define CHECK(expr) check_at((expr) ? 1 : 0, #expr, __LINE__)

/* `call` returns `expected`. */
#define CHECK_STATUS(call, expected) check_status_at((call), (expected), #call, __LINE__)

static void check_status_at(hamustro_status got, hamustro_status expected, const char *what,
                            int line)
{
    if (got == expected) {
        passed++;
        return;
    }
    failed++;
    fprintf(stderr, "FAIL line %d: %s gave %s, expected %s (last error: %s)\n", line, what,
            hamustro_status_name(got), hamustro_status_name(expected), last_message());
}

/* The last error message contains `needle`. */
#define CHECK_MESSAGE(needle) check_message_at((needle), __LINE__)

static void check_message_at(const char *needle, int line)
{
    const char *message = last_message();
    if (strstr(message, needle) != NULL) {
        passed++;
        return;
    }
    failed++;
    fprintf(stderr, "FAIL line %d: last error \"%s\" does not contain \"%s\"\n", line,
            message, needle);
}

#endif
