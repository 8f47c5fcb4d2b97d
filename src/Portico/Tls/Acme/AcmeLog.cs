using Microsoft.Extensions.Logging;

namespace Portico.Tls.Acme;

/// <summary>ACME log events (ids 4100–4199).</summary>
internal sealed partial class AcmeLog(ILogger<AcmeLog> logger)
{
    [LoggerMessage(4101, LogLevel.Information, "ACME: certificate for {Host} issued by {Directory}, valid until {NotAfter:u}; saved to {Path}")]
    public partial void Issued(string host, string directory, DateTimeOffset notAfter, string path);

    [LoggerMessage(4102, LogLevel.Error, "ACME: obtaining a certificate for {Host} failed (attempt {Attempt}): {Reason}; next attempt in {Delay}; still serving {Serving}")]
    public partial void Failed(string host, int attempt, string reason, TimeSpan delay, string serving);

    [LoggerMessage(4103, LogLevel.Information, "ACME: certificate for {Host} loaded from {Path}, valid until {NotAfter:u}")]
    public partial void Loaded(string host, string path, DateTimeOffset notAfter);

    [LoggerMessage(4104, LogLevel.Warning, "ACME: no certificate for {Host} yet; serving a self-signed stand-in until one is issued")]
    public partial void StandIn(string host);

    [LoggerMessage(4105, LogLevel.Information, "ACME: {Url} rejected the nonce (badNonce); retrying with a fresh one (attempt {Attempt})")]
    public partial void BadNonce(string url, int attempt);

    [LoggerMessage(4106, LogLevel.Information, "ACME: renewing the certificate for {Host}: it expires {NotAfter:u}, within renewBefore ({RenewBefore})")]
    public partial void Renewing(string host, DateTimeOffset notAfter, TimeSpan renewBefore);

    [LoggerMessage(4107, LogLevel.Warning, "ACME: the new certificate for {Host} is already within renewBefore ({RenewBefore}); next check in {Next}")]
    public partial void RenewBeforeTooLong(string host, TimeSpan renewBefore, TimeSpan next);

    [LoggerMessage(4108, LogLevel.Error, "ACME: the stored certificate for {Host} cannot be used: {Reason}; a new one will be ordered")]
    public partial void StoredUnusable(string host, string reason);
}
