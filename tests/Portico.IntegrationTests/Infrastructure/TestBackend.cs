using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// A real Kestrel backend on 127.0.0.1 that records every request it receives. By default it
/// answers 200 with its name; tests give it their own handler for anything else.
/// </summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestBackend(WebApplication app, string name, Uri address)
    {
        _app = app;
        Name = name;
        Address = address;
    }

    public string Name { get; }

    public Uri Address { get; }

    /// <summary>"http://127.0.0.1:PORT" without a trailing slash, as config files write it.</summary>
    public string Url => Address.GetLeftPart(UriPartial.Authority);

    public int Port => Address.Port;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public int Count => Requests.Count;

    public static Task<TestBackend> StartAsync(string name, RequestDelegate? handler = null, HttpProtocols protocols = HttpProtocols.Http1, int port = 0, Action<ListenOptions>? listen = null, IPAddress? address = null)
        => StartAppAsync(name, app => app.Run(handler ?? (ctx => ctx.Response.WriteAsync(name))), protocols, port, listen, address);

    /// <summary>
    /// <paramref name="listen"/> adds to the listener's setup, e.g. HTTPS for backend TLS tests;
    /// <paramref name="address"/> is 127.0.0.1 unless given (::1 for a second backend on the same port).
    /// </summary>
    public static async Task<TestBackend> StartAppAsync(string name, Action<WebApplication> configure, HttpProtocols protocols = HttpProtocols.Http1, int port = 0, Action<ListenOptions>? listen = null, IPAddress? address = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.Listen(address ?? IPAddress.Loopback, port, o =>
            {
                o.Protocols = protocols;
                listen?.Invoke(o);
            });
        });
        var app = builder.Build();
        TestBackend? self = null;
        app.Use((ctx, next) =>
        {
            self!.Requests.Enqueue(new RecordedRequest(
                ctx.Request.Method,
                ctx.Request.Path + ctx.Request.QueryString,
                ctx.Request.Protocol,
                ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            return next(ctx);
        });
        configure(app);
        await app.StartAsync();
        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        self = new TestBackend(app, name, bound);
        return self;
    }

    /// <summary>Stops the server at once, resetting connections with requests in flight.</summary>
    public async Task KillAsync()
    {
        using var now = new CancellationTokenSource();
        await now.CancelAsync();
        await _app.StopAsync(now.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        await _app.DisposeAsync();
    }
}

internal sealed record RecordedRequest(string Method, string PathAndQuery, string Protocol, IReadOnlyDictionary<string, string> Headers);
