// Every member of Tracker against the real library and the development collector.
using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using Hamustro;
using NUnit.Framework;

namespace Hamustro.Tests
{
    [TestFixture]
    public class TrackerTests : TrackerTestCase
    {
        [Test]
        public void TrackedEventsArriveWithParametersUserAndEveryOption()
        {
            var collector = StartCollector();
            var options = Options(collector.Url);
            options.Environment = HamustroEnvironment.Beta;
            options.DeviceMake = "Apple";
            options.DeviceModel = "iPhone15,2";
            options.System = "iOS";
            options.SystemLanguage = "hu-HU";
            options.Browser = "WebKit";
            options.BrowserVersion = "17";
            options.ProductGitHash = "abc123";
            options.ProductLanguage = "hu";
            options.QueueSize = 100;
            options.QueueRetentionMinutes = 60;
            options.PayloadFormat = PayloadFormat.Json;
            options.Ip = "10.1.2.3";
            options.Country = "HU";
            options.MaxQueuedEvents = 1000;
            options.AcceptInvalidCertsForLoopback = true;
            var tracker = MakeTracker(options);
            tracker.SetUser("t1", "u1");
            tracker.TrackEvent("Checkout.Completed", Parameters("items", "3", "currency", "EUR"));
            tracker.SetUser(null, null);
            tracker.TrackEvent("App.Closed");
            tracker.Flush(TimeSpan.FromSeconds(10));

            var events = collector.Events(2);
            var first = events[0];
            Assert.AreEqual("Checkout.Completed", first["event"]);
            Assert.AreEqual(1, first["nr"]);
            CollectionAssert.AreEqual(new Dictionary<string, object> { { "items", "3" }, { "currency", "EUR" } }, Params(first));
            Assert.AreEqual("t1", first["tenant_id"]);
            Assert.AreEqual("u1", first["user_id"]);
            Assert.AreEqual(Sha256Hex("raw-device-id"), first["device_id"]);
            Assert.AreEqual("csharp-tests", first["client_id"]);
            Assert.AreEqual("14.1", first["system_version"]);
            Assert.AreEqual("2.0.0", first["product_version"]);
            Assert.AreEqual(4, first["env"]);
            Assert.AreEqual("Apple", first["device_make"]);
            Assert.AreEqual("iPhone15,2", first["device_model"]);
            Assert.AreEqual("iOS", first["system"]);
            Assert.AreEqual("hu-HU", first["system_language"]);
            Assert.AreEqual("WebKit", first["browser"]);
            Assert.AreEqual("17", first["browser_version"]);
            Assert.AreEqual("abc123", first["product_git_hash"]);
            Assert.AreEqual("hu", first["product_language"]);
            Assert.AreEqual("10.1.2.3", first["ip"]);
            Assert.AreEqual("HU", first["country"]);
            StringAssert.StartsWith("application/json", (string)first["content_type"]);
            var second = events[1];
            Assert.AreEqual("App.Closed", second["event"]);
            Assert.AreEqual(2, second["nr"]);
            Assert.IsEmpty(Params(second));
            Assert.IsNull(second["user_id"]);
        }

        [Test]
        public void NonAsciiNamesAndValuesArriveIntact()
        {
            var collector = StartCollector();
            var tracker = MakeTracker(collector.Url);
            const string name = "Szint.Teljesítve 🎮";
            var parameters = Parameters("játékos", "Árvíztűrő tükörfúrógép", "名前", "値 — ✓", "emoji", "👾🚀");
            tracker.SetUser("bérlő", "felhasználó-ő");
            tracker.SetGlobalParameter("régió", "Közép-Európa");
            tracker.TrackEvent(name, parameters);
            tracker.Flush(TimeSpan.FromSeconds(10));

            var evt = collector.Events(1)[0];
            Assert.AreEqual(name, evt["event"]);
            var expected = new Dictionary<string, object>(Params(evt));
            Assert.AreEqual("Közép-Európa", expected["régió"]);
            foreach (var pair in parameters)
            {
                Assert.AreEqual(pair.Value, expected[pair.Key]);
            }
            Assert.AreEqual("bérlő", evt["tenant_id"]);
            Assert.AreEqual("felhasználó-ő", evt["user_id"]);
        }

