using System.Diagnostics.CodeAnalysis;
using System.Net.Security;
using System.Reflection;
using System.Reflection.Emit;

namespace Portico.Tls;

/// <summary>
/// Whether an SslStream holds bytes of its connection that it has read and not yet handed on:
/// the length of its private read buffer (encrypted records read ahead plus decrypted bytes not
/// yet copied out), which SslStream does not expose. Read through a method made once from the
/// runtime's own field and property; where a runtime has neither (another version or layout),
/// <see cref="Empty"/> says false always, and callers take the SslStream's own read as before.
/// </summary>
internal static class SslStreamHoldings
{
    private static readonly Func<SslStream, int>? Length = Build();

    /// <summary>True when <paramref name="tls"/> is known to hold no byte; false when it holds some or cannot be asked.</summary>
    public static bool Empty(SslStream tls) => Length is { } length && length(tls) == 0;

    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "SslStream's read buffer is used by SslStream itself and kept; when it is missing the holdings are not asked.")]
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "As above.")]
    private static Func<SslStream, int>? Build()
    {
        try
        {
            var buffer = typeof(SslStream).GetField("_buffer", BindingFlags.Instance | BindingFlags.NonPublic);
            var active = buffer?.FieldType.GetProperty("ActiveLength", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)?.GetMethod;
            if (buffer is null || !buffer.FieldType.IsValueType || active is null || active.ReturnType != typeof(int) || active.GetParameters().Length != 0)
            {
                return null;
            }

            var method = new DynamicMethod("SslStreamActiveLength", typeof(int), [typeof(SslStream)], typeof(SslStreamHoldings).Module, skipVisibility: true);
            var il = method.GetILGenerator();
            il.Emit(OpCodes.Ldarg_0);
            il.Emit(OpCodes.Ldflda, buffer);
            il.Emit(OpCodes.Call, active);
            il.Emit(OpCodes.Ret);
            return method.CreateDelegate<Func<SslStream, int>>();
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or MemberAccessException or ArgumentException or PlatformNotSupportedException)
        {
            return null;
        }
    }
}
