// A scene-free start: Unity calls Start() after the first scene loads, whatever the
// scene is; no GameObject or component to add. Fill in your collector and secret.
using System.Collections.Generic;
using Hamustro;
using UnityEngine;

public static class TrackingSample
{
    [RuntimeInitializeOnLoadMethod(RuntimeInitializeLoadType.AfterSceneLoad)]
    private static void Start()
    {
        // The library's messages in the Console (from its threads: Debug.Log is thread-safe).
        HamustroLog.SetHandler((level, message) => Debug.Log("hamustro " + level + ": " + message));

        var tracker = HamustroUnity.Initialize(new TrackerOptions
        {
            CollectorUrl = "http://127.0.0.1:8080", // the development collector: cargo run -p hamustro-collector
            SharedSecretKey = "dev-secret",
            DeviceId = SystemInfo.deviceUniqueIdentifier,
            ClientId = "my-game",
            // Left null, Unity's: ProductVersion (Application.version), DatabaseDirectory
            // (Application.persistentDataPath), DeviceModel, SystemLanguage, Country.
        });
        tracker.SetGlobalParameter("platform", Application.platform.ToString());
        tracker.TrackEvent("Game.Started", new Dictionary<string, string>
        {
            { "scene", UnityEngine.SceneManagement.SceneManager.GetActiveScene().name },
        });
        // No Flush here: the tracker flushes (at most HamustroUnity.FlushTimeout) when
        // the app is paused and when it quits.
    }
}
