/**
 * @file hamustro.hpp
 * @brief Header-only C++17 wrapper over the hamustro C API (hamustro.h).
 *
 * A move-only, RAII `hamustro::Tracker` that frees its handle in its destructor, an
 * options struct turned into a configuration through the C builder, and errors as
 * exceptions (`hamustro::Error`) or, through the overloads taking a `std::error_code&`,
 * as error codes of `hamustro::error_category()`. With exceptions off
 * (`-fno-exceptions`, as game engines build) only the error-code overloads exist: see
 * HAMUSTRO_HPP_EXCEPTIONS.
 *
 * All behaviour lives in the library; this header only converts values. Link with
 * `-lhamustro` (or pkg-config / CMake `hamustro::hamustro`), exactly as for C.
 *
 * @code
 * hamustro::Tracker::Options options;
 * options.collector_url = "https://t.example.com";
 * options.shared_secret_key = secret;
 * options.device_id = device_id;
 * options.client_id = "my-game";
 * options.system_version = "14.1";
 * options.product_version = "2.0.0";
 * hamustro::Tracker tracker(options);
 * tracker.track_event("Level.Started", {{"level", "1-1"}});
 * @endcode
 */

#ifndef HAMUSTRO_HPP
#define HAMUSTRO_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#include "hamustro.h"

/**
 * @brief 1 when the throwing overloads are compiled in: when the compiler has
 * exceptions on (`__cpp_exceptions`, or MSVC's `_CPPUNWIND`). With `-fno-exceptions`
 * (Unreal Engine, many game engines) it is 0 and only the `std::error_code&`
 * overloads exist; define it to 0 yourself to leave them out with exceptions on.
 */
#ifndef HAMUSTRO_HPP_EXCEPTIONS
#if defined(__cpp_exceptions) || defined(_CPPUNWIND)
#define HAMUSTRO_HPP_EXCEPTIONS 1
#else
#define HAMUSTRO_HPP_EXCEPTIONS 0
#endif
#endif

