using UnityEngine;

namespace Hamustro
{
    /// <summary>The hidden component <see cref="HamustroUnity.Initialize"/> adds: Unity's
    /// lifecycle messages, passed on to <see cref="HamustroUnity"/>. You do not add it
    /// yourself.</summary>
    [AddComponentMenu("")]
    public sealed class HamustroLifecycle : MonoBehaviour
    {
        /// <summary>Paused (true, e.g. going to the background on mobile): a flush of at most
        /// <see cref="HamustroUnity.FlushTimeout"/>. Resumed (false): nothing.</summary>
        internal void OnApplicationPause(bool paused)
        {
            HamustroUnity.ApplicationPaused(paused);
        }

        /// <summary>Quitting: <see cref="HamustroUnity.Shutdown"/> (a bounded flush, then
        /// the tracker is disposed, so the editor's next play mode can open the queue).</summary>
        internal void OnApplicationQuit()
        {
            HamustroUnity.Shutdown();
        }
    }
}
