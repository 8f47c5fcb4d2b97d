using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Portico.Tls.Acme;

/// <summary>
/// A small RFC 8555 client: account, order, authorization by http-01 (RFC 8555 §8.3) or
/// tls-alpn-01 (RFC 8737), finalize, download. One instance serves one directory and account
/// key; calls are made one at a time.
/// </summary>
internal sealed class AcmeClient(HttpClient http, Uri directoryUrl, AcmeJws account, string challengeType, AcmeChallenges challenges, TimeProvider time, AcmeLog log)
{
    private const int NonceAttempts = 10;
    private static readonly MediaTypeHeaderValue JoseJson = new("application/jose+json");
    private static readonly TimeSpan PollLimit = TimeSpan.FromMinutes(2);
    private JsonElement? _directory;
    private string? _nonce;
    private string? _kid;

    /// <summary>Orders, validates and downloads a certificate for <paramref name="host"/>; returns the PEM chain and its new key.</summary>
    public async Task<(string ChainPem, ECDsa Key)> IssueAsync(string host, string? email, CancellationToken cancel)
    {
        var kid = await AccountAsync(email, cancel);
        var (orderUrl, order) = await PostAsync(Url("newOrder"), kid, new { identifiers = new[] { new { type = "dns", value = host } } }, cancel);
        foreach (var authorization in order.GetProperty("authorizations").EnumerateArray())
        {
            await AuthorizeAsync(authorization.GetString()!, kid, cancel);
        }

        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            var csr = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName(host);
            csr.CertificateExtensions.Add(san.Build());
            await PostAsync(order.GetProperty("finalize").GetString()!, kid, new { csr = Base64Url.EncodeToString(csr.CreateSigningRequest()) }, cancel);
            var done = await PollAsync(orderUrl!, kid, "order", cancel);
            var chain = await DownloadAsync(done.GetProperty("certificate").GetString()!, kid, cancel);
            return (chain, key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private async Task<string> AccountAsync(string? email, CancellationToken cancel)
    {
        if (_kid is not null)
        {
            return _kid;
        }

        await DirectoryAsync(cancel);
        object payload = email is null
            ? new { termsOfServiceAgreed = true }
            : new { termsOfServiceAgreed = true, contact = new[] { "mailto:" + email } };
        var (location, _) = await PostAsync(Url("newAccount"), null, payload, cancel);
        return _kid = location ?? throw new AcmeException("the ACME server returned no account URL");
    }

    private async Task AuthorizeAsync(string url, string kid, CancellationToken cancel)
    {
        var (_, authorization) = await PostAsync(url, kid, null, cancel);
        if (authorization.GetProperty("status").GetString() == "valid")
        {
            return;
        }

        var challenge = authorization.GetProperty("challenges").EnumerateArray().FirstOrDefault(c => c.GetProperty("type").GetString() == challengeType);
        if (challenge.ValueKind != JsonValueKind.Object)
        {
            throw new AcmeException($"the ACME server offered no {challengeType} challenge");
        }

        var token = challenge.GetProperty("token").GetString()!;
        var host = authorization.GetProperty("identifier").GetProperty("value").GetString()!;
        await challenges.AddAsync(challengeType, host, token, account.KeyAuthorization(token));
        try
        {
            // An empty object tells the server to validate now (§7.5.1).
            await PostAsync(challenge.GetProperty("url").GetString()!, kid, new { }, cancel);
            await PollAsync(url, kid, "authorization", cancel);
        }
        finally
        {
            await challenges.RemoveAsync(challengeType, host, token);
        }
    }

    /// <summary>Polls an order or authorization until it is valid; "invalid" ends it with the server's reason.</summary>
    private async Task<JsonElement> PollAsync(string url, string kid, string what, CancellationToken cancel)
    {
        var deadline = time.GetUtcNow() + PollLimit;
        while (true)
        {
            var (_, body) = await PostAsync(url, kid, null, cancel);
            var status = body.GetProperty("status").GetString();
            if (status == "valid")
            {
                return body;
            }

            if (status is "invalid" or "deactivated" or "expired" or "revoked")
            {
                throw new AcmeException($"the {what} became {status}: {ProblemDetail(body)}");
            }

            if (time.GetUtcNow() > deadline)
            {
                throw new AcmeException($"the {what} was still {status} after {PollLimit.TotalMinutes} minutes");
            }

            await Task.Delay(TimeSpan.FromSeconds(1), time, cancel);
        }
    }

    private async Task<string> DownloadAsync(string url, string kid, CancellationToken cancel)
    {
        using var response = await SendAsync(url, kid, null, cancel);
        return await response.Content.ReadAsStringAsync(cancel);
    }

    private async Task<(string? Location, JsonElement Body)> PostAsync(string url, string? kid, object? payload, CancellationToken cancel)
    {
        using var response = await SendAsync(url, kid, payload, cancel);
        var text = await response.Content.ReadAsStringAsync(cancel);
        var body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
        return (response.Headers.Location?.ToString(), body);
    }

    /// <summary>Sends a signed request; a badNonce answer is retried with the fresh nonce it carries (§6.5).</summary>
    private async Task<HttpResponseMessage> SendAsync(string url, string? kid, object? payload, CancellationToken cancel)
    {
        for (var attempt = 1; ; attempt++)
        {
            var nonce = await TakeNonceAsync(cancel);
            var content = new ByteArrayContent(account.Sign(url, nonce, kid, payload));
            content.Headers.ContentType = JoseJson;
            var response = await http.PostAsync(url, content, cancel);
            KeepNonce(response);
            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(cancel);
                var (type, detail) = Problem(text);
                if (type == AcmeException.BadNonce && attempt < NonceAttempts)
                {
                    log.BadNonce(url, attempt);
                    continue;
                }

                throw new AcmeException($"{url} answered {(int)response.StatusCode}: {type ?? "no problem document"} {detail}".TrimEnd(), type);
            }
        }
    }

    private async Task<string> TakeNonceAsync(CancellationToken cancel)
    {
        if (Interlocked.Exchange(ref _nonce, null) is { } nonce)
        {
            return nonce;
        }

        await DirectoryAsync(cancel);
        using var request = new HttpRequestMessage(HttpMethod.Head, Url("newNonce"));
        using var response = await http.SendAsync(request, cancel);
        return response.Headers.TryGetValues("Replay-Nonce", out var values) ? values.First() : throw new AcmeException("the ACME server sent no Replay-Nonce");
    }

    private void KeepNonce(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues("Replay-Nonce", out var values))
        {
            _nonce = values.First();
        }
    }

