using Microsoft.Extensions.DependencyInjection;
using Portico.IntegrationTests.Infrastructure;
using Portico.Tls;

namespace Portico.IntegrationTests.Tls;

/// <summary>
/// TLS session resumption on HTTPS listeners, driven by `openssl s_client`: a session saved from
/// one connection (-sess_out) is offered on the next (-sess_in), and s_client says whether the
/// server took it ("Reused") or made a full handshake ("New").
/// </summary>
public sealed class TlsSessionResumptionTests : IDisposable
{
    private readonly TestPki _pki = TestPki.Create();

    public void Dispose() => _pki.Dispose();

    private string Session() => Path.Combine(_pki.Folder, $"session-{Guid.NewGuid():N}.pem");

    /// <summary>A proxy whose HTTPS listener serves app.test's certificate (written as "app", RSA or ECDSA), in front of a backend.</summary>
    private async Task<Served> ServeAsync(bool rsa = false)
    {
        var pem = _pki.WritePem(_pki.Issue("app.test", ["app.test"], rsa: rsa), "app");
        var backend = await TestBackend.StartAsync("b");
        var proxy = await TestProxy.StartAsync(TlsListenerTests.Config(backend.Url, $"      certificates: [{{ cert: {pem.Cert}, key: {pem.Key} }}]"));
        return new Served(backend, proxy, TlsListenerTests.HttpsPort(proxy));
    }

