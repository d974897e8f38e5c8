/*
 * abuse_test.c: the C API used the way an adversarial caller would, written from the
 * header alone: one database reached by several names, reopening while other threads
 * still use a freed handle, freeing and flushing from the log callback on the delivery
 * thread, calls from a forked child, a first call from a thread-exit destructor,
 * collector URLs that cannot be sent to, and settings too large for any event.
 *
 *     abuse_test suite COLLECTOR_URL SHARED_SECRET WORK_DIR [ROUNDS [no-fork]]
 *         runs every check; WORK_DIR is an empty directory of the test's own. ROUNDS
 *         of the reopen race (default 200); no-fork leaves out the forked child (under
 *         valgrind, whose leak check in a child counts the parent's threads' memory;
 *         Windows, which has no fork, always leaves it out).
 *     abuse_test open COLLECTOR_URL SHARED_SECRET DATABASE_PATH
 *         prints the status name of hamustro_tracker_new on DATABASE_PATH (a second
 *         process trying a database the caller holds) and exits.
 *
 * What the collector must receive is checked by tests/it/abuse.rs: keep the two in step.
 * Prints one line per failed check, then "N passed, M failed"; exits non-zero on any
 * failure. The library itself must print nothing: tests/it/abuse.rs checks stderr.
 */

#define _GNU_SOURCE

#include "hamustro.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef _WIN32
#include <direct.h>
#include <windows.h>
#else
#include <sys/wait.h>
#include <unistd.h>
#endif

#include "check.h"

/* Second names for a file, and a directory, the platform's way; 0 on success. */
#ifdef _WIN32
#ifndef SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE
#define SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE 0x2
#endif
static int make_symlink(const char *target, const char *name)
{
    return CreateSymbolicLinkA(name, target, SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE) ? 0 : -1;
}
static int make_hard_link(const char *target, const char *name)
{
    return CreateHardLinkA(name, target, NULL) ? 0 : -1;
}
static int make_dir(const char *path) { return _mkdir(path); }
#else
static int make_symlink(const char *target, const char *name) { return symlink(target, name); }
static int make_hard_link(const char *target, const char *name) { return link(target, name); }
static int make_dir(const char *path) { return mkdir(path, 0700); }
#endif

static const char *url;
static const char *secret;
static const char *work_dir;

static char *path_in_work(const char *name)
{
    static char paths[32][1024];
    static int next;
    char *path = paths[next++ % 32];
    snprintf(path, sizeof paths[0], "%s/%s", work_dir, name);
    return path;
}

