using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// A private Debian redis-server on 127.0.0.1 for one test: a port from <see cref="FreePorts"/>,
/// a temporary directory, no persistence (no RDB, no AOF), so it starts empty. It can be killed
/// (SIGKILL: an outage as a crash looks) and started again on the same port, empty again.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("portico-redis-").FullName;
    private Process? _process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    public static bool Installed => File.Exists("/usr/bin/redis-server");

    /// <summary>What the server printed, for failure messages.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Output { get; } = new();

    public static Task<RedisServer> StartAsync(string? password = null)
    {
        Assert.True(Installed, "redis-server is not installed; scripts/install-test-deps.sh installs it");
        return FreePorts.RetryAsync(async () =>
        {
            var server = new RedisServer(FreePorts.Take()) { Password = password };
            try
            {
                await server.RestartAsync();
                return server;
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        });
    }

    public string? Password { get; private init; }

    /// <summary>Starts the server (again) on its port and waits until it answers PING.</summary>
    public async Task RestartAsync()
    {
        Assert.True(_process is null, "the server is running; Kill it first");
        var info = new ProcessStartInfo("/usr/bin/redis-server") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string[] args = ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _folder, "--save", "", "--appendonly", "no", "--daemonize", "no", "--protected-mode", "no"];
        foreach (var arg in args.Concat(Password is null ? [] : ["--requirepass", Password]))
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => Output.Enqueue(e.Data ?? "");
        process.ErrorDataReceived += (_, e) => Output.Enqueue(e.Data ?? "");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await AnswersAsync())
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                _process = null;
                process.Dispose();
                if (Output.Any(line => line.Contains("Address already in use", StringComparison.OrdinalIgnoreCase)))
                {
                    throw new SocketException((int)SocketError.AddressAlreadyInUse);
                }

                Assert.Fail("redis-server did not come up within 20s: " + string.Join("\n", Output));
            }

            await Task.Delay(50);
        }
    }

    /// <summary>SIGKILL, as a crash: connections break without a goodbye.</summary>
    public async Task KillAsync()
    {
        if (_process is { } process)
        {
            _process = null;
            process.Kill();
            await process.WaitForExitAsync();
            process.Dispose();
        }
    }

    /// <summary>
    /// An outage in the middle of a load: kills the server once <paramref name="progress"/> has
    /// reached <paramref name="killAt"/> and starts it again once it has reached <paramref name="restartAt"/>.
    /// </summary>
    public Task OutageAsync(Func<int> progress, int killAt, int restartAt) => Task.Run(async () =>
    {
        await Poll.UntilAsync(() => progress() >= killAt, $"{killAt} requests before the kill", seconds: 60);
        await KillAsync();
        await Poll.UntilAsync(() => progress() >= restartAt, $"{restartAt} requests before the restart", seconds: 60);
        await RestartAsync();
    });

    /// <summary>SIGSTOP: the server keeps its connections but answers nothing, as a stalled or overloaded one does.</summary>
    public Task PauseAsync() => SignalAsync("-STOP");

    /// <summary>SIGCONT after <see cref="PauseAsync"/>.</summary>
    public Task ResumeAsync() => SignalAsync("-CONT");

    private async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [signal, _process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Sends one command (inline form) and returns the raw first reply line, e.g. "+PONG" or ":3".</summary>
    public async Task<string> CommandAsync(params string[] words)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, Port);
        var stream = client.GetStream();
        var command = new StringBuilder();
        if (Password is not null)
        {
            command.Append(Resp(["AUTH", Password]));
        }

        command.Append(Resp(words));
        await stream.WriteAsync(Encoding.UTF8.GetBytes(command.ToString()));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        if (Password is not null)
        {
            await reader.ReadLineAsync();
        }

        var line = await reader.ReadLineAsync() ?? "";
        // A bulk string's header ($N) is followed by its value on the next line.
        return line.StartsWith('$') && line != "$-1" ? await reader.ReadLineAsync() ?? "" : line;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<bool> AnswersAsync()
    {
        try
        {
            return await CommandAsync("PING") == "+PONG";
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string Resp(string[] words)
        => $"*{words.Length}\r\n" + string.Concat(words.Select(w => $"${Encoding.UTF8.GetByteCount(w)}\r\n{w}\r\n"));
}