    private sealed record Served(TestBackend Backend, TestProxy Proxy, int Port) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Proxy.DisposeAsync();
            await Backend.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(false, "-tls1_3")]
    [InlineData(false, "-tls1_2")]
    [InlineData(false, "-tls1_2", "-no_ticket")]
    [InlineData(true, "-tls1_3")]
    [InlineData(true, "-tls1_2")]
    [InlineData(true, "-tls1_2", "-no_ticket")]
    public async Task A_second_connection_resumes_the_first_ones_session_with_a_ticket_or_a_session_id(bool rsa, params string[] protocol)
    {
        await using var served = await ServeAsync(rsa);
        var port = served.Port;
        var session = Session();

        var first = await OpenSslClient.GetAsync(port, "app.test", [.. protocol, "-sess_out", session]);
        Assert.True(first.Answered, first.Output);
        Assert.False(first.Resumed, first.Summary);
        Assert.True(File.Exists(session), "s_client saved no session: the server issued no ticket and no session id\n" + first.Output);

        // -no_ticket: TLS 1.2 without the ticket extension (RFC 5077 §3.1), so only the session id
        // the server kept in its cache (RFC 5246 §7.4.1.2) can resume it.
        var second = await OpenSslClient.GetAsync(port, "app.test", [.. protocol, "-sess_in", session]);
        Assert.True(second.Resumed, second.Output);
        Assert.True(second.Answered, second.Output);
        Assert.Equal(first.Summary.Replace("New, ", "", StringComparison.Ordinal), second.Summary.Replace("Reused, ", "", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("-tls1_3")]
    [InlineData("-tls1_2")]
    public async Task A_ticket_resumes_across_key_rotations_while_its_key_is_kept_and_not_after(string protocol)
    {
        await using var served = await ServeAsync();
        var proxy = served.Proxy;
        var port = served.Port;
        var keys = proxy.Services.GetRequiredService<SessionTicketKeys>();
        var (before, fresh) = (Session(), Session());

        // The certificate's very first client already gets a ticket under Portico's current key.
        var first = await OpenSslClient.GetAsync(port, "app.test", protocol, "-sess_out", before);
        Assert.False(first.Resumed, first.Summary);
        Assert.Equal(keys.KeyNames[0], await OpenSslClient.TicketKeyNameAsync(before));

        // One rotation: the old key still decrypts, and the resumed session is given a ticket
        // under the new key (RFC 5077 §3.3; TLS 1.3 sends new tickets after every handshake).
        keys.Rotate();
        var resumed = await OpenSslClient.GetAsync(port, "app.test", protocol, "-sess_in", before);
        Assert.True(resumed.Resumed, resumed.Output);
        Assert.True(resumed.Answered, resumed.Output);
        if (protocol == "-tls1_2")
        {
            // s_client prints the session as it ends; TLS 1.3's new tickets come after that print.
            Assert.Equal(keys.KeyNames[0], OpenSslClient.TicketKeyName(resumed.Output));
        }

        var second = await OpenSslClient.GetAsync(port, "app.test", protocol, "-sess_out", fresh);
        Assert.Equal(keys.KeyNames[0], await OpenSslClient.TicketKeyNameAsync(fresh));

        // Two more: the first ticket's key is past the kept ones (SessionTicketKeys.Kept = 3),
        // the second ticket's key is the oldest still kept.
        keys.Rotate();
        keys.Rotate();
        Assert.Equal(SessionTicketKeys.Kept, keys.KeyNames.Count);
        var expired = await OpenSslClient.GetAsync(port, "app.test", protocol, "-sess_in", before);
        Assert.False(expired.Resumed, expired.Summary);
        Assert.True(expired.Answered, expired.Output);
        var kept = await OpenSslClient.GetAsync(port, "app.test", protocol, "-sess_in", fresh);
        Assert.True(kept.Resumed, kept.Output);
        Assert.True(kept.Answered, kept.Output);
    }

    [Fact]
    public async Task A_resumed_tls13_connection_is_given_a_new_ticket_that_resumes_the_next()
    {
        await using var served = await ServeAsync();
        var proxy = served.Proxy;
        var port = served.Port;
        var keys = proxy.Services.GetRequiredService<SessionTicketKeys>();
        var (first, second, third) = (Session(), Session(), Session());

        await OpenSslClient.GetAsync(port, "app.test", "-tls1_3", "-sess_out", first);

        // RFC 8446 §4.6.1 and C.4: a client uses each ticket once (browsers do), so a resumed
        // connection that carries no new ticket leaves it a full handshake for the next. s_client
        // writes -sess_out only when a ticket arrives; with no new ticket there is no file.
        var resumed = await OpenSslClient.GetAsync(port, "app.test", "-tls1_3", "-sess_in", first, "-sess_out", second);
        Assert.True(resumed.Resumed, resumed.Output);
        Assert.True(resumed.Answered, resumed.Output);
        Assert.True(File.Exists(second), "the resumed connection was given no new ticket\n" + resumed.Output);
        Assert.Equal(keys.KeyNames[0], await OpenSslClient.TicketKeyNameAsync(second));
        Assert.NotEqual(await File.ReadAllTextAsync(first, TestContext.Current.CancellationToken), await File.ReadAllTextAsync(second, TestContext.Current.CancellationToken));

        var next = await OpenSslClient.GetAsync(port, "app.test", "-tls1_3", "-sess_in", second, "-sess_out", third);
        Assert.True(next.Resumed, next.Output);
        Assert.True(File.Exists(third), next.Output);
    }

    [Fact]
    public async Task A_client_that_keeps_the_session_of_a_connection_the_server_closed_resumes_with_it()
    {
        await using var served = await ServeAsync();

        // HTTP/1.0: the server closes each connection. Without a close_notify first, OpenSSL 3
        // takes the close for a truncation and drops the session: every connection was a '*'.
        // s_time makes its full handshake before "starting"; every timed one should resume.
        var output = await OpenSslClient.TimeReuseAsync(served.Port);
        var marks = output[output.IndexOf("starting", StringComparison.Ordinal)..].Where(c => c is '*' or 'r').ToArray();
        Assert.True(marks.Length >= 3, output);
        Assert.All(marks, c => Assert.Equal('r', c));
    }

    [Fact]
    public async Task With_session_resumption_off_every_connection_is_a_full_handshake()
    {
        var pem = _pki.WritePem(_pki.Issue("app.test", ["app.test"]), "app");
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(TlsListenerTests.Config(backend.Url, $"""
                  certificates: [{"{"} cert: {pem.Cert}, key: {pem.Key} {"}"}]
                  sessionResumption: false
            """));
        var port = TlsListenerTests.HttpsPort(proxy);

        foreach (var protocol in new[] { "-tls1_3", "-tls1_2" })
        {
            await AssertNotResumedAsync(port, protocol);
        }
    }

    [Fact]
    public async Task A_mutual_tls_listener_makes_a_full_handshake_every_time()
    {
        var pem = _pki.WritePem(_pki.Issue("app.test", ["app.test"]), "app");
        var ca = _pki.WriteRoot();
        await using var backend = await TestBackend.StartAsync("b");
        await using var proxy = await TestProxy.StartAsync(TlsListenerTests.Config(backend.Url, $"""
                  certificates: [{"{"} cert: {pem.Cert}, key: {pem.Key} {"}"}]
                  clientCertificate: {"{"} mode: optional, ca: {ca} {"}"}
            """));
        var port = TlsListenerTests.HttpsPort(proxy);

        await AssertNotResumedAsync(port, "-tls1_3");
        await AssertNotResumedAsync(port, "-tls1_2");
    }

    /// <summary>
    /// A server that does not resume gives neither a ticket nor a session id, so s_client has no
    /// session to save; should it save one, offering it must still get a full handshake.
    /// </summary>
    private async Task AssertNotResumedAsync(int port, string protocol)
    {
        var session = Session();
        var first = await OpenSslClient.GetAsync(port, "app.test", protocol, "-sess_out", session);
        Assert.True(first.Answered, first.Output);
        if (File.Exists(session))
        {
            var second = await OpenSslClient.GetAsync(port, "app.test", protocol, "-sess_in", session);
            Assert.True(second.Answered, second.Output);
            Assert.False(second.Resumed, second.Summary);
        }
    }

    [Fact]
    public async Task A_tls12_client_that_offers_only_cbc_suites_is_closed_after_the_handshake_and_logged()
    {
        await using var served = await ServeAsync();
        var (backend, proxy) = (served.Backend, served.Proxy);
        var port = served.Port;

        // A client that also offers an AEAD suite is given it, the server's order first.
        var mixed = await OpenSslClient.GetAsync(port, "app.test", "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256");
        Assert.True(mixed.Answered, mixed.Output);
        Assert.Contains("ECDHE-ECDSA-AES128-GCM-SHA256", mixed.Summary, StringComparison.Ordinal);
        var forwarded = backend.Count;

        var cbc = await OpenSslClient.GetAsync(port, "app.test", "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256");
        Assert.False(cbc.Answered, cbc.Output);
        await Poll.UntilAsync(() => proxy.Logs.Messages(4200).Any(), "the refusal to be logged");
        Assert.Matches(@"^closed a TLS connection from 127\.0\.0\.1:\d+ on listener 'secure': it negotiated TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, which is not one of the allowed suites \(ECDHE with AES-GCM or ChaCha20-Poly1305\)$", proxy.Logs.Messages(4200).Single());
        Assert.Equal(forwarded, backend.Count);
        using var admin = new HttpClient();
        var metrics = new PrometheusText(await admin.GetStringAsync(new Uri(proxy.AdminAddress!, "/metrics"), TestContext.Current.CancellationToken));
        Assert.Equal(1d, metrics.Value("portico_tls_cipher_refusals_total", ("listener", "secure")));
    }

    [Fact]
    public async Task After_a_certificate_reload_a_session_of_the_old_certificate_gets_a_full_handshake_with_the_new_one()
    {
        await using var served = await ServeAsync();
        var port = served.Port;
        var old = Session();
        Assert.True((await OpenSslClient.GetAsync(port, "app.test", "-tls1_3", "-sess_out", old)).Answered);

        var second = _pki.Issue("app.test", ["app.test"]);
        _pki.WritePem(second, "app");
        await Poll.UntilAsync(async () => (await TlsClient.HandshakeAsync(port, "app.test")).Certificate.SerialNumber == second.SerialNumber, "the new certificate to be served");

        // A resumed session presents no certificate: resuming the old one would leave the client
        // with the replaced certificate.
        var after = await OpenSslClient.GetAsync(port, "app.test", "-tls1_3", "-sess_in", old);
        Assert.True(after.Answered, after.Output);
        Assert.False(after.Resumed, after.Summary);

        var fresh = Session();
        Assert.True((await OpenSslClient.GetAsync(port, "app.test", "-tls1_3", "-sess_out", fresh)).Answered);
        Assert.True((await OpenSslClient.GetAsync(port, "app.test", "-tls1_3", "-sess_in", fresh)).Resumed);
    }
}
