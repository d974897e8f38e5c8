// The Unity entry point: a tracker with Unity's defaults, flushed with a bounded wait
// when the app is paused (mobile: it may be suspended or killed next) and when it
// quits (desktop), and never otherwise waited for on the main thread.
using System;
using System.Globalization;
using System.IO;
using UnityEngine;

namespace Hamustro
{
    /// <summary>The tracker of a Unity app: <see cref="Initialize"/> once (for example
    /// from a <c>[RuntimeInitializeOnLoadMethod]</c> or your first scene's script), then
    /// <c>HamustroUnity.Tracker.TrackEvent(...)</c> from anywhere.
    ///
    /// Options you leave null get Unity's values where Unity knows better than the
    /// native library: the queue in <c>Application.persistentDataPath</c>, the product
    /// version from <c>Application.version</c>, the device model from
    /// <c>SystemInfo.deviceModel</c>, and the language and country from the current
    /// culture or <c>Application.systemLanguage</c> (an app's process on iOS and Android
    /// has no POSIX locale for the library to read). The operating system's name and
    /// version are left to the library, which reads them from the system itself
    /// (<c>SystemInfo.operatingSystem</c> is a display string whose format differs per
    /// platform, e.g. "Windows 11  (10.0.22631) 64bit").
    ///
    /// A hidden <see cref="HamustroLifecycle"/> object (kept across scenes) flushes for
    /// at most <see cref="FlushTimeout"/> when the app is paused (<c>OnApplicationPause(true)</c>)
    /// and when it quits (<c>OnApplicationQuit</c>, which then disposes the tracker).
    /// Nothing else waits: tracking is a local write, delivery runs on the library's
    /// own thread.</summary>
    public static class HamustroUnity
    {
        private static readonly object Gate = new object();
        private static Tracker current;
        private static GameObject host;
        private static TimeSpan flushTimeout = TimeSpan.FromSeconds(2);

        /// <summary>The tracker <see cref="Initialize"/> created; null before it and after
        /// <see cref="Shutdown"/>.</summary>
        public static Tracker Tracker
        {
            get { lock (Gate) { return current; } }
        }

        /// <summary>The longest the main thread waits for delivery on pause and on quit; 2
        /// seconds unless changed. Mobile systems end an app that takes too long to go to
        /// the background, so keep it short: what is not delivered stays queued on disk
        /// and goes out on the next launch.</summary>
        /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
        public static TimeSpan FlushTimeout
        {
            get { lock (Gate) { return flushTimeout; } }
            set
            {
                if (value < TimeSpan.Zero)
                {
                    throw new ArgumentOutOfRangeException("value", value, "FlushTimeout must not be negative");
                }
                lock (Gate) { flushTimeout = value; }
            }
        }

        /// <summary>Creates the app's tracker from <paramref name="options"/> completed with
        /// <see cref="WithUnityDefaults"/>, and the hidden object that flushes it on pause
        /// and quit. Call it once; a second call while a tracker is live throws.</summary>
        /// <param name="options">Your options; at least the collector URL, shared secret,
        /// device id and client id. They are not modified.</param>
        /// <returns>The tracker, also in <see cref="Tracker"/>.</returns>
        /// <exception cref="InvalidOperationException">A tracker is already live.</exception>
        /// <exception cref="HamustroException">As <see cref="Hamustro.Tracker(TrackerOptions)"/>.</exception>
        public static Tracker Initialize(TrackerOptions options)
        {
            var completed = WithUnityDefaults(options);
            lock (Gate)
            {
                if (current != null)
                {
                    throw new InvalidOperationException("HamustroUnity is already initialized; call Shutdown first");
                }
                current = new Tracker(completed);
                host = new GameObject("Hamustro");
                host.hideFlags = HideFlags.HideAndDontSave;
                UnityEngine.Object.DontDestroyOnLoad(host);
                host.AddComponent<HamustroLifecycle>();
                return current;
            }
        }

        /// <summary>A copy of <paramref name="options"/> with Unity's values in the options
        /// left null: <c>DatabaseDirectory</c> (<c>&lt;persistentDataPath&gt;/hamustro</c>, in which
        /// the library names the file after the client id; not when you set
        /// <c>DatabasePath</c>),
        /// <c>ProductVersion</c> (<c>Application.version</c>), <c>DeviceModel</c>
        /// (<c>SystemInfo.deviceModel</c>), <c>SystemLanguage</c> and <c>Country</c> (the
        /// current culture, else <c>Application.systemLanguage</c> for the language). A
        /// value Unity does not have stays null, the library's default.</summary>
        /// <param name="options">Your options.</param>
        /// <returns>The completed copy.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
        public static TrackerOptions WithUnityDefaults(TrackerOptions options)
        {
            if (options == null)
            {
                throw new ArgumentNullException("options");
            }
            var completed = options.Clone();
            // The directory only: the library names the file after the client id, one
            // of its own for each.
            if (completed.DatabasePath == null && completed.DatabaseDirectory == null && !string.IsNullOrEmpty(Application.persistentDataPath))
            {
                completed.DatabaseDirectory = Path.Combine(Application.persistentDataPath, "hamustro");
            }
            if (completed.ProductVersion == null)
            {
                completed.ProductVersion = NullIfEmpty(Application.version);
            }
            if (completed.DeviceModel == null)
            {
                completed.DeviceModel = NullIfEmpty(SystemInfo.deviceModel);
            }
            var culture = CultureInfo.CurrentCulture;
            if (completed.SystemLanguage == null)
            {
                completed.SystemLanguage = NullIfEmpty(culture.Name) ?? LanguageTag(Application.systemLanguage);
            }
            if (completed.Country == null)
            {
                completed.Country = Region(culture);
            }
            return completed;
        }

