using System;
using System.Collections.Generic;
using System.Threading;

namespace Hamustro
{
    /// <summary>Tracks events and delivers them, signed, to a Hamustro collector.
    ///
    /// Each event is committed to an on-disk queue (SQLite) before
    /// <see cref="TrackEvent"/> returns, and a background thread of the native library
    /// delivers the queue. No member but <see cref="Flush"/> and <see cref="Dispose()"/>
    /// waits for the network. Every member may be called from any thread at once.
    ///
    /// Dispose it when done (a <c>using</c> block, or <see cref="Dispose()"/>): that
    /// waits for a request in progress (at most the request timeout) and closes the
    /// queue's files, so a new tracker may open the same database at once. A tracker
    /// never disposed is freed by its finalizer. After disposing, every member throws
    /// <see cref="ObjectDisposedException"/>; disposing again does nothing.</summary>
    /// <example><code>
    /// using (var tracker = new Tracker(new TrackerOptions {
    ///     CollectorUrl = "https://t.example.com", SharedSecretKey = secret,
    ///     DeviceId = deviceId, ClientId = "my-game", ProductVersion = "2.0.0" }))
    /// {
    ///     tracker.TrackEvent("Level.Completed", new Dictionary&lt;string, string&gt; { { "level", "3" } });
    /// }
    /// </code></example>
    public sealed class Tracker : IDisposable
    {
        /// <summary>The native handle; freed once, by whichever of Dispose and the
        /// finalizer comes first (<see cref="disposed"/>).</summary>
        private readonly TrackerHandle handle;
        /// <summary>1 once Dispose or the finalizer has begun.</summary>
        private int disposed;

        /// <summary>Creates a tracker: opens (or creates) the queue database, loads what an
        /// earlier run left there (unsent events, counters, user), and starts background
        /// delivery.</summary>
        /// <param name="options">The options; each null one keeps the library's default.</param>
        /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
        /// <exception cref="ArgumentException">A string holds a NUL character or a lone
        /// surrogate, or the request timeout is out of range.</exception>
        /// <exception cref="HamustroException"><see cref="HamustroStatus.InvalidArgument"/>
        /// naming a missing or bad option, or <see cref="HamustroStatus.Storage"/> when the
        /// database cannot be used (including when another live tracker has it open).</exception>
        public Tracker(TrackerOptions options)
        {
            if (options == null)
            {
                throw new ArgumentNullException("options");
            }
            ConfigHandle config;
            Native.Check(Native.hamustro_config_new(out config));
            try
            {
                Configure(config, options);
                Native.Check(Native.hamustro_tracker_new(config, out handle));
            }
            finally
            {
                // The tracker keeps its own copy of the configuration.
                Native.hamustro_config_free(config);
            }
        }

        /// <summary>Frees the native tracker of one never disposed. Waits, on the
        /// finalizer thread, for a request in progress (at most the request timeout).</summary>
        ~Tracker()
        {
            Free();
        }

        /// <summary>The library's version, e.g. "0.1.0" (<c>hamustro_version</c>); compare
        /// it with the package's to catch a mismatched native library.</summary>
        public static string LibraryVersion
        {
            get { return Utf8.FromNative(Native.hamustro_version()); }
        }

        /// <summary>Whether tracking is switched on. Setting it is persistent (stored in
        /// the queue database, for every later tracker on it). While off,
        /// <see cref="TrackEvent"/> stores nothing and returns normally, nothing is sent,
        /// and <see cref="Flush"/> throws with <see cref="HamustroStatus.Disabled"/>.
        /// Queued events are kept unless you also call <see cref="DiscardQueued"/>.</summary>
        /// <exception cref="HamustroException"><see cref="HamustroStatus.Storage"/>: the
        /// choice was not stored.</exception>
        /// <exception cref="ObjectDisposedException">The tracker was disposed.</exception>
        public bool Enabled
        {
            get
            {
                bool enabled;
                Call(Native.hamustro_tracker_is_enabled(Handle, out enabled));
                return enabled;
            }
            set
            {
                Call(Native.hamustro_tracker_set_enabled(Handle, value));
            }
        }

