// The library's log messages, handed to a C# delegate. The C callback is one static
// method, marked for IL2CPP, behind one delegate kept in a static field for the life of
// the process: native threads may call the previous callback just after it is replaced,
// and a collected delegate would leave them jumping into freed code.
using System;
using System.Threading;

namespace Hamustro
{
    /// <summary>Receives one log message of the library.</summary>
    /// <param name="level">How severe it is.</param>
    /// <param name="message">The message; never the shared secret, user ids or event
    /// parameters.</param>
    public delegate void HamustroLogHandler(LogLevel level, string message);

    /// <summary>The library's log messages (<c>hamustro_set_log_callback</c>). Off by
    /// default. Process-wide: the handler receives the messages of every tracker.</summary>
    /// <example><code>
    /// HamustroLog.SetHandler((level, message) => Debug.Log("hamustro " + level + ": " + message), LogLevel.Debug);
    /// </code></example>
    public static class HamustroLog
    {
        /// <summary>The one callback ever given to the library; never collected.</summary>
        private static readonly LogCallback Callback = Forward;
        /// <summary>The current handler, read by <see cref="Forward"/> on native threads.</summary>
        private static HamustroLogHandler handler;
        private static int hooksInstalled;

        /// <summary>Sends the library's log messages up to <paramref name="maxLevel"/> to
        /// <paramref name="handler"/>; null turns logging off. Replaces the handler set
        /// before (after a replacement the previous one may still receive a message).
        ///
        /// The handler runs on the library's threads, the delivery thread among them,
        /// possibly on several at once: it must be thread-safe and return quickly (in
        /// Unity, queue the message for the main thread rather than touch the scene). An
        /// exception it throws is dropped; it never reaches the library. Logging is
        /// switched off when the app domain unloads (a Unity domain reload, the process
        /// exiting), so that no native thread calls into an unloaded domain.</summary>
        /// <param name="logHandler">Receives each message, or null to stop logging.</param>
        /// <param name="maxLevel">The least severe level passed on.</param>
        /// <exception cref="HamustroException"><see cref="HamustroStatus.InvalidArgument"/>
        /// for a level outside <see cref="LogLevel"/>.</exception>
        public static void SetHandler(HamustroLogHandler logHandler, LogLevel maxLevel = LogLevel.Info)
        {
            if (Interlocked.Exchange(ref hooksInstalled, 1) == 0)
            {
                AppDomain.CurrentDomain.DomainUnload += Unhook;
                AppDomain.CurrentDomain.ProcessExit += Unhook;
            }
            Volatile.Write(ref handler, logHandler);
            Native.Check(Native.hamustro_set_log_callback(logHandler == null ? null : Callback, IntPtr.Zero, logHandler == null ? 0u : (uint)maxLevel));
        }

        private static void Unhook(object sender, EventArgs arguments)
        {
            Volatile.Write(ref handler, null);
            Native.hamustro_set_log_callback(null, IntPtr.Zero, 0);
        }

        [AOT.MonoPInvokeCallback(typeof(LogCallback))]
        private static void Forward(uint level, IntPtr message, IntPtr userData)
        {
            // Nothing may propagate into the library's thread.
            try
            {
                var current = Volatile.Read(ref handler);
                if (current != null)
                {
                    // A level added after this binding can only be more verbose than debug.
                    var known = level >= 1 && level <= 4 ? (LogLevel)level : LogLevel.Debug;
                    current(known, Utf8.FromNative(message));
                }
            }
            catch (Exception)
            {
                // Dropped: see SetHandler.
            }
        }
    }
}
