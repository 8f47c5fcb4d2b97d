using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Portico.Configuration;

namespace Portico.Observability;

/// <summary>
/// Writes access-log lines off the request path: requests enqueue a line in a bounded queue
/// (dropped, and counted, if the disk cannot keep up, rather than slowing traffic) and one
/// background task writes them to stdout or a file. A file is rotated by size (FILE → FILE.1
/// → … FILE.keep) and reopened on SIGHUP for external rotation tools.
/// </summary>
internal sealed class AccessLogWriter(ActiveConfig config, TimeProvider time) : IHostedService, IDisposable
{
    private readonly Channel<string> _lines = Channel.CreateBounded<string>(new BoundedChannelOptions(65_536)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private static readonly TimeSpan FlushLimit = TimeSpan.FromSeconds(5);

    private Task _loop = Task.CompletedTask;
    private PosixSignalRegistration? _hangup;
    private volatile bool _reopen;
    private long _dropped;

    public long Dropped => Interlocked.Read(ref _dropped);

    public bool Enabled => config.Current.Settings.AccessLog.Enabled;

    public void Write(in AccessLogRequest request, RequestExchange exchange, int status, double seconds)
    {
        var settings = config.Current.Settings.AccessLog;
        if (!settings.Enabled)
        {
            return;
        }

        if (!_lines.Writer.TryWrite(AccessLogFormatter.Format(settings.Format, request, exchange, status, seconds, time.GetUtcNow())))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = config.Current.Settings.AccessLog;
        // Opened here, not in the loop, so an unwritable path stops start-up with its reason.
        // The runtime's stdout stream writes under the lock of Console.Out, as the console logger's
        // writes do: a batch and a console entry never overlap, even when a full pipe takes a write
        // in pieces (StdoutTests). A stream of our own on fd 1 would lose that, and a lock of our
        // own around this stream would deadlock against Console.Out's.
        var stream = settings.Output == "stdout" ? Console.OpenStandardOutput() : Open(settings.Output);
        _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, _ => _reopen = true);
        _loop = Task.Run(() => WriteLoopAsync(stream, settings.Output, settings.MaxSizeBytes, settings.Keep), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Runs after the server stopped, so the lines of every request that ended, cut off or not,
    /// are queued: they are all written, within a bound of their own, and not cut short by the
    /// host's token (already cancelled when the grace period ran out).
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _lines.Writer.TryComplete();
        await _loop.WaitAsync(FlushLimit, time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task WriteLoopAsync(Stream stream, string output, long maxSize, int keep)
    {
        var toStdout = output == "stdout";
        var batch = new ArrayBufferWriter<byte>(64 * 1024);
        try
        {
            while (await _lines.Reader.WaitToReadAsync())
            {
                // One write per batch of whole lines, so nothing else on stdout lands mid-line.
                batch.ResetWrittenCount();
                while (batch.WrittenCount < 1 << 20 && _lines.Reader.TryRead(out var line))
                {
                    Encoding.UTF8.GetBytes(line + "\n", batch);
                }

                await stream.WriteAsync(batch.WrittenMemory);
                await stream.FlushAsync();
                if (!toStdout && (_reopen || stream.Length >= maxSize))
                {
                    await stream.DisposeAsync();
                    if (!_reopen)
                    {
                        Rotate(output, keep);
                    }

                    _reopen = false;
                    stream = Open(output);
                }
            }
        }
        finally
        {
            await stream.FlushAsync();
            if (!toStdout)
            {
                await stream.DisposeAsync();
            }
        }
    }

    private static FileStream Open(string path)
        => new(path, new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite | FileShare.Delete });

    private static void Rotate(string path, int keep)
    {
        if (keep == 0)
        {
            File.Delete(path);
            return;
        }

        File.Delete($"{path}.{keep}");
        for (var i = keep - 1; i >= 1; i--)
        {
            if (File.Exists($"{path}.{i}"))
            {
                File.Move($"{path}.{i}", $"{path}.{i + 1}");
            }
        }

        File.Move(path, $"{path}.1");
    }

    public void Dispose() => _hangup?.Dispose();
}
