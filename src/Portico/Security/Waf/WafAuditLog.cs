using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Portico.Configuration;

namespace Portico.Security.Waf;

/// <summary>
/// The WAF audit log: one JSON line per blocked or detected request, with the rules it matched.
/// Requests enqueue their line and go on; one background task writes to stdout or appends to a
/// file (reopened on SIGHUP, for rotation tools). The path is read at start-up.
/// </summary>
internal sealed class WafAuditLog(ActiveConfig config, TimeProvider time, WafLog log) : IHostedService, IDisposable
{
    private readonly Channel<string> _lines = Channel.CreateBounded<string>(new BoundedChannelOptions(16_384)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private static readonly TimeSpan FlushLimit = TimeSpan.FromSeconds(5);

    private Task _loop = Task.CompletedTask;
    private PosixSignalRegistration? _hangup;
    private volatile bool _reopen;

    public void Write(WafAuditEntry entry)
    {
        var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            w.WriteString("time", time.GetUtcNow());
            w.WriteString("requestId", entry.RequestId);
            w.WriteString("action", entry.Action);
            w.WriteString("reason", entry.Reason switch
            {
                WafRefusal.BodyOverLimit => "body_over_limit",
                WafRefusal.BodyUndecodable => "body_undecodable",
                WafRefusal.EncodingUnsupported => "encoding_unsupported",
                _ => "rules",
            });
            w.WriteString("route", entry.Route);
            w.WriteString("client", entry.Client);
            w.WriteString("method", entry.Method);
            w.WriteString("host", entry.Host);
            w.WriteString("path", entry.Path);
            w.WriteStartArray("rules");
            foreach (var match in entry.Matches)
            {
                w.WriteStartObject();
                w.WriteString("id", match.Id);
                w.WriteString("msg", match.Message);
                if (match.Data is { Length: > 0 } data)
                {
                    w.WriteString("data", data);
                }

                if (match.Severity is { } severity)
                {
                    w.WriteNumber("severity", severity);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        _lines.Writer.TryWrite(Encoding.UTF8.GetString(json.GetBuffer(), 0, (int)json.Length));
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var path = config.Current.Settings.Waf.AuditLog;
        // Opened here, so an unwritable path stops start-up with its reason. On stdout, a batch is
        // written whole under Console.Out's lock, as the access log's (see AccessLogWriter).
        var stream = path == "stdout" ? Console.OpenStandardOutput() : Open(path);
        _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, _ => _reopen = true);
        _loop = Task.Run(() => WriteLoopAsync(stream, path), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // As the access log: what is queued is written even when the grace period is spent.
        _lines.Writer.TryComplete();
        await _loop.WaitAsync(FlushLimit, time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task WriteLoopAsync(Stream stream, string path)
    {
        while (await _lines.Reader.WaitToReadAsync())
        {
            var text = new StringBuilder();
            while (text.Length < 1 << 20 && _lines.Reader.TryRead(out var line))
            {
                text.Append(line).Append('\n');
            }

            try
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(text.ToString()));
                await stream.FlushAsync();
                if (_reopen && path != "stdout")
                {
                    _reopen = false;
                    await stream.DisposeAsync();
                    stream = Open(path);
                }
            }
            catch (IOException ex)
            {
                log.AuditLogFailed(path, ex.Message);
            }
        }

        if (path != "stdout")
        {
            await stream.DisposeAsync();
        }
    }

    private static FileStream Open(string path)
        => new(path, new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite | FileShare.Delete });

    public void Dispose() => _hangup?.Dispose();
}

/// <summary>What the audit log records about one request the WAF stopped (`blocked`) or would have stopped (`detected`), and why.</summary>
internal sealed record WafAuditEntry(string RequestId, string Action, WafRefusal Reason, string Route, string Client, string Method, string Host, string Path, IReadOnlyList<WafMatch> Matches);
