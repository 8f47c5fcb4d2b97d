using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>
/// Debian's pebble (a small RFC 8555 test CA) on loopback, with pebble-challtestsrv as its DNS
/// server answering 127.0.0.1 for every name. Pebble's own HTTPS listener gets a localhost
/// certificate from a test CA (Debian ships none); its validation authority connects to the
/// HTTP and TLS ports given here, so they must be Portico's. Nonce rejection stays on.
/// </summary>
internal sealed class PebbleServer : IAsyncDisposable
{
    private readonly Process _pebble;
    private readonly Process _dns;
    private readonly TestPki _pki;

    private PebbleServer(Process pebble, Process dns, TestPki pki, int port, int managementPort, System.Collections.Concurrent.ConcurrentQueue<string> lines)
    {
        Lines = lines;
        _pebble = pebble;
        _dns = dns;
        _pki = pki;
        Directory = new Uri($"https://localhost:{port}/dir");
        ManagementPort = managementPort;
    }

    public Uri Directory { get; }

    /// <summary>What pebble and its DNS server printed, for failure messages.</summary>
    public static System.Collections.Concurrent.ConcurrentQueue<string> Output { get; } = new();

    public int ManagementPort { get; }

    /// <summary>What this server (pebble and its DNS server) printed, apart from any other test's.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Lines { get; }

    /// <summary>Orders pebble took ("Added order ... to the db"), counted from its own log.</summary>
    public int Orders => Lines.Count(line => line.Contains("Added order", StringComparison.Ordinal));

    /// <summary>The CA file that verifies pebble's own HTTPS listener (not the certificates it issues).</summary>
    public string ListenerCaPath => Path.Combine(_pki.Folder, "ca.pem");

    public static bool Installed => File.Exists("/usr/bin/pebble") && File.Exists("/usr/bin/pebble-challtestsrv");

    /// <summary>Pebble's own ports come from <see cref="FreePorts"/>; a start that finds one taken by another process is made again with new ones.</summary>
    public static Task<PebbleServer> StartAsync(int httpPort, int tlsPort, int nonceRejectPercent = 30)
    {
        Assert.True(Installed, "pebble is not installed; scripts/install-test-deps.sh installs it");
        return FreePorts.RetryAsync(() => StartOnceAsync(httpPort, tlsPort, nonceRejectPercent));
    }

    private static async Task<PebbleServer> StartOnceAsync(int httpPort, int tlsPort, int nonceRejectPercent)
    {
        var pki = TestPki.Create("Pebble listener CA");
        pki.WriteRoot();
        var (cert, key) = pki.WritePem(pki.Issue("localhost", ["localhost"]), "localhost");
        var port = FreePorts.Take();
        var managementPort = FreePorts.Take();
        var dnsPort = FreePorts.Take();
        var configPath = pki.Write("pebble-config.json", JsonSerializer.Serialize(new
        {
            pebble = new
            {
                listenAddress = $"127.0.0.1:{port}",
                managementListenAddress = $"127.0.0.1:{managementPort}",
                certificate = cert,
                privateKey = key,
                httpPort,
                tlsPort,
                ocspResponderURL = "",
                externalAccountBindingRequired = false,
            },
        }));

        var printed = Output.Count;
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var dns = Start(lines, "/usr/bin/pebble-challtestsrv", ["-dns01", $"127.0.0.1:{dnsPort}", "-http01", "", "-https01", "", "-tlsalpn01", "", "-management", $"127.0.0.1:{FreePorts.Take()}", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""], []);
        var pebble = Start(lines, "/usr/bin/pebble", ["-config", configPath, "-dnsserver", $"127.0.0.1:{dnsPort}"], new()
        {
            ["PEBBLE_VA_NOSLEEP"] = "1",
            ["PEBBLE_WFE_NONCEREJECT"] = nonceRejectPercent.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        var server = new PebbleServer(pebble, dns, pki, port, managementPort, lines);
        using var client = TlsClient.Http(port, pki.Root);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var response = await client.GetAsync(server.Directory);
                if (response.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }

            if (DateTime.UtcNow > deadline || pebble.HasExited || dns.HasExited)
            {
                await server.DisposeAsync();
                if (Output.Skip(printed).Any(line => line.Contains("address already in use", StringComparison.OrdinalIgnoreCase)))
                {
                    throw new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.AddressAlreadyInUse);
                }

                Assert.Fail("pebble did not come up within 30s: " + string.Join("\n", Output.Skip(printed)));
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Pebble's root for the certificates it issues; a new one on every start.</summary>
    public async Task<X509Certificate2> IssuingRootAsync()
    {
        using var client = TlsClient.Http(ManagementPort, _pki.Root);
        var pem = await client.GetStringAsync($"https://localhost:{ManagementPort}/roots/0");
        return X509Certificate2.CreateFromPem(pem);
    }

    private static Process Start(System.Collections.Concurrent.ConcurrentQueue<string> lines, string file, string[] args, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) => Print(lines, e.Data);
        process.ErrorDataReceived += (_, e) => Print(lines, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Print(System.Collections.Concurrent.ConcurrentQueue<string> lines, string? line)
    {
        Output.Enqueue(line ?? "");
        lines.Enqueue(line ?? "");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in new[] { _pebble, _dns })
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        _pki.Dispose();
    }
}
