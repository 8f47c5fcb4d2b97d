using System.IO.Pipelines;
using System.Net.Security;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Portico.Tls;

/// <summary>
/// A TLS connection's encrypted input, the pipe Kestrel's TLS reads its records from, kept as a
/// connection feature so that a reader of the decrypted bytes between requests can wait on it
/// rather than on the SslStream. A read of the decrypted side that waits for the next request
/// suspends a chain of four pooled async methods (Kestrel's pipe reader over the SslStream, the
/// SslStream's read and frame read, Kestrel's stream over this pipe); their pools hold one box
/// per thread, so with many kept-alive connections on one event loop each request allocated
/// four new ones (about 590 bytes) and resumed all four (issue 25). Waiting here first, the
/// decrypted read that follows finds its record and completes at once.
/// </summary>
internal sealed class EncryptedInput(PipeReader reader, IFeatureCollection features)
{
    private SslStream? _tls;

    public PipeReader Reader { get; } = reader;

    /// <summary>Keeps the transport's input of each connection of a TLS listener; call right before UseHttps, which reads from it.</summary>
    public static void Use(ListenOptions options)
        => options.Use(next => connection =>
        {
            connection.Features.Set(new EncryptedInput(connection.Transport.Input, connection.Features));
            return next(connection);
        });

    /// <summary>
    /// Whether waiting on <see cref="Reader"/> before the next decrypted read is safe: only once
    /// the handshake is done and when the connection's SslStream holds no byte it read (a record
    /// read ahead, or decrypted bytes its last reader had no room for), which no further
    /// encrypted byte would announce.
    /// </summary>
    public bool Drained()
    {
        _tls ??= features.Get<ISslStreamFeature>()?.SslStream;
        return _tls is not null && SslStreamHoldings.Empty(_tls);
    }

    /// <summary>After a wait on <see cref="Reader"/>: leaves what came unread and unexamined, so the SslStream's next read takes it without waiting.</summary>
    public void Leave(ReadResult result) => Reader.AdvanceTo(result.Buffer.Start);
}
