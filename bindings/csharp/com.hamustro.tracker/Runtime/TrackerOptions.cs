using System;

namespace Hamustro
{
    /// <summary>What a <see cref="Tracker"/> is created with: one property for each
    /// <c>hamustro_config_set_*</c> option of the C API (see <c>include/hamustro.h</c>).
    ///
    /// <see cref="CollectorUrl"/>, <see cref="SharedSecretKey"/>, <see cref="DeviceId"/>,
    /// <see cref="ClientId"/> and <see cref="ProductVersion"/> are required: one left null
    /// makes the constructor throw a <see cref="HamustroException"/> with
    /// <see cref="HamustroStatus.InvalidArgument"/> naming it. Every other property left
    /// null keeps the library's default, which this binding never restates.</summary>
    public sealed class TrackerOptions
    {
        /// <summary>Required. The collector's base URL, e.g. "https://t.example.com";
        /// events go to <c>&lt;url&gt;/api/v1/track</c>.</summary>
        public string CollectorUrl { get; set; }

        /// <summary>Required. The secret shared with the collector, signing every request.
        /// Never logged nor put in an error message.</summary>
        public string SharedSecretKey { get; set; }

        /// <summary>Required. The device's raw identifier; only its SHA-256 is sent.</summary>
        public string DeviceId { get; set; }

        /// <summary>Required. The app's identifier at the collector.</summary>
        public string ClientId { get; set; }

        /// <summary>The operating system's version, e.g. "17.4". Null sends the running
        /// system's, as the library detects it.</summary>
        public string SystemVersion { get; set; }

        /// <summary>Required. The app's version, e.g. "2.0.0".</summary>
        public string ProductVersion { get; set; }

        /// <summary>The environment the build runs in; null keeps the library's default.</summary>
        public HamustroEnvironment? Environment { get; set; }

        /// <summary>The device maker, e.g. "Apple"; null sends none.</summary>
        public string DeviceMake { get; set; }

        /// <summary>The device model, e.g. "iPhone15,2"; null sends none.</summary>
        public string DeviceModel { get; set; }

        /// <summary>The operating system's name, e.g. "iOS". Null detects it; "" sends none.</summary>
        public string System { get; set; }

        /// <summary>The system language as a BCP 47 tag, e.g. "en-US". Null takes it from
        /// the process locale (LC_ALL, LC_MESSAGES, LANG); "" sends none.</summary>
        public string SystemLanguage { get; set; }

        /// <summary>The browser's name, for web views; null sends none.</summary>
        public string Browser { get; set; }

        /// <summary>The browser's version; null sends none.</summary>
        public string BrowserVersion { get; set; }

        /// <summary>The git hash of the app build; null sends none.</summary>
        public string ProductGitHash { get; set; }

        /// <summary>The language of the app's UI, e.g. "de"; null sends none.</summary>
        public string ProductLanguage { get; set; }

        /// <summary>Deliver when this many events are queued; 0 or 1 delivers on every
        /// event. Null keeps the library's default.</summary>
        public uint? QueueSize { get; set; }

        /// <summary>Deliver when the last successful delivery is older than this many
        /// minutes; 0 delivers on every event. Null keeps the library's default.</summary>
        public uint? QueueRetentionMinutes { get; set; }

        /// <summary>The SQLite file holding the queue (created with its directory). Null:
        /// a file the library names after the client id (one of its own for each client
        /// id) in <see cref="DatabaseDirectory"/>. One live tracker at a time may use a
        /// file.</summary>
        public string DatabasePath { get; set; }

        /// <summary>The directory of the queue file the library names (created if
        /// missing); set this or <see cref="DatabasePath"/>, not both (the tracker then
        /// throws <see cref="HamustroStatus.InvalidArgument"/>). Null: a <c>hamustro</c>
        /// folder of the platform's data directory (in Unity, <c>HamustroUnity</c>
        /// chooses one in <c>Application.persistentDataPath</c>).</summary>
        public string DatabaseDirectory { get; set; }