/** @brief The C++ API of hamustro. */
namespace hamustro {

/**
 * @brief The result of a hamustro call: the C API's `hamustro_status`, same values.
 *
 * Usable as a `std::error_code` value (see error_category()).
 */
enum class Status : std::uint32_t {
    ok = HAMUSTRO_STATUS_OK,                           ///< Success.
    invalid_argument = HAMUSTRO_STATUS_INVALID_ARGUMENT, ///< Bad, NULL or missing argument.
    invalid_handle = HAMUSTRO_STATUS_INVALID_HANDLE,   ///< No live tracker (e.g. moved from).
    storage = HAMUSTRO_STATUS_STORAGE,                 ///< The queue database failed.
    network = HAMUSTRO_STATUS_NETWORK,                 ///< Collector unreachable or 5xx.
    rejected = HAMUSTRO_STATUS_REJECTED,               ///< Collector answered 4xx.
    timeout = HAMUSTRO_STATUS_TIMEOUT,                 ///< A wait ran out; work goes on.
    internal = HAMUSTRO_STATUS_INTERNAL,               ///< A bug in hamustro.
    disabled = HAMUSTRO_STATUS_DISABLED,               ///< Tracking is switched off.
    out_of_resources = HAMUSTRO_STATUS_OUT_OF_RESOURCES, ///< No memory or thread to spare.
};

/** @brief The environment an app build runs in (the collector's `env`). */
enum class Environment : std::int32_t {
    production = HAMUSTRO_ENVIRONMENT_PRODUCTION,                        ///< 0
    general_availability = HAMUSTRO_ENVIRONMENT_GENERAL_AVAILABILITY,    ///< 1
    release_to_marketing = HAMUSTRO_ENVIRONMENT_RELEASE_TO_MARKETING,    ///< 2
    release_candidate = HAMUSTRO_ENVIRONMENT_RELEASE_CANDIDATE,          ///< 3
    beta = HAMUSTRO_ENVIRONMENT_BETA,                                    ///< 4
    alpha = HAMUSTRO_ENVIRONMENT_ALPHA,                                  ///< 5
    weekly = HAMUSTRO_ENVIRONMENT_WEEKLY,                                ///< 6
    nightly = HAMUSTRO_ENVIRONMENT_NIGHTLY,                              ///< 7
    staging = HAMUSTRO_ENVIRONMENT_STAGING,                              ///< 8
    quality_assurance = HAMUSTRO_ENVIRONMENT_QUALITY_ASSURANCE,          ///< 9
    testing = HAMUSTRO_ENVIRONMENT_TESTING,                              ///< 10
    development = HAMUSTRO_ENVIRONMENT_DEVELOPMENT,                      ///< 11
};

/** @brief How request bodies are encoded. */
enum class PayloadFormat : std::uint32_t {
    protobuf = HAMUSTRO_PAYLOAD_FORMAT_PROTOBUF, ///< `application/protobuf`.
    json = HAMUSTRO_PAYLOAD_FORMAT_JSON,         ///< `application/json`.
};

/**
 * @brief The name of a status, e.g. "HAMUSTRO_STATUS_NETWORK" (a static string).
 * @param status Any value; unknown ones give "HAMUSTRO_STATUS_UNKNOWN".
 */
inline const char *status_name(Status status) noexcept
{
    return hamustro_status_name(static_cast<hamustro_status>(status));
}

/** @brief The library's version, e.g. "0.1.0" (a static string). */
inline const char *version() noexcept
{
    return hamustro_version();
}

/** @brief The severity of a log message (see set_log_callback()). */
enum class LogLevel : std::uint32_t {
    error = 1,   ///< Something failed.
    warning = 2, ///< Something to look at, e.g. a delivery that will be retried.
    info = 3,    ///< What the library does, e.g. a delivered batch.
    debug = 4,   ///< Details.
};

/**
 * @brief The `std::error_category` of hamustro status codes: an error code's value is
 * the status number, its message the status name.
 *
 * The same object in every translation unit; compare categories with `==`.
 */
inline const std::error_category &error_category() noexcept
{
    /** @brief The category behind error_category(). */
    class Category final : public std::error_category {
    public:
        /** @brief "hamustro". */
        const char *name() const noexcept override { return "hamustro"; }

        /** @brief The status name, e.g. "HAMUSTRO_STATUS_TIMEOUT". */
        std::string message(int value) const override
        {
            return hamustro_status_name(static_cast<hamustro_status>(value));
        }

        /** @brief Maps the statuses that have a portable meaning to `std::errc`. */
        std::error_condition default_error_condition(int value) const noexcept override
        {
            switch (static_cast<Status>(value)) {
            case Status::invalid_argument:
                return std::make_error_condition(std::errc::invalid_argument);
            case Status::timeout:
                return std::make_error_condition(std::errc::timed_out);
            case Status::out_of_resources:
                return std::make_error_condition(std::errc::not_enough_memory);
            default:
                return std::error_condition(value, *this);
            }
        }
    };
    static const Category category;
    return category;
}

/** @brief Makes `Status` values usable as `std::error_code` (found by ADL). */
inline std::error_code make_error_code(Status status) noexcept
{
    return std::error_code(static_cast<int>(status), error_category());
}

} // namespace hamustro

namespace std {
/** @brief Lets `ec == hamustro::Status::timeout` compile. */
template <>
struct is_error_code_enum<hamustro::Status> : true_type {};
} // namespace std

namespace hamustro {

/**
 * @brief The exception the throwing functions raise: the library's message (what())
 * and the status it failed with.
 */
class Error : public std::runtime_error {
public:
    /**
     * @brief An error with `status` and `message`.
     * @param status The failure; never Status::ok.
     * @param message The readable message, as hamustro_last_error_message gives it.
     */
    Error(Status status, const std::string &message)
        : std::runtime_error(message), status_(status)
    {
    }

    /** @brief The status of the failed call. */
    Status status() const noexcept { return status_; }

