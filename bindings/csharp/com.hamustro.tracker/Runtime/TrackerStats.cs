using System;
using System.Runtime.InteropServices;

namespace Hamustro
{
    /// <summary>A snapshot of a tracker's queue and delivery, from
    /// <see cref="Tracker.GetStats"/> (<c>hamustro_tracker_get_stats</c> and
    /// <c>hamustro_tracker_last_delivery_error</c>).</summary>
    public sealed class TrackerStats
    {
        /// <summary>The size of the C struct this binding declares, which tells the
        /// library how many fields to fill.</summary>
        internal static readonly uint NativeSize = (uint)Marshal.SizeOf(typeof(NativeStats));

        internal TrackerStats(NativeStats raw, string lastError)
        {
            Enabled = raw.Enabled != 0;
            Queued = raw.Queued;
            InFlight = raw.InFlight;
            Delivered = raw.Delivered;
            Dropped = raw.Dropped;
            if (raw.LastSyncTime != 0)
            {
                LastSync = new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(raw.LastSyncTime);
            }
            ConsecutiveFailures = raw.ConsecutiveFailures;
            if (raw.LastErrorStatus != 0)
            {
                LastErrorStatus = (HamustroStatus)raw.LastErrorStatus;
                LastError = lastError;
            }
            if (raw.NextRetryMs != 0)
            {
                NextRetry = TimeSpan.FromMilliseconds(raw.NextRetryMs);
            }
            Quarantined = raw.Quarantined;
        }

        /// <summary>Whether tracking is switched on (<see cref="Tracker.Enabled"/>).</summary>
        public bool Enabled { get; private set; }
        /// <summary>Events stored on the device and not yet accepted by the collector.</summary>
        public ulong Queued { get; private set; }
        /// <summary>Events in the request being sent right now.</summary>
        public ulong InFlight { get; private set; }
        /// <summary>Events the collector accepted, over the queue database's lifetime.</summary>
        public ulong Delivered { get; private set; }
        /// <summary>Events dropped because the queue reached its cap, over the database's lifetime.</summary>
        public ulong Dropped { get; private set; }
        /// <summary>When the last delivery succeeded (whole seconds, UTC); null if none has yet.</summary>
        public DateTimeOffset? LastSync { get; private set; }
        /// <summary>Failed delivery attempts since the last success; 0 while delivery works.</summary>
        public uint ConsecutiveFailures { get; private set; }
        /// <summary>The status of this tracker's last failed delivery attempt
        /// (<see cref="HamustroStatus.Network"/>, <see cref="HamustroStatus.Rejected"/>…);
        /// null if none has failed since the tracker was created. It stays after a later
        /// success: <see cref="ConsecutiveFailures"/> tells whether delivery fails now.</summary>
        public HamustroStatus? LastErrorStatus { get; private set; }
        /// <summary>The library's message for that attempt (never the secret or a user
        /// id); null if none has failed.</summary>
        public string LastError { get; private set; }
        /// <summary>The time until the next automatic attempt after a failure; null if
        /// none is scheduled.</summary>
        public TimeSpan? NextRetry { get; private set; }
        /// <summary>Records kept aside in the database's quarantine table instead of
        /// being sent, over the database's lifetime; each was logged.</summary>
        public ulong Quarantined { get; private set; }
    }
}