    private async Task DirectoryAsync(CancellationToken cancel)
    {
        if (_directory is not null)
        {
            return;
        }

        using var response = await http.GetAsync(directoryUrl, cancel);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new AcmeException($"the ACME directory {directoryUrl} answered {(int)response.StatusCode}");
        }

        _directory = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancel)).RootElement.Clone();
    }

    private string Url(string name)
        => _directory!.Value.TryGetProperty(name, out var url) ? url.GetString()! : throw new AcmeException($"the ACME directory lists no '{name}'");

    private static (string? Type, string? Detail) Problem(string text)
    {
        try
        {
            var root = JsonDocument.Parse(text).RootElement;
            return (root.TryGetProperty("type", out var t) ? t.GetString() : null, root.TryGetProperty("detail", out var d) ? d.GetString() : null);
        }
        catch (JsonException)
        {
            return (null, text.Length > 200 ? text[..200] : text);
        }
    }

    private static string ProblemDetail(JsonElement body)
    {
        if (body.TryGetProperty("error", out var error) && error.TryGetProperty("detail", out var detail))
        {
            return detail.GetString() ?? "";
        }

        if (body.TryGetProperty("challenges", out var list))
        {
            foreach (var challenge in list.EnumerateArray())
            {
                if (challenge.TryGetProperty("error", out var e) && e.TryGetProperty("detail", out var d))
                {
                    return d.GetString() ?? "";
                }
            }
        }

        return "no reason given";
    }
}
