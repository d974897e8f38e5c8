// consumer.cpp: the smoke test of an installed SDK (scripts/dist-test.sh), built from an
// unpacked archive outside the repository, linked shared or static. It tracks one
// event, flushes it to the collector and checks that it was delivered.
//
//     consumer COLLECTOR_URL SHARED_SECRET DATABASE_PATH EXPECTED_VERSION
//
// Only the std::error_code API, so that it builds with exceptions on or off.

#include <chrono>
#include <cstring>
#include <iostream>
#include <string>
#include <system_error>

#include <hamustro.hpp>

int main(int argc, char **argv)
{
    if (argc != 5) {
        std::cerr << "usage: consumer COLLECTOR_URL SHARED_SECRET DATABASE_PATH EXPECTED_VERSION\n";
        return 2;
    }
    if (std::strcmp(hamustro::version(), argv[4]) != 0) {
        std::cerr << "hamustro_version() is " << hamustro::version() << ", not " << argv[4] << "\n";
        return 1;
    }
    hamustro::Tracker::Options options;
    options.collector_url = argv[1];
    options.shared_secret_key = argv[2];
    options.database_path = std::string(argv[3]);
    options.device_id = "dist-smoke-device";
    options.client_id = "hamustro-dist-smoke";
    options.product_version = argv[4];

    std::error_code ec;
    hamustro::Tracker tracker(options, ec);
    if (!ec) tracker.track_event("Dist.Smoke", {{"linked", HAMUSTRO_CONSUMER_LINK}}, ec);
    if (!ec) tracker.flush(std::chrono::seconds(30), ec);
    hamustro::Stats stats{};
    if (!ec) stats = tracker.stats(ec);
    if (ec) {
        std::cerr << "failed: " << ec.message() << "\n";
        return 1;
    }
    if (stats.delivered != 1 || stats.queued != 0) {
        std::cerr << "delivered " << stats.delivered << ", queued " << stats.queued << "\n";
        return 1;
    }
    std::cout << "hamustro " << hamustro::version() << " (" << HAMUSTRO_CONSUMER_LINK
              << "): 1 event delivered\n";
    return 0;
}