    /** @brief The status as a `std::error_code` of error_category(). */
    std::error_code code() const noexcept { return make_error_code(status_); }

private:
    Status status_;
};

/** @brief Implementation details; not part of the API. */
namespace detail {

/** @brief The message of the latest failure seen by this wrapper on this thread. */
inline std::string &thread_message()
{
    static thread_local std::string message;
    return message;
}

/** @brief Copies this thread's last C error message into a std::string. */
inline std::string c_last_error_message()
{
    std::size_t length = hamustro_last_error_message(nullptr, 0);
    std::string message(length + 1, '\0');
    hamustro_last_error_message(message.data(), message.size());
    message.resize(length);
    return message;
}

/**
 * @brief Turns a status into `ec` (cleared on success); on failure records the
 * message for last_error_message(). Returns whether the call succeeded.
 */
inline bool check(hamustro_status status, std::error_code &ec)
{
    if (status == HAMUSTRO_STATUS_OK) {
        ec.clear();
        return true;
    }
    thread_message() = c_last_error_message();
    ec = make_error_code(static_cast<Status>(status));
    return false;
}

/** @brief A failure found by the wrapper itself, before calling the library. */
inline bool fail(Status status, std::string message, std::error_code &ec)
{
    thread_message() = std::move(message);
    ec = make_error_code(status);
    return false;
}

#if HAMUSTRO_HPP_EXCEPTIONS
/** @brief Throws the Error that `ec` and the recorded message describe, if any. */
inline void throw_if(const std::error_code &ec)
{
    if (ec) {
        throw Error(static_cast<Status>(ec.value()), thread_message());
    }
}
#endif // HAMUSTRO_HPP_EXCEPTIONS

/**
 * @brief A copy of a string_view with a NUL terminator, as C needs. A NUL byte inside
 * would silently cut the string on the C side, so it is an invalid argument here.
 */
inline bool to_c_string(std::string_view text, const char *what, std::string &out,
                        std::error_code &ec)
{
    if (text.find('\0') != std::string_view::npos) {
        return fail(Status::invalid_argument, std::string(what) + " contains a NUL byte", ec);
    }
    out.assign(text.data(), text.size());
    return true;
}

/** @brief Name/value pairs copied into NUL-terminated strings for one C call. */
class Pairs {
public:
    /** @brief Copies `pairs` (anything iterable over two string-like members). */
    template <typename Range>
    bool assign(const Range &pairs, const char *what, std::error_code &ec)
    {
        for (const auto &[name, value] : pairs) {
            std::string n;
            std::string v;
            if (!to_c_string(name, what, n, ec) || !to_c_string(value, what, v, ec)) {
                return false;
            }
            names_.push_back(std::move(n));
            values_.push_back(std::move(v));
        }
        // Pointers are taken once every string is in place: push_back may move them.
        for (std::size_t i = 0; i < names_.size(); ++i) {
            name_ptrs_.push_back(names_[i].c_str());
            value_ptrs_.push_back(values_[i].c_str());
        }
        return true;
    }

