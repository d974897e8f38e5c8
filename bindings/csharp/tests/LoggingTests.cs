// The log handler: messages arrive, a forced garbage collection does not break the
// callback native threads hold, an exception in the handler never reaches the library,
// and null stops logging.
using System;
using System.Collections.Generic;
using System.Threading;
using Hamustro;
using NUnit.Framework;

namespace Hamustro.Tests
{
    [TestFixture]
    public class LoggingTests : TrackerTestCase
    {
        [TearDown]
        public void StopLogging()
        {
            HamustroLog.SetHandler(null);
        }

        [Test]
        public void MessagesArriveAfterAForcedGarbageCollectionWithoutSecretsOrUserIds()
        {
            var messages = new List<KeyValuePair<LogLevel, string>>();
            Install(messages);
            // Only the handler's own delegate refers to `messages` now; the callback the
            // library holds must survive this.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();

            var url = DeadUrl();
            var tracker = MakeTracker(url);
            tracker.SetUser("tenant", "secret-user-id");
            tracker.TrackEvent("Logged", Parameters("param", "secret-param-value"));
            Assert.Throws<HamustroException>(() => tracker.Flush(TimeSpan.FromSeconds(10)));
            GC.Collect();
            GC.WaitForPendingFinalizers();
            tracker.Dispose();

            List<KeyValuePair<LogLevel, string>> seen;
            lock (messages) { seen = new List<KeyValuePair<LogLevel, string>>(messages); }
            Assert.IsNotEmpty(seen);
            Assert.IsTrue(seen.Exists(m => m.Key == LogLevel.Warning && m.Value.Contains(url)),
                "the failed delivery is logged as a warning: " + string.Join(" | ", seen.ConvertAll(m => m.Key + ": " + m.Value).ToArray()));
            foreach (var message in seen)
            {
                StringAssert.DoesNotContain(Collector.Secret, message.Value);
                StringAssert.DoesNotContain("secret-user-id", message.Value);
                StringAssert.DoesNotContain("secret-param-value", message.Value);
            }
        }

        // Not inlined, so that no local of the test's frame keeps the handler alive.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        private static void Install(List<KeyValuePair<LogLevel, string>> messages)
        {
            HamustroLog.SetHandler((level, message) =>
            {
                lock (messages) { messages.Add(new KeyValuePair<LogLevel, string>(level, message)); }
            }, LogLevel.Debug);
        }

        [Test]
        public void TheLevelLimitsWhatArrives()
        {
            var levels = new List<LogLevel>();
            HamustroLog.SetHandler((level, message) => { lock (levels) { levels.Add(level); } }, LogLevel.Warning);
            var tracker = MakeTracker(DeadUrl());
            tracker.TrackEvent("Logged");
            Assert.Throws<HamustroException>(() => tracker.Flush(TimeSpan.FromSeconds(10)));
            tracker.Dispose();
            lock (levels)
            {
                Assert.IsNotEmpty(levels, "the failed delivery is a warning");
                Assert.That(levels, Has.All.LessThanOrEqualTo(LogLevel.Warning));
            }
        }

        [Test]
        public void AThrowingHandlerNeverReachesTheLibrary()
        {
            var calls = 0;
            HamustroLog.SetHandler((level, message) =>
            {
                Interlocked.Increment(ref calls);
                throw new InvalidOperationException("from the handler");
            }, LogLevel.Debug);
            var collector = StartCollector();
            var tracker = MakeTracker(collector.Url);
            tracker.TrackEvent("Still.Delivered");
            tracker.Flush(TimeSpan.FromSeconds(10));
            Assert.AreEqual("Still.Delivered", collector.Events(1)[0]["event"]);
            Assert.Greater(Volatile.Read(ref calls), 0);
        }

        [Test]
        public void NullStopsTheMessages()
        {
            var calls = 0;
            HamustroLog.SetHandler((level, message) => Interlocked.Increment(ref calls), LogLevel.Debug);
            HamustroLog.SetHandler(null);
            var tracker = MakeTracker(DeadUrl());
            tracker.TrackEvent("Quiet");
            Assert.Throws<HamustroException>(() => tracker.Flush(TimeSpan.FromSeconds(10)));
            tracker.Dispose();
            Assert.AreEqual(0, Volatile.Read(ref calls));
        }
    }
}
