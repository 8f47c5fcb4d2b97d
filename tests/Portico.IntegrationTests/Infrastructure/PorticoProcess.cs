using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// The real `portico` executable in its own process, for what only a process shows: exit
/// codes, signals, and its own memory (peak RSS from /proc).
/// </summary>
internal sealed class PorticoProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly Task _slowStdout = Task.CompletedTask;

    private PorticoProcess(Process process, bool slowStdout)
    {
        _process = process;
        process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        process.BeginErrorReadLine();
        if (slowStdout)
        {
            _slowStdout = Task.Run(DrainSlowlyAsync);
        }
        else
        {
            process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
            process.BeginOutputReadLine();
        }
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static PorticoProcess Start(params string[] args) => StartWith(new Dictionary<string, string>(), args);

    /// <summary>
    /// Starts the process with its stdout read slowly (1 KiB each 5 ms at most), so the pipe
    /// fills under load and a writer's write(2) blocks part-way, as under a slow log shipper.
    /// <see cref="Stdout"/> then holds the bytes as written, line ends included.
    /// </summary>
    public static PorticoProcess StartSlowlyRead(params string[] args) => StartWith(new Dictionary<string, string>(), args, slowStdout: true);

    /// <summary>Starts the process with extra environment variables.</summary>
    public static PorticoProcess StartWith(IReadOnlyDictionary<string, string> environment, params string[] args) => StartWith(environment, args, slowStdout: false);

    private static PorticoProcess StartWith(IReadOnlyDictionary<string, string> environment, string[] args, bool slowStdout)
    {
        // PORTICO_EXECUTABLE names a published binary (scripts/publish.sh): the same tests then
        // check the self-contained, ReadyToRun, single-file build operators install.
        var published = Environment.GetEnvironmentVariable("PORTICO_EXECUTABLE");
        var info = new ProcessStartInfo(string.IsNullOrEmpty(published) ? "dotnet" : published)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        if (string.IsNullOrEmpty(published))
        {
            info.ArgumentList.Add(ExecutablePath());
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return new PorticoProcess(Process.Start(info)!, slowStdout);
    }

    /// <summary>Runs a command to completion (bounded) and returns its exit code.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) => RunWithAsync(new Dictionary<string, string>(), args);

    /// <summary>Runs a command with extra environment variables to completion (bounded).</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunWithAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        await using var process = StartWith(environment, args);
        var code = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (code, process.Stdout, process.Stderr);
    }

    public async Task<int> WaitForExitAsync(TimeSpan limit)
    {
        using var cts = new CancellationTokenSource(limit);
        await _process.WaitForExitAsync(cts.Token);
        await _slowStdout.WaitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>
    /// The addresses the process bound, in the order it logged them once <paramref name="count"/>
    /// are up: the proxy's listeners in config order, then the admin listener (it starts after
    /// the proxy), so a config can ask for 127.0.0.1:0 everywhere.
    /// </summary>
    public async Task<IReadOnlyList<Uri>> WaitForListeningAsync(int count = 1)
    {
        const string Marker = "Now listening on: ";
        IReadOnlyList<Uri> Bound() => Stdout.Split('\n')
            .Select(line => line.IndexOf(Marker, StringComparison.Ordinal) is var at and >= 0 ? line[(at + Marker.Length)..].Trim() : null)
            .OfType<string>()
            .Select(address => new Uri(address))
            .ToList();

        await Poll.UntilAsync(() =>
        {
            ThrowIfExited();
            return Bound().Count >= count;
        }, $"portico to log {count} listening address(es)", seconds: 30);
        return Bound();
    }

    /// <summary>For a port the config names (see <see cref="FreePorts"/>); with <see cref="FreePorts.RetryAsync"/> when another process may have taken it.</summary>
    public async Task WaitForPortAsync(int port)
    {
        await Poll.UntilAsync(() =>
        {
            ThrowIfExited();
            try
            {
                using var client = new TcpClient();
                client.Connect("127.0.0.1", port);
                return true;
            }
            catch (SocketException)
            {
                return false;
            }
        }, $"portico to listen on port {port}", seconds: 30);
    }

    /// <summary>An early exit fails the test, except a taken port, which is thrown as such for <see cref="FreePorts.RetryAsync"/>.</summary>
    private void ThrowIfExited()
    {
        if (!_process.HasExited)
        {
            return;
        }

        // Waits for the output to be read to its end, so stderr is whole.
        _process.WaitForExit();
        _slowStdout.Wait(TimeSpan.FromSeconds(30));
        if (Stderr.Contains("is in use by another process", StringComparison.Ordinal))
        {
            throw new SocketException((int)SocketError.AddressAlreadyInUse);
        }

        Assert.Fail($"portico exited early ({_process.ExitCode}): {Stderr}{Stdout}");
    }

    /// <summary>Sends a signal by name ("TERM", "HUP") with kill(1), as an operator or init would.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start("kill", [$"-{name}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Peak resident memory of the process so far (VmHWM), in bytes.</summary>
    public long PeakRssBytes()
    {
        var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task DrainSlowlyAsync()
    {
        var stream = _process.StandardOutput.BaseStream;
        var decoder = Encoding.UTF8.GetDecoder();
        var bytes = new byte[1024];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        int read;
        while ((read = await stream.ReadAsync(bytes)) > 0)
        {
            var count = decoder.GetChars(bytes, 0, read, chars, 0);
            lock (_stdout)
            {
                _stdout.Append(chars, 0, count);
            }

            await Task.Delay(5);
        }
    }

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            buffer.AppendLine(line);
        }
    }

    /// <summary>src/Portico's build output for the same configuration as this test assembly.</summary>
    private static string ExecutablePath()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Portico.slnx")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        var path = Path.Combine(dir.FullName, "src", "Portico", "bin", configuration, "net10.0", "portico.dll");
        Assert.True(File.Exists(path), $"build src/Portico first: {path} is missing");
        return path;
    }
}
