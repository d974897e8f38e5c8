// test_hpp_noexcept.cpp: the C++ wrapper where games build it, with exceptions off
// (-fno-exceptions, as Unreal Engine and many engines compile): only the
// std::error_code overloads exist, and they are enough to create a tracker, track,
// deliver, inspect and close it.
//
//     test_hpp_noexcept COLLECTOR_URL SHARED_SECRET DATABASE_PATH
//
// DATABASE_PATH must not exist yet or belong to this test (it also creates
// DATABASE_PATH-<suffix>). Prints one line per failed check, then "N passed, M failed";
// exits non-zero on any failure. test_hpp.cpp covers the throwing overloads.

// First, so that the test also proves the header is self-contained.
#include "hamustro.hpp"

#include <cstdio>
#include <cstring>
#include <string>

#if HAMUSTRO_HPP_EXCEPTIONS
#error "build this test with -fno-exceptions: it proves the header works without them"
#endif

namespace {

int passed = 0;
int failed = 0;

void check_at(bool ok, const char *what, int line)
{
    if (ok) {
        ++passed;
    } else {
        ++failed;
        std::printf("FAIL line %d: %s (last error: %s)\n", line, what,
                    hamustro::last_error_message().c_str());
    }
}

#define CHECK(expr) check_at(static_cast<bool>(expr), #expr, __LINE__)

bool contains(const std::string &text, const char *needle)
{
    return text.find(needle) != std::string::npos;
}

void ignore_log(std::uint32_t, const char *, void *) {}

hamustro::Tracker::Options options(const char *url, const char *secret, const std::string &db)
{
    // Only what the test needs: every option left std::nullopt keeps the library's default.
    hamustro::Tracker::Options o;
    o.collector_url = url;
    o.shared_secret_key = secret;
    o.device_id = "cpp-noexcept-device";
    o.client_id = "cpp-noexcept-test";
    o.system_version = "6.1";
    o.product_version = "0.1.0-noexcept";
    o.database_path = db;
    o.request_timeout = std::chrono::seconds(5);
    return o;
}

void error_codes_name_the_failure(const hamustro::Tracker::Options &good)
{
    std::error_code ec;
    auto missing = good;
    missing.client_id.clear();
    hamustro::Tracker refused(missing, ec);
    CHECK(!refused);
    CHECK(ec == hamustro::Status::invalid_argument);
    CHECK(contains(hamustro::last_error_message(), "client_id is required"));

    auto zero_timeout = good;
    zero_timeout.request_timeout = std::chrono::milliseconds(0);
    hamustro::Tracker also_refused(zero_timeout, ec);
    CHECK(!also_refused && ec == hamustro::Status::invalid_argument);

    hamustro::set_log_callback(ignore_log, nullptr, static_cast<hamustro::LogLevel>(9), ec);
    CHECK(ec == hamustro::Status::invalid_argument);
    hamustro::set_log_callback(nullptr, nullptr, hamustro::LogLevel::error, ec);
    CHECK(!ec);
}

void a_tracker_works_through_error_codes(const hamustro::Tracker::Options &good)
{
    std::error_code ec;
    hamustro::Tracker tracker(good, ec);
    CHECK(!ec && tracker);

    tracker.set_user(std::nullopt, std::string_view("noexcept-user"), ec);
    CHECK(!ec);
    tracker.set_global_parameter("binding", std::string_view("cpp-noexcept"), ec);
    CHECK(!ec);
    tracker.track_event("NoExcept.Started", {{"level", "1-1"}}, ec);
    CHECK(!ec);
    tracker.track_event("NoExcept.Map", std::map<std::string, std::string>{{"k", "v"}}, ec);
    CHECK(!ec);
    tracker.track_event("", ec);
    CHECK(ec == hamustro::Status::invalid_argument);
    tracker.set_headers({{"X-Hamustro-Time", "1"}}, ec);
    CHECK(ec == hamustro::Status::invalid_argument);

    tracker.flush(std::chrono::seconds(10), ec);
    CHECK(!ec);
    hamustro::Stats stats = tracker.stats(ec);
    CHECK(!ec && stats.queued == 0 && stats.delivered >= 2);
    CHECK(tracker.last_delivery_error(ec).empty() && !ec);

    tracker.set_enabled(false, ec);
    CHECK(!ec && !tracker.enabled(ec) && !ec);
    tracker.flush(std::chrono::seconds(1), ec);
    CHECK(ec == hamustro::Status::disabled);
    tracker.set_enabled(true, ec);
    tracker.track_event("NoExcept.Discarded", ec);
    CHECK(tracker.discard_queued(ec) == 1 && !ec);
    tracker.clear_global_parameters(ec);
    CHECK(!ec);

    // A moved-from tracker reports invalid_handle instead of crashing.
    hamustro::Tracker moved(std::move(tracker));
    tracker.flush(std::chrono::milliseconds(1), ec); // NOLINT(bugprone-use-after-move)
    CHECK(ec == hamustro::Status::invalid_handle);
    moved.close(ec);
    CHECK(!ec && !moved);
    moved.close(ec);
    CHECK(ec == hamustro::Status::invalid_handle);
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s COLLECTOR_URL SHARED_SECRET DATABASE_PATH\n", argv[0]);
        return 2;
    }
    const auto good = options(argv[1], argv[2], argv[3]);
    error_codes_name_the_failure(good);
    a_tracker_works_through_error_codes(good);
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
