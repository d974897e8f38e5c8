// test_hpp.cpp: the C++ wrapper's guarantees, against a running collector.
//
//     test_hpp COLLECTOR_URL SHARED_SECRET DATABASE_PATH
//
// DATABASE_PATH must not exist yet or belong to this test: the test also creates files
// named DATABASE_PATH-<suffix> next to it. What the collector must receive is checked by
// tests/it/c_api.rs: keep the events tracked here and the expectations there in step.
//
// Prints one line per failed check, then "N passed, M failed"; exits non-zero on any
// failure.

// First, so that the test also proves the header is self-contained.
#include "hamustro.hpp"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

// Atomic: the tracking test checks from several threads at once.
std::atomic<int> passed{0};
std::atomic<int> failed{0};

void check_at(bool ok, const char *what, int line)
{
    if (ok) {
        ++passed;
        return;
    }
    ++failed;
    std::fprintf(stderr, "FAIL line %d: %s (last wrapper error: %s)\n", line, what,
                 hamustro::last_error_message().c_str());
}

#define CHECK(expr) check_at(static_cast<bool>(expr), #expr, __LINE__)

bool contains(const std::string &text, const char *needle)
{
    return text.find(needle) != std::string::npos;
}

// What calling `body` threw: the hamustro::Error's status and message, Status::ok when
// it threw nothing. Anything else thrown is a failed check.
struct Outcome {
    hamustro::Status status = hamustro::Status::ok;
    std::string message;
    std::error_code code;
};

template <typename Body>
Outcome outcome_of(Body &&body, int line)
{
    Outcome outcome;
    try {
        body();
    } catch (const hamustro::Error &error) {
        outcome.status = error.status();
        outcome.message = error.what();
        outcome.code = error.code();
    } catch (const std::exception &error) {
        check_at(false, error.what(), line);
    }
    return outcome;
}

#define OUTCOME(statement) outcome_of([&] { statement; }, __LINE__)

// Runs `body` and checks it throws nothing (the error_code overloads' promise).
template <typename Body>
void check_no_throw_at(Body &&body, const char *what, int line)
{
    try {
        body();
        check_at(true, what, line);
    } catch (...) {
        check_at(false, what, line);
    }
}

#define CHECK_NO_THROW(statement) check_no_throw_at([&] { statement; }, #statement, __LINE__)

std::string url;
std::string secret;
std::string db_path;

hamustro::Tracker::Options options(const std::string &database_path)
{
    hamustro::Tracker::Options o;
    o.collector_url = url;
    o.shared_secret_key = secret;
    o.device_id = "cpp-test-device";
    o.client_id = "cpp-test";
    o.system_version = "6.1";
    o.product_version = "0.1.0-cpp";
    o.env = hamustro::Environment::testing;
    o.device_make = "Framework";
    o.system = "Linux";
    o.product_language = "de";
    // Once a delivery succeeded, nothing is sent before an explicit flush.
    o.queue_size = 1000;
    o.queue_retention = std::chrono::minutes(100000);
    o.database_path = database_path;
    o.payload_format = hamustro::PayloadFormat::json;
    o.request_timeout = std::chrono::seconds(5);
    o.ip = "198.51.100.4";
    o.country = "DE";
    o.max_queued_events = 10000;
    return o;
}

void test_types()
{
    using hamustro::Tracker;
    static_assert(!std::is_copy_constructible_v<Tracker>, "Tracker is move-only");
    static_assert(!std::is_copy_assignable_v<Tracker>, "Tracker is move-only");
    static_assert(std::is_nothrow_move_constructible_v<Tracker>, "noexcept move");
    static_assert(std::is_nothrow_move_assignable_v<Tracker>, "noexcept move");
    static_assert(std::is_base_of_v<std::runtime_error, hamustro::Error>, "Error is a runtime_error");
    static_assert(std::is_error_code_enum_v<hamustro::Status>, "Status converts to error_code");
    CHECK(true); // the static_asserts above held
}

void test_free_functions()
{
    CHECK(std::strcmp(hamustro::version(), hamustro_version()) == 0);
    CHECK(std::strcmp(hamustro::status_name(hamustro::Status::timeout), "HAMUSTRO_STATUS_TIMEOUT") == 0);
    CHECK(std::strcmp(hamustro::status_name(hamustro::Status::disabled), "HAMUSTRO_STATUS_DISABLED") == 0);

    const std::error_category &category = hamustro::error_category();
    CHECK(std::strcmp(category.name(), "hamustro") == 0);
    CHECK(&category == &hamustro::error_category());

    std::error_code ec = hamustro::Status::network;
    CHECK(ec.value() == HAMUSTRO_STATUS_NETWORK);
    CHECK(ec.category() == category);
    CHECK(ec.message() == "HAMUSTRO_STATUS_NETWORK");
    CHECK(ec == hamustro::Status::network);
    CHECK(ec != hamustro::Status::rejected);
    CHECK(static_cast<bool>(ec));
    CHECK(!std::error_code(hamustro::Status::ok));
    // Portable conditions for the statuses that have one.
    CHECK(std::error_code(hamustro::Status::invalid_argument) == std::errc::invalid_argument);
    CHECK(std::error_code(hamustro::Status::timeout) == std::errc::timed_out);
}