static hamustro_config config_for(const char *collector_url, const char *db_path,
                                  const char *device)
{
    hamustro_config config = {0};
    CHECK_STATUS(hamustro_config_new(&config), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_collector_url(config, collector_url), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_shared_secret_key(config, secret), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_device_id(config, device), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_client_id(config, "abuse-test"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_system_version(config, "6.1"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_product_version(config, "0.1.0-abuse"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_database_path(config, db_path), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_queue_size(config, 1000), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_queue_retention(config, 100000), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_request_timeout_ms(config, 5000), HAMUSTRO_STATUS_OK);
    return config;
}

static hamustro_tracker open_tracker(const char *db_path, const char *device)
{
    hamustro_config config = config_for(url, db_path, device);
    hamustro_tracker tracker = {0};
    CHECK_STATUS(hamustro_tracker_new(config, &tracker), HAMUSTRO_STATUS_OK);
    hamustro_config_free(config);
    return tracker;
}

static hamustro_status try_open(const char *db_path, hamustro_tracker *out)
{
    hamustro_config config = config_for(url, db_path, "abuse-device");
    hamustro_status status = hamustro_tracker_new(config, out);
    hamustro_config_free(config);
    return status;
}

static void track(hamustro_tracker tracker, const char *event)
{
    CHECK_STATUS(hamustro_tracker_track_event(tracker, event, NULL, NULL, 0), HAMUSTRO_STATUS_OK);
}

/* 1. One database file, whatever the spelling: a symlink, a hard link, a path with
 * "..": while one tracker holds it, every other name is refused; after free, the
 * file is reachable by any of them and numbering goes on. */
static void test_one_tracker_per_file(void)
{
    const char *db = path_in_work("aliased.sqlite3");
    hamustro_tracker holder = open_tracker(db, "abuse-device");
    for (int i = 0; i < 5; i++)
        track(holder, "Alias.First");

    const char *symlinked = path_in_work("symlink.sqlite3");
    struct stat through_link;
    int have_symlink = make_symlink(db, symlinked) == 0 && stat(symlinked, &through_link) == 0;
#ifdef _WIN32
    /* Creating one needs a privilege or developer mode (and Wine only pretends). */
    if (!have_symlink)
        printf("note: this Windows cannot make symbolic links; the symlink alias is left out\n");
#else
    CHECK(have_symlink);
#endif
    const char *hard_linked = path_in_work("hardlink.sqlite3");
    CHECK(make_hard_link(db, hard_linked) == 0);
    CHECK(make_dir(path_in_work("sub")) == 0);
    const char *dotted = path_in_work("sub/../aliased.sqlite3");
    const char *aliases[] = {db, hard_linked, dotted, symlinked};
    size_t alias_count = sizeof aliases / sizeof aliases[0] - (have_symlink ? 0 : 1);
    for (size_t i = 0; i < alias_count; i++) {
        hamustro_tracker second = {0};
        CHECK_STATUS(try_open(aliases[i], &second), HAMUSTRO_STATUS_STORAGE);
        CHECK_MESSAGE("in use by another tracker");
        CHECK(second.id == 0);
    }
    CHECK_STATUS(hamustro_tracker_free(holder), HAMUSTRO_STATUS_OK);

    /* Reached through another name now: the same queue, numbered on from 6. */
    hamustro_tracker reopened = open_tracker(have_symlink ? symlinked : hard_linked, "abuse-device");
    for (int i = 0; i < 5; i++)
        track(reopened, "Alias.Second");
    CHECK_STATUS(hamustro_tracker_flush(reopened, 20000), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_free(reopened), HAMUSTRO_STATUS_OK);
}

/* 4. Reopening right after free, while other threads are still calling the freed
 * handle: free releases the files, and the late calls get INVALID_HANDLE. */
struct hammer {
    hamustro_tracker tracker;
    atomic_int stop;
    atomic_int unexpected;
};

/* Calls that hold the tracker for a while (a store write, a flush) as well as quick
 * ones, until the handle is refused. */
static void *hammer_handle(void *arg)
{
    struct hammer *hammer = arg;
    for (unsigned call = 0; !atomic_load(&hammer->stop); call++) {
        hamustro_stats stats = {.size = sizeof stats};
        hamustro_status status;
        switch (call % 4) {
        case 0:
            status = hamustro_tracker_track_event(hammer->tracker, "Reopen.Hammer", NULL, NULL, 0);
            break;
        case 1:
            status = hamustro_tracker_set_user(hammer->tracker, "tenant", "user");
            break;
        case 2:
            status = hamustro_tracker_set_global_parameter(hammer->tracker, "round", "1");
            break;
        default:
            status = hamustro_tracker_flush(hammer->tracker, 1);
            if (status == HAMUSTRO_STATUS_TIMEOUT)
                status = hamustro_tracker_get_stats(hammer->tracker, &stats);
            break;
        }
        if (status == HAMUSTRO_STATUS_INVALID_HANDLE)
            break;
        if (status != HAMUSTRO_STATUS_OK)
            atomic_fetch_add(&hammer->unexpected, 1);
    }
    return NULL;
}

static void test_reopen_right_after_free(int rounds)
{
    const char *db = path_in_work("reopened.sqlite3");
    int refused = 0;
    int unexpected = 0;
    for (int round = 0; round < rounds; round++) {
        struct hammer hammer = {.tracker = open_tracker(db, "abuse-reopen")};
        pthread_t threads[3];
        for (int i = 0; i < 3; i++)
            pthread_create(&threads[i], NULL, hammer_handle, &hammer);
        hamustro_tracker_free(hammer.tracker);
        hamustro_tracker next = {0};
        if (try_open(db, &next) != HAMUSTRO_STATUS_OK)
            refused++;
        atomic_store(&hammer.stop, 1);
        for (int i = 0; i < 3; i++)
            pthread_join(threads[i], NULL);
        unexpected += atomic_load(&hammer.unexpected);
        hamustro_tracker_free(next);
    }
    CHECK(refused == 0);
    CHECK(unexpected == 0);
    if (refused)
        fprintf(stderr, "  reopen after free refused in %d of %d rounds\n", refused, rounds);
}

/* 6. The log callback runs on the delivery thread; from there it frees its tracker
 * (and, before that, tries a flush, which cannot wait for the thread it runs on). */
static hamustro_tracker callback_tracker;
static atomic_int callback_free_status = -1;
static atomic_int callback_flush_status = -1;
static sem_t callback_done;

static void free_from_callback(uint32_t level, const char *message, void *user_data)
{
    (void)message;
    (void)user_data;
    /* A warning about a failed delivery comes from the delivery thread. */
    if (level != 2 || atomic_load(&callback_free_status) != -1)
        return;
    atomic_store(&callback_flush_status, (int)hamustro_tracker_flush(callback_tracker, 60000));
    atomic_store(&callback_free_status, (int)hamustro_tracker_free(callback_tracker));
    sem_post(&callback_done);
}

static void test_free_from_the_delivery_thread(void)
{
    const char *db = path_in_work("callback.sqlite3");
    sem_init(&callback_done, 0, 0);
    /* Nothing listens on port 9 of loopback: the first delivery fails at once. */
    hamustro_config config = config_for("http://127.0.0.1:9", db, "abuse-callback");
    CHECK_STATUS(hamustro_tracker_new(config, &callback_tracker), HAMUSTRO_STATUS_OK);
    hamustro_config_free(config);
    CHECK_STATUS(hamustro_set_log_callback(free_from_callback, NULL, 2), HAMUSTRO_STATUS_OK);
    /* A new database has never synced: its first event starts a delivery. */
    track(callback_tracker, "Callback.Tracked");
    CHECK(sem_wait(&callback_done) == 0);
    CHECK_STATUS(hamustro_set_log_callback(NULL, NULL, 0), HAMUSTRO_STATUS_OK);
    CHECK(atomic_load(&callback_flush_status) == HAMUSTRO_STATUS_TIMEOUT);
    CHECK(atomic_load(&callback_free_status) == HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_free(callback_tracker), HAMUSTRO_STATUS_INVALID_HANDLE);
    /* Free returned on the delivery thread with the files released: reopen at once,
     * and the event tracked before is still queued. */
    hamustro_tracker reopened = {0};
    CHECK_STATUS(try_open(db, &reopened), HAMUSTRO_STATUS_OK);
    hamustro_stats stats = {.size = sizeof stats};
    CHECK_STATUS(hamustro_tracker_get_stats(reopened, &stats), HAMUSTRO_STATUS_OK);
    CHECK(stats.queued == 1);
    CHECK_STATUS(hamustro_tracker_free(reopened), HAMUSTRO_STATUS_OK);
    sem_destroy(&callback_done);
}

#ifndef _WIN32
/* 5. A forked child (POSIX only: Windows has no fork): every call on the inherited handle is refused, and nothing it
 * does touches the parent's files; a new tracker of its own, on another database,
 * works. The child reports through its exit status. */
static int child_checks(hamustro_tracker inherited)
{
    int bad = 0;
    if (hamustro_tracker_track_event(inherited, "Fork.Child", NULL, NULL, 0) !=
        HAMUSTRO_STATUS_INVALID_HANDLE)
        bad |= 1;
    if (strstr(last_message(), "create a new tracker in the child") == NULL)
        bad |= 2;
    hamustro_stats stats = {.size = sizeof stats};
    if (hamustro_tracker_get_stats(inherited, &stats) != HAMUSTRO_STATUS_INVALID_HANDLE ||
        hamustro_tracker_set_user(inherited, NULL, "child") != HAMUSTRO_STATUS_INVALID_HANDLE ||
        hamustro_tracker_flush(inherited, 1000) != HAMUSTRO_STATUS_INVALID_HANDLE ||
        hamustro_tracker_discard_queued(inherited, NULL) != HAMUSTRO_STATUS_INVALID_HANDLE ||
        hamustro_tracker_free(inherited) != HAMUSTRO_STATUS_INVALID_HANDLE)
        bad |= 4;
    /* The parent's database stays the parent's. */
    hamustro_tracker intruder = {0};
    if (try_open(path_in_work("forked.sqlite3"), &intruder) != HAMUSTRO_STATUS_STORAGE)
        bad |= 8;
    hamustro_config config = config_for(url, path_in_work("child.sqlite3"), "abuse-child");
    hamustro_tracker own = {0};
    if (hamustro_tracker_new(config, &own) != HAMUSTRO_STATUS_OK)
        bad |= 16;
    hamustro_config_free(config);
    if (hamustro_tracker_track_event(own, "Fork.ChildOwn", NULL, NULL, 0) != HAMUSTRO_STATUS_OK ||
        hamustro_tracker_flush(own, 20000) != HAMUSTRO_STATUS_OK ||
        hamustro_tracker_free(own) != HAMUSTRO_STATUS_OK)
        bad |= 32;
    return bad;
}

static void test_forked_child(void)
{
    hamustro_tracker parent = open_tracker(path_in_work("forked.sqlite3"), "abuse-fork");
    for (int i = 0; i < 3; i++)
        track(parent, "Fork.Parent");
    /* Fork with no request in flight: a fork while the delivery thread is inside the
     * HTTP or TLS stack can leave a process-wide lock of theirs held in the child,
     * where the child's own tracker would then wait on it (see the note). */
    CHECK_STATUS(hamustro_tracker_flush(parent, 20000), HAMUSTRO_STATUS_OK);
    fflush(NULL);
    pid_t child = fork();
    if (child == 0)
        _exit(child_checks(parent));
    int status = 0;
    CHECK(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    if (WEXITSTATUS(status) != 0)
        fprintf(stderr, "  child's failed checks (bit mask): %d\n", WEXITSTATUS(status));
    for (int i = 0; i < 3; i++)
        track(parent, "Fork.Parent");
    CHECK_STATUS(hamustro_tracker_flush(parent, 20000), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_free(parent), HAMUSTRO_STATUS_OK);
}
#endif

/* 7. A thread whose first library call happens in a thread-exit destructor: nothing
 * may be left allocated for it (valgrind and LeakSanitizer check). */
static pthread_key_t exit_key;
static atomic_int destructor_status = -1;

static void call_from_destructor(void *value)
{
    (void)value;
    hamustro_status status = hamustro_tracker_track_event((hamustro_tracker){0}, "Exit.Call", NULL, NULL, 0);
    char message[64];
    hamustro_last_error_message(message, sizeof message);
    atomic_store(&destructor_status, (int)status);
}

static void *thread_with_exit_call(void *arg)
{
    (void)arg;
    pthread_setspecific(exit_key, (void *)1);
    return NULL;
}

static void test_first_call_in_a_thread_exit_destructor(void)
{
    CHECK(pthread_key_create(&exit_key, call_from_destructor) == 0);
    for (int i = 0; i < 20; i++) {
        pthread_t thread;
        CHECK(pthread_create(&thread, NULL, thread_with_exit_call, NULL) == 0);
        CHECK(pthread_join(thread, NULL) == 0);
    }
    CHECK(atomic_load(&destructor_status) == HAMUSTRO_STATUS_INVALID_HANDLE);
    pthread_key_delete(exit_key);
}

/* 8. Collector URLs: refused at configuration, naming the problem, unless they can be
 * sent to; schemes are case-insensitive. */
static void test_collector_urls(void)
{
    const struct {
        const char *url;
        const char *named;
    } refused[] = {
        {"http://:80", "no host"},
        {"http://[::1", "closing ']'"},
        {"http://127.0.0.1:0", "port 0"},
        {"http://127.0.0.1:99999", "port 99999"},
        {"http://127.0.0.1\x01:80", "control character"},
        {"http://a\\b", "backslash"},
        {"http://h/?query", "query"},
        {"gopher://h", "http:// or https://"},
    };
    const char *db = path_in_work("urls.sqlite3");
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        hamustro_config config = config_for(refused[i].url, db, "abuse-url");
        hamustro_tracker tracker = {0};
        CHECK_STATUS(hamustro_tracker_new(config, &tracker), HAMUSTRO_STATUS_INVALID_ARGUMENT);
        CHECK_MESSAGE(refused[i].named);
        CHECK(tracker.id == 0);
        hamustro_config_free(config);
    }
    /* "HTTP://" + the rest of the collector's URL, which starts with "http://". */
    char upper[512];
    snprintf(upper, sizeof upper, "HTTP://%s", url + strlen("http://"));
    hamustro_config config = config_for(upper, db, "abuse-url");
    hamustro_tracker tracker = {0};
    CHECK_STATUS(hamustro_tracker_new(config, &tracker), HAMUSTRO_STATUS_OK);
    hamustro_config_free(config);
    track(tracker, "Url.UpperCaseScheme");
    CHECK_STATUS(hamustro_tracker_flush(tracker, 20000), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_free(tracker), HAMUSTRO_STATUS_OK);
}

/* 2. A value that would poison every later event is refused where it is set, and
 * tracking goes on, across a restart too. */
static void test_settings_too_large_for_any_event(void)
{
    const char *db = path_in_work("poison.sqlite3");
    hamustro_tracker tracker = open_tracker(db, "abuse-poison");
    size_t huge_len = 10 * 1024 * 1024;
    char *huge = malloc(huge_len + 1);
    memset(huge, 'x', huge_len);
    huge[huge_len] = 0;
    CHECK_STATUS(hamustro_tracker_set_user(tracker, NULL, huge), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_MESSAGE("65536");
    CHECK_STATUS(hamustro_tracker_set_user(tracker, huge, NULL), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_tracker_set_global_parameter(tracker, "blob", huge),
                 HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_MESSAGE("65536");
    /* Many small ones add up to the same limit: the one that crosses it is refused. */
    huge[40 * 1024] = 0;
    CHECK_STATUS(hamustro_tracker_set_global_parameter(tracker, "first", huge), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_set_global_parameter(tracker, "second", huge),
                 HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_tracker_set_user(tracker, NULL, huge), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    free(huge);
    track(tracker, "Poison.StillTracked");
    CHECK_STATUS(hamustro_tracker_free(tracker), HAMUSTRO_STATUS_OK);
    tracker = open_tracker(db, "abuse-poison");
    track(tracker, "Poison.AfterRestart");
    CHECK_STATUS(hamustro_tracker_flush(tracker, 20000), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_free(tracker), HAMUSTRO_STATUS_OK);
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "open") == 0) {
        url = argv[2];
        secret = argv[3];
        hamustro_tracker tracker = {0};
        hamustro_status status = try_open(argv[4], &tracker);
        printf("%s\n", hamustro_status_name(status));
        return 0;
    }
    if (argc < 5 || strcmp(argv[1], "suite") != 0) {
        fprintf(stderr, "usage: %s suite COLLECTOR_URL SECRET WORK_DIR [ROUNDS [no-fork]]\n"
                        "       %s open COLLECTOR_URL SECRET DATABASE_PATH\n",
                argv[0], argv[0]);
        return 2;
    }
    url = argv[2];
    secret = argv[3];
    work_dir = argv[4];
    int rounds = argc > 5 ? atoi(argv[5]) : 200;
    int with_fork = !(argc > 6 && strcmp(argv[6], "no-fork") == 0);

    test_one_tracker_per_file();
    test_reopen_right_after_free(rounds);
    test_free_from_the_delivery_thread();
#ifdef _WIN32
    (void)with_fork;
#else
    if (with_fork)
        test_forked_child();
#endif
    test_first_call_in_a_thread_exit_destructor();
    test_collector_urls();
    test_settings_too_large_for_any_event();

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
