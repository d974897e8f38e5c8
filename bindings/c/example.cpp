// example.cpp: track a few game events with hamustro.hpp and deliver them to a collector.
//
//     example-cpp [COLLECTOR_URL [SHARED_SECRET [DATABASE_PATH]]]
//
// The C++ counterpart of example.c. COLLECTOR_URL defaults to http://127.0.0.1:8080 and
// SHARED_SECRET to dev-secret, which is what the development collector uses:
//
//     cargo run -p hamustro-collector -- --port 8080
//
// DATABASE_PATH is the SQLite file that queues events until they are delivered; without
// it the library picks one in the user's data directory. run-example.sh builds and runs
// this program against a development collector that it starts itself.
//
// Every failure is a hamustro::Error (status and message), caught once in main.

#include <chrono>
#include <cstdlib>
#include <exception>
#include <initializer_list>
#include <iostream>
#include <string>
#include <string_view>
#include <utility>

#include "hamustro.hpp"

namespace {

using Params = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// Tracks one event and prints it. track_event returns once the event is committed to
// the on-disk queue; it never waits for the network.
void track(hamustro::Tracker &tracker, std::string_view name, Params params)
{
    tracker.track_event(name, params);
    std::cout << "tracked " << name << " {";
    const char *separator = "";
    for (const auto &[key, value] : params) {
        std::cout << separator << key << '=' << value;
        separator = ", ";
    }
    std::cout << "}\n";
}

} // namespace

int main(int argc, char **argv)
{
    const std::string url = argc > 1 ? argv[1] : "http://127.0.0.1:8080";
    const std::string secret = argc > 2 ? argv[2] : "dev-secret";

    std::cout << "hamustro " << hamustro::version() << ", collector " << url << "\n";

    try {
        hamustro::Tracker::Options options;
        // Required.
        options.collector_url = url;
        options.shared_secret_key = secret;
        // A real app uses an identifier that is stable for the installation; only its
        // SHA-256 is sent.
        options.device_id = "example-device-0001";
        options.client_id = "hamustro-cpp-example";
        options.system_version = "6.1";
        options.product_version = "1.4.2";
        // The environment is part of the session: keep test data out of production.
        options.env = hamustro::Environment::development;
        // Optional device and product attributes.
        options.system = "Linux";
        options.system_language = "en-US";
        options.device_make = "Framework";
        options.device_model = "Laptop 13";
        options.product_language = "en";
        options.product_git_hash = "3f2a9c1";
        // Send once ten events are queued (flush below sends the rest), and give up on
        // a request after five seconds.
        options.queue_size = 10;
        options.request_timeout = std::chrono::seconds(5);
        if (argc > 3) {
            options.database_path = argv[3];   // std::nullopt: the user's data directory
        }

        // Opens the queue and starts delivery; the destructor stops it again.
        hamustro::Tracker tracker(options);

        // Later events are attributed to this tenant and user (persisted across runs).
        tracker.set_user("studio-42", "player-1337");
        std::cout << "user set: tenant studio-42, user player-1337\n";

        // Extra HTTP headers, e.g. for a proxy in front of the collector. They are not
        // persisted: set them for every new Tracker.
        tracker.set_headers({{"X-Game-Build", "2024.06.1"}});
        std::cout << "header set: X-Game-Build: 2024.06.1\n";

        track(tracker, "Game.Launched", {{"launch_source", "desktop_icon"}});
        track(tracker, "Level.Started", {{"level", "1-1"}, {"difficulty", "normal"}});
        track(tracker, "Item.Purchased",
              {{"item", "sword_of_dawn"}, {"category", "weapon"}, {"currency", "gems"},
               {"price", "120"}});
        track(tracker, "Level.Completed",
              {{"level", "1-1"}, {"score", "48210"}, {"duration_s", "173"}});
        track(tracker, "Achievement.Unlocked", {{"achievement", "first_blood"}});

        // Wait (at most 10 s) until everything tracked so far is delivered. It throws
        // on failure; the events then stay queued and are retried in the background
        // or by the next run.
        tracker.flush(std::chrono::seconds(10));
        const hamustro::Stats stats = tracker.stats();
        std::cout << "flushed: " << stats.queued << " events queued, " << stats.delivered
                  << " delivered to " << url << " over this queue's lifetime\n";
        return EXIT_SUCCESS;
    } catch (const hamustro::Error &error) {
        std::cerr << "error: " << hamustro::status_name(error.status()) << ": " << error.what()
                  << "\n";
    } catch (const std::exception &error) {
        std::cerr << "error: " << error.what() << "\n";
    }
    return EXIT_FAILURE;
}