        [Test]
        public void HeadersArriveUntilRemoved()
        {
            var collector = StartCollector();
            var tracker = MakeTracker(collector.Url);
            tracker.SetHeaders(Parameters("X-Api-Key", "k", "X-Build", "42"));
            tracker.TrackEvent("With.Headers");
            tracker.Flush(TimeSpan.FromSeconds(10));
            var headers = (Dictionary<string, object>)collector.Events(1)[0]["headers"];
            Assert.AreEqual("k", headers["x-api-key"]);
            Assert.AreEqual("42", headers["x-build"]);

            tracker.SetHeaders(new Dictionary<string, string>());
            tracker.TrackEvent("Without.Headers");
            tracker.Flush(TimeSpan.FromSeconds(10));
            headers = (Dictionary<string, object>)collector.Events(1)[0]["headers"];
            Assert.IsFalse(headers.ContainsKey("x-api-key"));
        }

        [Test]
        public void GlobalParametersAreAddedUntilRemovedOrCleared()
        {
            var collector = StartCollector();
            var tracker = MakeTracker(collector.Url);
            tracker.SetGlobalParameter("ab_group", "b");
            tracker.SetGlobalParameter("build", "1");
            tracker.TrackEvent("First", Parameters("build", "own"));
            tracker.SetGlobalParameter("build", null);
            tracker.TrackEvent("Second");
            tracker.ClearGlobalParameters();
            tracker.TrackEvent("Third");
            tracker.Flush(TimeSpan.FromSeconds(10));
            var events = collector.Events(3);
            CollectionAssert.AreEquivalent(new Dictionary<string, object> { { "ab_group", "b" }, { "build", "own" } }, Params(events[0]));
            CollectionAssert.AreEquivalent(new Dictionary<string, object> { { "ab_group", "b" } }, Params(events[1]));
            Assert.IsEmpty(Params(events[2]));
        }

        [Test]
        public void DisabledTrackingStoresNothingAndPersists()
        {
            var collector = StartCollector();
            var options = Options(collector.Url);
            using (var tracker = new Tracker(options))
            {
                Assert.IsTrue(tracker.Enabled);
                tracker.Enabled = false;
                Assert.IsFalse(tracker.Enabled);
                tracker.TrackEvent("Not.Stored");
                var error = Assert.Throws<HamustroException>(() => tracker.Flush(TimeSpan.FromSeconds(5)));
                Assert.AreEqual(HamustroStatus.Disabled, error.Status);
                Assert.IsFalse(tracker.GetStats().Enabled);
            }
            using (var tracker = new Tracker(options))
            {
                Assert.IsFalse(tracker.Enabled, "the choice is stored in the database");
                tracker.Enabled = true;
                tracker.TrackEvent("Stored");
                tracker.Flush(TimeSpan.FromSeconds(10));
            }
            Assert.AreEqual("Stored", collector.Events(1)[0]["event"]);
        }

        [Test]
        public void DiscardQueuedDeletesWhatWaitsAndSaysHowMany()
        {
            var options = Options(DeadUrl());
            options.QueueSize = 1000;
            options.QueueRetentionMinutes = 100000;
            var tracker = MakeTracker(options);
            // A first delivery attempt (the database never synced) must not hold events.
            tracker.Enabled = false;
            tracker.Enabled = true;
            for (var i = 0; i < 5; i++)
            {
                tracker.TrackEvent("Queued");
            }
            var discarded = tracker.DiscardQueued();
            Assert.That(discarded, Is.InRange(4UL, 5UL), "at most one event may be in flight");
            Assert.AreEqual(0UL, tracker.DiscardQueued());
        }

        [Test]
        public void StatsReportQueueDeliveryAndTheLastFailure()
        {
            var collector = StartCollector();
            var tracker = MakeTracker(collector.Url);
            var stats = tracker.GetStats();
            Assert.IsTrue(stats.Enabled);
            Assert.AreEqual(0UL, stats.Delivered);
            Assert.IsNull(stats.LastSync);
            Assert.IsNull(stats.LastErrorStatus);
            Assert.IsNull(stats.LastError);
            Assert.IsNull(stats.NextRetry);
            tracker.TrackEvent("Counted");
            tracker.TrackEvent("Counted");
            tracker.Flush(TimeSpan.FromSeconds(10));
            stats = tracker.GetStats();
            Assert.AreEqual(2UL, stats.Delivered);
            Assert.AreEqual(0UL, stats.Queued);
            Assert.AreEqual(0UL, stats.InFlight);
            Assert.AreEqual(0UL, stats.Dropped);
            Assert.AreEqual(0UL, stats.Quarantined);
            Assert.AreEqual(0U, stats.ConsecutiveFailures);
            Assert.That(stats.LastSync.Value, Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(1)));

