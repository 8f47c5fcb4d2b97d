using System.Collections.Concurrent;

namespace Portico.Tls.Acme;

/// <summary>The http-01 tokens being validated now and their key authorizations (RFC 8555 §8.3).</summary>
internal sealed class Http01Challenges
{
    private readonly ConcurrentDictionary<string, string> _pending = new(StringComparer.Ordinal);

    public void Add(string token, string keyAuthorization) => _pending[token] = keyAuthorization;

    public void Remove(string token) => _pending.TryRemove(token, out _);

    public string? KeyAuthorization(string token) => _pending.GetValueOrDefault(token);
}
