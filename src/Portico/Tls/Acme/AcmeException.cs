namespace Portico.Tls.Acme;

/// <summary>An ACME request that failed, with the server's problem type (RFC 8555 §6.7) when it sent one.</summary>
internal sealed class AcmeException(string message, string? problemType = null) : Exception(message)
{
    public const string BadNonce = "urn:ietf:params:acme:error:badNonce";

    public string? ProblemType { get; } = problemType;
}
