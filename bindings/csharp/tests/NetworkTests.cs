// The network options: CaCertificates, CaCertificatesOnly, Proxy and
// ProxyFromEnvironment reach the library (hamustro_config_set_ca_certificates,
// _ca_certificates_only, _proxy, _proxy_from_environment), and what it refuses is a
// HamustroException naming the option.
using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using Hamustro;
using NUnit.Framework;

namespace Hamustro.Tests
{
    /// <summary>An HTTP proxy that records the head of the first request and answers
    /// 407 Proxy Authentication Required.</summary>
    public sealed class RefusingProxy : IDisposable
    {
        private readonly TcpListener listener = new TcpListener(IPAddress.Loopback, 0);
        private readonly ManualResetEventSlim received = new ManualResetEventSlim();
        private string head;

        public RefusingProxy()
        {
            listener.Start();
            new Thread(Serve) { IsBackground = true }.Start();
        }

        public int Port
        {
            get { return ((IPEndPoint)listener.LocalEndpoint).Port; }
        }

        /// <summary>The first request's line and headers.</summary>
        public string Head
        {
            get
            {
                Assert.That(received.Wait(TimeSpan.FromSeconds(30)), "the proxy received no request");
                return head;
            }
        }

        private void Serve()
        {
            try
            {
                while (true)
                {
                    using (var client = listener.AcceptTcpClient())
                    {
                        var stream = client.GetStream();
                        var bytes = new List<byte>();
                        var buffer = new byte[1];
                        while (stream.Read(buffer, 0, 1) == 1)
                        {
                            bytes.Add(buffer[0]);
                            var n = bytes.Count;
                            if (n >= 4 && bytes[n - 4] == '\r' && bytes[n - 3] == '\n' && bytes[n - 2] == '\r' && bytes[n - 1] == '\n')
                            {
                                break;
                            }
                        }
                        if (!received.IsSet)
                        {
                            head = Encoding.UTF8.GetString(bytes.ToArray());
                            received.Set();
                        }
                        var answer = Encoding.ASCII.GetBytes(
                            "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                        stream.Write(answer, 0, answer.Length);
                    }
                }
            }
            catch (SocketException)
            {
            }
            catch (IOException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
            catch (InvalidOperationException)
            {
            }
        }

        public void Dispose()
        {
            listener.Stop();
        }
    }

    [TestFixture]
    public class NetworkTests : TrackerTestCase
    {
        /// <summary>A self-signed CA certificate (P-256), only parsed, never used to connect.</summary>
        private const string CaPem =
            "-----BEGIN CERTIFICATE-----\n" +
            "MIIBkjCCATmgAwIBAgIUUB/Zr3t1bGtZcvpstbchUIZFAHgwCgYIKoZIzj0EAwIw\n" +
            "HjEcMBoGA1UEAwwTaGFtdXN0cm8gQyMgdGVzdCBDQTAgFw0yNjEyMDcxNTUyMzRa\n" +
            "GA8yMTI2MTExMzE1NTIzNFowHjEcMBoGA1UEAwwTaGFtdXN0cm8gQyMgdGVzdCBD\n" +
            "QTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABErcwrtXX9J6xMx5FiCnl5XDsWPu\n" +
            "4ltv4tllIv7/Z49uH3f5oenM9lTY+wv84ceL11D5CEIZRamIYEJc7ITlzQqjUzBR\n" +
            "MB0GA1UdDgQWBBQkfPTQVmlCFdhZsCAOXbo1tuZuzzAfBgNVHSMEGDAWgBQkfPTQ\n" +
            "VmlCFdhZsCAOXbo1tuZuzzAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cA\n" +
            "MEQCIENXT4mb2+9HCkpkKl1AYrcVoeUV8ZlYOTiYG7pKQWa1AiA6sW0D28sAzmBD\n" +
            "6rnsDQOXDmuTYbi5/2zQbbBEztbk2Q==\n" +
            "-----END CERTIFICATE-----\n";

        private HamustroException Refused(Action<TrackerOptions> change)
        {
            var options = Options("http://127.0.0.1:9");
            change(options);
            var error = Assert.Throws<HamustroException>(() => new Tracker(options));
            Assert.AreEqual(HamustroStatus.InvalidArgument, error.Status, error.Message);
            return error;
        }

        [TestCase("not a certificate", "holds no certificate")]
        [TestCase("-----BEGIN CERTIFICATE-----\nAAAA\n", "no END line")]
        [TestCase("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n", "base64")]
        [TestCase("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "cannot be a trust anchor")]
        public void AMalformedPemIsRefusedNamingCaCertificates(string pem, string why)
        {
            var error = Refused(o => o.CaCertificates = pem);
            StringAssert.Contains("ca_certificates", error.Message);
            StringAssert.Contains(why, error.Message);
        }

        [Test]
        public void APemPastTheLimitIsRefused()
        {
            var error = Refused(o => o.CaCertificates = new string('x', 256 * 1024 + 1));
            StringAssert.Contains("ca_certificates", error.Message);
        }

        [Test]
        public void CaCertificatesOnlyWithoutCertificatesIsRefusedAtCreation()
        {
            var error = Refused(o => o.CaCertificatesOnly = true);
            StringAssert.Contains("ca_certificates_only", error.Message);
        }

        [Test]
        public void CaCertificatesAreAcceptedAloneOrBesideTheSystemStore()
        {
            foreach (var only in new bool?[] { null, false, true })
            {
                var options = Options("https://127.0.0.1:9");
                options.DatabasePath = Path.Combine(Directory, "events-" + only + ".db");
                options.CaCertificates = CaPem + CaPem;
                options.CaCertificatesOnly = only;
                using (var tracker = new Tracker(options))
                {
                    tracker.TrackEvent("Pinned");
                    Assert.AreEqual(1UL, tracker.GetStats().Queued);
                }
            }
        }

        [TestCase("proxy.example.com:3128", "must start with http://")]
        [TestCase("https://proxy.example.com:3128", "https:// proxy")]
        [TestCase("socks5://proxy.example.com:1080", "only http:// proxies")]
        [TestCase("http://proxy.example.com:3128/path", "takes no path")]
        [TestCase("http://", "proxy")]
        public void ABadProxyUrlIsRefused(string url, string why)
        {
            var error = Refused(o => o.Proxy = url);
            StringAssert.Contains("proxy", error.Message);
            StringAssert.Contains(why, error.Message);
        }

        [Test]
        public void ARefusedProxyUrlNeverShowsItsPassword()
        {
            var error = Refused(o => o.Proxy = "http://user:hunter2-secret@proxy.example.com:3128/path");
            StringAssert.DoesNotContain("hunter2-secret", error.Message);
        }

        [Test]
        public void AProxyIsAcceptedAndCarriesEveryRequest()
        {
            var collector = StartCollector();
            using (var proxy = new RefusingProxy())
            {
                var options = Options(collector.Url);
                options.Proxy = "http://user:hunter2-secret@127.0.0.1:" + proxy.Port;
                options.ProxyFromEnvironment = false;
                var tracker = MakeTracker(options);
                tracker.TrackEvent("Proxied");
                var error = Assert.Throws<HamustroException>(() => tracker.Flush(TimeSpan.FromSeconds(10)));
                Assert.AreEqual(HamustroStatus.Network, error.Status);
                StringAssert.Contains("http://127.0.0.1:" + proxy.Port, error.Message);
                StringAssert.DoesNotContain("hunter2-secret", error.Message);
                // An http:// collector's request in absolute form, with the credentials.
                StringAssert.StartsWith("POST " + collector.Url + "/api/v1/track HTTP/1.1\r\n", proxy.Head);
                StringAssert.Contains(
                    "proxy-authorization: basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("user:hunter2-secret")).ToLowerInvariant(),
                    proxy.Head.ToLowerInvariant());
                var stats = tracker.GetStats();
                Assert.AreEqual(1UL, stats.Queued);
                StringAssert.DoesNotContain("hunter2-secret", stats.LastError ?? "");
            }
        }

        [Test]
        public void WithoutTheEnvironmentsProxyEventsGoDirectly()
        {
            var collector = StartCollector();
            var options = Options(collector.Url);
            options.ProxyFromEnvironment = false;
            var tracker = MakeTracker(options);
            tracker.TrackEvent("Direct");
            tracker.Flush(TimeSpan.FromSeconds(10));
            Assert.AreEqual("Direct", collector.Events(1)[0]["event"]);
        }
    }
}
