// IL2CPP compiles a managed method that native code calls back ahead of time only when
// it carries an attribute named AOT.MonoPInvokeCallbackAttribute; Unity defines one in
// UnityEngine, which this assembly does not need outside Unity. IL2CPP matches it by
// name, so an assembly's own definition works too, as IL2CPP projects do. Inside Unity
// (UNITY_5_3_OR_NEWER) UnityEngine's is used.
#if !UNITY_5_3_OR_NEWER
using System;

namespace AOT
{
    /// <summary>Marks a static method that native code calls through a delegate, so that
    /// IL2CPP generates the reverse P/Invoke wrapper for it.</summary>
    [AttributeUsage(AttributeTargets.Method)]
    internal sealed class MonoPInvokeCallbackAttribute : Attribute
    {
        /// <summary>The delegate type the method is passed as.</summary>
        /// <param name="type">The delegate type.</param>
        public MonoPInvokeCallbackAttribute(Type type)
        {
            Type = type;
        }

        /// <summary>The delegate type the method is passed as.</summary>
        public Type Type { get; private set; }
    }
}
#endif
