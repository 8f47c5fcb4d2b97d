using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Portico.IntegrationTests.Infrastructure;
using Portico.Transport;

namespace Portico.IntegrationTests.Transport;

/// <summary>
/// The event-loop transport starts a listener's connections on the loop that accepted them,
/// with the pipeline Kestrel built for the listener, in place of Kestrel's dispatcher (which
/// queued each to the thread pool): a real Kestrel server on the loop transport, registered as
/// Portico's host registers it. What Kestrel's dispatcher gave a connection still holds: its
/// timeouts tick (the keep-alive timeout closes an idle connection), the server's stop asks it
/// to close and waits for the request in flight, and aborts it once the grace period is over.
/// </summary>
public sealed class LoopDispatchTests
{
    /// <summary>A server certificate for the TLS listeners, issued once (its test root's folder is removed at once; the certificate holds its key).</summary>
    private static readonly Lazy<X509Certificate2> Localhost = new(() =>
    {
        using var pki = TestPki.Create();
        return pki.Issue("localhost", ["localhost"]);
    });

    [Fact]
    public async Task A_connection_starts_on_the_event_loop_that_accepted_it_not_on_a_pool_thread()
    {
        Assert.SkipUnless(LoopTransport.Supported, "the event-loop transport's");
        Assert.NotNull(KestrelMetricsFeature.Found);
        var ct = TestContext.Current.CancellationToken;
        var threads = new List<string>();
        await using var server = await Server.StartAsync(Answer("ok"), connection =>
        {
            lock (threads)
            {
                threads.Add($"{Thread.CurrentThread.Name} pool={Thread.CurrentThread.IsThreadPoolThread}");
            }
        });

        for (var i = 0; i < 5; i++)
        {
            using var client = await server.ConnectAsync(ct);
            await client.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ct);
            var response = await ReadToCloseAsync(client, ct);
            Assert.StartsWith("HTTP/1.1 200", response);
            Assert.EndsWith("ok", response);
        }

