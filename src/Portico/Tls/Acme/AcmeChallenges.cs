namespace Portico.Tls.Acme;

/// <summary>
/// Routes a challenge being validated to where it is answered: the HTTP listener or the TLS
/// handshake, here and, with a `redis` section, on every other instance (shared before the CA
/// is told to validate, so whichever instance its request reaches can answer).
/// </summary>
internal sealed class AcmeChallenges(Http01Challenges http01, TlsAlpnChallenges tlsAlpn01, AcmeShare share)
{
    public const string Http01 = "http-01";
    public const string TlsAlpn01 = "tls-alpn-01";

    public async ValueTask AddAsync(string type, string host, string token, string keyAuthorization)
    {
        if (type == TlsAlpn01)
        {
            tlsAlpn01.Add(host, keyAuthorization);
        }
        else
        {
            http01.Add(token, keyAuthorization);
        }

        if (share.Enabled)
        {
            await share.AddChallengeAsync(type, Id(type, host, token), keyAuthorization);
        }
    }

    public async ValueTask RemoveAsync(string type, string host, string token)
    {
        if (type == TlsAlpn01)
        {
            tlsAlpn01.Remove(host);
        }
        else
        {
            http01.Remove(token);
        }

        if (share.Enabled)
        {
            await share.RemoveChallengeAsync(type, Id(type, host, token));
        }
    }

    private static string Id(string type, string host, string token) => type == TlsAlpn01 ? host.ToLowerInvariant() : token;
}
