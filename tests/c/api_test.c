/*
 * api_test.c: exercises every function of the hamustro C API, success and error paths,
 * against a running collector.
 *
 *     api_test COLLECTOR_URL SHARED_SECRET DATABASE_PATH
 *
 * DATABASE_PATH must not exist yet or belong to this test: the test also creates
 * DATABASE_PATH-salted, DATABASE_PATH-unreachable and DATABASE_PATH-rejected next to it.
 *
 * What the collector must receive is checked by tests/it/c_api.rs, which runs this program:
 * keep the events tracked here and the expectations there in step.
 *
 * Prints one line per failed check, then "N passed, M failed"; exits non-zero on any
 * failure.
 */

#define _POSIX_C_SOURCE 200809L

/* First, so that the test also proves the header is self-contained. */
#include "hamustro.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* Not valid UTF-8: a lone continuation byte and a truncated sequence. */
static const char INVALID_UTF8[] = {'b', 'a', 'd', (char)0x80, (char)0xE2, (char)0x82, 0};

/* A handle nobody was given: handles count up from 1 and this one is far away. */
static const uint64_t MADE_UP_HANDLE = UINT64_C(0x7ead000000000001);

static const char *url;
static const char *secret;

/* A config handle with the six required fields, the test's options and `db_path`. */
static hamustro_config complete_config(const char *collector_url, const char *shared_secret,
                                       const char *db_path)
{
    hamustro_config config = {0};
    CHECK_STATUS(hamustro_config_new(&config), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_collector_url(config, collector_url), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_shared_secret_key(config, shared_secret), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_device_id(config, "c-api-test-device"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_client_id(config, "c-api-test"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_system_version(config, "6.1"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_product_version(config, "0.1.0-test"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_env(config, HAMUSTRO_ENVIRONMENT_TESTING), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_database_path(config, db_path), HAMUSTRO_STATUS_OK);
    /* Once a delivery succeeded, nothing is sent before an explicit flush (the first
     * event of a new database is sent at once: it has never synced). */
    CHECK_STATUS(hamustro_config_set_queue_size(config, 1000), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_queue_retention(config, 100000), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_request_timeout_ms(config, 5000), HAMUSTRO_STATUS_OK);
    /* Fixed values, so that tests/it/c_api.rs can check what arrives. */
    CHECK_STATUS(hamustro_config_set_ip(config, "192.0.2.7"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_country(config, "HU"), HAMUSTRO_STATUS_OK);
    return config;
}

/* HAMUSTRO_DEPRECATED is usable on an app's own declarations too; never called. */
HAMUSTRO_DEPRECATED("only checks that the macro compiles on a declaration")
int api_test_deprecated_declaration(void);

/* The header's version macros are the library's version: an app can check at run
 * time that it loaded the library it was compiled against. */
static void test_version_macros_are_the_librarys_version(void)
{
    char expected[64];
    snprintf(expected, sizeof expected, "%d.%d.%d", HAMUSTRO_VERSION_MAJOR,
             HAMUSTRO_VERSION_MINOR, HAMUSTRO_VERSION_PATCH);
    CHECK(strcmp(hamustro_version(), expected) == 0);
}

static void test_static_functions(void)
{
    const char *version = hamustro_version();
    CHECK(version != NULL && strlen(version) >= 5);
    CHECK(version != NULL && strchr(version, '.') != NULL);

    static const char *const NAMES[] = {
        "HAMUSTRO_STATUS_OK",      "HAMUSTRO_STATUS_INVALID_ARGUMENT",
        "HAMUSTRO_STATUS_INVALID_HANDLE", "HAMUSTRO_STATUS_STORAGE",
        "HAMUSTRO_STATUS_NETWORK", "HAMUSTRO_STATUS_REJECTED",
        "HAMUSTRO_STATUS_TIMEOUT", "HAMUSTRO_STATUS_INTERNAL",
        "HAMUSTRO_STATUS_DISABLED", "HAMUSTRO_STATUS_OUT_OF_RESOURCES",
    };
    for (uint32_t status = 0; status < sizeof NAMES / sizeof NAMES[0]; status++) {
        CHECK(strcmp(hamustro_status_name(status), NAMES[status]) == 0);
    }
    CHECK(HAMUSTRO_STATUS_OUT_OF_RESOURCES == 9);
    CHECK(strcmp(hamustro_status_name(10), "HAMUSTRO_STATUS_UNKNOWN") == 0);
    CHECK(strcmp(hamustro_status_name(1000), "HAMUSTRO_STATUS_UNKNOWN") == 0);
    CHECK(strcmp(hamustro_status_name(UINT32_MAX), "HAMUSTRO_STATUS_UNKNOWN") == 0);
}

static void test_last_error_message(void)
{
    /* Nothing has failed on this thread yet (this runs first): 0, and an empty string. */
    char buffer[64];
    memset(buffer, 'x', sizeof buffer);
    CHECK(hamustro_last_error_message(buffer, sizeof buffer) == 0);
    CHECK(buffer[0] == '\0');
    CHECK(hamustro_last_error_message(NULL, 0) == 0);

    /* After a failure: NULL or a zero length asks for the length only. */
    hamustro_config config = complete_config(url, secret, NULL);
    CHECK_STATUS(hamustro_config_free(config), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_device_make(config, "x"), HAMUSTRO_STATUS_INVALID_HANDLE);
    size_t length = hamustro_last_error_message(NULL, 0);
    CHECK(length > 0);
    CHECK(hamustro_last_error_message(NULL, 100) == length);
    char full[256];
    CHECK(hamustro_last_error_message(full, sizeof full) == length);
    CHECK(strlen(full) == length);
    CHECK_MESSAGE("configuration handle");
}

/* Cuts this thread's last message (which must hold a multi-byte character) into
 * buffers of every size and checks each is a NUL-terminated prefix ending on a
 * character boundary. */
static void check_truncation(void)
{
    char full[512];
    size_t length = hamustro_last_error_message(full, sizeof full);
    CHECK(length > 0 && length < sizeof full);
    const char *multibyte = NULL;
    for (const char *p = full; *p != '\0'; p++) {
        if ((unsigned char)*p >= 0x80) {
            multibyte = p;
            break;
        }
    }
    CHECK(multibyte != NULL);
    if (multibyte == NULL) {
        return;
    }
    size_t start = (size_t)(multibyte - full);

    /* Room for everything before the character and its first byte only: the cut
     * falls back to the character's start. */
    char cut[512];
    memset(cut, 'x', sizeof cut);
    CHECK(hamustro_last_error_message(cut, start + 2) == length);
    CHECK(strlen(cut) == start);
    CHECK(memcmp(cut, full, start) == 0);
    CHECK(cut[start + 1] == 'x'); /* nothing written past the NUL */

    /* Every size gives a prefix that is whole UTF-8 (never a continuation byte left
     * dangling at the end). */
    int all_ok = 1;
    for (size_t size = 1; size <= length + 1; size++) {
        memset(cut, 'x', sizeof cut);
        size_t got = hamustro_last_error_message(cut, size);
        size_t written = strlen(cut);
        int ok = got == length && written < size && memcmp(cut, full, written) == 0;
        /* The next byte of the full message must start a character (or be the end). */
        ok = ok && ((unsigned char)full[written] & 0xC0) != 0x80;
        all_ok = all_ok && ok;
    }
    CHECK(all_ok);

    /* Size 1 writes just the NUL; size 0 writes nothing. */
    memset(cut, 'x', sizeof cut);
    CHECK(hamustro_last_error_message(cut, 1) == length);
    CHECK(cut[0] == '\0' && cut[1] == 'x');
    memset(cut, 'x', sizeof cut);
    CHECK(hamustro_last_error_message(cut, 0) == length);
    CHECK(cut[0] == 'x');
}

static void test_config_errors(void)
{
    hamustro_config config = {0};
    CHECK_STATUS(hamustro_config_new(NULL), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_MESSAGE("out_config");

    /* Handle 0 and a made-up handle, for every setter. */
    uint64_t bad_handles[] = {0, MADE_UP_HANDLE};
    for (size_t i = 0; i < 2; i++) {
        hamustro_config bad = {bad_handles[i]};
        CHECK_STATUS(hamustro_config_free(bad), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_collector_url(bad, url), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_shared_secret_key(bad, "s"), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_device_id(bad, "d"), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_client_id(bad, "c"), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_system_version(bad, "1"), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_product_version(bad, "1"), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_env(bad, 0), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_device_make(bad, "m"), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_device_model(bad, "m"), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_system(bad, "s"), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_system_language(bad, "en"), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_browser(bad, "b"), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_browser_version(bad, "1"), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_product_git_hash(bad, "g"), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_product_language(bad, "en"), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_queue_size(bad, 1), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_queue_retention(bad, 1), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_database_path(bad, "/tmp/x"), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_payload_format(bad, 0), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_request_timeout_ms(bad, 1), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_ip(bad, NULL), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_country(bad, NULL), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_user_id_salt(bad, "salt"), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_max_queued_events(bad, 10), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_config_set_accept_invalid_certs_for_loopback(bad, true),
                     HAMUSTRO_STATUS_INVALID_HANDLE);
        hamustro_tracker tracker = {0};
        CHECK_STATUS(hamustro_tracker_new(bad, &tracker), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK(tracker.id == 0); /* out-parameters are written only on success */
    }
    CHECK_MESSAGE("is not a live configuration handle");

    CHECK_STATUS(hamustro_config_new(&config), HAMUSTRO_STATUS_OK);
    CHECK(config.id != 0);

    /* Required fields refuse NULL, "" and invalid UTF-8, naming the field. */
    CHECK_STATUS(hamustro_config_set_collector_url(config, NULL), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_MESSAGE("collector_url");
    CHECK_STATUS(hamustro_config_set_shared_secret_key(config, ""), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_MESSAGE("shared_secret_key");
    CHECK_STATUS(hamustro_config_set_device_id(config, INVALID_UTF8), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_MESSAGE("UTF-8");
    CHECK_STATUS(hamustro_config_set_client_id(config, NULL), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_config_set_system_version(config, ""), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_config_set_product_version(config, INVALID_UTF8),
                 HAMUSTRO_STATUS_INVALID_ARGUMENT);

    /* Optional fields take NULL (unset) but not invalid UTF-8. */
    CHECK_STATUS(hamustro_config_set_device_make(config, NULL), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_device_make(config, INVALID_UTF8), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_MESSAGE("device_make");
    CHECK_STATUS(hamustro_config_set_device_model(config, INVALID_UTF8), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_config_set_system(config, INVALID_UTF8), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_config_set_system_language(config, INVALID_UTF8),
                 HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_config_set_browser(config, INVALID_UTF8), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_config_set_browser_version(config, INVALID_UTF8),
                 HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_config_set_product_git_hash(config, INVALID_UTF8),
                 HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_config_set_product_language(config, INVALID_UTF8),
                 HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_config_set_database_path(config, INVALID_UTF8),
                 HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_config_set_database_path(config, ""), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_config_set_ip(config, INVALID_UTF8), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_config_set_country(config, INVALID_UTF8), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_config_set_user_id_salt(config, INVALID_UTF8), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_MESSAGE("user_id_salt");
    CHECK_STATUS(hamustro_config_set_user_id_salt(config, NULL), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_browser(config, "Firefox"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_browser_version(config, "126.0"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_browser(config, NULL), HAMUSTRO_STATUS_OK);

    /* Numbers out of range. */
    CHECK_STATUS(hamustro_config_set_env(config, -1), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_MESSAGE("env");
    CHECK_STATUS(hamustro_config_set_env(config, 12), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_config_set_env(config, HAMUSTRO_ENVIRONMENT_DEVELOPMENT), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_payload_format(config, 2), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_config_set_payload_format(config, HAMUSTRO_PAYLOAD_FORMAT_JSON),
                 HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_request_timeout_ms(config, 0), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_config_set_queue_size(config, 0), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_queue_retention(config, 0), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_max_queued_events(config, 0), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_MESSAGE("max_queued_events");
    CHECK_STATUS(hamustro_config_set_max_queued_events(config, 5000), HAMUSTRO_STATUS_OK);

    /* Missing required fields are named by hamustro_tracker_new, in order. */
    hamustro_tracker tracker = {0};
    CHECK_STATUS(hamustro_tracker_new(config, &tracker), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_MESSAGE("collector_url is required");
    CHECK(tracker.id == 0);
    CHECK_STATUS(hamustro_config_set_collector_url(config, url), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_shared_secret_key(config, secret), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_device_id(config, "d"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_new(config, &tracker), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_MESSAGE("client_id is required");
    CHECK(tracker.id == 0);

    /* No secret in any message, even for a bad URL next to it. */
    CHECK_STATUS(hamustro_config_set_client_id(config, "c"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_system_version(config, "1"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_product_version(config, "1"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_collector_url(config, "ftp://collector.example"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_new(config, &tracker), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_MESSAGE("collector_url");
    CHECK(strstr(last_message(), secret) == NULL);
    CHECK(tracker.id == 0);

    /* Skipping certificate checks is refused for anything but a loopback host. */
    CHECK_STATUS(hamustro_config_set_collector_url(config, "https://collector.example"),
                 HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_accept_invalid_certs_for_loopback(config, true), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_new(config, &tracker), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK(tracker.id == 0);
    CHECK_STATUS(hamustro_config_set_accept_invalid_certs_for_loopback(config, false), HAMUSTRO_STATUS_OK);

    /* A fixed IP must be IPv4: checked when the tracker is created. */
    CHECK_STATUS(hamustro_config_set_collector_url(config, url), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_ip(config, "::1"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_new(config, &tracker), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_MESSAGE("IPv4");
    CHECK(tracker.id == 0);

    /* A NULL out-parameter. */
    CHECK_STATUS(hamustro_tracker_new(config, NULL), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_MESSAGE("out_tracker");

    /* Free twice. */
    CHECK_STATUS(hamustro_config_free(config), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_free(config), HAMUSTRO_STATUS_INVALID_HANDLE);
    CHECK_STATUS(hamustro_config_set_client_id(config, "c"), HAMUSTRO_STATUS_INVALID_HANDLE);
}

static void test_tracker_errors_on_bad_handles(void)
{
    const char *names[] = {"k"};
    const char *values[] = {"v"};
    uint64_t bad_handles[] = {0, MADE_UP_HANDLE};
    for (size_t i = 0; i < 2; i++) {
        hamustro_tracker bad = {bad_handles[i]};
        CHECK_STATUS(hamustro_tracker_track_event(bad, "E", names, values, 1),
                     HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_tracker_track_event_packed(bad, "E", 2), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_tracker_set_user(bad, "t", "u"), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_tracker_set_headers(bad, names, values, 1), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_tracker_flush(bad, 10), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_tracker_free(bad), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_tracker_set_enabled(bad, false), HAMUSTRO_STATUS_INVALID_HANDLE);
        bool enabled = true;
        CHECK_STATUS(hamustro_tracker_is_enabled(bad, &enabled), HAMUSTRO_STATUS_INVALID_HANDLE);
        uint64_t discarded = 42;
        CHECK_STATUS(hamustro_tracker_discard_queued(bad, &discarded), HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK(discarded == 42); /* out-parameters are written only on success */
        CHECK_STATUS(hamustro_tracker_set_global_parameter(bad, "k", "v"),
                     HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK_STATUS(hamustro_tracker_clear_global_parameters(bad), HAMUSTRO_STATUS_INVALID_HANDLE);
        hamustro_stats stats = {.size = sizeof stats};
        CHECK_STATUS(hamustro_tracker_get_stats(bad, &stats), HAMUSTRO_STATUS_INVALID_HANDLE);
        size_t length = 42;
        CHECK_STATUS(hamustro_tracker_last_delivery_error(bad, NULL, 0, &length),
                     HAMUSTRO_STATUS_INVALID_HANDLE);
        CHECK(length == 42);
    }
    CHECK_MESSAGE("is not a live tracker handle");

    /* Passing a configuration to a tracker function no longer compiles; a handle
       forged from a configuration's id is still refused at run time. */
    hamustro_config config = {0};
    CHECK_STATUS(hamustro_config_new(&config), HAMUSTRO_STATUS_OK);
    hamustro_tracker forged = {config.id};
    CHECK_STATUS(hamustro_tracker_flush(forged, 10), HAMUSTRO_STATUS_INVALID_HANDLE);
    CHECK_STATUS(hamustro_tracker_free(forged), HAMUSTRO_STATUS_INVALID_HANDLE);
    CHECK_STATUS(hamustro_config_free(config), HAMUSTRO_STATUS_OK);
}

/* The last error belongs to the thread that failed: a new thread has none, and its
 * own failure does not replace this thread's message. */
static void *fail_on_other_thread(void *unused)
{
    (void)unused;
    size_t *result = malloc(2 * sizeof *result);
    if (result == NULL) {
        return NULL;
    }
    result[0] = hamustro_last_error_message(NULL, 0);
    hamustro_tracker_free((hamustro_tracker){MADE_UP_HANDLE});
    result[1] = hamustro_last_error_message(NULL, 0);
    return result;
}

static void test_last_error_is_per_thread(void)
{
    hamustro_config_set_env((hamustro_config){0}, 0); /* "0 is not a live configuration handle" here */
    char before[256];
    hamustro_last_error_message(before, sizeof before);

    pthread_t thread;
    void *result = NULL;
    CHECK(pthread_create(&thread, NULL, fail_on_other_thread, NULL) == 0);
    CHECK(pthread_join(thread, &result) == 0);
    CHECK(result != NULL);
    if (result != NULL) {
        size_t *lengths = result;
        CHECK(lengths[0] == 0);
        CHECK(lengths[1] > 0);
        free(result);
    }
    CHECK(strcmp(last_message(), before) == 0);
}

/* What the log callback saw; it runs on library threads, so only atomics here. */
struct log_state {
    atomic_int messages;
    atomic_int bad_levels;
    atomic_int leaks; /* messages holding the secret, a user id or a parameter */
};

static struct log_state log_state;

static void on_log(uint32_t level, const char *message, void *user_data)
{
    struct log_state *state = user_data;
    atomic_fetch_add(&state->messages, 1);
    if (level < 1 || level > 4 || message == NULL) {
        atomic_fetch_add(&state->bad_levels, 1);
        return;
    }
    if (strstr(message, secret) != NULL || strstr(message, "player-1337") != NULL ||
        strstr(message, "ハムスター") != NULL) {
        atomic_fetch_add(&state->leaks, 1);
    }
}

static void test_log_callback_errors(void)
{
    CHECK_STATUS(hamustro_set_log_callback(on_log, &log_state, 0), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_MESSAGE("log level");
    CHECK_STATUS(hamustro_set_log_callback(on_log, &log_state, 5), HAMUSTRO_STATUS_INVALID_ARGUMENT);
    /* NULL switches logging off, whatever the level. */
    CHECK_STATUS(hamustro_set_log_callback(NULL, NULL, 0), HAMUSTRO_STATUS_OK);
}

/* The callback (installed at debug level around the tracking tests) heard something,
 * and nothing it heard held a secret, a user id or a parameter value. */
static void check_log_messages(void)
{
    CHECK_STATUS(hamustro_set_log_callback(NULL, NULL, 0), HAMUSTRO_STATUS_OK);
    CHECK(atomic_load(&log_state.messages) > 0);
    CHECK(atomic_load(&log_state.bad_levels) == 0);
    CHECK(atomic_load(&log_state.leaks) == 0);
}

/* The tracker the collector hears from: see tests/it/c_api.rs for what it expects. */
static void test_tracking(const char *db_path)
{
    hamustro_config config = complete_config(url, secret, db_path);
    CHECK_STATUS(hamustro_config_set_system(config, "Linux"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_device_make(config, "Framework"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_device_model(config, "Laptop 13"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_system_language(config, "hu-HU"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_product_git_hash(config, "3f2a9c1"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_product_language(config, "hu"), HAMUSTRO_STATUS_OK);

    hamustro_tracker tracker = {0};
    CHECK_STATUS(hamustro_tracker_new(config, &tracker), HAMUSTRO_STATUS_OK);
    CHECK(tracker.id != 0);

    /* One tracker per database: a second one is refused while the first lives. */
    hamustro_tracker second = {0};
    CHECK_STATUS(hamustro_tracker_new(config, &second), HAMUSTRO_STATUS_STORAGE);
    CHECK(second.id == 0);

    /* The configuration was copied: freeing it does not affect the tracker. */
    CHECK_STATUS(hamustro_config_free(config), HAMUSTRO_STATUS_OK);

    /* Headers: the library's own are reserved, names must be tokens, values must not
     * hold control characters. */
    {
        const char *names[] = {"X-Game-Build", "X-Hamustro-Signature"};
        const char *values[] = {"2024.06.1", "forged"};
        CHECK_STATUS(hamustro_tracker_set_headers(tracker, names, values, 2),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        CHECK_MESSAGE("X-Hamustro-Signature");
        const char *lower[] = {"content-type"};
        CHECK_STATUS(hamustro_tracker_set_headers(tracker, lower, values, 1),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        const char *spaced[] = {"Bad Header"};
        CHECK_STATUS(hamustro_tracker_set_headers(tracker, spaced, values, 1),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        const char *control[] = {"line\nbreak"};
        CHECK_STATUS(hamustro_tracker_set_headers(tracker, names, control, 1),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(hamustro_tracker_set_headers(tracker, names, NULL, 1),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        const char *null_name[] = {NULL};
        CHECK_STATUS(hamustro_tracker_set_headers(tracker, null_name, values, 1),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        const char *bad_utf8[] = {INVALID_UTF8};
        CHECK_STATUS(hamustro_tracker_set_headers(tracker, names, bad_utf8, 1),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);

        /* A non-ASCII header name: its message quotes it, multi-byte characters and
         * all, which is what the truncation check needs. */
        const char *unicode[] = {"Größe"};
        CHECK_STATUS(hamustro_tracker_set_headers(tracker, unicode, values, 1),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        check_truncation();

        /* A success does not clear the last message. */
        size_t length = hamustro_last_error_message(NULL, 0);
        CHECK_STATUS(hamustro_tracker_set_headers(tracker, NULL, NULL, 0), HAMUSTRO_STATUS_OK);
        CHECK(hamustro_last_error_message(NULL, 0) == length);

        CHECK_STATUS(hamustro_tracker_set_headers(tracker, names, values, 1), HAMUSTRO_STATUS_OK);
    }

    /* Bad events are refused and not stored. */
    {
        const char *names[] = {"level"};
        const char *values[] = {"1-1"};
        const char *null_value[] = {NULL};
        const char *empty[] = {""};
        const char *bad_utf8[] = {INVALID_UTF8};
        CHECK_STATUS(hamustro_tracker_track_event(tracker, NULL, NULL, NULL, 0),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        CHECK_MESSAGE("event");
        CHECK_STATUS(hamustro_tracker_track_event(tracker, "", NULL, NULL, 0),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(hamustro_tracker_track_event(tracker, INVALID_UTF8, NULL, NULL, 0),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        CHECK_MESSAGE("UTF-8");
        CHECK_STATUS(hamustro_tracker_track_event(tracker, "E", NULL, values, 1),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(hamustro_tracker_track_event(tracker, "E", names, NULL, 1),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(hamustro_tracker_track_event(tracker, "E", names, null_value, 1),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(hamustro_tracker_track_event(tracker, "E", empty, values, 1),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(hamustro_tracker_track_event(tracker, "E", names, bad_utf8, 1),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(hamustro_tracker_track_event(tracker, "E", bad_utf8, values, 1),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        /* Packed: no final NUL, a name without its value, NULL, invalid UTF-8. */
        CHECK_STATUS(hamustro_tracker_track_event_packed(tracker, "E\0k", 3),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        CHECK_MESSAGE("end with a NUL");
        CHECK_STATUS(hamustro_tracker_track_event_packed(tracker, "E\0k\0", 4),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        CHECK_MESSAGE("no value");
        CHECK_STATUS(hamustro_tracker_track_event_packed(tracker, NULL, 2),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(hamustro_tracker_track_event_packed(tracker, "E", 0),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(hamustro_tracker_track_event_packed(tracker, INVALID_UTF8, sizeof INVALID_UTF8),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        CHECK_MESSAGE("UTF-8");
        CHECK_STATUS(hamustro_tracker_set_user(tracker, INVALID_UTF8, NULL),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(hamustro_tracker_set_user(tracker, NULL, INVALID_UTF8),
                     HAMUSTRO_STATUS_INVALID_ARGUMENT);
    }

    /* The events tests/it/c_api.rs expects, in this order. */
    CHECK_STATUS(hamustro_tracker_set_user(tracker, "studio-42", "player-1337"), HAMUSTRO_STATUS_OK);
    {
        const char *names[] = {"level", "difficulty"};
        const char *values[] = {"1-1", "hard"};
        CHECK_STATUS(hamustro_tracker_track_event(tracker, "Level.Started", names, values, 2),
                     HAMUSTRO_STATUS_OK);
    }
    {
        /* The packed form: the name, then names and values, each with its NUL. A
         * literal splits before a digit that would extend the "\0" escape. */
        static const char packed[] =
            "Item.Purchased\0item\0sword_of_dawn\0currency\0gems\0price\0" "120\0";
        CHECK_STATUS(hamustro_tracker_track_event_packed(tracker, packed, sizeof packed - 1),
                     HAMUSTRO_STATUS_OK);
    }
    {
        /* A repeated name keeps its first position and its last value. */
        const char *names[] = {"level", "score", "level"};
        const char *values[] = {"1-0", "48210", "1-1"};
        CHECK_STATUS(hamustro_tracker_track_event(tracker, "Level.Completed", names, values, 3),
                     HAMUSTRO_STATUS_OK);
    }

    /* Global parameters join every later event. */
    CHECK_STATUS(hamustro_tracker_set_global_parameter(tracker, NULL, "v"),
                 HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_tracker_set_global_parameter(tracker, INVALID_UTF8, "v"),
                 HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_tracker_set_global_parameter(tracker, "season", INVALID_UTF8),
                 HAMUSTRO_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(hamustro_tracker_set_global_parameter(tracker, "season", "summer"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_set_global_parameter(tracker, "mode", "story"), HAMUSTRO_STATUS_OK);
    {
        const char *names[] = {"名前"};
        const char *values[] = {"ハムスター 🐹"};
        CHECK_STATUS(hamustro_tracker_track_event(tracker, "Pet.Named", names, values, 1),
                     HAMUSTRO_STATUS_OK);
    }
    /* NULL removes one. */
    CHECK_STATUS(hamustro_tracker_set_global_parameter(tracker, "mode", NULL), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_set_user(tracker, NULL, NULL), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_track_event(tracker, "Player.LoggedOut", NULL, NULL, 0),
                 HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_set_user(tracker, NULL, "player-7"), HAMUSTRO_STATUS_OK);

    /* Nothing failed yet; some events may be on their way already. */
    {
        size_t length = 42;
        char buffer[16] = "untouched";
        CHECK_STATUS(hamustro_tracker_last_delivery_error(tracker, buffer, sizeof buffer, &length),
                     HAMUSTRO_STATUS_OK);
        CHECK(length == 0 && buffer[0] == '\0');
        CHECK_STATUS(hamustro_tracker_last_delivery_error(tracker, NULL, 0, NULL), HAMUSTRO_STATUS_OK);
        hamustro_stats stats = {.size = sizeof stats};
        CHECK_STATUS(hamustro_tracker_get_stats(tracker, &stats), HAMUSTRO_STATUS_OK);
        CHECK(stats.queued <= 5);
        CHECK(stats.enabled == 1);
        CHECK(stats.consecutive_failures == 0);
        CHECK(stats.last_error_status == HAMUSTRO_STATUS_OK);
    }

    CHECK_STATUS(hamustro_tracker_flush(tracker, 10000), HAMUSTRO_STATUS_OK);
    /* Nothing new to deliver: flushing again succeeds at once. */
    CHECK_STATUS(hamustro_tracker_flush(tracker, 10000), HAMUSTRO_STATUS_OK);

    /* Statistics: the struct's size is checked, and the counts follow the delivery. */
    {
        hamustro_stats stats;
        memset(&stats, 0, sizeof stats);
        CHECK_STATUS(hamustro_tracker_get_stats(tracker, NULL), HAMUSTRO_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(hamustro_tracker_get_stats(tracker, &stats), HAMUSTRO_STATUS_INVALID_ARGUMENT);
        CHECK_MESSAGE("size");
        stats.size = sizeof stats;
        CHECK_STATUS(hamustro_tracker_get_stats(tracker, &stats), HAMUSTRO_STATUS_OK);
        CHECK(stats.size == sizeof stats);
        CHECK(stats.enabled == 1);
        CHECK(stats.queued == 0);
        CHECK(stats.in_flight == 0);
        CHECK(stats.delivered >= 5);
        CHECK(stats.dropped == 0);
        CHECK(stats.last_sync_time > 1600000000u);
        CHECK(stats.consecutive_failures == 0);
        CHECK(stats.next_retry_ms == 0);
    }

    /* Switched off: tracking stores nothing (and says OK), flush says DISABLED. */
    {
        bool enabled = false;
        CHECK_STATUS(hamustro_tracker_is_enabled(tracker, NULL), HAMUSTRO_STATUS_INVALID_ARGUMENT);
        CHECK_STATUS(hamustro_tracker_is_enabled(tracker, &enabled), HAMUSTRO_STATUS_OK);
        CHECK(enabled);
        CHECK_STATUS(hamustro_tracker_set_enabled(tracker, false), HAMUSTRO_STATUS_OK);
        CHECK_STATUS(hamustro_tracker_is_enabled(tracker, &enabled), HAMUSTRO_STATUS_OK);
        CHECK(!enabled);
        CHECK_STATUS(hamustro_tracker_track_event(tracker, "Disabled.Event", NULL, NULL, 0),
                     HAMUSTRO_STATUS_OK);
        hamustro_stats stats = {.size = sizeof stats};
        CHECK_STATUS(hamustro_tracker_get_stats(tracker, &stats), HAMUSTRO_STATUS_OK);
        CHECK(stats.enabled == 0);
        CHECK(stats.queued == 0);
        CHECK_STATUS(hamustro_tracker_flush(tracker, 1000), HAMUSTRO_STATUS_DISABLED);
        CHECK_STATUS(hamustro_tracker_set_enabled(tracker, true), HAMUSTRO_STATUS_OK);
        CHECK_STATUS(hamustro_tracker_is_enabled(tracker, &enabled), HAMUSTRO_STATUS_OK);
        CHECK(enabled);
    }

    /* Discarded events never leave the device. */
    {
        uint64_t discarded = 42;
        CHECK_STATUS(hamustro_tracker_track_event(tracker, "Discarded.Event", NULL, NULL, 0),
                     HAMUSTRO_STATUS_OK);
        CHECK_STATUS(hamustro_tracker_track_event(tracker, "Discarded.Event", NULL, NULL, 0),
                     HAMUSTRO_STATUS_OK);
        CHECK_STATUS(hamustro_tracker_discard_queued(tracker, &discarded), HAMUSTRO_STATUS_OK);
        CHECK(discarded == 2);
        CHECK_STATUS(hamustro_tracker_discard_queued(tracker, NULL), HAMUSTRO_STATUS_OK);
        hamustro_stats stats = {.size = sizeof stats};
        CHECK_STATUS(hamustro_tracker_get_stats(tracker, &stats), HAMUSTRO_STATUS_OK);
        CHECK(stats.queued == 0);
        CHECK_STATUS(hamustro_tracker_flush(tracker, 10000), HAMUSTRO_STATUS_OK);
    }

    /* Free twice; a freed handle is invalid everywhere. */
    CHECK_STATUS(hamustro_tracker_free(tracker), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_free(tracker), HAMUSTRO_STATUS_INVALID_HANDLE);
    CHECK_STATUS(hamustro_tracker_track_event(tracker, "E", NULL, NULL, 0),
                 HAMUSTRO_STATUS_INVALID_HANDLE);
    CHECK_STATUS(hamustro_tracker_set_user(tracker, NULL, NULL), HAMUSTRO_STATUS_INVALID_HANDLE);
    CHECK_STATUS(hamustro_tracker_set_headers(tracker, NULL, NULL, 0), HAMUSTRO_STATUS_INVALID_HANDLE);
    CHECK_STATUS(hamustro_tracker_flush(tracker, 10), HAMUSTRO_STATUS_INVALID_HANDLE);
    CHECK_STATUS(hamustro_tracker_set_enabled(tracker, true), HAMUSTRO_STATUS_INVALID_HANDLE);

    /* The database is free again: a new tracker on it continues the session's numbering
     * and remembers the user (player-7, no tenant) and the global parameter. */
    config = complete_config(url, secret, db_path);
    hamustro_tracker again = {0};
    CHECK_STATUS(hamustro_tracker_new(config, &again), HAMUSTRO_STATUS_OK);
    CHECK(again.id != 0 && again.id != tracker.id); /* handles are never reused */
    CHECK_STATUS(hamustro_config_free(config), HAMUSTRO_STATUS_OK);
    {
        /* An event's own parameter wins over a global one. */
        const char *names[] = {"level", "season"};
        const char *values[] = {"1-2", "winter"};
        CHECK_STATUS(hamustro_tracker_track_event(again, "Game.Resumed", names, values, 2),
                     HAMUSTRO_STATUS_OK);
    }
    CHECK_STATUS(hamustro_tracker_track_event(again, "Game.Autosaved", NULL, NULL, 0),
                 HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_clear_global_parameters(again), HAMUSTRO_STATUS_OK);
    {
        const char *names[] = {"slot"};
        const char *values[] = {"1"};
        CHECK_STATUS(hamustro_tracker_track_event(again, "Game.Saved", names, values, 1),
                     HAMUSTRO_STATUS_OK);
    }
    CHECK_STATUS(hamustro_tracker_flush(again, 10000), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_free(again), HAMUSTRO_STATUS_OK);
}

/* A salt turns user ids into sha256hex(user_id + salt) before they are stored or sent.
 * Another device id, so that tests/it/c_api.rs finds this event in a session of its own. */
static void test_salted_user_id(const char *db_path)
{
    char path[4096];
    snprintf(path, sizeof path, "%s-salted", db_path);
    hamustro_config config = complete_config(url, secret, path);
    CHECK_STATUS(hamustro_config_set_device_id(config, "c-api-test-device-salted"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_set_user_id_salt(config, "pepper"), HAMUSTRO_STATUS_OK);
    hamustro_tracker tracker = {0};
    CHECK_STATUS(hamustro_tracker_new(config, &tracker), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_free(config), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_set_user(tracker, "studio-42", "player-9"), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_track_event(tracker, "Salted.Event", NULL, NULL, 0),
                 HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_flush(tracker, 10000), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_free(tracker), HAMUSTRO_STATUS_OK);
}

/* Delivery failures: the events stay queued and flush says why. */
static void test_delivery_failures(const char *db_path)
{
    char path[4096];

    /* Nobody listens on port 1: a network error, or a timeout when the wait is 0. */
    snprintf(path, sizeof path, "%s-unreachable", db_path);
    hamustro_config config = complete_config("http://127.0.0.1:1", secret, path);
    hamustro_tracker tracker = {0};
    CHECK_STATUS(hamustro_tracker_new(config, &tracker), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_free(config), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_track_event(tracker, "Never.Delivered", NULL, NULL, 0),
                 HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_flush(tracker, 0), HAMUSTRO_STATUS_TIMEOUT);
    CHECK_MESSAGE("timed out");
    CHECK_STATUS(hamustro_tracker_flush(tracker, 10000), HAMUSTRO_STATUS_NETWORK);
    {
        /* The tracker remembers the failure, for any thread to read. */
        size_t length = 0;
        CHECK_STATUS(hamustro_tracker_last_delivery_error(tracker, NULL, 0, &length),
                     HAMUSTRO_STATUS_OK);
        CHECK(length > 0);
        char message[1024];
        size_t again = 0;
        CHECK_STATUS(hamustro_tracker_last_delivery_error(tracker, message, sizeof message, &again),
                     HAMUSTRO_STATUS_OK);
        CHECK(again == length && strlen(message) == length);
        char small[4];
        CHECK_STATUS(hamustro_tracker_last_delivery_error(tracker, small, sizeof small, &again),
                     HAMUSTRO_STATUS_OK);
        CHECK(again == length && strlen(small) <= 3);
        hamustro_stats stats = {.size = sizeof stats};
        CHECK_STATUS(hamustro_tracker_get_stats(tracker, &stats), HAMUSTRO_STATUS_OK);
        CHECK(stats.queued == 1);
        CHECK(stats.consecutive_failures >= 1);
        CHECK(stats.last_error_status == HAMUSTRO_STATUS_NETWORK);
        CHECK(stats.last_sync_time == 0);
    }
    CHECK_STATUS(hamustro_tracker_free(tracker), HAMUSTRO_STATUS_OK);

    /* The right collector with the wrong secret: it answers 405, nothing is accepted,
     * and the secret is not in the message. */
    snprintf(path, sizeof path, "%s-rejected", db_path);
    config = complete_config(url, "wrong-secret-9f8e7d", path);
    tracker = (hamustro_tracker){0};
    CHECK_STATUS(hamustro_tracker_new(config, &tracker), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_config_free(config), HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_track_event(tracker, "Never.Accepted", NULL, NULL, 0),
                 HAMUSTRO_STATUS_OK);
    CHECK_STATUS(hamustro_tracker_flush(tracker, 10000), HAMUSTRO_STATUS_REJECTED);
    CHECK_MESSAGE("405");
    CHECK(strstr(last_message(), "wrong-secret-9f8e7d") == NULL);
    CHECK_STATUS(hamustro_tracker_free(tracker), HAMUSTRO_STATUS_OK);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s COLLECTOR_URL SHARED_SECRET DATABASE_PATH\n", argv[0]);
        return 2;
    }
    url = argv[1];
    secret = argv[2];

    test_last_error_message();
    test_static_functions();
    test_version_macros_are_the_librarys_version();
    test_config_errors();
    test_tracker_errors_on_bad_handles();
    test_last_error_is_per_thread();
    test_log_callback_errors();
    CHECK_STATUS(hamustro_set_log_callback(on_log, &log_state, 4), HAMUSTRO_STATUS_OK);
    test_tracking(argv[3]);
    test_salted_user_id(argv[3]);
    test_delivery_failures(argv[3]);
    check_log_messages();

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