    /** @brief The names array, or NULL when empty. */
    const char *const *names() const noexcept { return name_ptrs_.empty() ? nullptr : name_ptrs_.data(); }
    /** @brief The values array, or NULL when empty. */
    const char *const *values() const noexcept { return value_ptrs_.empty() ? nullptr : value_ptrs_.data(); }
    /** @brief The number of pairs. */
    std::size_t size() const noexcept { return names_.size(); }

private:
    std::vector<std::string> names_;
    std::vector<std::string> values_;
    std::vector<const char *> name_ptrs_;
    std::vector<const char *> value_ptrs_;
};

/** @brief A C configuration handle, freed when it goes out of scope. */
class ConfigHandle {
public:
    ConfigHandle() = default;
    ConfigHandle(const ConfigHandle &) = delete;
    ConfigHandle &operator=(const ConfigHandle &) = delete;
    ~ConfigHandle()
    {
        if (handle.id != 0) {
            hamustro_config_free(handle);
        }
    }
    /** @brief The handle; {0} until hamustro_config_new succeeds. */
    hamustro_config handle{};
};

/** @brief A count clamped into the C API's uint32 range (negative gives 0). */
template <typename Rep>
std::uint32_t clamp_u32(Rep count) noexcept
{
    if (count <= 0) {
        return 0;
    }
    if (static_cast<unsigned long long>(count) > std::numeric_limits<std::uint32_t>::max()) {
        return std::numeric_limits<std::uint32_t>::max();
    }
    return static_cast<std::uint32_t>(count);
}

} // namespace detail

/**
 * @brief The message of the most recent failure on this thread of a call made through
 * this header (what the Error would have said), for the `std::error_code&` overloads.
 * Empty if none failed yet.
 */
inline std::string last_error_message()
{
    return detail::thread_message();
}

#if HAMUSTRO_HPP_EXCEPTIONS
/**
 * @brief Routes the library's log messages, up to `max_level`, to `callback` for every
 * tracker in the process; `callback` nullptr switches logging off.
 *
 * A thin pass-through of hamustro_set_log_callback(): `callback` is a plain function
 * called on library threads, possibly concurrently, with a message valid only during
 * the call; it must be thread-safe, return quickly and not throw. `callback` and
 * `user_data` must stay valid until replaced. Messages never hold the shared secret,
 * user ids or event parameters.
 * @throws Error with Status::invalid_argument for a level outside LogLevel.
 */
inline void set_log_callback(hamustro_log_callback callback, void *user_data, LogLevel max_level)
{
    std::error_code ec;
    detail::check(hamustro_set_log_callback(callback, user_data,
                                            static_cast<std::uint32_t>(max_level)),
                  ec);
    detail::throw_if(ec);
}
#endif // HAMUSTRO_HPP_EXCEPTIONS

/** @brief set_log_callback() reporting failure in `ec`. */
inline void set_log_callback(hamustro_log_callback callback, void *user_data, LogLevel max_level,
                             std::error_code &ec)
{
    detail::check(hamustro_set_log_callback(callback, user_data,
                                            static_cast<std::uint32_t>(max_level)),
                  ec);
}

/** @brief A tracker's delivery state (hamustro_stats in C++ types). */
struct Stats {
    bool enabled = true;                ///< False while the app has switched tracking off.
    std::uint64_t queued = 0;           ///< Stored and not yet accepted by the collector.
    std::uint64_t in_flight = 0;        ///< In the request being sent right now.
    std::uint64_t delivered = 0;        ///< Accepted, over the database's lifetime.
    std::uint64_t dropped = 0;          ///< Dropped at the queue's cap, over its lifetime.
    /** @brief The last successful delivery; nullopt if none yet. */
    std::optional<std::chrono::system_clock::time_point> last_sync;
    std::uint32_t consecutive_failures = 0; ///< Failed attempts since the last success.
    Status last_error_status = Status::ok;  ///< The last failed attempt's status.
    std::chrono::milliseconds next_retry{0}; ///< Until the next attempt after a failure.
};

/**
 * @brief A tracker: records events durably and delivers them, signed, in the background.
 *
 * Move-only and RAII: the destructor frees the handle (stopping the delivery thread;
 * queued events stay in the database for the next tracker). A moved-from Tracker holds
 * nothing: its calls fail with Status::invalid_handle.
 *
 * Threads: every member function except assignment and destruction may be called from
 * several threads at once on the same Tracker. Only flush() and close() (and the
 * destructor) wait; nothing else blocks on the network.
 *
 * Each operation comes in two forms: one throws hamustro::Error, the other takes a
 * `std::error_code&`, sets it (cleared on success) and does not throw hamustro::Error
 * (copying arguments may still throw `std::bad_alloc`); read last_error_message() for
 * the reason.
 */
class Tracker {
public:
    /**
     * @brief Everything a tracker is created from. The six strings without a default are
     * required (an empty one is reported missing); every `std::nullopt` keeps the
     * library's default, which this header never restates. See hamustro.h for each
     * option's meaning and default.
     */
    struct Options {
        std::string collector_url;     ///< Required. Base URL, e.g. "https://t.example.com".
        std::string shared_secret_key; ///< Required. Signs every request; never logged.
        std::string device_id;         ///< Required. Raw device id; only its SHA-256 is sent.
        std::string client_id;         ///< Required. The app's identifier at the collector.
        std::string system_version;    ///< The OS version, e.g. "14.1"; empty: the running system's.
        std::string product_version;   ///< Required. The app version, e.g. "2.0.0".
        std::optional<Environment> env;              ///< Part of the session.
        std::optional<std::string> device_make;      ///< E.g. "Apple".
        std::optional<std::string> device_model;     ///< E.g. "iPhone15,2".
        std::optional<std::string> system;           ///< E.g. "iOS".
        std::optional<std::string> system_language;  ///< E.g. "en-US".
        std::optional<std::string> browser;          ///< Browser name.
        std::optional<std::string> browser_version;  ///< Browser version.
        std::optional<std::string> product_git_hash; ///< Git hash of the app build.
        std::optional<std::string> product_language; ///< Language of the app's UI.
        std::optional<std::uint32_t> queue_size;     ///< Send at this many queued.
        /** @brief Send when the last delivery is older than this. */
        std::optional<std::chrono::minutes> queue_retention;
        std::optional<std::string> database_path;    ///< The SQLite queue file.
        /** @brief The queue's directory, the file named by the library; not with database_path. */
        std::optional<std::string> database_directory;
        std::optional<PayloadFormat> payload_format; ///< The body encoding.
        std::optional<std::chrono::milliseconds> request_timeout; ///< Per request.
        std::optional<std::string> ip;      ///< The `ip` sent; "" sends none.
        std::optional<std::string> country; ///< E.g. "HU".
        /** @brief User ids are sent as sha256hex(user_id + salt); default: as given. */
        std::optional<std::string> user_id_salt;
        std::optional<std::uint64_t> max_queued_events; ///< The most events kept queued.
        /** @brief Skip TLS verification; refused unless the collector is on loopback. */
        std::optional<bool> accept_invalid_certs_for_loopback;
        /** @brief PEM CA certificates trusted besides the system's store (a private CA). */
        std::optional<std::string> ca_certificates;
        /** @brief Trust ca_certificates alone, not the system's store. */
        std::optional<bool> ca_certificates_only;
        /** @brief "http://[user:password@]host:port": the HTTP proxy for every request. */
        std::optional<std::string> proxy;
        /** @brief Without proxy, use https_proxy/http_proxy/all_proxy/no_proxy (default). */
        std::optional<bool> proxy_from_environment;
    };

#if HAMUSTRO_HPP_EXCEPTIONS
    /**
     * @brief Creates a tracker (opens the queue database, starts delivery).
     * @throws Error with Status::invalid_argument naming a missing or bad option, or
     * Status::storage when the database cannot be used (e.g. another tracker has it).
     */
    explicit Tracker(const Options &options)
    {
        std::error_code ec;
        open(options, ec);
        detail::throw_if(ec);
    }
#endif // HAMUSTRO_HPP_EXCEPTIONS

