// The smoke test of the Unity package's C# binding (scripts/dist-test.sh): compiled
// with the package's Runtime, one event tracked and flushed through the package's own
// library.
//
//     mono smoke.exe COLLECTOR_URL SHARED_SECRET DATABASE_PATH
using System;
using System.Collections.Generic;
using Hamustro;

public static class Smoke
{
    public static int Main(string[] args)
    {
        using (var tracker = new Tracker(new TrackerOptions
        {
            CollectorUrl = args[0],
            SharedSecretKey = args[1],
            DeviceId = "dist-smoke-device",
            ClientId = "hamustro-dist-smoke",
            ProductVersion = Tracker.LibraryVersion,
            DatabasePath = args[2],
        }))
        {
            tracker.TrackEvent("Dist.Smoke", new Dictionary<string, string> { { "binding", "csharp" } });
            tracker.Flush(TimeSpan.FromSeconds(30));
            var delivered = tracker.GetStats().Delivered;
            if (delivered != 1)
            {
                Console.Error.WriteLine("delivered " + delivered);
                return 1;
            }
        }
        Console.WriteLine("hamustro " + Tracker.LibraryVersion + " (C#): 1 event delivered");
        return 0;
    }
}
