using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Portico.Configuration.Model;
using Portico.Tls;

namespace Portico.FastPath;

/// <summary>
/// The TLS stage's part of a fast-path request (TlsMiddleware): Strict-Transport-Security for the
/// request's host on every response, and the verified client certificate's X-Client-Cert-* fields
/// toward the backend. Both are read per request from the listener's current settings, as the
/// full path reads them, so a reload that adds `hsts` or turns `forwardHeaders` off applies to the
/// next request. A client's own X-Client-Cert-* fields never reach here (RequestHead hands them over).
/// </summary>
internal sealed class FastTls(ConnectionContext connection)
{
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2? _client = connection.Features.Get<ITlsConnectionFeature>()?.ClientCertificate;
    private byte[]? _certificateLines;
    private byte[] _host = [];
    private IReadOnlyList<HstsSettings>? _entries;
    private string? _hsts;

    /// <summary>
    /// Starts the request's additions (<see cref="FastFields.Begin"/>) with the listener's; the
    /// connection's <paramref name="tls"/> is made when its listener first has TLS settings, so a
    /// plain listener's connections hold none (issue 25: memory per idle connection).
    /// </summary>
    public static void Begin(ref FastTls? tls, ConnectionContext connection, FastConnection state, ListenerSettings? listener)
    {
        if (listener?.Tls is null && tls is null)
        {
            state.Fields.Begin(null, null);
            return;
        }

        (tls ??= new FastTls(connection)).Begin(state, listener);
    }

    private void Begin(FastConnection state, ListenerSettings? listener)
    {
        var tls = listener?.Tls;
        var certificate = _client is not null && tls?.ClientCertificate is { ForwardHeaders: true } ? CertificateLines(_client) : null;
        state.Fields.Begin(tls is { Hsts.Count: > 0 } ? Hsts(tls.Hsts, state.Head) : null, certificate);
    }

    private byte[] CertificateLines(System.Security.Cryptography.X509Certificates.X509Certificate2 client)
    {
        if (_certificateLines is null)
        {
            var (subject, fingerprint) = TlsMiddleware.CertificateFields(client);
            _certificateLines = Encoding.ASCII.GetBytes($"{TlsMiddleware.SubjectHeader}: {subject}\r\n{TlsMiddleware.FingerprintHeader}: {fingerprint}\r\n");
        }

        return _certificateLines;
    }

    /// <summary>The value for the head's host, as the TLS stage picks it from Request.Host.Host; kept while the host and the entries stay the same.</summary>
    private string? Hsts(IReadOnlyList<HstsSettings> entries, RequestHead head)
    {
        var host = head[head.Host];
        if (!ReferenceEquals(entries, _entries) || !host.SequenceEqual(_host))
        {
            _entries = entries;
            _host = host.ToArray();
            _hsts = TlsMiddleware.Hsts(entries, new HostString(Encoding.Latin1.GetString(host)).Host);
        }

        return _hsts;
    }
}
