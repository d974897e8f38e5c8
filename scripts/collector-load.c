/* The load of scripts/collector-throughput.sh: one tracker, configured as an app would
 * (the default queue size, so delivery runs in the background while it tracks), tracks
 * N events as fast as it can, then flushes. Prints the time from the first track to the
 * end of the flush, in milliseconds, on one line: "delivered N events in MS ms".
 *
 *   collector-load URL SECRET DATABASE N
 */
/* clock_gettime under -std=c11. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "hamustro.h"

static long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static int failed(const char *what, hamustro_status status) {
    char message[512];
    hamustro_last_error_message(message, sizeof message);
    fprintf(stderr, "%s: %s: %s\n", what, hamustro_status_name(status), message);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 5 || atol(argv[4]) < 1) {
        fprintf(stderr, "usage: collector-load URL SECRET DATABASE N\n");
        return 2;
    }
    long n = atol(argv[4]);
    hamustro_config config;
    hamustro_tracker tracker;
    hamustro_status status = hamustro_config_new(&config);
    if (status != HAMUSTRO_STATUS_OK) return failed("hamustro_config_new", status);
    hamustro_config_set_collector_url(config, argv[1]);
    hamustro_config_set_shared_secret_key(config, argv[2]);
    hamustro_config_set_database_path(config, argv[3]);
    hamustro_config_set_device_id(config, "throughput-device");
    hamustro_config_set_client_id(config, "hamustro-throughput");
    hamustro_config_set_system_version(config, "1");
    hamustro_config_set_product_version(config, "1.0.0");
    /* Room for every event: the default keeps 100,000. */
    hamustro_config_set_max_queued_events(config, (uint64_t)n + 1000);
    status = hamustro_tracker_new(config, &tracker);
    hamustro_config_free(config);
    if (status != HAMUSTRO_STATUS_OK) return failed("hamustro_tracker_new", status);

    static const char *names[] = {"level", "score", "weapon"};
    static const char *values[] = {"1-1", "48210", "sword_of_dawn"};
    long start = now_ms();
    for (long i = 0; i < n; i++) {
        status = hamustro_tracker_track_event(tracker, "Load.Event", names, values, 3);
        if (status != HAMUSTRO_STATUS_OK) return failed("hamustro_tracker_track_event", status);
    }
    status = hamustro_tracker_flush(tracker, 600000);
    if (status != HAMUSTRO_STATUS_OK) return failed("hamustro_tracker_flush", status);
    long elapsed = now_ms() - start;
    hamustro_tracker_free(tracker);
    printf("delivered %ld events in %ld ms\n", n, elapsed);
    return 0;
}