        /// <summary>Stores one event and returns once it is on disk; never waits for the
        /// network. Global parameters are added (the event's own win). One native call,
        /// the name and parameters packed into one UTF-8 buffer.</summary>
        /// <param name="name">The event's name, 1 to 1024 bytes of UTF-8.</param>
        /// <param name="parameters">The event's parameters, or null for none. Names must
        /// not be empty; neither names nor values may be null.</param>
        /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
        /// <exception cref="ArgumentException">A name or value is null, holds a NUL
        /// character or a lone surrogate.</exception>
        /// <exception cref="HamustroException"><see cref="HamustroStatus.InvalidArgument"/>
        /// past a limit (the name 1 to 1024 bytes, the encoded event 256 KiB);
        /// <see cref="HamustroStatus.Storage"/> when the event was not stored (a full
        /// disk, or a database that refuses events).</exception>
        /// <exception cref="ObjectDisposedException">The tracker was disposed.</exception>
        public void TrackEvent(string name, IReadOnlyDictionary<string, string> parameters = null)
        {
            var tracker = Handle;
            int length;
            var packed = Utf8.Packed(name, parameters, out length);
            Call(Native.hamustro_tracker_track_event_packed(tracker, packed, (UIntPtr)(uint)length));
        }

        /// <summary>Sets, and persists, the tenant and user that later events are
        /// attributed to. Null clears a field.</summary>
        /// <param name="tenantId">The tenant, or null.</param>
        /// <param name="userId">The user, or null (hashed with the salt when
        /// <see cref="TrackerOptions.UserIdSalt"/> is set).</param>
        /// <exception cref="ArgumentException">A string holds a NUL character.</exception>
        /// <exception cref="HamustroException"><see cref="HamustroStatus.InvalidArgument"/>
        /// past the 64 KiB limit of the user and global parameters together.</exception>
        /// <exception cref="ObjectDisposedException">The tracker was disposed.</exception>
        public void SetUser(string tenantId, string userId)
        {
            var tracker = Handle;
            Call(Native.hamustro_tracker_set_user(
                tracker, Utf8.Encode(tenantId, "tenantId"), Utf8.Encode(userId, "userId")));
        }

        /// <summary>Replaces the extra HTTP headers sent with every request (an empty
        /// dictionary removes them). Not persisted: set them after creating a tracker.</summary>
        /// <param name="headers">Header names and values.</param>
        /// <exception cref="ArgumentNullException"><paramref name="headers"/> is null.</exception>
        /// <exception cref="HamustroException"><see cref="HamustroStatus.InvalidArgument"/>
        /// for a bad or reserved name, or past the 16 KiB limit.</exception>
        /// <exception cref="ObjectDisposedException">The tracker was disposed.</exception>
        public void SetHeaders(IReadOnlyDictionary<string, string> headers)
        {
            if (headers == null)
            {
                throw new ArgumentNullException("headers");
            }
            var tracker = Handle;
            using (var pairs = Utf8.Pairs(headers, "header"))
            {
                Call(Native.hamustro_tracker_set_headers(tracker, pairs.Names, pairs.Values, pairs.Count));
            }
        }

        /// <summary>Blocks until every event tracked so far is delivered, a delivery
        /// attempt fails, or <paramref name="timeout"/> passes. Events are never dropped:
        /// on failure they stay queued and are retried in the background.</summary>
        /// <param name="timeout">The longest wait (rounded up to whole milliseconds), or
        /// <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is
        /// negative (but infinite) or longer than about 49 days.</exception>
        /// <exception cref="HamustroException"><see cref="HamustroStatus.Network"/> or
        /// <see cref="HamustroStatus.Rejected"/> with the collector's answer;
        /// <see cref="HamustroStatus.Timeout"/> when the time ran out;
        /// <see cref="HamustroStatus.Disabled"/> while tracking is off.</exception>
        /// <exception cref="ObjectDisposedException">The tracker was disposed.</exception>
        public void Flush(TimeSpan timeout)
        {
            var tracker = Handle;
            Call(Native.hamustro_tracker_flush(tracker, Milliseconds(timeout, "timeout", true)));
        }

        /// <summary>Deletes every queued event from the device (for example on a user's
        /// erasure request). A request already in flight may still reach the collector.</summary>
        /// <returns>How many events were deleted.</returns>
        /// <exception cref="HamustroException"><see cref="HamustroStatus.Storage"/>.</exception>
        /// <exception cref="ObjectDisposedException">The tracker was disposed.</exception>
        public ulong DiscardQueued()
        {
            ulong discarded;
            Call(Native.hamustro_tracker_discard_queued(Handle, out discarded));
            return discarded;
        }