        /// <summary>Flushes for at most <see cref="FlushTimeout"/>, then disposes the
        /// tracker and removes the hidden object. Queued events stay on disk. Called on
        /// quit; call it yourself to stop tracking earlier. Does nothing when there is no
        /// tracker.</summary>
        public static void Shutdown()
        {
            Tracker tracker;
            GameObject removed;
            lock (Gate)
            {
                tracker = current;
                removed = host;
                current = null;
                host = null;
            }
            if (tracker == null)
            {
                return;
            }
            BoundedFlush(tracker);
            tracker.Dispose();
            if (removed != null)
            {
                UnityEngine.Object.Destroy(removed);
            }
        }

        /// <summary>The app was paused (true) or resumed (false): on pause, a bounded flush.</summary>
        internal static void ApplicationPaused(bool paused)
        {
            if (paused)
            {
                var tracker = Tracker;
                if (tracker != null)
                {
                    BoundedFlush(tracker);
                }
            }
        }

        /// <summary>Flush for at most FlushTimeout. Its failure is not the app's problem at
        /// this point: the events stay queued, and <see cref="Hamustro.Tracker.GetStats"/>
        /// tells what happened.</summary>
        private static void BoundedFlush(Tracker tracker)
        {
            try
            {
                tracker.Flush(FlushTimeout);
            }
            catch (HamustroException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        private static string NullIfEmpty(string value)
        {
            return string.IsNullOrEmpty(value) ? null : value;
        }

        /// <summary>The country of a specific culture ("en-US" → "US"); null for a neutral
        /// or invariant one.</summary>
        private static string Region(CultureInfo culture)
        {
            if (culture.IsNeutralCulture || string.IsNullOrEmpty(culture.Name))
            {
                return null;
            }
            try
            {
                return new RegionInfo(culture.Name).TwoLetterISORegionName;
            }
            catch (ArgumentException)
            {
                return null;
            }
        }

        /// <summary>Unity's language as an ISO 639-1 code; null for Unknown and for
        /// languages without one in the list.</summary>
        internal static string LanguageTag(SystemLanguage language)
        {
            switch (language)
            {
                case SystemLanguage.Afrikaans: return "af";
                case SystemLanguage.Arabic: return "ar";
                case SystemLanguage.Basque: return "eu";
                case SystemLanguage.Belarusian: return "be";
                case SystemLanguage.Bulgarian: return "bg";
                case SystemLanguage.Catalan: return "ca";
                case SystemLanguage.Chinese: return "zh";
                case SystemLanguage.ChineseSimplified: return "zh-Hans";
                case SystemLanguage.ChineseTraditional: return "zh-Hant";
                case SystemLanguage.Czech: return "cs";
                case SystemLanguage.Danish: return "da";
                case SystemLanguage.Dutch: return "nl";
                case SystemLanguage.English: return "en";
                case SystemLanguage.Estonian: return "et";
                case SystemLanguage.Faroese: return "fo";
                case SystemLanguage.Finnish: return "fi";
                case SystemLanguage.French: return "fr";
                case SystemLanguage.German: return "de";
                case SystemLanguage.Greek: return "el";
                case SystemLanguage.Hebrew: return "he";
                case SystemLanguage.Hungarian: return "hu";
                case SystemLanguage.Icelandic: return "is";
                case SystemLanguage.Indonesian: return "id";
                case SystemLanguage.Italian: return "it";
                case SystemLanguage.Japanese: return "ja";
                case SystemLanguage.Korean: return "ko";
                case SystemLanguage.Latvian: return "lv";
                case SystemLanguage.Lithuanian: return "lt";
                case SystemLanguage.Norwegian: return "no";
                case SystemLanguage.Polish: return "pl";
                case SystemLanguage.Portuguese: return "pt";
                case SystemLanguage.Romanian: return "ro";
                case SystemLanguage.Russian: return "ru";
                case SystemLanguage.SerboCroatian: return "sh";
                case SystemLanguage.Slovak: return "sk";
                case SystemLanguage.Slovenian: return "sl";
                case SystemLanguage.Spanish: return "es";
                case SystemLanguage.Swedish: return "sv";
                case SystemLanguage.Thai: return "th";
                case SystemLanguage.Turkish: return "tr";
                case SystemLanguage.Ukrainian: return "uk";
                case SystemLanguage.Vietnamese: return "vi";
                default: return null;
            }
        }
    }
}