void test_construction_errors()
{
    // A missing required field: the exception carries the status and names the field.
    auto missing = options(db_path + "-unused");
    missing.client_id.clear();
    Outcome outcome = OUTCOME(hamustro::Tracker tracker(missing));
    CHECK(outcome.status == hamustro::Status::invalid_argument);
    CHECK(contains(outcome.message, "client_id is required"));
    CHECK(outcome.code == hamustro::Status::invalid_argument);
    CHECK(outcome.code.category() == hamustro::error_category());

    // The same through the error_code constructor: no throw, an empty tracker.
    std::error_code ec;
    CHECK_NO_THROW({
        hamustro::Tracker tracker(missing, ec);
        CHECK(!tracker);
        CHECK(tracker.native_handle().id == 0);
    });
    CHECK(ec == hamustro::Status::invalid_argument);
    CHECK(contains(hamustro::last_error_message(), "client_id is required"));

    // A bad environment value.
    auto bad_env = options(db_path + "-unused");
    bad_env.env = static_cast<hamustro::Environment>(42);
    outcome = OUTCOME(hamustro::Tracker tracker(bad_env));
    CHECK(outcome.status == hamustro::Status::invalid_argument);
    CHECK(contains(outcome.message, "env"));

    // A zero request timeout.
    auto zero_timeout = options(db_path + "-unused");
    zero_timeout.request_timeout = std::chrono::milliseconds(0);
    outcome = OUTCOME(hamustro::Tracker tracker(zero_timeout));
    CHECK(outcome.status == hamustro::Status::invalid_argument);
    CHECK(contains(outcome.message, "request_timeout"));

    // A NUL byte inside a string would cut it on the C side: refused instead.
    auto nul = options(db_path + "-unused");
    nul.device_id = std::string("dev\0ice", 7);
    outcome = OUTCOME(hamustro::Tracker tracker(nul));
    CHECK(outcome.status == hamustro::Status::invalid_argument);
    CHECK(contains(outcome.message, "device_id contains a NUL byte"));

    // Certificate checks may be skipped only for a collector on loopback.
    auto insecure = options(db_path + "-unused");
    insecure.collector_url = "https://collector.example";
    insecure.accept_invalid_certs_for_loopback = true;
    outcome = OUTCOME(hamustro::Tracker tracker(insecure));
    CHECK(outcome.status == hamustro::Status::invalid_argument);

    // A queue cap of zero.
    auto no_queue = options(db_path + "-unused");
    no_queue.max_queued_events = 0;
    outcome = OUTCOME(hamustro::Tracker tracker(no_queue));
    CHECK(outcome.status == hamustro::Status::invalid_argument);
    CHECK(contains(outcome.message, "max_queued_events"));

    // A database path and a database directory: one of the two, never both.
    auto both = options(db_path + "-unused");
    both.database_directory = db_path + "-unused-directory";
    outcome = OUTCOME(hamustro::Tracker tracker(both));
    CHECK(outcome.status == hamustro::Status::invalid_argument);
    CHECK(contains(outcome.message, "database_path and database_directory"));

    // The secret never appears in a message.
    auto bad_url = options(db_path + "-unused");
    bad_url.collector_url = "ftp://collector.example";
    outcome = OUTCOME(hamustro::Tracker tracker(bad_url));
    CHECK(outcome.status == hamustro::Status::invalid_argument);
    CHECK(!contains(outcome.message, secret.c_str()));
}

// Log messages seen while the callback is installed (it runs on library threads).
std::atomic<int> log_messages{0};

void count_log_message(std::uint32_t level, const char *message, void *user_data)
{
    if (user_data == &log_messages && level >= 1 && level <= 4 && message != nullptr) {
        log_messages.fetch_add(1);
    }
}

void test_log_callback_errors()
{
    Outcome outcome = OUTCOME(hamustro::set_log_callback(count_log_message, &log_messages,
                                                         static_cast<hamustro::LogLevel>(9)));
    CHECK(outcome.status == hamustro::Status::invalid_argument);
    std::error_code ec;
    CHECK_NO_THROW(hamustro::set_log_callback(count_log_message, &log_messages,
                                              static_cast<hamustro::LogLevel>(0), ec));
    CHECK(ec == hamustro::Status::invalid_argument);
    CHECK_NO_THROW(hamustro::set_log_callback(nullptr, nullptr, hamustro::LogLevel::error, ec));
    CHECK(!ec);
}

