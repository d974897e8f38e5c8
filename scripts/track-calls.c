/* The C side of the cost scripts (scripts/track-cost.sh, scripts/python-wrapper-cost.sh):
 * tracks the bench's event ("E" with 3 parameters) N times on a tracker whose collector
 * is a closed port, through one non-inlined function (what callgrind counts in), and
 * prints the p50 of the calls in nanoseconds.
 *
 *   track-calls DATABASE N arrays|packed
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "hamustro.h"

static long now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static int order(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

/* The one function callgrind counts in (--toggle-collect=one_call). */
__attribute__((noinline)) hamustro_status one_call(hamustro_tracker tracker, int arrays) {
    static const char *names[] = {"a", "b", "c"}, *values[] = {"1", "2", "3"};
    static const char packed[] = "E\0a\0" "1\0b\0" "2\0c\0" "3\0";
    return arrays ? hamustro_tracker_track_event(tracker, "E", names, values, 3)
                  : hamustro_tracker_track_event_packed(tracker, packed, sizeof packed - 1);
}

int main(int argc, char **argv) {
    long n = argc > 3 ? atol(argv[2]) : 0;
    if (n < 1) return 1;
    long *samples = malloc(sizeof(long) * (size_t)n);
    int arrays = argv[3][0] == 'a';
    hamustro_config config;
    hamustro_tracker tracker;
    hamustro_config_new(&config);
    hamustro_config_set_collector_url(config, "http://127.0.0.1:9");
    hamustro_config_set_shared_secret_key(config, "bench-secret");
    hamustro_config_set_device_id(config, "bench-device");
    hamustro_config_set_client_id(config, "bench");
    hamustro_config_set_system_version(config, "14.1");
    hamustro_config_set_product_version(config, "2.0.0");
    hamustro_config_set_database_path(config, argv[1]);
    if (samples == NULL || hamustro_tracker_new(config, &tracker) != HAMUSTRO_STATUS_OK) return 1;
    hamustro_config_free(config);
    for (long i = 0; i < n; i++) {
        long start = now();
        if (one_call(tracker, arrays) != HAMUSTRO_STATUS_OK) return 2;
        samples[i] = now() - start;
    }
    hamustro_tracker_free(tracker);
    qsort(samples, (size_t)n, sizeof(long), order);
    printf("%ld\n", samples[n / 2]);
    return 0;
}
