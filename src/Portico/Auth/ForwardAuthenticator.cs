using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Portico.Configuration.Model;
using Portico.Forwarding;

namespace Portico.Auth;

/// <summary>
/// `auth.forwardAuth`: asks the auth service about each request with a subrequest carrying the
/// chosen client headers and, as Traefik's ForwardAuth does, X-Forwarded-Method/-Proto/-Host/
/// -Uri/-For. A 2xx answer lets the request through with the answer's chosen headers copied
/// in; any other answer is relayed to the client as given (status, headers, body up to 64 KiB).
/// No answer within `timeout`, or a broken one, is `unavailableStatus`: never an open door.
/// </summary>
internal sealed class ForwardAuthenticator(string routeId, ForwardAuthSettings settings, TimeProvider time) : IAuthenticator
{
    private const int MaxBody = 64 * 1024;
    private const int MaxCached = 10_000;

    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    }) { Timeout = Timeout.InfiniteTimeSpan };

    // Hop-by-hop fields (RFC 9110 §7.6.1) and framing are the relay's own business.
    private static readonly HashSet<string> NotRelayed = new(["Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Proxy-Connection", "Content-Length"], StringComparer.OrdinalIgnoreCase);

    private readonly ConcurrentDictionary<string, (long Until, KeyValuePair<string, string>[] Headers)> _cache = new(StringComparer.Ordinal);

    public string Scheme => AuthSchemeNames.ForwardAuth;

    // The auth service's own answer carries whatever challenge it wants.
    public string? Challenge(bool refused) => null;

    public void RemoveCredentials(HttpRequest request)
    {
    }

    public async ValueTask<AuthAttempt> AuthenticateAsync(HttpContext context)
    {
        var request = context.Request;
        var key = settings.CacheFor > TimeSpan.Zero ? CacheKey(request) : null;
        if (key is not null && _cache.TryGetValue(key, out var cached) && cached.Until > time.GetTimestamp())
        {
            return Allow(request, cached.Headers);
        }

        var log = context.RequestServices.GetRequiredService<AuthLog>();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(settings.Timeout);
        try
        {
            using var subrequest = Subrequest(context);
            using var response = await Http.SendAsync(subrequest, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.IsSuccessStatusCode)
            {
                var headers = settings.ResponseHeaders
                    .Where(name => response.Headers.Contains(name))
                    .Select(name => new KeyValuePair<string, string>(name, string.Join(", ", response.Headers.GetValues(name))))
                    .ToArray();
                if (key is not null && (_cache.Count < MaxCached || Prune()))
                {
                    _cache[key] = (time.GetTimestamp() + (long)(settings.CacheFor.TotalSeconds * time.TimestampFrequency), headers);
                }

                return Allow(request, headers);
            }

            var body = await ReadBoundedAsync(response.Content, timeout.Token);
            if (body is null)
            {
                log.ForwardAuthFailed(routeId, settings.Url.ToString(), $"answer body above {MaxBody} bytes");
                return Unavailable();
            }

            return AuthAttempt.Answered(AuthReason.Denied, Relay((int)response.StatusCode, [.. response.Headers, .. response.Content.Headers], body));
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
        {
            log.ForwardAuthFailed(routeId, settings.Url.ToString(), ex is OperationCanceledException ? $"no answer within {settings.Timeout.TotalMilliseconds} ms" : ex.Message);
            return Unavailable();
        }
    }

    private AuthAttempt Unavailable() => AuthAttempt.Answered(AuthReason.Unavailable, context => ErrorPage.WriteAsync(context, settings.UnavailableStatus));

    private AuthAttempt Allow(HttpRequest request, KeyValuePair<string, string>[] headers)
    {
        string? user = null;
        foreach (var (name, value) in headers)
        {
            request.Headers[name] = value;
            if (string.Equals(name, settings.UserHeader, StringComparison.OrdinalIgnoreCase))
            {
                user = value;
            }
        }

        return AuthAttempt.Success(new AuthIdentity(Scheme, user ?? Scheme, []));
    }

    private HttpRequestMessage Subrequest(HttpContext context)
    {
        var request = context.Request;
        var subrequest = new HttpRequestMessage(new HttpMethod(settings.Method), settings.Url);
        foreach (var name in settings.RequestHeaders)
        {
            if (request.Headers.TryGetValue(name, out var values))
            {
                subrequest.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        subrequest.Headers.TryAddWithoutValidation("X-Forwarded-Method", request.Method);
        subrequest.Headers.TryAddWithoutValidation("X-Forwarded-Proto", request.Scheme);
        subrequest.Headers.TryAddWithoutValidation("X-Forwarded-Host", request.Host.Value);
        subrequest.Headers.TryAddWithoutValidation("X-Forwarded-Uri", $"{request.PathBase}{request.Path}{request.QueryString}");
        subrequest.Headers.TryAddWithoutValidation("X-Forwarded-For", ClientAddress.Of(context).ToString());
        return subrequest;
    }

    private static Func<HttpContext, Task> Relay(int status, KeyValuePair<string, IEnumerable<string>>[] headers, byte[] body) => async context =>
    {
        var response = context.Response;
        response.StatusCode = status;
        foreach (var (name, values) in headers)
        {
            if (!NotRelayed.Contains(name))
            {
                response.Headers[name] = new StringValues(values.ToArray());
            }
        }

        response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await response.Body.WriteAsync(body, context.RequestAborted);
        }
    };

    private static async Task<byte[]?> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBody)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>The credential: a digest of the copied request headers' values, so the cache never holds a secret itself.</summary>
    private string CacheKey(HttpRequest request)
    {
        var text = new StringBuilder();
        foreach (var name in settings.RequestHeaders)
        {
            text.Append(name).Append('\n').Append(request.Headers[name].ToString()).Append('\n');
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>Drops expired answers; true when there is room again.</summary>
    private bool Prune()
    {
        var now = time.GetTimestamp();
        foreach (var (key, entry) in _cache)
        {
            if (entry.Until <= now)
            {
                _cache.TryRemove(key, out _);
            }
        }

        return _cache.Count < MaxCached;
    }
}
