// Strings across the boundary, always UTF-8 (the C API's encoding), never the
// platform's ANSI code page that default string marshalling would use on Windows.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace Hamustro
{
    /// <summary>UTF-8 conversions for the C API: strings in as NUL-terminated
    /// <c>byte[]</c>, strings out read from native memory.</summary>
    internal static class Utf8
    {
        /// <summary>Strict: a lone surrogate throws instead of becoming U+FFFD, so that
        /// what arrives at the collector is what the app passed.</summary>
        private static readonly UTF8Encoding Strict = new UTF8Encoding(false, true);

        /// <summary>The buffer of <see cref="Packed"/>, one per thread, grown as needed, so
        /// that tracking an event allocates nothing but what the encoder needs.</summary>
        [ThreadStatic] private static byte[] packedBuffer;

        /// <summary><paramref name="value"/> as NUL-terminated UTF-8; null for null, which
        /// the C API reads as "unset" or "default".</summary>
        /// <exception cref="ArgumentException">The value holds a NUL character or a lone
        /// surrogate.</exception>
        internal static byte[] Encode(string value, string what)
        {
            if (value == null)
            {
                return null;
            }
            CheckNoNul(value, what);
            var bytes = new byte[Bytes(value, what) + 1];
            Strict.GetBytes(value, 0, value.Length, bytes, 0);
            return bytes;
        }

        /// <summary>An event as <c>hamustro_tracker_track_event_packed</c> takes it: the
        /// name, then each parameter's name and value, each ending with a NUL. Returns
        /// the thread's buffer, valid until the thread's next call, and its length.</summary>
        internal static byte[] Packed(string name, IReadOnlyDictionary<string, string> parameters, out int length)
        {
            if (name == null)
            {
                throw new ArgumentNullException("name");
            }
            CheckNoNul(name, "the event name");
            length = Bytes(name, "the event name") + 1;
            if (parameters != null)
            {
                foreach (var pair in parameters)
                {
                    CheckPair(pair.Key, pair.Value, "parameter");
                    length += Bytes(pair.Key, "a parameter name") + Bytes(pair.Value, "a parameter value") + 2;
                }
            }
            var buffer = packedBuffer;
            if (buffer == null || buffer.Length < length)
            {
                buffer = packedBuffer = new byte[Math.Max(length, 256)];
            }
            var at = Put(name, buffer, 0);
            if (parameters != null)
            {
                foreach (var pair in parameters)
                {
                    at = Put(pair.Value, buffer, Put(pair.Key, buffer, at));
                }
            }
            if (at != length)
            {
                // The dictionary changed while it was read (another thread wrote to it).
                throw new InvalidOperationException("the parameters changed while the event was tracked");
            }
            return buffer;
        }

        /// <summary>Name/value pairs as the two <c>const char *const *</c> arrays the C
        /// API takes: every string in one pinned buffer, the arrays pointing into it.
        /// Dispose the result after the call.</summary>
        internal static PinnedPairs Pairs(IReadOnlyDictionary<string, string> pairs, string what)
        {
            var total = 0;
            foreach (var pair in pairs)
            {
                CheckPair(pair.Key, pair.Value, what);
                total += Bytes(pair.Key, what + " name") + Bytes(pair.Value, what + " value") + 2;
            }
            var buffer = new byte[Math.Max(total, 1)];
            var offsets = new List<int>(pairs.Count * 2);
            var at = 0;
            foreach (var pair in pairs)
            {
                offsets.Add(at);
                at = Put(pair.Key, buffer, at);
                offsets.Add(at);
                at = Put(pair.Value, buffer, at);
            }
            return new PinnedPairs(buffer, offsets);
        }

        /// <summary>A NUL-terminated UTF-8 string in native memory; "" for NULL.</summary>
        internal static string FromNative(IntPtr pointer)
        {
            if (pointer == IntPtr.Zero)
            {
                return "";
            }
            var length = 0;
            while (Marshal.ReadByte(pointer, length) != 0)
            {
                length++;
            }
            var bytes = new byte[length];
            Marshal.Copy(pointer, bytes, 0, length);
            return Encoding.UTF8.GetString(bytes);
        }

        /// <summary>A string the library copies out: <paramref name="fill"/> copies at
        /// most the buffer's size (NUL included) and returns the full length, so a string
        /// that did not fit is read again with a buffer large enough.</summary>
        internal static string ReadCopied(Func<byte[], ulong> fill)
        {
            var size = 256;
            while (true)
            {
                var buffer = new byte[size];
                var length = fill(buffer);
                if (length < (ulong)size)
                {
                    return Encoding.UTF8.GetString(buffer, 0, (int)length);
                }
                size = checked((int)length + 1);
            }
        }

        private static void CheckPair(string name, string value, string what)
        {
            if (name == null)
            {
                throw new ArgumentException("a " + what + " name is null");
            }
            if (value == null)
            {
                throw new ArgumentException("the value of " + what + " \"" + name + "\" is null");
            }
            CheckNoNul(name, "a " + what + " name");
            CheckNoNul(value, "the value of " + what + " \"" + name + "\"");
        }

        private static void CheckNoNul(string value, string what)
        {
            if (value.IndexOf('\0') >= 0)
            {
                throw new ArgumentException(what + " contains a NUL character");
            }
        }

        private static int Bytes(string value, string what)
        {
            try
            {
                return Strict.GetByteCount(value);
            }
            catch (EncoderFallbackException)
            {
                throw new ArgumentException(what + " is not valid Unicode (a lone surrogate)");
            }
        }

        /// <summary>Writes <paramref name="value"/> and a NUL at <paramref name="at"/>;
        /// returns the offset after the NUL.</summary>
        private static int Put(string value, byte[] buffer, int at)
        {
            at += Strict.GetBytes(value, 0, value.Length, buffer, at);
            buffer[at] = 0;
            return at + 1;
        }
    }

    /// <summary>Two arrays of pointers into one pinned buffer of NUL-terminated strings,
    /// for the C API's <c>names</c>/<c>values</c> arguments; unpinned on Dispose.</summary>
    internal sealed class PinnedPairs : IDisposable
    {
        private GCHandle pin;

        /// <summary>The names, in order.</summary>
        internal readonly IntPtr[] Names;
        /// <summary>The values, in the names' order.</summary>
        internal readonly IntPtr[] Values;

        internal PinnedPairs(byte[] buffer, List<int> offsets)
        {
            pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
            var start = pin.AddrOfPinnedObject();
            Names = new IntPtr[offsets.Count / 2];
            Values = new IntPtr[offsets.Count / 2];
            for (var i = 0; i < Names.Length; i++)
            {
                Names[i] = new IntPtr(start.ToInt64() + offsets[2 * i]);
                Values[i] = new IntPtr(start.ToInt64() + offsets[2 * i + 1]);
            }
        }

        /// <summary>The number of pairs, as the C API's <c>size_t count</c>.</summary>
        internal UIntPtr Count
        {
            get { return (UIntPtr)(uint)Names.Length; }
        }

        /// <summary>Unpins the buffer.</summary>
        public void Dispose()
        {
            if (pin.IsAllocated)
            {
                pin.Free();
            }
        }
    }
}
