using System;

namespace Hamustro
{
    /// <summary>A failed hamustro call: the C API's status and the library's readable
    /// message (from <c>hamustro_last_error_message</c>, read on the calling thread right
    /// after the call). The message names what failed (an option, a header, the
    /// collector's answer) and never holds the shared secret or a user id.</summary>
    /// <example><code>
    /// try { tracker.Flush(TimeSpan.FromSeconds(2)); }
    /// catch (HamustroException e) when (e.Status == HamustroStatus.Timeout) { /* goes on in the background */ }
    /// </code></example>
    public sealed class HamustroException : Exception
    {
        /// <summary>An exception for <paramref name="status"/> with the library's
        /// <paramref name="message"/>; the binding makes these from failed calls.</summary>
        /// <param name="status">The failure; never <see cref="HamustroStatus.Ok"/>.</param>
        /// <param name="message">The library's message.</param>
        public HamustroException(HamustroStatus status, string message)
            : base(message)
        {
            Status = status;
        }

        /// <summary>The kind of failure: the C API's <c>hamustro_status</c>.</summary>
        public HamustroStatus Status { get; private set; }
    }
}