    /**
     * @brief Creates a tracker without throwing Error: on failure `ec` is set and the
     * Tracker is empty (`!tracker`).
     */
    Tracker(const Options &options, std::error_code &ec) { open(options, ec); }

    /** @brief An empty tracker, holding no handle. */
    Tracker() noexcept = default;

    Tracker(const Tracker &) = delete;
    Tracker &operator=(const Tracker &) = delete;

    /** @brief Takes `other`'s handle; `other` is left empty. */
    Tracker(Tracker &&other) noexcept : handle_(std::exchange(other.handle_, hamustro_tracker{})) {}

    /** @brief Frees the current handle (if any), then takes `other`'s. */
    Tracker &operator=(Tracker &&other) noexcept
    {
        if (this != &other) {
            reset();
            handle_ = std::exchange(other.handle_, hamustro_tracker{});
        }
        return *this;
    }

    /** @brief Frees the handle: waits for a request in progress, at most the request timeout. */
    ~Tracker() { reset(); }

    /** @brief Whether this Tracker holds a handle (it may still have been freed by C code). */
    explicit operator bool() const noexcept { return handle_.id != 0; }

    /** @brief The C handle, for calls this header does not wrap. Still owned by the Tracker. */
    hamustro_tracker native_handle() const noexcept { return handle_; }

#if HAMUSTRO_HPP_EXCEPTIONS
    /**
     * @brief Tracks an event; returns once it is committed to the on-disk queue.
     * @param name The event's name, e.g. "Level.Started".
     * @param params Name/value pairs; a repeated name keeps its last value.
     * @throws Error (Status::invalid_argument past a limit, Status::invalid_handle, or
     *         Status::storage when nothing was stored: see hamustro_tracker_track_event).
     */
    void track_event(std::string_view name,
                     std::initializer_list<std::pair<std::string_view, std::string_view>> params = {})
    {
        std::error_code ec;
        track(name, params, ec);
        detail::throw_if(ec);
    }

    /** @brief track_event() with parameters from a map. @throws Error */
    void track_event(std::string_view name, const std::map<std::string, std::string> &params)
    {
        std::error_code ec;
        track(name, params, ec);
        detail::throw_if(ec);
    }
#endif // HAMUSTRO_HPP_EXCEPTIONS

    /** @brief track_event() without parameters, reporting failure in `ec`. */
    void track_event(std::string_view name, std::error_code &ec)
    {
        track(name, std::initializer_list<std::pair<std::string_view, std::string_view>>{}, ec);
    }

    /** @brief track_event() reporting failure in `ec`. */
    void track_event(std::string_view name,
                     std::initializer_list<std::pair<std::string_view, std::string_view>> params,
                     std::error_code &ec)
    {
        track(name, params, ec);
    }

    /** @brief track_event() with a map, reporting failure in `ec`. */
    void track_event(std::string_view name, const std::map<std::string, std::string> &params,
                     std::error_code &ec)
    {
        track(name, params, ec);
    }

#if HAMUSTRO_HPP_EXCEPTIONS
    /**
     * @brief Sets (and persists) the tenant and user later events are attributed to;
     * `std::nullopt` clears a field.
     * @throws Error
     */
    void set_user(std::optional<std::string_view> tenant_id, std::optional<std::string_view> user_id)
    {
        std::error_code ec;
        set_user(tenant_id, user_id, ec);
        detail::throw_if(ec);
    }
#endif // HAMUSTRO_HPP_EXCEPTIONS

