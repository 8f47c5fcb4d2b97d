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

    [LoggerMessage(4109, LogLevel.Information, "ACME: instance {Holder} holds the order lock for {Host}; waiting for its certificate through Redis")]
    public partial void Waiting(string host, string holder);

    [LoggerMessage(4110, LogLevel.Information, "ACME: certificate for {Host} loaded from Redis, valid until {NotAfter:u}; saved to {Path}")]
    public partial void LoadedShared(string host, DateTimeOffset notAfter, string path);

    [LoggerMessage(4111, LogLevel.Warning, "ACME: Redis does not answer; ordering the certificate for {Host} without the order lock (another instance may order one too)")]
    public partial void OrderingAlone(string host);

    [LoggerMessage(4112, LogLevel.Warning, "ACME: the order lock for {Host} could not be extended; another instance may order too once it runs out")]
    public partial void LockLost(string host);

    [LoggerMessage(4113, LogLevel.Information, "ACME: instance {Instance} took the order lock for {Host}")]
    public partial void Locked(string host, string instance);

    [LoggerMessage(4114, LogLevel.Information, "ACME: the account key shared in Redis replaces this instance's; saved to {Path}")]
    public partial void AccountShared(string path);

    [LoggerMessage(4115, LogLevel.Warning, "ACME: the certificate for {Host} could not be stored in Redis; other instances may order their own")]
    public partial void NotShared(string host);
}
