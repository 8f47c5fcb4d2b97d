using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Http;
using Portico.Configuration;
using Portico.Configuration.Model;
using Portico.Observability;
using Portico.Tls.Acme;

namespace Portico.Tls;

/// <summary>
/// The request side of TLS: answers ACME http-01 challenges and redirects to HTTPS on plain
/// listeners, adds HSTS on HTTPS ones, and passes the verified client certificate to backends
/// in headers no client can forge (any copy a client sends is removed on every listener).
/// </summary>
internal sealed class TlsMiddleware(RequestDelegate next, ActiveConfig config, Http01Challenges challenges)
{
    public const string SubjectHeader = "X-Client-Cert-Subject";
    public const string FingerprintHeader = "X-Client-Cert-Fingerprint";
    private const string ChallengePrefix = "/.well-known/acme-challenge/";

    public Task InvokeAsync(HttpContext context)
    {
        var headers = context.Request.Headers;
        headers.Remove(SubjectHeader);
        headers.Remove(FingerprintHeader);
        var listener = config.Current.Settings.Listener(context.Features.Get<ListenerFeature>()?.Name);
        if (listener is null)
        {
            return next(context);
        }

        if (listener.Tls is not { } tls)
        {
            // RFC 8555 §8.3: the CA fetches the key authorization over plain HTTP on port 80, and
            // follows no redirect to HTTPS for a host that has no certificate yet; so this comes first.
            if (context.Request.Path.StartsWithSegments(ChallengePrefix.TrimEnd('/'), out var rest))
            {
                return ChallengeAsync(context, rest.Value?.TrimStart('/') ?? "", listener);
            }

            return Plain(context, listener);
        }

        if (tls.ClientCertificate is { ForwardHeaders: true } && context.Connection.ClientCertificate is { } client)
        {
            (headers[SubjectHeader], headers[FingerprintHeader]) = CertificateFields(client);
        }

        if (tls.Hsts.Count > 0 && Hsts(tls.Hsts, context.Request.Host.Host) is { } value)
        {
            context.Response.OnStarting(() =>
            {
                context.Response.Headers.StrictTransportSecurity = value;
                return Task.CompletedTask;
            });
        }

        return next(context);
    }

    private Task Plain(HttpContext context, ListenerSettings listener)
        => listener.RedirectToHttpsPort is { } port ? Redirect(context, port) : next(context);

    /// <summary>A token being validated (here, or on another instance sharing Redis) gets its key authorization; any other path goes on as plain traffic.</summary>
    private async Task ChallengeAsync(HttpContext context, string token, ListenerSettings listener)
    {
        if (await challenges.KeyAuthorizationAsync(token) is not { } keyAuthorization)
        {
            await Plain(context, listener);
            return;
        }

        SetReason(context, LocalReason.AcmeChallenge);
        context.Response.ContentType = "application/octet-stream";
        await context.Response.WriteAsync(keyAuthorization, Encoding.ASCII);
    }

    /// <summary>301 for GET and HEAD; 308 otherwise, so the method and body are kept (RFC 9110 §15.4.9).</summary>
    private static Task Redirect(HttpContext context, int port)
    {
        var request = context.Request;
        SetReason(context, LocalReason.HttpsRedirect);
        if (string.IsNullOrEmpty(request.Host.Host))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return Task.CompletedTask;
        }

        var authority = port == 443 ? request.Host.Host : $"{request.Host.Host}:{port}";
        context.Response.StatusCode = HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)
            ? StatusCodes.Status301MovedPermanently
            : StatusCodes.Status308PermanentRedirect;
        context.Response.Headers.Location = $"https://{authority}{request.PathBase}{request.Path}{request.QueryString}";
        return Task.CompletedTask;
    }

    /// <summary>The values of X-Client-Cert-Subject and X-Client-Cert-Fingerprint for a verified client certificate (the fast path sends the same).</summary>
    public static (string Subject, string Fingerprint) CertificateFields(X509Certificate2 client)
        => (HeaderSafe(client.Subject), Convert.ToHexStringLower(SHA256.HashData(client.RawDataMemory.Span)));

    /// <summary>The Strict-Transport-Security value of the first entry whose hosts match <paramref name="host"/> (without its port); null when none does.</summary>
    public static string? Hsts(IReadOnlyList<HstsSettings> entries, string host)
    {
        foreach (var entry in entries)
        {
            if (entry.Hosts.Count == 0 || entry.Hosts.Any(h => ServerCertificate.HostMatches(h, host)))
            {
                return entry.HeaderValue;
            }
        }

        return null;
    }

    /// <summary>A subject may hold any Unicode; header values are ASCII, so others are percent-encoded (UTF-8).</summary>
    private static string HeaderSafe(string value)
    {
        if (value.All(c => c is >= ' ' and <= '~' && c != '%'))
        {
            return value;
        }

        var sb = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            sb.Append(b is >= (byte)' ' and <= (byte)'~' and not (byte)'%' ? ((char)b).ToString() : $"%{b:X2}");
        }

        return sb.ToString();
    }

    private static void SetReason(HttpContext context, LocalReason reason)
    {
        if (context.Features.Get<RequestExchange>() is { } exchange)
        {
            exchange.Reason = reason;
        }
    }
}