    /** @brief set_user() reporting failure in `ec`. */
    void set_user(std::optional<std::string_view> tenant_id, std::optional<std::string_view> user_id,
                  std::error_code &ec)
    {
        std::string tenant;
        std::string user;
        if (tenant_id && !detail::to_c_string(*tenant_id, "tenant_id", tenant, ec)) {
            return;
        }
        if (user_id && !detail::to_c_string(*user_id, "user_id", user, ec)) {
            return;
        }
        detail::check(hamustro_tracker_set_user(handle_, tenant_id ? tenant.c_str() : nullptr,
                                                user_id ? user.c_str() : nullptr),
                      ec);
    }

#if HAMUSTRO_HPP_EXCEPTIONS
    /**
     * @brief Replaces the extra HTTP headers sent with every request (empty removes
     * them). Not persisted. The library's own headers (X-Hamustro-*, Content-Type),
     * those that change how HTTP carries the request (Content-Length, Expect,
     * Connection, Transfer-Encoding, Host, Proxy-*… see the C header) and values
     * with control characters (C0, DEL, C1, U+2028, U+2029) are refused.
     * @throws Error
     */
    void set_headers(const std::map<std::string, std::string> &headers)
    {
        std::error_code ec;
        set_headers(headers, ec);
        detail::throw_if(ec);
    }
#endif // HAMUSTRO_HPP_EXCEPTIONS

    /** @brief set_headers() reporting failure in `ec`. */
    void set_headers(const std::map<std::string, std::string> &headers, std::error_code &ec)
    {
        detail::Pairs pairs;
        if (pairs.assign(headers, "a header", ec)) {
            detail::check(hamustro_tracker_set_headers(handle_, pairs.names(), pairs.values(),
                                                       pairs.size()),
                          ec);
        }
    }

#if HAMUSTRO_HPP_EXCEPTIONS
    /**
     * @brief Blocks until everything tracked before the call is delivered, a delivery
     * attempt fails, or `timeout` passes. Events are never dropped.
     * @throws Error with Status::network, Status::rejected or Status::timeout.
     */
    void flush(std::chrono::milliseconds timeout)
    {
        std::error_code ec;
        flush(timeout, ec);
        detail::throw_if(ec);
    }
#endif // HAMUSTRO_HPP_EXCEPTIONS

    /** @brief flush() reporting failure in `ec`. */
    void flush(std::chrono::milliseconds timeout, std::error_code &ec)
    {
        detail::check(hamustro_tracker_flush(handle_, detail::clamp_u32(timeout.count())), ec);
    }

#if HAMUSTRO_HPP_EXCEPTIONS
    /**
     * @brief Switches tracking on or off, persistently. While off, track_event() stores
     * nothing (and succeeds), nothing is sent, and flush() fails with Status::disabled.
     * @throws Error
     */
    void set_enabled(bool enabled)
    {
        std::error_code ec;
        set_enabled(enabled, ec);
        detail::throw_if(ec);
    }
#endif // HAMUSTRO_HPP_EXCEPTIONS

    /** @brief set_enabled() reporting failure in `ec`. */
    void set_enabled(bool enabled, std::error_code &ec)
    {
        detail::check(hamustro_tracker_set_enabled(handle_, enabled), ec);
    }

#if HAMUSTRO_HPP_EXCEPTIONS
    /** @brief Whether tracking is switched on. @throws Error */
    bool enabled() const
    {
        std::error_code ec;
        bool result = enabled(ec);
        detail::throw_if(ec);
        return result;
    }
#endif // HAMUSTRO_HPP_EXCEPTIONS

    /** @brief enabled() reporting failure in `ec` (and returning false). */
    bool enabled(std::error_code &ec) const
    {
        bool result = false;
        detail::check(hamustro_tracker_is_enabled(handle_, &result), ec);
        return result;
    }

#if HAMUSTRO_HPP_EXCEPTIONS
    /**
     * @brief Deletes every queued event from the device; returns how many. A request
     * already in flight may still reach the collector.
     * @throws Error
     */
    std::uint64_t discard_queued()
    {
        std::error_code ec;
        std::uint64_t result = discard_queued(ec);
        detail::throw_if(ec);
        return result;
    }
#endif // HAMUSTRO_HPP_EXCEPTIONS

    /** @brief discard_queued() reporting failure in `ec` (and returning 0). */
    std::uint64_t discard_queued(std::error_code &ec)
    {
        std::uint64_t result = 0;
        detail::check(hamustro_tracker_discard_queued(handle_, &result), ec);
        return result;
    }

#if HAMUSTRO_HPP_EXCEPTIONS
    /**
     * @brief Sets a global parameter, added to every later event (an event's own
     * parameter of the same name wins); `std::nullopt` removes it. Persisted.
     * @throws Error
     */
    void set_global_parameter(std::string_view name, std::optional<std::string_view> value)
    {
        std::error_code ec;
        set_global_parameter(name, value, ec);
        detail::throw_if(ec);
    }
#endif // HAMUSTRO_HPP_EXCEPTIONS