// The tracker the collector hears from: see tests/it/c_api.rs for what it expects.
void test_tracking()
{
    hamustro::Tracker tracker(options(db_path));
    CHECK(static_cast<bool>(tracker));
    CHECK(tracker.native_handle().id != 0);

    // A second tracker on the same database is refused while the first lives.
    Outcome outcome = OUTCOME(hamustro::Tracker second(options(db_path)));
    CHECK(outcome.status == hamustro::Status::storage);

    // Reserved headers: an exception, or an error code without one.
    outcome = OUTCOME(tracker.set_headers({{"X-Hamustro-Time", "1"}}));
    CHECK(outcome.status == hamustro::Status::invalid_argument);
    CHECK(contains(outcome.message, "X-Hamustro-Time"));
    std::error_code ec;
    CHECK_NO_THROW(tracker.set_headers({{"Content-Type", "text/plain"}}, ec));
    CHECK(ec == hamustro::Status::invalid_argument);
    CHECK(contains(hamustro::last_error_message(), "Content-Type"));
    tracker.set_headers({{"X-Cpp-Binding", "hamustro.hpp"}});

    tracker.set_user("cpp-tenant", "cpp-user");

    // string_views that are not NUL-terminated: only the viewed characters are sent.
    const std::string_view name("Match.StartedXXXX", 13);
    const std::string_view map_name("dust2XX", 5);
    tracker.track_event(name, {{"mode", "ranked"}, {"map", map_name}});

    // Parameters from a std::map (sent in the map's order).
    const std::map<std::string, std::string> result{{"result", "win"}, {"kills", "12"}};
    tracker.track_event("Match.Ended", result);

    // Refused events: exceptions with the status, or error codes without throwing.
    outcome = OUTCOME(tracker.track_event(""));
    CHECK(outcome.status == hamustro::Status::invalid_argument);
    outcome = OUTCOME(tracker.track_event("Bad.Param", {{std::string_view("a\0b", 3), "v"}}));
    CHECK(outcome.status == hamustro::Status::invalid_argument);
    CHECK(contains(outcome.message, "NUL"));
    CHECK_NO_THROW(tracker.track_event("", ec));
    CHECK(ec == hamustro::Status::invalid_argument);
    CHECK_NO_THROW(tracker.track_event("Bad.Param", {{"", "v"}}, ec));
    CHECK(ec == hamustro::Status::invalid_argument);
    CHECK_NO_THROW(tracker.track_event("Bad.Param", std::map<std::string, std::string>{{"", "v"}}, ec));
    CHECK(ec == hamustro::Status::invalid_argument);

    // A success clears the error code.
    CHECK_NO_THROW(tracker.set_user(std::nullopt, std::string_view("cpp-user-2XX", 10), ec));
    CHECK(!ec);
    tracker.track_event("Menu.Opened");

    // Move construction: the source is left empty and its calls fail cleanly.
    hamustro::Tracker moved(std::move(tracker));
    CHECK(static_cast<bool>(moved));
    CHECK(!tracker); // NOLINT(bugprone-use-after-move): testing the moved-from state
    outcome = OUTCOME(tracker.track_event("Lost"));
    CHECK(outcome.status == hamustro::Status::invalid_handle);
    CHECK_NO_THROW(tracker.flush(std::chrono::milliseconds(10), ec));
    CHECK(ec == hamustro::Status::invalid_handle);
    CHECK_NO_THROW(CHECK(!tracker.enabled(ec)));
    CHECK(ec == hamustro::Status::invalid_handle);
    CHECK(OUTCOME(tracker.stats()).status == hamustro::Status::invalid_handle);
    moved.track_event("Tracker.Moved", {{"how", "constructor"}});

    // Move assignment.
    hamustro::Tracker assigned;
    CHECK(!assigned);
    assigned = std::move(moved);
    CHECK(static_cast<bool>(assigned) && !moved);
    assigned.track_event("Tracker.Moved", {{"how", "assignment"}});

    // A global parameter joins every later event.
    assigned.set_global_parameter("binding", "cpp");
    outcome = OUTCOME(assigned.set_global_parameter("", "x"));
    CHECK(outcome.status == hamustro::Status::invalid_argument);

    // Several threads on one tracker.
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&assigned, t] {
            for (int i = 0; i < 5; ++i) {
                std::error_code thread_ec;
                assigned.track_event("Thread.Ping",
                                     {{"thread", std::to_string(t)}, {"i", std::to_string(i)}},
                                     thread_ec);
                check_at(!thread_ec, "Thread.Ping tracked", __LINE__);
            }
        });
    }
    for (auto &thread : threads) {
        thread.join();
    }

    assigned.flush(std::chrono::seconds(10));
    CHECK_NO_THROW(assigned.flush(std::chrono::seconds(10), ec));
    CHECK(!ec);
    assigned.clear_global_parameters();

    hamustro::Stats stats = assigned.stats();
    CHECK(stats.enabled);
    CHECK(stats.queued == 0);
    CHECK(stats.delivered >= 25);
    CHECK(stats.last_sync.has_value());
    CHECK(stats.consecutive_failures == 0);
    CHECK(stats.last_error_status == hamustro::Status::ok);
    CHECK(assigned.last_delivery_error().empty());

    // Switched off: tracking succeeds and stores nothing, flush fails with disabled.
    CHECK(assigned.enabled());
    assigned.set_enabled(false);
    CHECK(!assigned.enabled());
    assigned.track_event("Disabled.Event");
    CHECK(!assigned.stats().enabled);
    CHECK(assigned.stats().queued == 0);
    outcome = OUTCOME(assigned.flush(std::chrono::seconds(1)));
    CHECK(outcome.status == hamustro::Status::disabled);
    CHECK_NO_THROW(assigned.flush(std::chrono::seconds(1), ec));
    CHECK(ec == hamustro::Status::disabled);
    assigned.set_enabled(true);

    // Discarded events never leave the device.
    assigned.track_event("Discarded.Event");
    CHECK(assigned.discard_queued() == 1);
    CHECK(assigned.discard_queued() == 0);
    assigned.flush(std::chrono::seconds(10));

    // close() frees now; a second close is an invalid handle.
    assigned.close();
    CHECK(!assigned);
    outcome = OUTCOME(assigned.close());
    CHECK(outcome.status == hamustro::Status::invalid_handle);
    CHECK_NO_THROW(assigned.close(ec));
    CHECK(ec == hamustro::Status::invalid_handle);
}

