using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Microsoft.AspNetCore.Http;
using Portico.IntegrationTests.Infrastructure;
using Portico.Security;

namespace Portico.IntegrationTests.Tls;

public sealed class TlsListenerTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create();

    public void Dispose() => _pki.Dispose();

    /// <summary>One HTTPS listener `secure` with <paramref name="tls"/> as its tls section, and a route to <paramref name="backendUrl"/>.</summary>
    internal static string Config(string backendUrl, string tls, string protocols = "") => $$"""
        listeners:
          secure:
            address: 127.0.0.1:0
            {{protocols}}
            tls:
        {{tls}}
        routes:
          all: { match: { pathPrefix: / }, cluster: app }
        clusters:
          app: { destinations: [{{backendUrl}}] }
        """;

    internal static int HttpsPort(TestProxy proxy) => proxy.Addresses.Single(a => a.Scheme == "https").Port;

    [Fact]
    public async Task Sni_chooses_the_exact_name_then_the_wildcard_then_the_default()
    {
        var fallback = _pki.WritePem(_pki.Issue("default.test", ["default.test"]), "default");
        var wildcard = _pki.WritePfx(_pki.Issue("wild", ["*.wild.test"], rsa: true), "wild", "secret");
        var exact = _pki.WritePem(_pki.Issue("exact.wild.test", ["exact.wild.test"]), "exact");
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, $"""
                  certificates:
                    - {"{"} cert: {fallback.Cert}, key: {fallback.Key} {"}"}
                    - {"{"} pfx: {wildcard}, password: secret {"}"}
                    - {"{"} cert: {exact.Cert}, key: {exact.Key} {"}"}
            """));
        var port = HttpsPort(proxy);

        Assert.Equal("CN=exact.wild.test, O=Portico Tests", (await TlsClient.HandshakeAsync(port, "exact.wild.test")).Certificate.Subject);
        using var admin = new HttpClient();
        var listed = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync(new Uri(proxy.AdminAddress!, "/api/certificates"), TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal(["default.test", "*.wild.test", "exact.wild.test"], listed.EnumerateArray().Select(c => c.GetProperty("names")[0].GetString()));
        Assert.Equal([fallback.Cert, wildcard, exact.Cert], listed.EnumerateArray().Select(c => c.GetProperty("origin").GetString()));
        Assert.Equal("CN=wild, O=Portico Tests", (await TlsClient.HandshakeAsync(port, "other.wild.test")).Certificate.Subject);
        // A wildcard stands for one label only (RFC 6125 §6.4.3).
        Assert.Equal("CN=default.test, O=Portico Tests", (await TlsClient.HandshakeAsync(port, "a.b.wild.test")).Certificate.Subject);
        Assert.Equal("CN=default.test, O=Portico Tests", (await TlsClient.HandshakeAsync(port, "unknown.example")).Certificate.Subject);
    }

    [Fact]
    public async Task Alpn_negotiates_h2_or_http11_and_requests_reach_the_backend_verified()
    {
        var pem = _pki.WritePem(_pki.Issue("app.test", ["app.test"]), "app");
        await using var backend = await TestBackend.StartAsync("b", ctx => ctx.Response.WriteAsync($"{ctx.Request.Headers["X-Forwarded-Proto"]} {ctx.Request.Host}"));
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, $"      certificates: [{{ cert: {pem.Cert}, key: {pem.Key} }}]"));
        using var client = TlsClient.Http(HttpsPort(proxy), _pki.Root);
        var port = HttpsPort(proxy);

        foreach (var version in new[] { HttpVersion.Version20, HttpVersion.Version11 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"https://app.test:{port}/x") { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
            using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
            Assert.Equal(version, response.Version);
            Assert.Equal($"https app.test:{port}", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        Assert.Equal(SslApplicationProtocol.Http2, (await TlsClient.HandshakeAsync(port, "app.test", alpn: [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11])).Alpn);
        Assert.Equal(SslApplicationProtocol.Http11, (await TlsClient.HandshakeAsync(port, "app.test", alpn: [SslApplicationProtocol.Http11])).Alpn);
    }

    [Fact]
    public async Task Only_tls_12_and_13_are_spoken_and_a_tls_11_hello_gets_a_protocol_version_alert()
    {
        var pem = _pki.WritePem(_pki.Issue("app.test", ["app.test"]), "app");
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, $"      certificates: [{{ cert: {pem.Cert}, key: {pem.Key} }}]"));
        var port = HttpsPort(proxy);

        Assert.Equal(SslProtocols.Tls13, (await TlsClient.HandshakeAsync(port, "app.test", SslProtocols.Tls13)).Protocol);
        Assert.Equal(SslProtocols.Tls12, (await TlsClient.HandshakeAsync(port, "app.test", SslProtocols.Tls12)).Protocol);

        // The local OpenSSL will not even offer TLS 1.1, so the old hello is written by hand.
        Assert.Equal(ServerAnswer.ProtocolVersionAlert, await RawHelloAsync(port, legacyVersion: 0x0302));
        Assert.Equal(ServerAnswer.ServerHello, await RawHelloAsync(port, legacyVersion: 0x0303));
    }

    [Fact]
    public async Task A_replaced_certificate_is_served_to_new_connections_and_a_broken_one_is_refused()
    {
        var first = _pki.Issue("app.test", ["app.test"]);
        var pem = _pki.WritePem(first, "app");
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, $"      certificates: [{{ cert: {pem.Cert}, key: {pem.Key} }}]"));
        var port = HttpsPort(proxy);
        Assert.Equal(first.SerialNumber, (await TlsClient.HandshakeAsync(port, "app.test")).Certificate.SerialNumber);

        var second = _pki.Issue("app.test", ["app.test"]);
        _pki.WritePem(second, "app");
        await PollHandshakeAsync(port, second.SerialNumber);
        // The swap comes first and its log line just after: a handshake can see the new one in between.
        await Poll.UntilAsync(() => proxy.Logs.Messages(4003).Any(), "the reload to be logged");
        Assert.Contains(proxy.Logs.Messages(4003), m => m.StartsWith($"certificate {pem.Cert} changed on disk; new connections get it", StringComparison.Ordinal));

        _pki.Write("app.pem", "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n");
        await Poll.UntilAsync(() => proxy.Logs.Messages(4004).Any(), "the broken certificate to be refused");
        Assert.StartsWith($"certificate {pem.Cert} changed on disk but was refused, the previous one stays in use: the file is not a usable certificate", proxy.Logs.Messages(4004).First(), StringComparison.Ordinal);
        Assert.Equal(second.SerialNumber, (await TlsClient.HandshakeAsync(port, "app.test")).Certificate.SerialNumber);
        using var client = TlsClient.Http(port, _pki.Root);
        Assert.Equal("b", await client.GetStringAsync($"https://app.test:{port}/", TestContext.Current.CancellationToken));
        var metrics = await MetricsAsync(proxy);
        Assert.True(metrics.Value("portico_tls_certificate_reloads_total", ("result", "applied")) >= 1);
        Assert.True(metrics.Value("portico_tls_certificate_reloads_total", ("result", "refused")) >= 1);
    }

    [Fact]
    public async Task Each_served_certificate_reports_its_remaining_lifetime_in_metrics()
    {
        var pem = _pki.WritePem(_pki.Issue("metered.test", ["metered.test"]), "metered");
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, $"      certificates: [{{ cert: {pem.Cert}, key: {pem.Key} }}]").Replace("  secure:", "  metered:", StringComparison.Ordinal));

        var seconds = (await MetricsAsync(proxy)).Value("portico_tls_certificate_expiry_seconds", ("listener", "metered"), ("certificate", "metered.test"), ("source", "file"));

        // The test CA issues for 30 days.
        Assert.InRange(seconds!.Value, TimeSpan.FromDays(29).TotalSeconds, TimeSpan.FromDays(30).TotalSeconds);
    }

    private static async Task<PrometheusText> MetricsAsync(TestProxy proxy)
    {
        using var admin = new HttpClient();
        return new PrometheusText(await admin.GetStringAsync(new Uri(proxy.AdminAddress!, "/metrics"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_certificate_behind_a_swapped_symbolic_link_is_reloaded_as_in_a_kubernetes_secret_volume()
    {
        // Kubernetes: app.pem -> ..data/app.pem, and ..data -> a timestamped folder, swapped by a rename.
        var first = _pki.Issue("app.test", ["app.test"]);
        var second = _pki.Issue("app.test", ["app.test"]);
        var volume = Directory.CreateDirectory(Path.Combine(_pki.Folder, "volume")).FullName;
        foreach (var (cert, version) in new[] { (first, "v1"), (second, "v2") })
        {
            var (pem, key) = _pki.WritePem(cert, "app-" + version);
            Directory.CreateDirectory(Path.Combine(volume, version));
            File.Move(pem, Path.Combine(volume, version, "app.pem"));
            File.Move(key, Path.Combine(volume, version, "app.key.pem"));
        }

        Directory.CreateSymbolicLink(Path.Combine(volume, "..data"), "v1");
        File.CreateSymbolicLink(Path.Combine(volume, "app.pem"), "..data/app.pem");
        File.CreateSymbolicLink(Path.Combine(volume, "app.key.pem"), "..data/app.key.pem");
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, $"      certificates: [{{ cert: {volume}/app.pem, key: {volume}/app.key.pem }}]"));
        var port = HttpsPort(proxy);
        Assert.Equal(first.SerialNumber, (await TlsClient.HandshakeAsync(port, "app.test")).Certificate.SerialNumber);

        Directory.CreateSymbolicLink(Path.Combine(volume, "..data_tmp"), "v2");
        // rename(2) over the old link, as the kubelet does; .NET's Move will not replace a directory link.
        using (var mv = System.Diagnostics.Process.Start("mv", ["-Tf", Path.Combine(volume, "..data_tmp"), Path.Combine(volume, "..data")]))
        {
            await mv.WaitForExitAsync(TestContext.Current.CancellationToken);
            Assert.Equal(0, mv.ExitCode);
        }

        await PollHandshakeAsync(port, second.SerialNumber);
    }

    [Fact]
    public async Task A_listener_without_certificates_serves_a_logged_self_signed_development_certificate()
    {
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, "      {}"));

        var handshake = await TlsClient.HandshakeAsync(HttpsPort(proxy), "localhost");

        Assert.Equal(handshake.Certificate.Issuer, handshake.Certificate.Subject);
        Assert.Equal("CN=localhost, O=Portico self-signed", handshake.Certificate.Subject);
        Assert.StartsWith("listener 'secure' has no certificate configured: serving a SELF-SIGNED DEVELOPMENT certificate for localhost, ", proxy.Logs.Messages(4001).Single(), StringComparison.Ordinal);
    }

    /// <summary>
    /// nginx answers plain HTTP on an HTTPS port with a 400 that says so; a failed handshake alone
    /// closes without a word. Runs on whichever transport the suite runs.
    /// </summary>
    [Fact]
    public async Task Plain_http_to_an_https_port_gets_400_with_a_hint_and_tls_clients_still_get_through()
    {
        var pem = _pki.WritePem(_pki.Issue("app.test", ["app.test"]), "app");
        await using var backend = await TestBackend.StartAsync("app");
        await using var proxy = await TestProxy.StartAsync(Config(backend.Url, $"      certificates: [{{ cert: {pem.Cert}, key: {pem.Key} }}]"));
        using var counters = new ProxyCounters(proxy, "portico.guard.");
        var port = HttpsPort(proxy);

        // The body is not waited for but read and dropped, so the close sends no reset that
        // could destroy the answer before the client reads it.
        foreach (var request in (string[])["GET / HTTP/1.1\r\nHost: app.test\r\n\r\n", "POST /up HTTP/1.1\r\nHost: app.test\r\nContent-Length: 40000\r\n\r\n" + new string('x', 40000)])
        {
            var response = await RawHttp.SendAsync(new Uri($"http://127.0.0.1:{port}/"), request);

            Assert.Equal(400, response.Status);
            Assert.True(response.Closed);
            Assert.EndsWith("\r\nConnection: close\r\n\r\n400 Bad Request: " + PlainHttpRefusal.Hint + "\n", response.Text, StringComparison.Ordinal);
        }

        // A client that closes without sending a byte gets nothing back.
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
            var stream = tcp.GetStream();
            tcp.Client.Shutdown(SocketShutdown.Send);
            var silent = await RawHttp.ReadToCloseAsync(stream, waitSeconds: 15);
            Assert.True(silent.Closed && silent.Bytes.Length == 0, $"closed {silent.Closed}, got {silent.Text}");
        }

        Assert.Equal(0, backend.Count);
        var logged = proxy.Logs.Messages(3004).ToArray();
        Assert.Equal(2, logged.Length);
        Assert.Matches(@"^answered plain HTTP from 127\.0\.0\.1:\d+ on HTTPS listener 'secure' with 400; connection closed$", logged[0]);
        Assert.Equal(2, counters.Value("portico.guard.connections.refused", ("reason", "plain_http_on_tls")));

        using var client = TlsClient.Http(port, _pki.Root);
        using var ok = await client.GetAsync($"https://app.test:{port}/fine", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    private static async Task PollHandshakeAsync(int port, string serial)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await TlsClient.HandshakeAsync(port, "app.test")).Certificate.SerialNumber != serial)
        {
            Assert.True(DateTime.UtcNow < deadline, "the replaced certificate was not served within 20s");
            await Task.Delay(50);
        }
    }

    private enum ServerAnswer
    {
        ServerHello,
        ProtocolVersionAlert,
        Other,
    }

    /// <summary>
    /// Sends a minimal ClientHello (RFC 5246 §7.4.1.2) with the given version and ECDHE-GCM suites,
    /// and reports the first record the server answers with.
    /// </summary>
    private static async Task<ServerAnswer> RawHelloAsync(int port, ushort legacyVersion)
    {
        byte[] suites = [0xc0, 0x2b, 0xc0, 0x2f, 0xc0, 0x13, 0x00, 0x2f];
        var sni = "app.test"u8.ToArray();
        var extensions = new List<byte>();
        void Extension(ushort type, byte[] data)
        {
            extensions.AddRange([(byte)(type >> 8), (byte)type, (byte)(data.Length >> 8), (byte)data.Length]);
            extensions.AddRange(data);
        }

        Extension(0x0000, [0, (byte)(sni.Length + 3), 0, 0, (byte)sni.Length, .. sni]);
        Extension(0x000a, [0, 4, 0, 0x17, 0, 0x1d]);                    // supported_groups: P-256, X25519
        Extension(0x000b, [1, 0]);                                       // ec_point_formats: uncompressed
        Extension(0x000d, [0, 6, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01]);   // signature_algorithms
        var body = new List<byte> { (byte)(legacyVersion >> 8), (byte)legacyVersion };
        body.AddRange(new byte[32]);
        body.Add(0);
        body.AddRange([0, (byte)suites.Length, .. suites, 1, 0]);
        body.AddRange([(byte)(extensions.Count >> 8), (byte)extensions.Count, .. extensions]);
        byte[] handshake = [1, 0, (byte)(body.Count >> 8), (byte)body.Count, .. body];
        byte[] record = [0x16, 0x03, 0x01, (byte)(handshake.Length >> 8), (byte)handshake.Length, .. handshake];

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(record);
        var header = new byte[7];
        var read = 0;
        while (read < header.Length)
        {
            var n = await stream.ReadAsync(header.AsMemory(read)).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            if (n == 0)
            {
                return ServerAnswer.Other;
            }

            read += n;
        }

        // Record type 22 handshake starting with type 2 (ServerHello); type 21 alert, description 70 protocol_version.
        return header switch
        {
            [0x16, _, _, _, _, 0x02, _] => ServerAnswer.ServerHello,
            [0x15, _, _, _, _, 0x02, 70] => ServerAnswer.ProtocolVersionAlert,
            _ => ServerAnswer.Other,
        };
    }
}