        lock (threads)
        {
            Assert.Equal(5, threads.Count);
            Assert.All(threads, t => Assert.StartsWith("Portico I/O ", t));
            Assert.All(threads, t => Assert.EndsWith("pool=False", t));
        }
    }

    [Fact]
    public async Task A_connection_gets_room_for_its_listeners_features_at_its_start_so_none_is_copied()
    {
        Assert.SkipUnless(LoopTransport.Supported, "the event-loop transport's");
        var ct = TestContext.Current.CancellationToken;
        var seen = new List<ConnectionFeatures>();
        void Keep(ConnectionContext connection)
        {
            lock (seen)
            {
                seen.Add((ConnectionFeatures)connection.Features);
            }
        }

        await using (var plain = await Server.StartAsync(Answer("ok"), Keep))
        {
            using var client = await plain.ConnectAsync(ct);
            await client.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ct);
            Assert.EndsWith("ok", await ReadToCloseAsync(client, ct));
        }

        await using (var tls = await Server.StartAsync(Answer("ok"), Keep, certificate: Localhost.Value))
        {
            var handshake = await TlsClient.HandshakeAsync(tls.Address.Port, "localhost");
            Assert.True(handshake.Answered);
        }

        lock (seen)
        {
            Assert.Equal(2, seen.Count);

            // The dispatcher's four; then Kestrel's HTTPS middleware's five besides. Each in the
            // array made at the connection's start: an array outgrown is copied into one twice
            // its size (16 for a TLS connection in one of 8).
            Assert.Equal(4, seen[0].Count);
            Assert.Equal(ConnectionFeatures.PlainCapacity, seen[0].Capacity);
            Assert.Equal(9, seen[1].Count);
            Assert.Equal(ConnectionFeatures.TlsCapacity, seen[1].Capacity);
        }
    }

    [Fact]
    public async Task A_connection_its_client_resets_while_the_server_waits_for_input_is_closed_and_does_not_hold_the_stop()
    {
        Assert.SkipUnless(LoopTransport.Supported, "the event-loop transport's");
        var ct = TestContext.Current.CancellationToken;
        foreach (var tls in new[] { false, true })
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var server = await Server.StartAsync(Answer("ok"), _ => started.TrySetResult(), grace: TimeSpan.FromSeconds(30),
                certificate: tls ? Localhost.Value : null);
            using (var client = await server.ConnectAsync(ct))
            {
                // Kestrel's HTTP/1 (or its TLS handshake) waits for the first bytes when the reset comes.
                await started.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
                client.LingerState = new LingerOption(true, 0);
                client.Close();
            }

            // The input ended with the reset's error, which the pipe throws again to the
            // transport's last look at it: the connection's disposal failed there, its descriptor
            // stayed open and the stop waited out its 30 s grace period for it.
            await server.App.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), ct);
            await server.App.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_keep_alive_timeout_closes_an_idle_connection_the_loop_started()
    {
        Assert.SkipUnless(LoopTransport.Supported, "the event-loop transport's");
        var ct = TestContext.Current.CancellationToken;
        await using var server = await Server.StartAsync(Answer("ok"), keepAlive: TimeSpan.FromSeconds(1));
        using var client = await server.ConnectAsync(ct);
        await client.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), ct);

        // The response, then the server's close once the connection has been idle past the
        // timeout, which only Kestrel's heartbeat ticking the connection notices (a connection
        // nobody ticks stays open: the read would run into the bound below).
        var response = await ReadToCloseAsync(client, ct);
        Assert.StartsWith("HTTP/1.1 200", response);
        Assert.EndsWith("ok", response);
    }

    [Fact]
    public async Task The_servers_stop_lets_a_request_in_flight_finish_and_closes_an_idle_connection()
    {
        Assert.SkipUnless(LoopTransport.Supported, "the event-loop transport's");
        var ct = TestContext.Current.CancellationToken;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (server, busy) = await InFlightAsync(entered => async ctx =>
        {
            if (ctx.Request.Path == "/slow")
            {
                entered.TrySetResult();
                await release.Task;
            }

            await Answer("done")(ctx);
        }, TimeSpan.FromSeconds(30), ct);
        await using var stopped = server;
        using var held = busy;

        using var idle = await server.ConnectAsync(ct);
        await idle.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), ct);
        await ReadResponseAsync(idle, "done", ct);

        var stopping = server.App.StopAsync(CancellationToken.None);

        // The idle keep-alive connection is closed by the stop (end of stream, no bytes).
        Assert.Equal(0, await idle.ReceiveAsync(new byte[256], ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct));

        // The request in flight holds the stop until it is answered, then its connection closes.
        await Task.Delay(200, ct);
        Assert.False(stopping.IsCompleted, "the stop did not wait for the request in flight");
        release.SetResult();
        var response = await ReadToCloseAsync(busy, ct);
        Assert.StartsWith("HTTP/1.1 200", response);
        Assert.Contains("Connection: close", response);
        Assert.EndsWith("done", response);
        await stopping.WaitAsync(TimeSpan.FromSeconds(10), ct);
    }

    [Fact]
    public async Task The_servers_stop_aborts_a_request_still_running_when_the_grace_period_ends()
    {
        Assert.SkipUnless(LoopTransport.Supported, "the event-loop transport's");
        var ct = TestContext.Current.CancellationToken;
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (server, busy) = await InFlightAsync(entered => async ctx =>
        {
            ctx.RequestAborted.Register(() => aborted.TrySetResult());
            entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
        }, TimeSpan.FromSeconds(1), ct);
        await using var stopped = server;
        using var held = busy;

        await server.App.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(15), ct);
        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(5), ct);
        await ReadToCloseAsync(busy, ct);
    }

    [Fact]
    public async Task A_pipeline_that_throws_closes_its_connection_and_does_not_hold_the_stop()
    {
        Assert.SkipUnless(LoopTransport.Supported, "the event-loop transport's");
        var ct = TestContext.Current.CancellationToken;
        await using var server = await Server.StartAsync(Answer("ok"), _ => throw new InvalidOperationException("the pipeline failed"), grace: TimeSpan.FromSeconds(30));
        using var client = await server.ConnectAsync(ct);
        await client.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), ct);

        // As under Kestrel's dispatcher: logged, the connection disposed (its client sees the end,
        // no answer), and no longer counted, so the stop does not wait out its grace period for it.
        Assert.Equal("", await ReadToCloseAsync(client, ct));
        await server.App.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), ct);
    }

    [Fact]
    public async Task A_client_that_resets_its_connection_mid_request_does_not_hold_the_stop()
    {
        Assert.SkipUnless(LoopTransport.Supported, "the event-loop transport's");
        var ct = TestContext.Current.CancellationToken;
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await Server.StartAsync(Answer("ok"), connection =>
            connection.Features.Get<IConnectionCompleteFeature>()!.OnCompleted(_ =>
            {
                ended.TrySetResult();
                return Task.CompletedTask;
            }, connection), grace: TimeSpan.FromSeconds(30));
        using (var client = await server.ConnectAsync(ct))
        {
            await client.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n"), ct);
            client.LingerState = new LingerOption(true, 0);
            client.Close();
        }

        await ended.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        await server.App.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), ct);
    }

    [Fact]
    public async Task The_completion_callbacks_run_last_registered_first_past_one_that_throws()
    {
        Assert.SkipUnless(LoopTransport.Supported, "the event-loop transport's");
        var ct = TestContext.Current.CancellationToken;
        var ran = new List<string>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await Server.StartAsync(Answer("ok"), connection =>
        {
            var complete = connection.Features.Get<IConnectionCompleteFeature>()!;
            complete.OnCompleted(_ =>
            {
                ran.Add("first");
                done.TrySetResult();
                return Task.CompletedTask;
            }, complete);
            complete.OnCompleted(_ => throw new InvalidOperationException("a callback failed"), complete);
            complete.OnCompleted(_ =>
            {
                ran.Add("faulted");
                return Task.FromException(new InvalidOperationException("a callback's task failed"));
            }, complete);
            complete.OnCompleted(s =>
            {
                // Too late to register: refused, as Kestrel's connection refuses it.
                ran.Add(Record.Exception(() => ((IConnectionCompleteFeature)s).OnCompleted(_ => Task.CompletedTask, s)) is InvalidOperationException ? "refused" : "taken");
                return Task.CompletedTask;
            }, complete);
        });
        using var client = await server.ConnectAsync(ct);
        await client.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), ct);
        Assert.EndsWith("ok", await ReadToCloseAsync(client, ct));

        await done.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(["refused", "faulted", "first"], ran);
    }

    [Fact]
    public async Task A_connection_handed_over_after_the_stop_began_its_wait_is_closed_not_run()
    {
        Assert.SkipUnless(LoopTransport.Supported, "the event-loop transport's");
        var ct = TestContext.Current.CancellationToken;

        // The listener's loop takes a connection from the backlog under its lock and starts it
        // outside it, so the stop (unbind, then the dispatcher's wait) can come in between: here
        // a real accepted connection is handed to a dispatcher whose stop has already counted
        // what it waits for. Run then, nobody would ever close it: the server is gone, no
        // heartbeat ticks its timeouts, and a client that sends nothing holds it open.
        await using var accepted = await AcceptedLoopConnection.AcceptAsync(ct);
        var ran = 0;
        var dispatcher = new LoopDispatcher(async connection =>
        {
            Interlocked.Increment(ref ran);
            while (!(await connection.Transport.Input.ReadAsync()).IsCompleted)
            {
            }
        }, ConnectionFeatures.PlainCapacity, NullLogger.Instance);
        dispatcher.BeginClose(CancellationToken.None);
        await dispatcher.DisposeAsync();

        dispatcher.Start(accepted.Connection);

        Assert.Equal(0, Volatile.Read(ref ran));
        Assert.Equal(0, await accepted.Client.ReceiveAsync(new byte[16], ct).AsTask().WaitAsync(TimeSpan.FromSeconds(10), ct));
    }

    /// <summary>A server with <paramref name="grace"/> for its stop, and a connection whose request (GET /slow) the handler holds: returns once the handler has said it entered.</summary>
    private static async Task<(Server Server, Socket Busy)> InFlightAsync(Func<TaskCompletionSource, RequestDelegate> handler, TimeSpan grace, CancellationToken ct)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var server = await Server.StartAsync(handler(entered), grace: grace);
        var busy = await server.ConnectAsync(ct);
        await busy.SendAsync(Encoding.ASCII.GetBytes("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"), ct);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        return (server, busy);
    }

    /// <summary>A handler answering with a Content-Length, in one write.</summary>
    private static RequestDelegate Answer(string text) => ctx =>
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        ctx.Response.ContentLength = bytes.Length;
        return ctx.Response.Body.WriteAsync(bytes).AsTask();
    };

    /// <summary>Reads one response whose body is <paramref name="body"/>, leaving the connection open.</summary>
    private static async Task ReadResponseAsync(Socket client, string body, CancellationToken ct)
    {
        var received = new StringBuilder();
        var buffer = new byte[4096];
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(TimeSpan.FromSeconds(15));
        while (!received.ToString().EndsWith("\r\n\r\n" + body, StringComparison.Ordinal))
        {
            var n = await client.ReceiveAsync(buffer, bound.Token);
            Assert.True(n > 0, $"the connection ended after {received}");
            received.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
    }

    private static async Task<string> ReadToCloseAsync(Socket client, CancellationToken ct)
    {
        var received = new MemoryStream();
        var buffer = new byte[4096];
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            int n;
            while ((n = await client.ReceiveAsync(buffer, bound.Token)) > 0)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // An abort: the end as well.
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }

    /// <summary>A Kestrel server on the loop transport, with the loop's dispatch registered as PorticoHost registers it.</summary>
    private sealed class Server(WebApplication app, IPEndPoint address) : IAsyncDisposable
    {
        public WebApplication App { get; } = app;

        public IPEndPoint Address { get; } = address;

        /// <param name="certificate">With one, the listener speaks TLS (Kestrel's HTTPS middleware) and is registered as a TLS listener.</param>
        public static async Task<Server> StartAsync(RequestDelegate handler, Action<ConnectionContext>? onConnection = null, TimeSpan? keepAlive = null, TimeSpan? grace = null,
            X509Certificate2? certificate = null)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<IConnectionListenerFactory, LoopTransport>();
            builder.Services.AddSingleton<LoopDispatches>();
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = grace ?? TimeSpan.FromSeconds(5));
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                if (keepAlive is { } timeout)
                {
                    kestrel.Limits.KeepAliveTimeout = timeout;
                }

                kestrel.Listen(IPAddress.Loopback, 0, o =>
                {
                    kestrel.ApplicationServices.GetRequiredService<LoopDispatches>().Use(o, tls: certificate is not null);
                    if (onConnection is not null)
                    {
                        o.Use(next => connection =>
                        {
                            onConnection(connection);
                            return next(connection);
                        });
                    }

                    if (certificate is not null)
                    {
                        o.UseHttps(certificate);
                    }
                });
            });

            var app = builder.Build();
            app.Run(handler);
            await app.StartAsync(TestContext.Current.CancellationToken);
            var address = new Uri(app.Urls.First());
            return new Server(app, new IPEndPoint(IPAddress.Loopback, address.Port));
        }

        public async Task<Socket> ConnectAsync(CancellationToken ct)
        {
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(Address, ct);
            return client;
        }

        public async ValueTask DisposeAsync()
        {
            await App.StopAsync(CancellationToken.None);
            await App.DisposeAsync();
        }
    }
}
