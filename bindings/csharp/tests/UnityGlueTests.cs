// The Unity glue (Runtime/Unity), compiled against the UnityEngine stub: Unity's
// defaults, pause → bounded flush, quit → bounded flush and dispose, nothing else
// waited for.
using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using Hamustro;
using NUnit.Framework;
using UnityEngine;

namespace Hamustro.Tests
{
    [TestFixture]
    public class UnityGlueTests : TrackerTestCase
    {
        private CultureInfo culture;

        [SetUp]
        public void PretendToBeUnity()
        {
            culture = Thread.CurrentThread.CurrentCulture;
            UnityEngine.Application.persistentDataPath = Path.Combine(Directory, "persistent");
            UnityEngine.Application.version = "3.1.4";
            UnityEngine.Application.systemLanguage = SystemLanguage.Hungarian;
            SystemInfo.deviceModel = "iPhone15,2";
            SystemInfo.operatingSystem = "iOS 17.4";
            HamustroUnity.FlushTimeout = TimeSpan.FromSeconds(2);
        }

        [TearDown]
        public void ShutDown()
        {
            HamustroUnity.Shutdown();
            Thread.CurrentThread.CurrentCulture = culture;
        }

        /// <summary>The options an app gives: no database path, version or device.</summary>
        private static TrackerOptions AppOptions(string url)
        {
            return new TrackerOptions
            {
                CollectorUrl = url,
                SharedSecretKey = Collector.Secret,
                DeviceId = "unity-device",
                ClientId = "unity-game",
                RequestTimeout = TimeSpan.FromSeconds(5),
            };
        }

        private static HamustroLifecycle Lifecycle()
        {
            var host = GameObject.Made.FindLast(made => made.name == "Hamustro");
            Assert.IsNotNull(host, "Initialize made its GameObject");
            return host.GetComponent<HamustroLifecycle>();
        }

        [Test]
        public void DefaultsComeFromUnityAndArriveAtTheCollector()
        {
            Thread.CurrentThread.CurrentCulture = new CultureInfo("hu-HU");
            var collector = StartCollector();
            var tracker = HamustroUnity.Initialize(AppOptions(collector.Url));
            Assert.AreSame(tracker, HamustroUnity.Tracker);
            var queues = Path.Combine(UnityEngine.Application.persistentDataPath, "hamustro");
            var files = System.IO.Directory.GetFiles(queues, "*.sqlite3");
            Assert.AreEqual(1, files.Length, "the queue is in persistentDataPath: " + string.Join(", ", files));
            StringAssert.StartsWith("unity-game-", Path.GetFileName(files[0]), "named by the library");
            var host = GameObject.Made.FindLast(made => made.name == "Hamustro");
            CollectionAssert.Contains(UnityEngine.Object.Kept, host, "kept across scenes");

            tracker.TrackEvent("Unity.Started");
            tracker.Flush(TimeSpan.FromSeconds(10));
            var evt = collector.Events(1)[0];
            Assert.AreEqual("3.1.4", evt["product_version"]);
            Assert.AreEqual("iPhone15,2", evt["device_model"]);
            Assert.AreEqual("hu-HU", evt["system_language"]);
            Assert.AreEqual("HU", evt["country"]);
        }

        [Test]
        public void TheAppsOwnValuesWinAndAnInvariantCultureFallsBackOnUnitysLanguage()
        {
            Thread.CurrentThread.CurrentCulture = CultureInfo.InvariantCulture;
            var options = AppOptions("http://127.0.0.1:9");
            options.ProductVersion = "9.9";
            options.DeviceModel = "Custom";
            var completed = HamustroUnity.WithUnityDefaults(options);
            Assert.AreEqual("9.9", completed.ProductVersion);
            Assert.AreEqual("Custom", completed.DeviceModel);
            Assert.AreEqual("hu", completed.SystemLanguage);
            Assert.IsNull(completed.Country, "an invariant culture names no country: the library's default");
            Assert.IsNull(completed.SystemVersion, "the library detects the system's version");
            Assert.IsNull(completed.System, "the library detects the system's name");
            Assert.IsNull(options.DatabasePath, "the app's options are not modified");
            Assert.IsNull(options.DatabaseDirectory, "the app's options are not modified");

            UnityEngine.Application.systemLanguage = SystemLanguage.Unknown;
            Assert.IsNull(HamustroUnity.WithUnityDefaults(options).SystemLanguage);
        }

        [Test]
        public void GamesWhoseIdsOnlyAPunctuationMarkTellApartKeepQueuesOfTheirOwn()
        {
            var collector = StartCollector();
            var first = AppOptions(DeadUrl());
            first.ClientId = "a.b";
            var second = AppOptions(collector.Url);
            second.ClientId = "a_b";
            var firstTracker = MakeTracker(HamustroUnity.WithUnityDefaults(first));
            var secondTracker = MakeTracker(HamustroUnity.WithUnityDefaults(second));
            firstTracker.TrackEvent("First.Game");
            secondTracker.TrackEvent("Second.Game");
            secondTracker.Flush(TimeSpan.FromSeconds(10));
            Assert.AreEqual("Second.Game", collector.Events(1)[0]["event"]);
            Assert.AreEqual(1UL, firstTracker.GetStats().Queued, "a.b's event stays in its own queue");
            var queues = Path.Combine(UnityEngine.Application.persistentDataPath, "hamustro");
            Assert.AreEqual(2, System.IO.Directory.GetFiles(queues, "*.sqlite3").Length);
        }

