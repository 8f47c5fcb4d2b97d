using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Portico.Cli;

/// <summary>
/// Three small backends for `portico run` without a config: each answers JSON naming itself and
/// echoing what it received (so X-Forwarded-* can be seen), plus /health, /slow?ms=, /status/N
/// and a WebSocket echo at /ws.
/// </summary>
internal sealed class DemoBackends : IAsyncDisposable
{
    private readonly List<WebApplication> _apps;

    private DemoBackends(List<WebApplication> apps, IReadOnlyList<Uri> addresses)
    {
        _apps = apps;
        Addresses = addresses;
    }

    public IReadOnlyList<Uri> Addresses { get; }

    public static async Task<DemoBackends> StartAsync(int count = 3)
    {
        var apps = new List<WebApplication>();
        var addresses = new List<Uri>();
        for (var i = 1; i <= count; i++)
        {
            var app = Build($"backend-{i}");
            await app.StartAsync();
            apps.Add(app);
            addresses.Add(new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()));
        }

        return new DemoBackends(apps, addresses);
    }

    private static WebApplication Build(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.UseWebSockets();
        app.MapGet("/health", () => "ok");
        app.MapGet("/status/{code:int}", (int code) => Results.StatusCode(code));
        app.MapGet("/slow", async (int? ms, CancellationToken aborted) =>
        {
            await Task.Delay(Math.Clamp(ms ?? 1000, 0, 60_000), aborted);
            return Results.Json(new { backend = name, sleptMs = ms ?? 1000 });
        });
        app.Map("/ws", async context =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
                return;
            }

            using var socket = await context.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", context.RequestAborted);
                    return;
                }

                await socket.SendAsync(buffer.AsMemory(0, result.Count), result.MessageType, result.EndOfMessage, context.RequestAborted);
            }
        });
        app.MapFallback(context => context.Response.WriteAsJsonAsync(new
        {
            backend = name,
            method = context.Request.Method,
            path = context.Request.Path.Value + context.Request.QueryString.Value,
            protocol = context.Request.Protocol,
            host = context.Request.Host.Value,
            forwardedFor = context.Request.Headers["X-Forwarded-For"].ToString(),
            forwarded = context.Request.Headers["Forwarded"].ToString(),
        }));
        return app;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }
    }
}