    /** @brief set_global_parameter() reporting failure in `ec`. */
    void set_global_parameter(std::string_view name, std::optional<std::string_view> value,
                              std::error_code &ec)
    {
        std::string n;
        std::string v;
        if (detail::to_c_string(name, "the parameter name", n, ec) &&
            (!value || detail::to_c_string(*value, "the parameter value", v, ec))) {
            detail::check(hamustro_tracker_set_global_parameter(handle_, n.c_str(),
                                                                value ? v.c_str() : nullptr),
                          ec);
        }
    }

#if HAMUSTRO_HPP_EXCEPTIONS
    /** @brief Removes every global parameter. @throws Error */
    void clear_global_parameters()
    {
        std::error_code ec;
        clear_global_parameters(ec);
        detail::throw_if(ec);
    }
#endif // HAMUSTRO_HPP_EXCEPTIONS

    /** @brief clear_global_parameters() reporting failure in `ec`. */
    void clear_global_parameters(std::error_code &ec)
    {
        detail::check(hamustro_tracker_clear_global_parameters(handle_), ec);
    }

#if HAMUSTRO_HPP_EXCEPTIONS
    /** @brief The tracker's delivery state. @throws Error */
    Stats stats() const
    {
        std::error_code ec;
        Stats result = stats(ec);
        detail::throw_if(ec);
        return result;
    }
#endif // HAMUSTRO_HPP_EXCEPTIONS

    /** @brief stats() reporting failure in `ec` (and returning default Stats). */
    Stats stats(std::error_code &ec) const
    {
        hamustro_stats raw{};
        raw.size = sizeof raw;
        Stats result;
        if (detail::check(hamustro_tracker_get_stats(handle_, &raw), ec)) {
            result.enabled = raw.enabled != 0;
            result.queued = raw.queued;
            result.in_flight = raw.in_flight;
            result.delivered = raw.delivered;
            result.dropped = raw.dropped;
            if (raw.last_sync_time != 0) {
                result.last_sync = std::chrono::system_clock::time_point(
                    std::chrono::seconds(static_cast<std::int64_t>(raw.last_sync_time)));
            }
            result.consecutive_failures = raw.consecutive_failures;
            result.last_error_status = static_cast<Status>(raw.last_error_status);
            result.next_retry = std::chrono::milliseconds(static_cast<std::int64_t>(raw.next_retry_ms));
        }
        return result;
    }

#if HAMUSTRO_HPP_EXCEPTIONS
    /**
     * @brief The message of the last failed delivery attempt; empty if none has failed
     * since the tracker started.
     * @throws Error
     */
    std::string last_delivery_error() const
    {
        std::error_code ec;
        std::string result = last_delivery_error(ec);
        detail::throw_if(ec);
        return result;
    }
#endif // HAMUSTRO_HPP_EXCEPTIONS

    /** @brief last_delivery_error() reporting failure in `ec`. */
    std::string last_delivery_error(std::error_code &ec) const
    {
        std::string message;
        std::size_t length = 0;
        // The delivery thread may replace the message between two calls: retry until
        // the buffer held all of it.
        do {
            message.assign(length + 1, '\0');
            if (!detail::check(hamustro_tracker_last_delivery_error(handle_, message.data(),
                                                                    message.size(), &length),
                               ec)) {
                return std::string();
            }
        } while (length >= message.size());
        message.resize(length);
        return message;
    }

#if HAMUSTRO_HPP_EXCEPTIONS
    /**
     * @brief Frees the handle now (the destructor's work) and reports failure; the
     * Tracker is empty afterwards.
     * @throws Error (Status::invalid_handle if it was already empty).
     */
    void close()
    {
        std::error_code ec;
        close(ec);
        detail::throw_if(ec);
    }
#endif // HAMUSTRO_HPP_EXCEPTIONS

    /** @brief close() reporting failure in `ec`. */
    void close(std::error_code &ec)
    {
        detail::check(hamustro_tracker_free(std::exchange(handle_, hamustro_tracker{})), ec);
    }

private:
    void reset() noexcept
    {
        if (handle_.id != 0) {
            hamustro_tracker_free(std::exchange(handle_, hamustro_tracker{}));
        }
    }

    template <typename Params>
    void track(std::string_view name, const Params &params, std::error_code &ec)
    {
        std::string event;
        detail::Pairs pairs;
        if (detail::to_c_string(name, "the event name", event, ec) &&
            pairs.assign(params, "a parameter", ec)) {
            detail::check(hamustro_tracker_track_event(handle_, event.c_str(), pairs.names(),
                                                       pairs.values(), pairs.size()),
                          ec);
        }
    }

