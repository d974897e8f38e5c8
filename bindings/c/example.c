/*
 * example.c: track a few game events with hamustro and deliver them to a collector.
 *
 *     example [COLLECTOR_URL [SHARED_SECRET [DATABASE_PATH]]]
 *
 * COLLECTOR_URL defaults to http://127.0.0.1:8080 and SHARED_SECRET to dev-secret,
 * which is what the development collector uses:
 *
 *     cargo run -p hamustro-collector -- --port 8080
 *
 * DATABASE_PATH is the SQLite file that queues events until they are delivered; without
 * it the library picks one in the user's data directory.
 *
 * Copy freely: every call shows how its errors are handled.
 */

#include <stdio.h>
#include <stdlib.h>

#include "hamustro.h"

/* Prints why `what` failed: the status name and this thread's last error message. */
static void report_failure(const char *what, hamustro_status status)
{
    /* The message is copied into our buffer; a longer one is cut (at a UTF-8
     * character boundary), and the return value tells its full length. */
    char message[512];
    size_t length = hamustro_last_error_message(message, sizeof message);
    fprintf(stderr, "error: %s failed with %s: %s%s\n", what, hamustro_status_name(status),
            message, length >= sizeof message ? "..." : "");
}

/* One event of the demo: a name and up to four parameters (name/value pairs). */
struct demo_event {
    const char *name;
    size_t count;
    const char *names[4];
    const char *values[4];
};

static const struct demo_event DEMO_EVENTS[] = {
    {"Game.Launched", 1, {"launch_source"}, {"desktop_icon"}},
    {"Level.Started", 2, {"level", "difficulty"}, {"1-1", "normal"}},
    {"Item.Purchased", 4, {"item", "category", "currency", "price"},
     {"sword_of_dawn", "weapon", "gems", "120"}},
    {"Level.Completed", 3, {"level", "score", "duration_s"}, {"1-1", "48210", "173"}},
    {"Achievement.Unlocked", 1, {"achievement"}, {"first_blood"}},
};

#define DEMO_EVENT_COUNT (sizeof DEMO_EVENTS / sizeof DEMO_EVENTS[0])

/* Creates the configuration: the required fields, the environment and a few
 * optional ones. Returns 0 (never a valid handle) on failure, after reporting it. */
