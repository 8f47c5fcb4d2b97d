using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace Portico.Security.Waf;

/// <summary>
/// One request's pass through a rule set. A transaction belongs to one request on one thread;
/// it holds a reference on its rule set so a reload cannot free the set underneath it.
/// </summary>
internal sealed class WafTransaction : IDisposable
{
    private readonly WafRuleSet _rules;
    private readonly nint _transaction;
    private GCHandle _matchesHandle;

    private WafTransaction(WafRuleSet rules, nint transaction, GCHandle matchesHandle, WafMatches matches)
    {
        _rules = rules;
        _transaction = transaction;
        _matchesHandle = matchesHandle;
        Matches = matches;
    }

    public WafMatches Matches { get; }

    /// <summary>
    /// Starts a transaction named by our request id, so the library need not generate one.
    /// Throws <see cref="ObjectDisposedException"/> when a reload retired the set just now.
    /// </summary>
    public static WafTransaction Begin(WafRuleSet rules, string requestId)
    {
        var added = false;
        rules.DangerousAddRef(ref added);
        var matches = new WafMatches();
        var handle = GCHandle.Alloc(matches);
        var transaction = ModSecurityNative.msc_new_transaction_with_id(WafLibrary.Engine, rules.DangerousGetHandle(), requestId, GCHandle.ToIntPtr(handle));
        return new WafTransaction(rules, transaction, handle, matches);
    }

    public void Connection(string client, int clientPort, string server, int serverPort)
        => ModSecurityNative.msc_process_connection(_transaction, client, clientPort, server, serverPort);

    public void Uri(string target, string method, string httpVersion)
        => ModSecurityNative.msc_process_uri(_transaction, target, method, httpVersion);

    /// <summary>
    /// One request field, as the bytes the client sent: the full path holds field values as
    /// Latin-1 (Forwarding/HeaderBytes), one char per byte, so Latin-1 gives the bytes back.
    /// </summary>
    public void Header(string name, string value)
    {
        var size = name.Length + value.Length;
        var rented = size > 1024 ? ArrayPool<byte>.Shared.Rent(size) : null;
        Span<byte> buffer = rented is null ? stackalloc byte[1024] : rented;
        var n = Encoding.Latin1.GetBytes(name, buffer);
        var v = Encoding.Latin1.GetBytes(value, buffer[n..]);
        ModSecurityNative.AddHeader(_transaction, buffer[..n], buffer.Slice(n, v));
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public void ProcessHeaders() => ModSecurityNative.msc_process_request_headers(_transaction);

    public void AppendBody(ReadOnlySpan<byte> body) => ModSecurityNative.AppendBody(_transaction, body);

    /// <summary>Runs the body phase; call it even without a body, since CRS scores the request there.</summary>
    public void ProcessBody() => ModSecurityNative.msc_process_request_body(_transaction);

    /// <summary>
    /// The status a rule asked to interrupt the request with (`deny` alone: 403; a 4xx its
    /// `status:` action names), or 0. The intervention's `url` and `log` were allocated by the
    /// library and are freed here; the log line is kept as a match.
    /// </summary>
    public int Interruption()
    {
        var intervention = new ModSecurityNative.Intervention { Status = 200 };
        ModSecurityNative.msc_intervention(_transaction, ref intervention);
        ModSecurityNative.FreeIfSet(intervention.Url);
        if (ModSecurityNative.TakeString(intervention.Log) is { } log && WafMatches.Field(log, "id") is { } id && !Matches.All.Any(m => m.Id == id))
        {
            Matches.Add(log);
        }

        return intervention.Disruptive == 0 ? 0 : intervention.Status is >= 400 and < 500 ? intervention.Status : 403;
    }

    public void Dispose()
    {
        ModSecurityNative.msc_transaction_cleanup(_transaction);
        _matchesHandle.Free();
        _rules.DangerousRelease();
    }
}
