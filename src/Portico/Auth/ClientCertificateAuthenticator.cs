using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Portico.Configuration.Model;

namespace Portico.Auth;

/// <summary>
/// `auth.clientCertificate`: the certificate the listener's mutual TLS verified against its CA
/// authenticates; the identity is its subject. A missing certificate cannot be supplied by
/// retrying the request, so this scheme has no challenge.
/// </summary>
internal sealed class ClientCertificateAuthenticator : IAuthenticator
{
    public const string SubjectClaim = "portico:client-cert-subject";

    public string Scheme => AuthSchemeNames.ClientCertificate;

    public string? Challenge(bool refused) => null;

    public ValueTask<AuthAttempt> AuthenticateAsync(HttpContext context)
        => ValueTask.FromResult(context.Connection.ClientCertificate is { } certificate
            ? AuthAttempt.Success(new AuthIdentity(Scheme, certificate.Subject, [new Claim(SubjectClaim, certificate.Subject)]))
            : AuthAttempt.None);

    public void RemoveCredentials(HttpRequest request)
    {
    }
}
