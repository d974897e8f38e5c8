// Every status becomes a HamustroException with that status and the library's
// message, in one place (Native.Check); the binding's own argument checks are .NET's
// exceptions.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using Hamustro;
using NUnit.Framework;

namespace Hamustro.Tests
{
    [TestFixture]
    public class ErrorTests : TrackerTestCase
    {
        [Test]
        public void EveryStatusBecomesItsException()
        {
            foreach (HamustroStatus status in Enum.GetValues(typeof(HamustroStatus)))
            {
                if (status == HamustroStatus.Ok)
                {
                    Assert.DoesNotThrow(() => Native.Check(status));
                    continue;
                }
                var error = Assert.Throws<HamustroException>(() => Native.Check(status));
                Assert.AreEqual(status, error.Status);
                Assert.IsNotNullOrEmpty(error.Message);
            }
            // A status added in a later library keeps its number.
            Assert.AreEqual((HamustroStatus)99, Assert.Throws<HamustroException>(() => Native.Check((HamustroStatus)99)).Status);
            Assert.AreEqual("HAMUSTRO_STATUS_NETWORK", Native.StatusName(HamustroStatus.Network));
            Assert.AreEqual("HAMUSTRO_STATUS_UNKNOWN", Native.StatusName((HamustroStatus)99));
        }

        [TestCase("CollectorUrl", "collector_url")]
        [TestCase("SharedSecretKey", "shared_secret_key")]
        [TestCase("DeviceId", "device_id")]
        [TestCase("ClientId", "client_id")]
        [TestCase("ProductVersion", "product_version")]
        public void AMissingRequiredOptionIsNamed(string property, string option)
        {
            var options = Options("http://127.0.0.1:9");
            typeof(TrackerOptions).GetProperty(property).SetValue(options, null, null);
            var error = Assert.Throws<HamustroException>(() => new Tracker(options));
            Assert.AreEqual(HamustroStatus.InvalidArgument, error.Status);
            StringAssert.Contains(option, error.Message);
        }

        [Test]
        public void InvalidOptionsAreInvalidArguments()
        {
            var bad = new List<Action<TrackerOptions>>
            {
                o => o.Environment = (HamustroEnvironment)12,
                o => o.PayloadFormat = (PayloadFormat)7,
                o => o.Ip = "not-an-ip",
                o => o.RequestTimeout = TimeSpan.Zero,
                o => o.CollectorUrl = "ftp://example.com",
                o => o.MaxQueuedEvents = 0,
                o => o.AcceptInvalidCertsForLoopback = true,
            };
            foreach (var change in bad)
            {
                var options = Options("http://example.com");
                change(options);
                var error = Assert.Throws<HamustroException>(() => new Tracker(options));
                Assert.AreEqual(HamustroStatus.InvalidArgument, error.Status, error.Message);
            }
        }

        [Test]
        public void ALongMessageIsReadWhole()
        {
            var options = Options("http://127.0.0.1:9");
            options.Ip = "1.2.3.4" + new string('9', 1000);
            var error = Assert.Throws<HamustroException>(() => new Tracker(options));
            StringAssert.Contains(options.Ip, error.Message);
        }

        [Test]
        public void InvalidCallsAreInvalidArguments()
        {
            var tracker = MakeTracker("http://127.0.0.1:9");
            Assert.AreEqual(HamustroStatus.InvalidArgument, Assert.Throws<HamustroException>(() => tracker.TrackEvent("")).Status);
            Assert.AreEqual(HamustroStatus.InvalidArgument, Assert.Throws<HamustroException>(() => tracker.TrackEvent(new string('x', 1025))).Status);
            Assert.AreEqual(HamustroStatus.InvalidArgument, Assert.Throws<HamustroException>(
                () => tracker.TrackEvent("Event", new Dictionary<string, string> { { "", "empty name" } })).Status);
            Assert.AreEqual(HamustroStatus.InvalidArgument, Assert.Throws<HamustroException>(
                () => tracker.SetHeaders(new Dictionary<string, string> { { "Content-Type", "text/plain" } })).Status);
            Assert.AreEqual(HamustroStatus.InvalidArgument, Assert.Throws<HamustroException>(
                () => tracker.SetHeaders(new Dictionary<string, string> { { "Bad Name", "v" } })).Status);
            Assert.AreEqual(HamustroStatus.InvalidArgument, Assert.Throws<HamustroException>(() => tracker.SetGlobalParameter("", "v")).Status);
            Assert.AreEqual(HamustroStatus.InvalidArgument, Assert.Throws<HamustroException>(
                () => tracker.SetUser(null, new string('u', 70000))).Status);
        }