        /// <summary>Adds a parameter to every event tracked from now on, persistently;
        /// an event's own parameter of the same name wins.</summary>
        /// <param name="name">The parameter's name; not empty.</param>
        /// <param name="value">Its value, or null to remove it.</param>
        /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
        /// <exception cref="HamustroException"><see cref="HamustroStatus.InvalidArgument"/>
        /// for an empty name or past the 64 KiB limit; <see cref="HamustroStatus.Storage"/>.</exception>
        /// <exception cref="ObjectDisposedException">The tracker was disposed.</exception>
        public void SetGlobalParameter(string name, string value)
        {
            if (name == null)
            {
                throw new ArgumentNullException("name");
            }
            var tracker = Handle;
            Call(Native.hamustro_tracker_set_global_parameter(
                tracker, Utf8.Encode(name, "the global parameter name"),
                Utf8.Encode(value, "the value of global parameter \"" + name + "\"")));
        }

        /// <summary>Removes every global parameter, persistently.</summary>
        /// <exception cref="HamustroException"><see cref="HamustroStatus.Storage"/>.</exception>
        /// <exception cref="ObjectDisposedException">The tracker was disposed.</exception>
        public void ClearGlobalParameters()
        {
            Call(Native.hamustro_tracker_clear_global_parameters(Handle));
        }

        /// <summary>A snapshot of the queue and of delivery. Read in two calls (the
        /// counters, then the last failure's message), so a failure in between may pair
        /// a status with the next attempt's message. Never waits for the network.</summary>
        /// <returns>The tracker's figures right now.</returns>
        /// <exception cref="HamustroException"><see cref="HamustroStatus.Storage"/>.</exception>
        /// <exception cref="ObjectDisposedException">The tracker was disposed.</exception>
        public TrackerStats GetStats()
        {
            var tracker = Handle;
            var raw = new NativeStats { Size = TrackerStats.NativeSize };
            Call(Native.hamustro_tracker_get_stats(tracker, ref raw));
            var message = Utf8.ReadCopied(buffer =>
            {
                UIntPtr length;
                Call(Native.hamustro_tracker_last_delivery_error(tracker, buffer, (UIntPtr)(uint)buffer.Length, out length));
                return (ulong)length;
            });
            return new TrackerStats(raw, message);
        }

        /// <summary>Stops the tracker; queued events stay on disk for the next tracker on
        /// the database. Waits for a request in progress (at most the request timeout).
        /// Calling it again does nothing.</summary>
        public void Dispose()
        {
            Free();
            GC.SuppressFinalize(this);
        }

        /// <summary>Whether <see cref="Dispose()"/> has been called.</summary>
        public bool IsDisposed
        {
            get { return Volatile.Read(ref disposed) != 0; }
        }

        /// <summary>The live handle, or ObjectDisposedException.</summary>
        private TrackerHandle Handle
        {
            get
            {
                if (Volatile.Read(ref disposed) != 0)
                {
                    throw new ObjectDisposedException("Hamustro.Tracker");
                }
                return handle;
            }
        }

        /// <summary>Native.Check for this tracker's calls: a handle freed by a Dispose on
        /// another thread while the call ran is that Dispose's ObjectDisposedException.</summary>
        private void Call(HamustroStatus status)
        {
            if (status == HamustroStatus.InvalidHandle && IsDisposed)
            {
                throw new ObjectDisposedException("Hamustro.Tracker");
            }
            Native.Check(status);
        }

