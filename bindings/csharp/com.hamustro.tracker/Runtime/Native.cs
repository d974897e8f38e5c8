// The C API, declared once: every function of include/hamustro.h with the header's
// types, and the one place that turns a failed call's status into an exception.
// tests/it/bindings.rs checks these declarations against the header. Nothing else in the
// package names a native function's signature.
using System;
using System.Runtime.InteropServices;

namespace Hamustro
{
    /// <summary>The header's <c>hamustro_config</c>: a struct of one <c>uint64_t</c>, so
    /// that a tracker handle (or a bare integer) is refused where a configuration is
    /// expected, as a C compiler refuses it. Passed by value it is a <c>uint64_t</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ConfigHandle
    {
        /// <summary>The registry's number; 0 is never valid.</summary>
        public ulong Id;
    }

    /// <summary>The header's <c>hamustro_tracker</c>; see <see cref="ConfigHandle"/>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct TrackerHandle
    {
        /// <summary>The registry's number; 0 is never valid.</summary>
        public ulong Id;
    }

    /// <summary>The header's <c>hamustro_stats</c>, field for field, in the same order
    /// and widths. <see cref="Size"/> is set to the struct's size before the call.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeStats
    {
        public uint Size;
        public uint Enabled;
        public ulong Queued;
        public ulong InFlight;
        public ulong Delivered;
        public ulong Dropped;
        public ulong LastSyncTime;
        public uint ConsecutiveFailures;
        public uint LastErrorStatus;
        public ulong NextRetryMs;
        public ulong Quarantined;
    }

    /// <summary>The header's <c>hamustro_log_callback</c>: <c>void (*)(uint32_t level,
    /// const char *message, void *user_data)</c>. IL2CPP needs the method behind it to
    /// be static and marked <see cref="AOT.MonoPInvokeCallbackAttribute"/>.</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void LogCallback(uint level, IntPtr message, IntPtr userData);

    /// <summary>Every function of the C API. Strings in are NUL-terminated UTF-8 in a
    /// <c>byte[]</c> (<see cref="Utf8"/>), never the platform's ANSI code page; strings
    /// out are read from the pointer as UTF-8. Each call that returns a status is
    /// wrapped in <see cref="Check"/>.</summary>
    internal static class Native
    {
#if (UNITY_IOS || UNITY_TVOS) && !UNITY_EDITOR
        /// <summary>iOS and tvOS link the static library into the app itself.</summary>
        internal const string Library = "__Internal";
#else
        /// <summary>hamustro.dll, libhamustro.so, libhamustro.dylib.</summary>
        internal const string Library = "hamustro";
#endif

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_new(out ConfigHandle out_config);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_free(ConfigHandle config);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_collector_url(ConfigHandle config, byte[] value);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_shared_secret_key(ConfigHandle config, byte[] value);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_device_id(ConfigHandle config, byte[] value);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_client_id(ConfigHandle config, byte[] value);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_system_version(ConfigHandle config, byte[] value);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_product_version(ConfigHandle config, byte[] value);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_env(ConfigHandle config, int env);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_device_make(ConfigHandle config, byte[] value);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_device_model(ConfigHandle config, byte[] value);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_system(ConfigHandle config, byte[] value);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_system_language(ConfigHandle config, byte[] value);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_browser(ConfigHandle config, byte[] value);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_browser_version(ConfigHandle config, byte[] value);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_product_git_hash(ConfigHandle config, byte[] value);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_product_language(ConfigHandle config, byte[] value);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_queue_size(ConfigHandle config, uint queue_size);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_queue_retention(ConfigHandle config, uint minutes);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_database_path(ConfigHandle config, byte[] path);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_database_directory(ConfigHandle config, byte[] dir);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_payload_format(ConfigHandle config, uint format);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_request_timeout_ms(ConfigHandle config, uint timeout_ms);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_ip(ConfigHandle config, byte[] ip);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_country(ConfigHandle config, byte[] country);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_user_id_salt(ConfigHandle config, byte[] salt);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_max_queued_events(ConfigHandle config, ulong max_events);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_accept_invalid_certs_for_loopback(ConfigHandle config, [MarshalAs(UnmanagedType.U1)] bool accept);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_ca_certificates(ConfigHandle config, byte[] pem);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_ca_certificates_only(ConfigHandle config, [MarshalAs(UnmanagedType.U1)] bool only);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_proxy(ConfigHandle config, byte[] url);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_config_set_proxy_from_environment(ConfigHandle config, [MarshalAs(UnmanagedType.U1)] bool use_environment);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_set_log_callback(LogCallback callback, IntPtr user_data, uint max_level);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern UIntPtr hamustro_last_error_message(byte[] buffer, UIntPtr buffer_len);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr hamustro_status_name(HamustroStatus status);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr hamustro_version();
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_tracker_new(ConfigHandle config, out TrackerHandle out_tracker);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_tracker_track_event(TrackerHandle tracker, byte[] @event, IntPtr[] names, IntPtr[] values, UIntPtr count);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_tracker_track_event_packed(TrackerHandle tracker, byte[] packed, UIntPtr length);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_tracker_set_user(TrackerHandle tracker, byte[] tenant_id, byte[] user_id);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_tracker_set_headers(TrackerHandle tracker, IntPtr[] names, IntPtr[] values, UIntPtr count);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_tracker_flush(TrackerHandle tracker, uint timeout_ms);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_tracker_free(TrackerHandle tracker);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_tracker_set_enabled(TrackerHandle tracker, [MarshalAs(UnmanagedType.U1)] bool enabled);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_tracker_is_enabled(TrackerHandle tracker, [MarshalAs(UnmanagedType.U1)] out bool out_enabled);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_tracker_discard_queued(TrackerHandle tracker, out ulong out_discarded);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_tracker_set_global_parameter(TrackerHandle tracker, byte[] name, byte[] value);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_tracker_clear_global_parameters(TrackerHandle tracker);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_tracker_get_stats(TrackerHandle tracker, ref NativeStats out_stats);
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern HamustroStatus hamustro_tracker_last_delivery_error(TrackerHandle tracker, byte[] buffer, UIntPtr buffer_len, out UIntPtr out_len);

        /// <summary>Throws the <see cref="HamustroException"/> for a failed call, with the
        /// calling thread's last error message, read right after the call (the message is
        /// the thread's own in the library). The one place statuses become exceptions.</summary>
        internal static void Check(HamustroStatus status)
        {
            if (status != HamustroStatus.Ok)
            {
                throw new HamustroException(status, LastErrorMessage());
            }
        }

        /// <summary>The calling thread's last error message, however long it is.</summary>
        internal static string LastErrorMessage()
        {
            return Utf8.ReadCopied(buffer => (ulong)hamustro_last_error_message(buffer, (UIntPtr)(uint)(buffer == null ? 0 : buffer.Length)));
        }

        /// <summary>A status's name, e.g. "HAMUSTRO_STATUS_NETWORK".</summary>
        internal static string StatusName(HamustroStatus status)
        {
            return Utf8.FromNative(hamustro_status_name(status));
        }
    }
}