        [Test]
        public void TheBindingsOwnChecksAreDotNetExceptions()
        {
            Assert.Throws<ArgumentNullException>(() => new Tracker(null));
            var options = Options("http://127.0.0.1:9");
            options.ClientId = "nul\0inside";
            Assert.Throws<ArgumentException>(() => new Tracker(options));
            options = Options("http://127.0.0.1:9");
            options.RequestTimeout = TimeSpan.FromMilliseconds(-1);
            Assert.Throws<ArgumentOutOfRangeException>(() => new Tracker(options));
            var tracker = MakeTracker("http://127.0.0.1:9");
            Assert.Throws<ArgumentNullException>(() => tracker.TrackEvent(null));
            Assert.Throws<ArgumentException>(() => tracker.TrackEvent("Event", new Dictionary<string, string> { { "k", null } }));
            Assert.Throws<ArgumentException>(() => tracker.TrackEvent("Event\0"));
            Assert.Throws<ArgumentException>(() => tracker.TrackEvent("Lone \ud800 surrogate"));
            Assert.Throws<ArgumentNullException>(() => tracker.SetHeaders(null));
            Assert.Throws<ArgumentNullException>(() => tracker.SetGlobalParameter(null, "v"));
            Assert.Throws<ArgumentOutOfRangeException>(() => tracker.Flush(TimeSpan.FromMilliseconds(-5)));
            Assert.Throws<ArgumentOutOfRangeException>(() => tracker.Flush(TimeSpan.FromDays(50)));
        }

        [Test]
        public void AnUnusableOrBusyDatabaseIsAStorageError()
        {
            File.WriteAllText(Path.Combine(Directory, "a-file"), "");
            var options = Options("http://127.0.0.1:9");
            options.DatabasePath = Path.Combine(Directory, "a-file", "events.db");
            Assert.AreEqual(HamustroStatus.Storage, Assert.Throws<HamustroException>(() => new Tracker(options)).Status);

            MakeTracker("http://127.0.0.1:9");
            var error = Assert.Throws<HamustroException>(() => MakeTracker("http://127.0.0.1:9"));
            Assert.AreEqual(HamustroStatus.Storage, error.Status);
        }

        [Test]
        public void ADatabasePathAndADatabaseDirectoryTogetherAreAnInvalidArgument()
        {
            var options = Options("http://127.0.0.1:9");
            options.DatabaseDirectory = Path.Combine(Directory, "queues");
            var error = Assert.Throws<HamustroException>(() => new Tracker(options));
            Assert.AreEqual(HamustroStatus.InvalidArgument, error.Status);
            StringAssert.Contains("database_path and database_directory", error.Message);

            options.DatabaseDirectory = "";
            options.DatabasePath = null;
            error = Assert.Throws<HamustroException>(() => new Tracker(options));
            Assert.AreEqual(HamustroStatus.InvalidArgument, error.Status);
        }

        [Test]
        public void FlushWhenNothingListensIsANetworkError()
        {
            var url = DeadUrl();
            var tracker = MakeTracker(url);
            tracker.TrackEvent("Lost.Connection");
            var error = Assert.Throws<HamustroException>(() => tracker.Flush(TimeSpan.FromSeconds(10)));
            Assert.AreEqual(HamustroStatus.Network, error.Status);
            StringAssert.Contains(url, error.Message);
        }

        [TestCase("400", null, HamustroStatus.Rejected)]
        [TestCase(null, "not-the-trackers-secret", HamustroStatus.Rejected)]
        [TestCase("503", null, HamustroStatus.Network)]
        public void CollectorRefusalsAreRejectedOrNetworkErrors(string failWith, string secret, HamustroStatus expected)
        {
            var collector = Own(failWith != null ? new Collector("--fail-with", failWith) : new Collector(secret));
            var tracker = MakeTracker(collector.Url);
            tracker.TrackEvent("Refused");
            var error = Assert.Throws<HamustroException>(() => tracker.Flush(TimeSpan.FromSeconds(10)));
            Assert.AreEqual(expected, error.Status);
            StringAssert.Contains(failWith ?? "405", error.Message);
        }

        [Test]
        public void AFlushThatTimesOutIsATimeoutAndReturnsInTime()
        {
            using (var silent = new SilentServer())
            {
                var options = Options(silent.Url);
                options.RequestTimeout = TimeSpan.FromSeconds(2);
                using (var tracker = new Tracker(options))
                {
                    tracker.TrackEvent("Waiting");
                    var watch = Stopwatch.StartNew();
                    var error = Assert.Throws<HamustroException>(() => tracker.Flush(TimeSpan.FromMilliseconds(200)));
                    Assert.AreEqual(HamustroStatus.Timeout, error.Status);
                    Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1.5)));
                }
            }
        }

        [Test]
        public void AFreedHandleIsAnInvalidHandleInTheLibrary()
        {
            var tracker = new Tracker(Options("http://127.0.0.1:9"));
            var handle = (TrackerHandle)typeof(Tracker)
                .GetField("handle", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)
                .GetValue(tracker);
            tracker.Dispose();
            var error = Assert.Throws<HamustroException>(() => Native.Check(Native.hamustro_tracker_flush(handle, 0)));
            Assert.AreEqual(HamustroStatus.InvalidHandle, error.Status);
            Assert.AreEqual(HamustroStatus.InvalidHandle, Native.hamustro_tracker_free(handle));
            Assert.AreEqual(HamustroStatus.InvalidHandle, Native.hamustro_tracker_free(new TrackerHandle()));
        }
    }
}