void test_raii()
{
    const std::string a = db_path + "-a";
    const std::string b = db_path + "-b";

    // The destructor frees the handle, and with it the database.
    { hamustro::Tracker scoped(options(a)); }
    CHECK(OUTCOME(hamustro::Tracker again(options(a))).status == hamustro::Status::ok);

    // Move assignment frees the tracker it replaces.
    hamustro::Tracker first(options(a));
    hamustro::Tracker second(options(b));
    first = std::move(second);
    CHECK(OUTCOME(hamustro::Tracker reopened(options(a))).status == hamustro::Status::ok);
    CHECK(OUTCOME(hamustro::Tracker busy(options(b))).status == hamustro::Status::storage);
}

void test_delivery_errors()
{
    // Nobody listens on port 1.
    auto unreachable = options(db_path + "-unreachable");
    unreachable.collector_url = "http://127.0.0.1:1";
    hamustro::Tracker tracker(unreachable);
    tracker.track_event("Never.Delivered");
    Outcome outcome = OUTCOME(tracker.flush(std::chrono::milliseconds(0)));
    CHECK(outcome.status == hamustro::Status::timeout);
    outcome = OUTCOME(tracker.flush(std::chrono::seconds(10)));
    CHECK(outcome.status == hamustro::Status::network);
    std::error_code ec;
    CHECK_NO_THROW(tracker.flush(std::chrono::seconds(10), ec));
    CHECK(ec == hamustro::Status::network);
    CHECK(!hamustro::last_error_message().empty());

    // The tracker remembers the failure.
    CHECK(!tracker.last_delivery_error().empty());
    hamustro::Stats stats = tracker.stats();
    CHECK(stats.queued == 1);
    CHECK(stats.consecutive_failures >= 1);
    CHECK(stats.last_error_status == hamustro::Status::network);
    CHECK(!stats.last_sync.has_value());
}

} // namespace

int main(int argc, char **argv)
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s COLLECTOR_URL SHARED_SECRET DATABASE_PATH\n", argv[0]);
        return 2;
    }
    url = argv[1];
    secret = argv[2];
    db_path = argv[3];

    // An unexpected exception is a failure of the test that threw it.
    auto run = [](const char *name, void (*test)()) {
        try {
            test();
        } catch (const std::exception &error) {
            ++failed;
            std::fprintf(stderr, "FAIL %s threw: %s\n", name, error.what());
        }
    };
    run("test_types", test_types);
    run("test_free_functions", test_free_functions);
    run("test_construction_errors", test_construction_errors);
    run("test_log_callback_errors", test_log_callback_errors);
    hamustro::set_log_callback(count_log_message, &log_messages, hamustro::LogLevel::debug);
    run("test_tracking", test_tracking);
    run("test_raii", test_raii);
    run("test_delivery_errors", test_delivery_errors);
    hamustro::set_log_callback(nullptr, nullptr, hamustro::LogLevel::error);
    CHECK(log_messages.load() > 0);

    std::printf("%d passed, %d failed\n", passed.load(), failed.load());
    return failed == 0 ? 0 : 1;
}
