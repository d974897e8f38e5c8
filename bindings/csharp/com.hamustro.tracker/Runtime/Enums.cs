// The C API's enumerations, with the header's values.
namespace Hamustro
{
    /// <summary>The result of a hamustro call: the C API's <c>hamustro_status</c>, with
    /// the same values, which never change. A failed call throws a
    /// <see cref="HamustroException"/> carrying one of these.</summary>
    public enum HamustroStatus : uint
    {
        /// <summary>Success (never in an exception).</summary>
        Ok = 0,
        /// <summary>An argument is empty, malformed or out of range, or a required option
        /// is missing. Fix the call; retrying will not help.</summary>
        InvalidArgument = 1,
        /// <summary>The native handle is not live: a tracker freed while this call ran on
        /// another thread (a call after <see cref="Tracker.Dispose()"/> throws
        /// <see cref="System.ObjectDisposedException"/> instead).</summary>
        InvalidHandle = 2,
        /// <summary>The queue database could not be opened, read or written (disk full, no
        /// permission, or another live tracker uses the same file). Nothing was stored.</summary>
        Storage = 3,
        /// <summary>The collector could not be reached or answered 5xx; the events stay
        /// queued and are retried in the background.</summary>
        Network = 4,
        /// <summary>The collector refused the request (HTTP 4xx, e.g. a wrong shared
        /// secret); the events stay queued.</summary>
        Rejected = 5,
        /// <summary>A wait ran out before the work was done; it goes on in the background.</summary>
        Timeout = 6,
        /// <summary>A bug in hamustro (a caught panic). Please report it with the message.</summary>
        Internal = 7,
        /// <summary>Tracking is switched off (<see cref="Tracker.Enabled"/>): nothing is sent.
        /// Queued events are kept.</summary>
        Disabled = 8,
        /// <summary>The system refused a resource the call needs: memory, a thread (the
        /// delivery thread of a new tracker) or address space. Nothing was lost: the tracker
        /// was not created, or the events stay queued.</summary>
        OutOfResources = 9,
    }

    /// <summary>The environment an app build runs in (the collector's <c>env</c>, the
    /// C API's <c>hamustro_environment</c>).</summary>
    public enum HamustroEnvironment
    {
        /// <summary>0, the library's default.</summary>
        Production = 0,
        /// <summary>1</summary>
        GeneralAvailability = 1,
        /// <summary>2</summary>
        ReleaseToMarketing = 2,
        /// <summary>3</summary>
        ReleaseCandidate = 3,
        /// <summary>4</summary>
        Beta = 4,
        /// <summary>5</summary>
        Alpha = 5,
        /// <summary>6</summary>
        Weekly = 6,
        /// <summary>7</summary>
        Nightly = 7,
        /// <summary>8</summary>
        Staging = 8,
        /// <summary>9</summary>
        QualityAssurance = 9,
        /// <summary>10</summary>
        Testing = 10,
        /// <summary>11</summary>
        Development = 11,
    }

    /// <summary>How request bodies are encoded (<c>hamustro_payload_format</c>).</summary>
    public enum PayloadFormat : uint
    {
        /// <summary><c>application/protobuf</c>, the library's default.</summary>
        Protobuf = 0,
        /// <summary><c>application/json</c>, the protobuf JSON mapping.</summary>
        Json = 1,
    }

    /// <summary>How severe a log message is, most severe first; the C API's levels.</summary>
    public enum LogLevel : uint
    {
        /// <summary>Something failed, e.g. an event could not be written to the queue.</summary>
        Error = 1,
        /// <summary>Something the library copes with, e.g. a failed delivery (retried).</summary>
        Warning = 2,
        /// <summary>What the library does at a glance, e.g. a tracker starting.</summary>
        Info = 3,
        /// <summary>Every step, e.g. each delivered batch.</summary>
        Debug = 4,
    }
}