        private void Free()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0 && handle.Id != 0)
            {
                // INVALID_HANDLE only (a tracker inherited by a forked child): nothing to free.
                Native.hamustro_tracker_free(handle);
            }
        }

        /// <summary>Every option that is set, through its <c>hamustro_config_set_*</c>
        /// function; null ones are left at the library's default.</summary>
        private static void Configure(ConfigHandle config, TrackerOptions options)
        {
            Text(Native.hamustro_config_set_collector_url, config, options.CollectorUrl, "CollectorUrl");
            Text(Native.hamustro_config_set_shared_secret_key, config, options.SharedSecretKey, "SharedSecretKey");
            Text(Native.hamustro_config_set_device_id, config, options.DeviceId, "DeviceId");
            Text(Native.hamustro_config_set_client_id, config, options.ClientId, "ClientId");
            Text(Native.hamustro_config_set_system_version, config, options.SystemVersion, "SystemVersion");
            Text(Native.hamustro_config_set_product_version, config, options.ProductVersion, "ProductVersion");
            if (options.Environment.HasValue)
            {
                Native.Check(Native.hamustro_config_set_env(config, (int)options.Environment.Value));
            }
            Text(Native.hamustro_config_set_device_make, config, options.DeviceMake, "DeviceMake");
            Text(Native.hamustro_config_set_device_model, config, options.DeviceModel, "DeviceModel");
            Text(Native.hamustro_config_set_system, config, options.System, "System");
            Text(Native.hamustro_config_set_system_language, config, options.SystemLanguage, "SystemLanguage");
            Text(Native.hamustro_config_set_browser, config, options.Browser, "Browser");
            Text(Native.hamustro_config_set_browser_version, config, options.BrowserVersion, "BrowserVersion");
            Text(Native.hamustro_config_set_product_git_hash, config, options.ProductGitHash, "ProductGitHash");
            Text(Native.hamustro_config_set_product_language, config, options.ProductLanguage, "ProductLanguage");
            if (options.QueueSize.HasValue)
            {
                Native.Check(Native.hamustro_config_set_queue_size(config, options.QueueSize.Value));
            }
            if (options.QueueRetentionMinutes.HasValue)
            {
                Native.Check(Native.hamustro_config_set_queue_retention(config, options.QueueRetentionMinutes.Value));
            }
            Text(Native.hamustro_config_set_database_path, config, options.DatabasePath, "DatabasePath");
            Text(Native.hamustro_config_set_database_directory, config, options.DatabaseDirectory, "DatabaseDirectory");
            if (options.PayloadFormat.HasValue)
            {
                Native.Check(Native.hamustro_config_set_payload_format(config, (uint)options.PayloadFormat.Value));
            }
            if (options.RequestTimeout.HasValue)
            {
                Native.Check(Native.hamustro_config_set_request_timeout_ms(
                    config, Milliseconds(options.RequestTimeout.Value, "RequestTimeout", false)));
            }
            Text(Native.hamustro_config_set_ip, config, options.Ip, "Ip");
            Text(Native.hamustro_config_set_country, config, options.Country, "Country");
            Text(Native.hamustro_config_set_user_id_salt, config, options.UserIdSalt, "UserIdSalt");
            if (options.MaxQueuedEvents.HasValue)
            {
                Native.Check(Native.hamustro_config_set_max_queued_events(config, options.MaxQueuedEvents.Value));
            }
            if (options.AcceptInvalidCertsForLoopback.HasValue)
            {
                Native.Check(Native.hamustro_config_set_accept_invalid_certs_for_loopback(
                    config, options.AcceptInvalidCertsForLoopback.Value));
            }
            Text(Native.hamustro_config_set_ca_certificates, config, options.CaCertificates, "CaCertificates");
            if (options.CaCertificatesOnly.HasValue)
            {
                Native.Check(Native.hamustro_config_set_ca_certificates_only(config, options.CaCertificatesOnly.Value));
            }
            Text(Native.hamustro_config_set_proxy, config, options.Proxy, "Proxy");
            if (options.ProxyFromEnvironment.HasValue)
            {
                Native.Check(Native.hamustro_config_set_proxy_from_environment(config, options.ProxyFromEnvironment.Value));
            }
        }

        /// <summary>A text option's setter; null leaves the library's default.</summary>
        private static void Text(Func<ConfigHandle, byte[], HamustroStatus> setter, ConfigHandle config, string value, string name)
        {
            if (value != null)
            {
                Native.Check(setter(config, Utf8.Encode(value, name)));
            }
        }

        /// <summary>A duration as the C API's <c>uint32_t</c> milliseconds, rounded up.
        /// <see cref="Timeout.InfiniteTimeSpan"/> is the largest, where allowed.</summary>
        private static uint Milliseconds(TimeSpan value, string name, bool infiniteAllowed)
        {
            if (infiniteAllowed && value == Timeout.InfiniteTimeSpan)
            {
                return uint.MaxValue;
            }
            var milliseconds = (value.Ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
            if (value.Ticks < 0 || milliseconds > uint.MaxValue)
            {
                throw new ArgumentOutOfRangeException(name, value, name + " must be 0 to " + uint.MaxValue + " ms");
            }
            return (uint)milliseconds;
        }
    }
}