static hamustro_config make_config(const char *url, const char *secret, const char *db_path)
{
    hamustro_config config = {0};
    hamustro_status status = hamustro_config_new(&config);
    if (status != HAMUSTRO_STATUS_OK) {
        report_failure("hamustro_config_new", status);
        return (hamustro_config){0};
    }

    /* Every setter returns a status; checking them one by one names the bad option. */
#define SET(call)                                                                     \
    do {                                                                              \
        status = (call);                                                              \
        if (status != HAMUSTRO_STATUS_OK) {                                           \
            report_failure(#call, status);                                            \
            hamustro_config_free(config);                                             \
            return (hamustro_config){0};                                              \
        }                                                                             \
    } while (0)

    /* Required. */
    SET(hamustro_config_set_collector_url(config, url));
    SET(hamustro_config_set_shared_secret_key(config, secret));
    /* A real app uses an identifier that is stable for the installation; only its
     * SHA-256 is sent. */
    SET(hamustro_config_set_device_id(config, "example-device-0001"));
    SET(hamustro_config_set_client_id(config, "hamustro-c-example"));
    SET(hamustro_config_set_system_version(config, "6.1"));
    SET(hamustro_config_set_product_version(config, "1.4.2"));

    /* The environment is part of the session: keep test data out of production. */
    SET(hamustro_config_set_env(config, HAMUSTRO_ENVIRONMENT_DEVELOPMENT));

    /* Optional device and product attributes. */
    SET(hamustro_config_set_system(config, "Linux"));
    SET(hamustro_config_set_system_language(config, "en-US"));
    SET(hamustro_config_set_device_make(config, "Framework"));
    SET(hamustro_config_set_device_model(config, "Laptop 13"));
    SET(hamustro_config_set_product_language(config, "en"));
    SET(hamustro_config_set_product_git_hash(config, "3f2a9c1"));

    /* Send once ten events are queued (flush below sends the rest), and give up on a
     * request after five seconds. */
    SET(hamustro_config_set_queue_size(config, 10));
    SET(hamustro_config_set_request_timeout_ms(config, 5000));

    /* NULL keeps the default location in the user's data directory. */
    SET(hamustro_config_set_database_path(config, db_path));
#undef SET

    return config;
}

int main(int argc, char **argv)
{
    const char *url = argc > 1 ? argv[1] : "http://127.0.0.1:8080";
    const char *secret = argc > 2 ? argv[2] : "dev-secret";
    const char *db_path = argc > 3 ? argv[3] : NULL;
    int exit_code = EXIT_FAILURE;
    hamustro_tracker tracker = {0};
    hamustro_status status;

    printf("hamustro %s, collector %s\n", hamustro_version(), url);

    hamustro_config config = make_config(url, secret, db_path);
    if (config.id == 0) {
        return EXIT_FAILURE;
    }

    /* The tracker copies the configuration, so it can be freed right away. */
    status = hamustro_tracker_new(config, &tracker);
    hamustro_config_free(config);
    if (status != HAMUSTRO_STATUS_OK) {
        report_failure("hamustro_tracker_new", status);
        return EXIT_FAILURE;
    }

    /* Later events are attributed to this tenant and user (persisted across runs). */
    status = hamustro_tracker_set_user(tracker, "studio-42", "player-1337");
    if (status != HAMUSTRO_STATUS_OK) {
        report_failure("hamustro_tracker_set_user", status);
        goto done;
    }
    printf("user set: tenant studio-42, user player-1337\n");

    /* Extra HTTP headers, e.g. for a proxy in front of the collector. They are not
     * persisted: set them after every hamustro_tracker_new. */
    {
        const char *names[] = {"X-Game-Build"};
        const char *values[] = {"2024.06.1"};
        status = hamustro_tracker_set_headers(tracker, names, values, 1);
        if (status != HAMUSTRO_STATUS_OK) {
            report_failure("hamustro_tracker_set_headers", status);
            goto done;
        }
        printf("header set: X-Game-Build: 2024.06.1\n");
    }

    /* Each call returns once the event is safely in the on-disk queue; it never waits
     * for the network. */
    for (size_t i = 0; i < DEMO_EVENT_COUNT; i++) {
        const struct demo_event *event = &DEMO_EVENTS[i];
        status = hamustro_tracker_track_event(tracker, event->name, event->names,
                                              event->values, event->count);
        if (status != HAMUSTRO_STATUS_OK) {
            report_failure("hamustro_tracker_track_event", status);
            goto done;
        }
        printf("tracked %s {", event->name);
        for (size_t p = 0; p < event->count; p++) {
            printf("%s%s=%s", p > 0 ? ", " : "", event->names[p], event->values[p]);
        }
        printf("}\n");
    }

    /* Wait (at most 10 s) until everything tracked so far is delivered. On failure the
     * events stay queued and are retried in the background or by the next run. */
    status = hamustro_tracker_flush(tracker, 10000);
    if (status != HAMUSTRO_STATUS_OK) {
        report_failure("hamustro_tracker_flush", status);
        goto done;
    }
    printf("flushed: all %zu events delivered to %s\n", DEMO_EVENT_COUNT, url);
    exit_code = EXIT_SUCCESS;

done:
    /* Stops the delivery thread; whatever is still queued stays in the database. */
    status = hamustro_tracker_free(tracker);
    if (status != HAMUSTRO_STATUS_OK) {
        report_failure("hamustro_tracker_free", status);
        exit_code = EXIT_FAILURE;
    }
    return exit_code;
}