            var failing = new Tracker(WithDatabase(Options(DeadUrl()), "failing.db"));
            using (failing)
            {
                failing.TrackEvent("Lost.Connection");
                Assert.Throws<HamustroException>(() => failing.Flush(TimeSpan.FromSeconds(10)));
                stats = failing.GetStats();
                Assert.AreEqual(HamustroStatus.Network, stats.LastErrorStatus);
                StringAssert.Contains("127.0.0.1", stats.LastError);
                Assert.That(stats.ConsecutiveFailures, Is.GreaterThanOrEqualTo(1U));
                Assert.IsNotNull(stats.NextRetry);
                Assert.AreEqual(1UL, stats.Queued + stats.InFlight);
            }
        }

        [Test]
        public void EightThreadsTrackAtOnceAndEveryEventArrivesOnce()
        {
            var collector = StartCollector();
            var options = Options(collector.Url);
            options.QueueSize = 50;
            var tracker = MakeTracker(options);
            const int threads = 8, each = 100;
            var start = new ManualResetEvent(false);
            var failures = new List<Exception>();
            var workers = new List<Thread>();
            for (var t = 0; t < threads; t++)
            {
                var thread = t;
                var worker = new Thread(() =>
                {
                    start.WaitOne();
                    try
                    {
                        for (var i = 0; i < each; i++)
                        {
                            tracker.TrackEvent("Threaded", Parameters("thread", thread.ToString(), "i", i.ToString(), "ő", "ű"));
                        }
                    }
                    catch (Exception e)
                    {
                        lock (failures) { failures.Add(e); }
                    }
                });
                worker.Start();
                workers.Add(worker);
            }
            start.Set();
            foreach (var worker in workers)
            {
                worker.Join();
            }
            CollectionAssert.IsEmpty(failures);
            tracker.Flush(TimeSpan.FromSeconds(30));
            var seen = new HashSet<string>();
            var numbers = new HashSet<int>();
            foreach (var evt in collector.Events(threads * each))
            {
                var parameters = Params(evt);
                Assert.AreEqual("ű", parameters["ő"]);
                Assert.IsTrue(seen.Add(parameters["thread"] + "/" + parameters["i"]), "delivered twice");
                numbers.Add((int)evt["nr"]);
            }
            Assert.AreEqual(threads * each, seen.Count);
            Assert.AreEqual(threads * each, numbers.Count, "every event its own number");
        }

        [Test]
        public void LibraryVersionIsTheHeadersAndThePackagesVersion()
        {
            var root = Environment.GetEnvironmentVariable("HAMUSTRO_SOURCE_DIR");
            var cargo = File.ReadAllText(Path.Combine(root, "Cargo.toml"));
            var version = System.Text.RegularExpressions.Regex.Match(cargo, "(?m)^version = \"([^\"]+)\"").Groups[1].Value;
            Assert.AreEqual(version, Tracker.LibraryVersion);
        }

        [Test]
        public void ANeverDisposedTrackerIsFreedByItsFinalizer()
        {
            var options = Options(DeadUrl());
            // Made on a thread that ends, so that no stack (Mono scans them
            // conservatively) still points at it.
            var maker = new Thread(() => new Tracker(options).TrackEvent("Abandoned"));
            maker.Start();
            maker.Join();
            for (var attempt = 1; ; attempt++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                try
                {
                    // The finalizer closed the database: a new tracker may open it.
                    MakeTracker(options);
                    return;
                }
                catch (HamustroException e) when (e.Status == HamustroStatus.Storage && attempt < 10)
                {
                    Thread.Sleep(100);
                }
            }
        }

        private TrackerOptions WithDatabase(TrackerOptions options, string file)
        {
            options.DatabasePath = Path.Combine(Directory, file);
            return options;
        }

        private static string Sha256Hex(string text)
        {
            using (var sha = SHA256.Create())
            {
                var hash = sha.ComputeHash(Encoding.UTF8.GetBytes(text));
                return BitConverter.ToString(hash).Replace("-", "").ToLowerInvariant();
            }
        }
    }
}