        [Test]
        public void ADatabasePathTheAppGivesIsKeptAndNoDirectoryAdded()
        {
            var options = AppOptions("http://127.0.0.1:9");
            options.DatabasePath = Path.Combine(Directory, "mine.sqlite3");
            var completed = HamustroUnity.WithUnityDefaults(options);
            Assert.AreEqual(options.DatabasePath, completed.DatabasePath);
            Assert.IsNull(completed.DatabaseDirectory, "a path and a directory together are refused");
            MakeTracker(completed).TrackEvent("Mine");
            Assert.IsTrue(File.Exists(options.DatabasePath));

            options = AppOptions("http://127.0.0.1:9");
            options.DatabaseDirectory = Path.Combine(Directory, "queues");
            Assert.AreEqual(options.DatabaseDirectory, HamustroUnity.WithUnityDefaults(options).DatabaseDirectory);
        }

        [Test]
        public void PauseDeliversWhatIsQueued()
        {
            var collector = StartCollector();
            var options = AppOptions(collector.Url);
            options.QueueSize = 1000;
            var tracker = HamustroUnity.Initialize(options);
            tracker.TrackEvent("Before.Pause");
            Lifecycle().OnApplicationPause(true);
            Assert.AreEqual("Before.Pause", collector.Events(1)[0]["event"]);
            Assert.AreEqual(0UL, tracker.GetStats().Queued);
        }

        [Test]
        public void PauseWaitsNoLongerThanTheFlushTimeoutAndResumeNotAtAll()
        {
            using (var silent = new SilentServer())
            {
                HamustroUnity.FlushTimeout = TimeSpan.FromMilliseconds(300);
                var tracker = HamustroUnity.Initialize(AppOptions(silent.Url));
                tracker.TrackEvent("Never.Answered");
                var watch = Stopwatch.StartNew();
                Lifecycle().OnApplicationPause(true);
                Assert.That(watch.Elapsed, Is.InRange(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1.5)));

                watch.Restart();
                Lifecycle().OnApplicationPause(false);
                tracker.TrackEvent("While.Playing");
                Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromMilliseconds(200)), "resuming and tracking never wait");
                Assert.IsFalse(tracker.IsDisposed);
            }
        }

        [Test]
        public void QuitFlushesThenDisposesSoTheQueueCanBeOpenedAgain()
        {
            var collector = StartCollector();
            var options = AppOptions(collector.Url);
            options.QueueSize = 1000;
            var tracker = HamustroUnity.Initialize(options);
            tracker.TrackEvent("Before.Quit");
            var host = GameObject.Made.FindLast(made => made.name == "Hamustro");
            Lifecycle().OnApplicationQuit();
            Assert.AreEqual("Before.Quit", collector.Events(1)[0]["event"]);
            Assert.IsTrue(tracker.IsDisposed);
            Assert.IsNull(HamustroUnity.Tracker);
            CollectionAssert.Contains(UnityEngine.Object.Destroyed, host);
            // The editor's next play mode: the same database opens at once.
            HamustroUnity.Initialize(options);
        }

        [Test]
        public void QuitWaitsNoLongerThanTheFlushTimeoutWhenTheCollectorHangs()
        {
            using (var silent = new SilentServer())
            {
                HamustroUnity.FlushTimeout = TimeSpan.FromMilliseconds(300);
                var options = AppOptions(silent.Url);
                options.RequestTimeout = TimeSpan.FromSeconds(1);
                var tracker = HamustroUnity.Initialize(options);
                tracker.TrackEvent("Never.Answered");
                var watch = Stopwatch.StartNew();
                Lifecycle().OnApplicationQuit();
                // The flush's timeout, then Dispose's wait for the request in flight (at
                // most the request timeout).
                Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2.5)));
                Assert.IsTrue(tracker.IsDisposed);
            }
        }

        [Test]
        public void InitializeTwiceIsRefusedAndPauseWithoutATrackerDoesNothing()
        {
            HamustroUnity.ApplicationPaused(true);
            HamustroUnity.Initialize(AppOptions("http://127.0.0.1:9"));
            Assert.Throws<InvalidOperationException>(() => HamustroUnity.Initialize(AppOptions("http://127.0.0.1:9")));
            Assert.Throws<ArgumentOutOfRangeException>(() => HamustroUnity.FlushTimeout = TimeSpan.FromSeconds(-1));
        }

        [Test]
        public void EverySystemLanguageWithACodeMapsToOne()
        {
            Assert.AreEqual("en", HamustroUnity.LanguageTag(SystemLanguage.English));
            Assert.AreEqual("zh-Hans", HamustroUnity.LanguageTag(SystemLanguage.ChineseSimplified));
            Assert.IsNull(HamustroUnity.LanguageTag(SystemLanguage.Unknown));
        }
    }
}
