namespace Portico.Tls.Acme;

/// <summary>Routes a challenge being validated to where it is answered: the HTTP listener or the TLS handshake.</summary>
internal sealed class AcmeChallenges(Http01Challenges http01, TlsAlpnChallenges tlsAlpn01)
{
    public const string Http01 = "http-01";
    public const string TlsAlpn01 = "tls-alpn-01";

    public void Add(string type, string host, string token, string keyAuthorization)
    {
        if (type == TlsAlpn01)
        {
            tlsAlpn01.Add(host, keyAuthorization);
        }
        else
        {
            http01.Add(token, keyAuthorization);
        }
    }

    public void Remove(string type, string host, string token)
    {
        if (type == TlsAlpn01)
        {
            tlsAlpn01.Remove(host);
        }
        else
        {
            http01.Remove(token);
        }
    }
}
