using System.Collections.Concurrent;

namespace Portico.Tls.Acme;

/// <summary>
/// The http-01 tokens being validated now and their key authorizations (RFC 8555 §8.3): this
/// instance's own, then, with a `redis` section, those another instance is having validated
/// (the CA's request may reach any instance behind the front).
/// </summary>
internal sealed class Http01Challenges(AcmeShare share)
{
    private readonly ConcurrentDictionary<string, string> _pending = new(StringComparer.Ordinal);

    public void Add(string token, string keyAuthorization) => _pending[token] = keyAuthorization;

    public void Remove(string token) => _pending.TryRemove(token, out _);

    public ValueTask<string?> KeyAuthorizationAsync(string token)
        => _pending.TryGetValue(token, out var local) ? ValueTask.FromResult<string?>(local) : share.ChallengeAsync(AcmeChallenges.Http01, token);
}
