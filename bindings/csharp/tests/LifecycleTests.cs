// Dispose frees once, however often it is called; afterwards every member throws
// ObjectDisposedException, and the database is free for a new tracker.
using System;
using System.Collections.Generic;
using Hamustro;
using NUnit.Framework;

namespace Hamustro.Tests
{
    [TestFixture]
    public class LifecycleTests : TrackerTestCase
    {
        [Test]
        public void DisposingTwiceDoesNothingTheSecondTime()
        {
            var options = Options("http://127.0.0.1:9");
            var tracker = new Tracker(options);
            Assert.IsFalse(tracker.IsDisposed);
            tracker.Dispose();
            Assert.IsTrue(tracker.IsDisposed);
            Assert.DoesNotThrow(tracker.Dispose);
            // The first Dispose closed the database.
            MakeTracker(options);
        }

        [Test]
        public void EveryMemberThrowsObjectDisposedExceptionAfterDispose()
        {
            var tracker = new Tracker(Options("http://127.0.0.1:9"));
            tracker.Dispose();
            var calls = new Dictionary<string, TestDelegate>
            {
                { "TrackEvent", () => tracker.TrackEvent("After.Dispose") },
                { "SetUser", () => tracker.SetUser("t", "u") },
                { "SetHeaders", () => tracker.SetHeaders(new Dictionary<string, string>()) },
                { "Flush", () => tracker.Flush(TimeSpan.FromSeconds(1)) },
                { "Enabled get", () => { var enabled = tracker.Enabled; } },
                { "Enabled set", () => tracker.Enabled = false },
                { "DiscardQueued", () => tracker.DiscardQueued() },
                { "SetGlobalParameter", () => tracker.SetGlobalParameter("a", "b") },
                { "ClearGlobalParameters", tracker.ClearGlobalParameters },
                { "GetStats", () => tracker.GetStats() },
            };
            foreach (var call in calls)
            {
                Assert.Throws<ObjectDisposedException>(call.Value, call.Key);
            }
        }

        [Test]
        public void DisposeWhileOtherThreadsTrackGivesThemOnlyObjectDisposedException()
        {
            var tracker = new Tracker(Options("http://127.0.0.1:9"));
            var unexpected = new List<Exception>();
            var threads = new List<System.Threading.Thread>();
            for (var t = 0; t < 4; t++)
            {
                var thread = new System.Threading.Thread(() =>
                {
                    for (var i = 0; i < 2000; i++)
                    {
                        try
                        {
                            tracker.TrackEvent("Racing");
                        }
                        catch (ObjectDisposedException)
                        {
                            return;
                        }
                        catch (Exception e)
                        {
                            lock (unexpected) { unexpected.Add(e); }
                            return;
                        }
                    }
                });
                thread.Start();
                threads.Add(thread);
            }
            System.Threading.Thread.Sleep(5);
            tracker.Dispose();
            foreach (var thread in threads)
            {
                thread.Join();
            }
            CollectionAssert.IsEmpty(unexpected);
        }
    }
}
