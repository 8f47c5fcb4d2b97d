using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Portico.Caching;

/// <summary>
/// stale-while-revalidate (RFC 5861 §3): after a stale response was served, revalidates it
/// once in the background, through the same stages below the cache as a client request
/// would go (compression, the forwarder), on a copy of the request that needs no client.
/// </summary>
internal sealed class CacheRefresher(CacheLog log, IServiceScopeFactory scopes)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);
    private readonly ConcurrentDictionary<string, byte> _running = new(StringComparer.Ordinal);

    /// <summary>
    /// Begins the refresh of <paramref name="stale"/> unless one of its key is running; returns
    /// it (the caller does not wait for it), or a completed task when none was begun.
    /// </summary>
    public Task Start(HttpContext context, CacheRequest request, CacheEntry stale, CacheForwarder forwarder)
    {
        if (!_running.TryAdd(request.FlightKey, 0))
        {
            return Task.CompletedTask;
        }

        var copy = Copy(context);
        return Task.Run(async () =>
        {
            try
            {
                // A request that found the stale entry just before an earlier refresh stored its
                // successor comes here once that refresh ended: a second refresh would ask the
                // origin again and replace the response the first one stored.
                if (await forwarder.SupersededAsync(stale))
                {
                    return;
                }

                await using var scope = scopes.CreateAsyncScope();
                using var limit = new CancellationTokenSource(Limit);
                copy.RequestServices = scope.ServiceProvider;
                copy.RequestAborted = limit.Token;
                await forwarder.ForwardAsync(copy, request, stale, null, "stale", counted: false);
            }
            catch (Exception ex)
            {
                log.RefreshFailed(request.Key, ex.Message);
            }
            finally
            {
                _running.TryRemove(request.FlightKey, out _);
            }
        });
    }

    private static DefaultHttpContext Copy(HttpContext context)
    {
        var source = context.Request;
        var copy = new DefaultHttpContext();
        var request = copy.Request;
        request.Method = HttpMethods.Get;
        request.Scheme = source.Scheme;
        request.Host = source.Host;
        request.PathBase = source.PathBase;
        request.Path = source.Path;
        request.QueryString = source.QueryString;
        request.Protocol = "HTTP/1.1";
        foreach (var (name, value) in source.Headers)
        {
            request.Headers[name] = value;
        }

        copy.Connection.RemoteIpAddress = context.Connection.RemoteIpAddress;
        copy.Connection.RemotePort = context.Connection.RemotePort;
        copy.Features.Set<IHttpRequestBodyDetectionFeature>(new NoBody());
        copy.SetEndpoint(context.GetEndpoint());
        return copy;
    }

    private sealed class NoBody : IHttpRequestBodyDetectionFeature
    {
        public bool CanHaveBody => false;
    }
}
