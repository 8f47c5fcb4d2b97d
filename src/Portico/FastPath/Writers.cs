using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using Yarp.ReverseProxy.Model;

namespace Portico.FastPath;

/// <summary>
/// Writes an HTTP head into a span sized for it beforehand: a request head into a rented array,
/// a response head into a staging array or the client's output pipe. The pipe's span is taken
/// once and advanced once by <see cref="Position"/> (each Advance takes the pipe's lock; a head
/// written field by field took it some twenty times).
/// </summary>
internal ref struct HeadWriter(Span<byte> destination)
{
    /// <summary>Room for what a response writer adds besides the fields: Date, X-Request-Id (plus its value), Age, Cache-Status, Content-Length, Connection, a longer status line.</summary>
    public const int Extra = 320;

    private readonly Span<byte> _span = destination;

    public int Position { get; private set; }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_span[Position..]);
        Position += bytes.Length;
    }

    /// <summary>ASCII text, one byte per character (what is not ASCII becomes '?').</summary>
    public void WriteAscii(string text) => Position += Encoding.ASCII.GetBytes(text, _span[Position..]);

    /// <summary>An address as its text (IPAddress.ToString's), formatted in place.</summary>
    public void WriteAddress(IPAddress address)
    {
        if (!address.TryFormat(_span[Position..], out var written))
        {
            throw new ArgumentException("the head's span has no room for the address");
        }

        Position += written;
    }

    public void WriteNumber(long value)
    {
        Utf8Formatter.TryFormat(value, _span[Position..], out var written);
        Position += written;
    }
}

/// <summary>The CRLF-separated lines of a header block (without its final blank line).</summary>
internal readonly ref struct LineRanges(ReadOnlySpan<byte> block)
{
    private readonly ReadOnlySpan<byte> _block = block;

    public Enumerator GetEnumerator() => new(_block);

    public ref struct Enumerator(ReadOnlySpan<byte> block)
    {
        private readonly ReadOnlySpan<byte> _block = block;
        private int _next;

        public Range Current { get; private set; }

        public bool MoveNext()
        {
            if (_next >= _block.Length)
            {
                return false;
            }

            var end = _block[_next..].IndexOf("\r\n"u8);
            end = end < 0 ? _block.Length : _next + end;
            Current = _next..end;
            _next = end + 2;
            return true;
        }
    }
}

/// <summary>The HTTP Date value (RFC 9110 §5.6.7) of the current second, formatted once per second.</summary>
internal static class DateValue
{
    private static string _value = "";
    private static long _second = -1;

    public static string Now
    {
        get
        {
            var now = DateTime.UtcNow;
            var second = now.Ticks / TimeSpan.TicksPerSecond;
            if (second != Volatile.Read(ref _second))
            {
                _value = now.ToString("r", CultureInfo.InvariantCulture);
                Volatile.Write(ref _second, second);
            }

            return _value;
        }
    }
}

/// <summary>
/// YARP's per-destination in-flight count (what least-requests balancing, the admin API and the
/// metrics read), which YARP's forwarder keeps and exposes only for reading. The fast path
/// forwards without YARP's forwarder, so it moves the same counter through the runtime's
/// UnsafeAccessor; a unit test fails if a YARP update renames it.
/// </summary>
internal static class DestinationCounters
{
    private const string CounterType = "Yarp.ReverseProxy.Utilities.AtomicCounter, Yarp.ReverseProxy";

    public static void Increment(DestinationState destination) => Increment(Counter(destination));

    public static void Decrement(DestinationState destination) => Decrement(Counter(destination));

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "get_ConcurrencyCounter")]
    [return: UnsafeAccessorType(CounterType)]
    private static extern object Counter(DestinationState destination);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Increment")]
    private static extern int Increment([UnsafeAccessorType(CounterType)] object counter);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Decrement")]
    private static extern int Decrement([UnsafeAccessorType(CounterType)] object counter);
}