    /** @brief Builds the C configuration from `options` and creates the tracker. */
    void open(const Options &options, std::error_code &ec)
    {
        detail::ConfigHandle config;
        if (!detail::check(hamustro_config_new(&config.handle), ec)) {
            return;
        }
        const hamustro_config c = config.handle;
        using Setter = hamustro_status (*)(hamustro_config, const char *);
        // A required field left empty is not set, so tracker creation names it missing.
        auto required = [&](Setter set, const std::string &value, const char *what) {
            std::string copy;
            return value.empty() ||
                   (detail::to_c_string(value, what, copy, ec) &&
                    detail::check(set(c, copy.c_str()), ec));
        };
        auto optional = [&](Setter set, const std::optional<std::string> &value, const char *what) {
            std::string copy;
            return !value ||
                   (detail::to_c_string(*value, what, copy, ec) &&
                    detail::check(set(c, copy.c_str()), ec));
        };
        bool ok =
            required(hamustro_config_set_collector_url, options.collector_url, "collector_url") &&
            required(hamustro_config_set_shared_secret_key, options.shared_secret_key,
                     "shared_secret_key") &&
            required(hamustro_config_set_device_id, options.device_id, "device_id") &&
            required(hamustro_config_set_client_id, options.client_id, "client_id") &&
            required(hamustro_config_set_system_version, options.system_version, "system_version") &&
            required(hamustro_config_set_product_version, options.product_version,
                     "product_version") &&
            (!options.env ||
             detail::check(hamustro_config_set_env(c, static_cast<std::int32_t>(*options.env)), ec)) &&
            optional(hamustro_config_set_device_make, options.device_make, "device_make") &&
            optional(hamustro_config_set_device_model, options.device_model, "device_model") &&
            optional(hamustro_config_set_system, options.system, "system") &&
            optional(hamustro_config_set_system_language, options.system_language,
                     "system_language") &&
            optional(hamustro_config_set_browser, options.browser, "browser") &&
            optional(hamustro_config_set_browser_version, options.browser_version,
                     "browser_version") &&
            optional(hamustro_config_set_product_git_hash, options.product_git_hash,
                     "product_git_hash") &&
            optional(hamustro_config_set_product_language, options.product_language,
                     "product_language") &&
            optional(hamustro_config_set_database_path, options.database_path, "database_path") &&
            optional(hamustro_config_set_database_directory, options.database_directory,
                     "database_directory") &&
            optional(hamustro_config_set_ip, options.ip, "ip") &&
            optional(hamustro_config_set_country, options.country, "country") &&
            optional(hamustro_config_set_user_id_salt, options.user_id_salt, "user_id_salt") &&
            (!options.max_queued_events ||
             detail::check(hamustro_config_set_max_queued_events(c, *options.max_queued_events),
                           ec)) &&
            (!options.accept_invalid_certs_for_loopback ||
             detail::check(hamustro_config_set_accept_invalid_certs_for_loopback(
                               c, *options.accept_invalid_certs_for_loopback),
                           ec)) &&
            optional(hamustro_config_set_ca_certificates, options.ca_certificates,
                     "ca_certificates") &&
            (!options.ca_certificates_only ||
             detail::check(hamustro_config_set_ca_certificates_only(c, *options.ca_certificates_only),
                           ec)) &&
            optional(hamustro_config_set_proxy, options.proxy, "proxy") &&
            (!options.proxy_from_environment ||
             detail::check(hamustro_config_set_proxy_from_environment(
                               c, *options.proxy_from_environment),
                           ec)) &&
            (!options.queue_size ||
             detail::check(hamustro_config_set_queue_size(c, *options.queue_size), ec)) &&
            (!options.queue_retention ||
             detail::check(hamustro_config_set_queue_retention(c, detail::clamp_u32(options.queue_retention->count())),
                           ec)) &&
            (!options.payload_format ||
             detail::check(hamustro_config_set_payload_format(
                               c, static_cast<std::uint32_t>(*options.payload_format)),
                           ec)) &&
            (!options.request_timeout ||
             detail::check(hamustro_config_set_request_timeout_ms(
                               c, detail::clamp_u32(options.request_timeout->count())),
                           ec));
        if (ok) {
            hamustro_tracker handle{};
            if (detail::check(hamustro_tracker_new(c, &handle), ec)) {
                handle_ = handle;
            }
        }
    }

    hamustro_tracker handle_{};
};

} // namespace hamustro

#endif // HAMUSTRO_HPP
