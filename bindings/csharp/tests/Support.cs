// What the tests share: the development collector in a subprocess
// (target/debug/hamustro-collector --jsonl, as the Python suite runs it), a temporary
// directory per test, complete tracker options, and servers that fail in set ways.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using System.Web.Script.Serialization;
using Hamustro;
using NUnit.Framework;

namespace Hamustro.Tests
{
    /// <summary>A running <c>collector --jsonl</c>: its URL and the lines it prints.</summary>
    public sealed class Collector : IDisposable
    {
        public const string Secret = "test-secret";
        private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
        private readonly Process process;
        private readonly BlockingCollection<Dictionary<string, object>> lines =
            new BlockingCollection<Dictionary<string, object>>();

        public Collector(params string[] arguments) : this(Secret, arguments) { }

        public Collector(string secret, params string[] arguments)
        {
            var path = Environment.GetEnvironmentVariable("HAMUSTRO_COLLECTOR");
            Assert.That(path != null && File.Exists(path), "HAMUSTRO_COLLECTOR names no collector: " + path);
            var start = new ProcessStartInfo(path, "--port 0 --secret " + secret + " --jsonl " + string.Join(" ", arguments))
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                StandardOutputEncoding = System.Text.Encoding.UTF8,
            };
            process = Process.Start(start);
            var banner = process.StandardOutput.ReadLine() ?? "";
            var match = Regex.Match(banner, @"listening on (http://\S+?)/api/v1/track");
            if (!match.Success)
            {
                Dispose();
                Assert.Fail("the collector did not start: " + banner);
            }
            Url = match.Groups[1].Value;
            var reader = new System.Threading.Thread(Read) { IsBackground = true };
            reader.Start();
        }

        public string Url { get; private set; }

        private void Read()
        {
            var json = new JavaScriptSerializer();
            string line;
            while ((line = process.StandardOutput.ReadLine()) != null)
            {
                try
                {
                    lines.Add(json.Deserialize<Dictionary<string, object>>(line));
                }
                catch (ArgumentException)
                {
                    lines.Add(new Dictionary<string, object> { { "unexpected output", line } });
                }
            }
        }

        public Dictionary<string, object> NextLine()
        {
            Dictionary<string, object> line;
            if (!lines.TryTake(out line, Wait))
            {
                Assert.Fail("the collector printed nothing for " + Wait);
            }
            return line;
        }

        /// <summary>The next <paramref name="count"/> accepted events; fails on anything else.</summary>
        public List<Dictionary<string, object>> Events(int count)
        {
            var events = new List<Dictionary<string, object>>();
            while (events.Count < count)
            {
                var line = NextLine();
                Assert.That(line.ContainsKey("event"), "expected an event, the collector printed " + new JavaScriptSerializer().Serialize(line));
                events.Add(line);
            }
            return events;
        }

        public void Dispose()
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
            }
            process.WaitForExit();
        }
    }

    /// <summary>Accepts connections (into the backlog) and never answers.</summary>
    public sealed class SilentServer : IDisposable
    {
        private readonly TcpListener listener = new TcpListener(IPAddress.Loopback, 0);

        public SilentServer()
        {
            listener.Start();
        }

        public string Url
        {
            get { return "http://127.0.0.1:" + ((IPEndPoint)listener.LocalEndpoint).Port; }
        }

        public void Dispose()
        {
            listener.Stop();
        }
    }

    /// <summary>A fresh temporary directory per test and complete options in it.</summary>
    public abstract class TrackerTestCase
    {
        protected string Directory;
        private readonly List<IDisposable> owned = new List<IDisposable>();

        [SetUp]
        public void MakeDirectory()
        {
            Directory = Path.Combine(Path.GetTempPath(), "hamustro-cs-" + Guid.NewGuid().ToString("N"));
            System.IO.Directory.CreateDirectory(Directory);
        }

        [TearDown]
        public void CleanUp()
        {
            foreach (var item in owned)
            {
                item.Dispose();
            }
            owned.Clear();
            System.IO.Directory.Delete(Directory, true);
        }

        /// <summary>Disposed after the test.</summary>
        protected T Own<T>(T item) where T : IDisposable
        {
            owned.Add(item);
            return item;
        }

        protected Collector StartCollector(params string[] arguments)
        {
            return Own(new Collector(arguments));
        }

        /// <summary>Complete options for <paramref name="url"/>, the queue in this test's directory.</summary>
        protected TrackerOptions Options(string url)
        {
            return new TrackerOptions
            {
                CollectorUrl = url,
                SharedSecretKey = Collector.Secret,
                DeviceId = "raw-device-id",
                ClientId = "csharp-tests",
                SystemVersion = "14.1",
                ProductVersion = "2.0.0",
                DatabasePath = Path.Combine(Directory, "events.db"),
                RequestTimeout = TimeSpan.FromSeconds(5),
            };
        }

        protected Tracker MakeTracker(string url)
        {
            return Own(new Tracker(Options(url)));
        }

        protected Tracker MakeTracker(TrackerOptions options)
        {
            return Own(new Tracker(options));
        }

        /// <summary>A URL on a local port nothing listens on.</summary>
        protected static string DeadUrl()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return "http://127.0.0.1:" + port;
        }

        protected static Dictionary<string, string> Parameters(params string[] namesAndValues)
        {
            var parameters = new Dictionary<string, string>();
            for (var i = 0; i < namesAndValues.Length; i += 2)
            {
                parameters.Add(namesAndValues[i], namesAndValues[i + 1]);
            }
            return parameters;
        }

        /// <summary>An event's params as the collector printed them.</summary>
        protected static Dictionary<string, object> Params(Dictionary<string, object> evt)
        {
            return (Dictionary<string, object>)evt["params"];
        }
    }
}