        /// <summary>How request bodies are encoded; null keeps the library's default.</summary>
        public PayloadFormat? PayloadFormat { get; set; }

        /// <summary>The limit on each HTTP request, connecting included (rounded up to
        /// whole milliseconds; positive). <see cref="Tracker.Dispose()"/> waits at most
        /// this long. Null keeps the library's default.</summary>
        public TimeSpan? RequestTimeout { get; set; }

        /// <summary>The IPv4 address sent with each event. Null detects the device's
        /// primary address; "" sends none (the collector records the request's).</summary>
        public string Ip { get; set; }

        /// <summary>The country sent with each event, e.g. "HU". Null takes the region of
        /// the process locale, if it names one.</summary>
        public string Country { get; set; }

        /// <summary>When set, user ids given to <see cref="Tracker.SetUser"/> are stored
        /// and sent as the hex SHA-256 of the id followed by this salt. Keep it constant
        /// for an app. Null sends user ids as given.</summary>
        public string UserIdSalt { get; set; }

        /// <summary>The most events kept queued on the device; one more drops the oldest
        /// (counted in <see cref="TrackerStats.Dropped"/>). Positive; null keeps the
        /// library's default.</summary>
        public ulong? MaxQueuedEvents { get; set; }

        /// <summary>True skips TLS certificate verification, for a development collector
        /// with a self-signed certificate; allowed only for 127.0.0.1, ::1 or localhost.
        /// Null keeps the library's default (verify).</summary>
        public bool? AcceptInvalidCertsForLoopback { get; set; }

        /// <summary>CA certificates trusted besides the operating system's store, e.g. a
        /// company's private CA: one or more PEM blocks ("-----BEGIN CERTIFICATE-----" …
        /// "-----END CERTIFICATE-----"), at most 256 KiB. Text that is not PEM, holds no
        /// certificate or a certificate that cannot be a trust anchor makes the
        /// constructor throw <see cref="HamustroStatus.InvalidArgument"/> naming
        /// <c>ca_certificates</c>. Null trusts the operating system's store alone.</summary>
        public string CaCertificates { get; set; }

        /// <summary>True trusts <see cref="CaCertificates"/> alone, not the operating
        /// system's store: the collector is pinned to its private CA. True without
        /// <see cref="CaCertificates"/> makes the constructor throw
        /// <see cref="HamustroStatus.InvalidArgument"/>. Null keeps the library's
        /// default.</summary>
        public bool? CaCertificatesOnly { get; set; }

        /// <summary>The HTTP proxy every request goes through,
        /// "http://[user:password@]host[:port]" (port 1080 when none is given; the
        /// credentials percent-encoded, never logged), whatever the environment says.
        /// An https:// collector is reached through a CONNECT tunnel. A URL the library
        /// cannot use makes the constructor throw
        /// <see cref="HamustroStatus.InvalidArgument"/>; a proxy that cannot be reached
        /// is a delivery failure naming it (the events stay queued). Null leaves the
        /// choice to the environment (see <see cref="ProxyFromEnvironment"/>).</summary>
        public string Proxy { get; set; }

        /// <summary>Whether, with no <see cref="Proxy"/>, the proxy is the one the
        /// standard environment variables choose (https_proxy, http_proxy, all_proxy,
        /// no_proxy, lower or upper case, read as curl reads them when the tracker is
        /// created); false connects directly unless <see cref="Proxy"/> is set. The
        /// system's proxy settings (Windows' or macOS's, a PAC file) are not read. Null
        /// keeps the library's default.</summary>
        public bool? ProxyFromEnvironment { get; set; }

        /// <summary>A copy of these options, for changing one without touching the
        /// original.</summary>
        /// <returns>A new object with the same values.</returns>
        public TrackerOptions Clone()
        {
            return (TrackerOptions)MemberwiseClone();
        }
    }
}
