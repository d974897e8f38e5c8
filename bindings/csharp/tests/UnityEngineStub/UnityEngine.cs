// A stub of the few UnityEngine types the package's Unity glue uses, written for the
// tests (as bindings/swift/Tests/UIKitStub stubs UIKit): the glue compiles against it
// exactly as against Unity's, and the tests set what Unity would report and call the
// lifecycle messages Unity would send.
using System;
using System.Collections.Generic;

namespace UnityEngine
{
    public enum SystemLanguage
    {
        Afrikaans, Arabic, Basque, Belarusian, Bulgarian, Catalan, Chinese, Czech, Danish,
        Dutch, English, Estonian, Faroese, Finnish, French, German, Greek, Hebrew, Hugarian,
        Icelandic, Indonesian, Italian, Japanese, Korean, Latvian, Lithuanian, Norwegian,
        Polish, Portuguese, Romanian, Russian, SerboCroatian, Slovak, Slovenian, Spanish,
        Swedish, Thai, Turkish, Ukrainian, Vietnamese, ChineseSimplified, ChineseTraditional,
        Unknown, Hungarian = Hugarian,
    }

    [Flags]
    public enum HideFlags
    {
        None = 0, HideInHierarchy = 1, HideInInspector = 2, DontSaveInEditor = 4, NotEditable = 8,
        DontSaveInBuild = 16, DontUnloadUnusedAsset = 32, DontSave = 52, HideAndDontSave = 61,
    }

    public enum RuntimePlatform { LinuxPlayer, WindowsPlayer, IPhonePlayer, OSXPlayer }

    public enum RuntimeInitializeLoadType { AfterSceneLoad, BeforeSceneLoad }

    [AttributeUsage(AttributeTargets.Method)]
    public sealed class RuntimeInitializeOnLoadMethodAttribute : Attribute
    {
        public RuntimeInitializeOnLoadMethodAttribute(RuntimeInitializeLoadType loadType) { }
    }

    public static class Debug
    {
        public static void Log(object message) { Console.WriteLine(message); }
    }

    public static class Application
    {
        public static RuntimePlatform platform = RuntimePlatform.LinuxPlayer;
        public static string persistentDataPath = "";
        public static string version = "";
        public static SystemLanguage systemLanguage = SystemLanguage.Unknown;
    }

    public static class SystemInfo
    {
        public static string deviceModel = "";
        public static string deviceUniqueIdentifier = "stub-device";
        public static string operatingSystem = "";
    }

    public class Object
    {
        /// <summary>Every object DontDestroyOnLoad was given, and every one destroyed.</summary>
        public static readonly List<Object> Kept = new List<Object>();
        public static readonly List<Object> Destroyed = new List<Object>();

        public HideFlags hideFlags { get; set; }

        public static void DontDestroyOnLoad(Object target) { Kept.Add(target); }

        public static void Destroy(Object target) { Destroyed.Add(target); }
    }

    public class Component : Object
    {
        public GameObject gameObject { get; internal set; }
    }

    public class Behaviour : Component { }

    public class MonoBehaviour : Behaviour { }

    public sealed class GameObject : Object
    {
        /// <summary>Every GameObject made, so the tests can find the glue's.</summary>
        public static readonly List<GameObject> Made = new List<GameObject>();
        private readonly List<Component> components = new List<Component>();

        public GameObject(string name)
        {
            this.name = name;
            Made.Add(this);
        }

        public string name { get; set; }

        public T AddComponent<T>() where T : Component, new()
        {
            var component = new T { gameObject = this };
            components.Add(component);
            return component;
        }

        public T GetComponent<T>() where T : Component
        {
            foreach (var component in components)
            {
                var found = component as T;
                if (found != null)
                {
                    return found;
                }
            }
            return null;
        }
    }

    [AttributeUsage(AttributeTargets.Class)]
    public sealed class AddComponentMenu : Attribute
    {
        public AddComponentMenu(string menuName) { }
    }
}

namespace UnityEngine.SceneManagement
{
    public struct Scene
    {
        public string name { get { return "Stub"; } }
    }

    public static class SceneManager
    {
        public static Scene GetActiveScene() { return new Scene(); }
    }
}

namespace AOT
{
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class MonoPInvokeCallbackAttribute : Attribute
    {
        public MonoPInvokeCallbackAttribute(Type type) { }
    }
}
