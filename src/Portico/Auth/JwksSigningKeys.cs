using Microsoft.IdentityModel.Tokens;

namespace Portico.Auth;

/// <summary>
/// `jwt.jwksUrl`: the issuer's JWK Set (RFC 7517 §5), fetched on first use and cached for
/// `jwksRefresh`. A token signed with a key it does not list (a rotation, RFC 7517 §4.5 `kid`)
/// fetches it again, but at most once per `jwksMinRefresh`, so tokens with made-up key ids
/// cannot turn Portico into a flood against the issuer. One fetch runs at a time; a failed
/// fetch keeps the keys it had.
/// </summary>
internal sealed class JwksSigningKeys(Uri url, TimeSpan refresh, TimeSpan minRefresh, TimeProvider time) : ISigningKeys
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(10) };

    private readonly SemaphoreSlim _fetching = new(1, 1);
    private IReadOnlyList<SecurityKey>? _keys;
    private DateTimeOffset _fetched;
    private DateTimeOffset _attempted = DateTimeOffset.MinValue;

    public async ValueTask<IReadOnlyList<SecurityKey>> KeysAsync(AuthLog log, CancellationToken cancellationToken)
    {
        var keys = Volatile.Read(ref _keys);
        if (keys is not null && time.GetUtcNow() - _fetched < refresh)
        {
            return keys;
        }

        await FetchAsync(log, force: false, cancellationToken);
        return Volatile.Read(ref _keys) ?? [];
    }

    public async ValueTask<bool> RefreshAsync(AuthLog log, CancellationToken cancellationToken)
        => time.GetUtcNow() - _attempted >= minRefresh && await FetchAsync(log, force: true, cancellationToken);

    private async Task<bool> FetchAsync(AuthLog log, bool force, CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        await _fetching.WaitAsync(cancellationToken);
        try
        {
            // Another request fetched while this one waited.
            if (_attempted >= started || (!force && _keys is not null && time.GetUtcNow() - _fetched < refresh))
            {
                return _attempted >= started && _fetched == _attempted;
            }

            _attempted = time.GetUtcNow();
            try
            {
                using var response = await Http.GetAsync(url, cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    log.JwksFailed(url.ToString(), $"status {(int)response.StatusCode}");
                    return false;
                }

                var keys = new JsonWebKeySet(await response.Content.ReadAsStringAsync(cancellationToken)).GetSigningKeys().ToArray();
                Volatile.Write(ref _keys, keys);
                _fetched = _attempted;
                log.JwksFetched(url.ToString(), keys.Length);
                return true;
            }
            catch (Exception ex) when (ex is HttpRequestException or ArgumentException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                log.JwksFailed(url.ToString(), ex.Message);
                return false;
            }
        }
        finally
        {
            _fetching.Release();
        }
    }
}
