using System.Collections.Concurrent;
using System.Net.Security;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Portico.Tls;

/// <summary>
/// The keys that protect TLS session tickets (RFC 5077 §4, RFC 8446 §4.6.1) on resumable
/// listeners, made and rotated by Portico. Left alone, OpenSSL makes one key per context when the
/// context is made and keeps it for the process's life, so a ticket stolen or recorded today
/// (with its forward secrecy resting on that key) stays good until a restart. Here a new key
/// encrypts every ticket issued after each rotation, and the keys before it still decrypt for as
/// long as a session may live: a client resumes across a rotation (and gets a ticket under the
/// new key), while a ticket older than every kept key gets a full handshake.
/// </summary>
/// <remarks>
/// .NET keeps the OpenSSL context (one per certificate) in a private cache and gives no access to
/// it, so the context is reached through the connection's SSL object (the SslStream's security
/// context, read by reflection) and the ticket callback installed on it. It is installed before a
/// certificate's first client (<see cref="PrepareAsync"/>: a handshake in memory, with the same
/// options, makes the context, and its server side is kept so that .NET keeps the context), and
/// checked after every handshake (<see cref="Adopt"/>), in case .NET made a new one all the same.
/// </remarks>
internal sealed class SessionTicketKeys : IDisposable
{
    /// <summary>How often a new key starts encrypting tickets.</summary>
    public static readonly TimeSpan Rotation = TimeSpan.FromHours(1);

    /// <summary>Keys kept: the current one and the two before it, so a ticket decrypts for 2–3 hours after it was issued, covering the 2-hour session lifetime .NET gives OpenSSL.</summary>
    public const int Kept = 3;

    private const int NameLength = 16;
    private const int HmacKeyLength = 32;
    private const int AesKeyLength = 32;
    private const int IvLength = 16;

    // Which keys a context uses: its ex_data slot holds the ring's number, not a pointer, so a
    // context that outlives its ring (a test host's stopped proxy) finds nothing and issues no
    // ticket rather than reading freed memory.
    private static readonly ConcurrentDictionary<nint, SessionTicketKeys> Rings = new();
    private static readonly Lazy<int> ContextSlot = new(() => TicketNative.NewExIndex(TicketNative.ExIndexSslCtx, 0, 0, 0, 0, 0));
    private static readonly FieldInfo? SecurityContext = typeof(SslStream).GetField("_securityContext", BindingFlags.Instance | BindingFlags.NonPublic);
    // Fetched from the default provider once: OpenSSL 3 looks up the implementation of a classic
    // EVP_aes_256_cbc() or EVP_sha256() object by name, under its locks, in every init given one,
    // so each run of OnTicket made three (HMAC_Init_ex inits two digests), and its cipher init
    // took twice as long: about 1 % of a resumed connection's CPU (issue 25). The classic objects
    // remain where a fetch fails.
    private static readonly nint Aes = TicketNative.Fetched(TicketNative.FetchCipher(0, "AES-256-CBC", null), TicketNative.Aes256Cbc);
    private static readonly nint Sha256 = TicketNative.Fetched(TicketNative.FetchDigest(0, "SHA256", null), TicketNative.Sha256);
    private static long s_lastRing;

    private readonly nint _ring = (nint)Interlocked.Increment(ref s_lastRing);
    private readonly TlsSessionLog _log;
    private readonly ITimer _timer;
    private int _unavailableLogged;

    private readonly TimeProvider _time;

    // [0] encrypts; every one decrypts. Each key: name, HMAC-SHA256 key, AES-256 key.
    private volatile byte[][] _keys;

    // When the key that encrypts was made; whether the keys come from Redis (SharedTicketKeys),
    // which then rotates them for every instance.
    private long _encryptingSince;
    private volatile bool _shared;

    public SessionTicketKeys(TimeProvider time, TlsSessionLog log)
    {
        _log = log;
        _time = time;
        _keys = [NewKey()];
        _encryptingSince = time.GetUtcNow().UtcTicks;
        Rings[_ring] = this;
        _timer = time.CreateTimer(_ =>
        {
            if (!_shared)
            {
                Rotate();
            }
        }, null, Rotation, Rotation);
    }

    /// <summary>The names of the keys that decrypt, the one that encrypts first; for the admin view and tests.</summary>
    public IReadOnlyList<string> KeyNames => [.. _keys.Select(Name)];

    /// <summary>When the key that encrypts was made (by this instance, or by the one that put it in Redis).</summary>
    public DateTimeOffset EncryptingSince => new(Volatile.Read(ref _encryptingSince), TimeSpan.Zero);

    /// <summary>A new key of this instance's encrypts from now on; the oldest beyond <see cref="Kept"/> stops decrypting.</summary>
    public void Rotate()
    {
        _keys = [NewKey(), .. _keys.Take(Kept - 1)];
        Volatile.Write(ref _encryptingSince, _time.GetUtcNow().UtcTicks);
        _log.TicketKeyRotated(KeyNames[0], Kept);
    }

    /// <summary>
    /// Takes the ring every instance shares (<paramref name="ring"/>, newest first, from Redis):
    /// every key decrypts; the newest made at least <paramref name="activation"/> before
    /// <paramref name="now"/> encrypts, so that every instance has read a key before any ticket
    /// is issued under it (the oldest, when none is that old: a ring just begun). From then on
    /// the ring's rotation is the shared one, not this instance's timer.
    /// </summary>
    public void Share(IReadOnlyList<(DateTimeOffset Made, byte[] Key)> ring, DateTimeOffset now, TimeSpan activation)
    {
        var encrypting = ring.FirstOrDefault(k => k.Made <= now - activation) is { Key: not null } active ? active : ring[^1];
        var before = _keys[0];
        _keys = [encrypting.Key, .. ring.Where(k => k.Key != encrypting.Key).Select(k => k.Key)];
        Volatile.Write(ref _encryptingSince, encrypting.Made.UtcTicks);
        _shared = true;
        if (!before.AsSpan(0, NameLength).SequenceEqual(encrypting.Key.AsSpan(0, NameLength)))
        {
            _log.TicketKeyRotated(KeyNames[0], _keys.Length);
        }
    }

    /// <summary>A new random key: name, HMAC-SHA256 key, AES-256 key.</summary>
    public static byte[] NewKey()
    {
        var key = new byte[KeyLength];
        System.Security.Cryptography.RandomNumberGenerator.Fill(key);
        return key;
    }

    /// <summary>The length of a key: name, HMAC-SHA256 key, AES-256 key.</summary>
    public const int KeyLength = NameLength + HmacKeyLength + AesKeyLength;

    private static string Name(byte[] key) => Convert.ToHexString(key, 0, NameLength);

    /// <summary>
    /// Makes the OpenSSL context that <paramref name="options"/> will be served from, by a TLS
    /// handshake with itself in memory, and installs the ticket callback on it, so that even a
    /// certificate's first client gets a ticket under these keys. The server side of that
    /// handshake is returned to be kept as long as the certificate is served: while it lives, .NET
    /// counts the context as in use and does not drop it from its cache when many certificates
    /// are served (a context made again would issue its first tickets under OpenSSL's own key).
    /// Never fails: on an error (logged) the first connections' tickets use OpenSSL's own key
    /// until <see cref="Adopt"/> takes over, and null is returned.
    /// </summary>
    public async Task<SslStream?> PrepareAsync(SslServerAuthenticationOptions options, string certificate)
    {
        var (clientSide, serverSide) = MemoryDuplex.Pair();
        var server = new SslStream(serverSide);
        try
        {
            await using var client = new SslStream(clientSide);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var clientOptions = new SslClientAuthenticationOptions
            {
                TargetHost = "portico.invalid",
                EnabledSslProtocols = options.EnabledSslProtocols,
                // A handshake with itself, in memory: nothing to verify.
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            };
            await Task.WhenAll(server.AuthenticateAsServerAsync(options, timeout.Token), client.AuthenticateAsClientAsync(clientOptions, timeout.Token));
            Adopt(server);
            return server;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException or InvalidOperationException)
        {
            _log.TicketKeysNotPrepared(certificate, e.Message);
            await server.DisposeAsync();
            return null;
        }
    }

    /// <summary>Installs the ticket callback on the context of a finished handshake, once per context.</summary>
    public unsafe void Adopt(SslStream stream)
    {
        if (SecurityContext?.GetValue(stream) is not SafeHandle { IsInvalid: false, IsClosed: false } ssl)
        {
            Unavailable("the SSL object of a .NET SslStream could not be reached");
            return;
        }

        var slot = ContextSlot.Value;
        if (slot < 0)
        {
            Unavailable("OpenSSL gave no ex_data index for contexts");
            return;
        }

        var added = false;
        ssl.DangerousAddRef(ref added);
        try
        {
            var context = TicketNative.SslGetContext(ssl.DangerousGetHandle());
            if (context == 0 || TicketNative.SslContextGetData(context, slot) != 0)
            {
                return;
            }

            TicketNative.SslContextSetData(context, slot, _ring);
            TicketNative.SslContextCallbackControl(context, TicketNative.SetTicketKeyCallback, &OnTicket);
            _log.TicketKeysAdopted(KeyNames[0]);
        }
        finally
        {
            if (added)
            {
                ssl.DangerousRelease();
            }
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        Rings.TryRemove(_ring, out _);
    }

    private void Unavailable(string reason)
    {
        if (Interlocked.Exchange(ref _unavailableLogged, 1) == 0)
        {
            _log.TicketKeysUnavailable(reason);
        }
    }

    /// <summary>
    /// OpenSSL's ticket-key callback (SSL_CTX_set_tlsext_ticket_key_cb): on encryption, names the
    /// current key and sets up AES-256-CBC and HMAC-SHA256 with a fresh IV; on decryption, finds
    /// the key the ticket names. Returns 1 (encryption set up), 2 (the ticket is taken, and a new
    /// one under the current key is issued), 0 (no ticket is issued, or the ticket is not taken
    /// and a full handshake follows), or -1 on an error.
    /// </summary>
    /// <remarks>
    /// A taken ticket is always renewed, under the current key or not: with 1, OpenSSL sends a
    /// resumed TLS 1.3 connection no NewSessionTicket at all, and clients use a ticket once
    /// (RFC 8446 §4.6.1, C.4; browsers do), so every other connection of theirs was a full
    /// handshake. (A client that sends its Finished and its request in two segments with Nagle on
    /// also waited for the delayed ACK, 40 ms, which the ticket's record now carries; issue 25.)
    /// </remarks>
    [UnmanagedCallersOnly]
    private static unsafe int OnTicket(nint ssl, byte* name, byte* iv, nint cipher, nint hmac, int encrypt)
    {
        try
        {
            var ring = TicketNative.SslContextGetData(TicketNative.SslGetContext(ssl), ContextSlot.Value);
            if (!Rings.TryGetValue(ring, out var keys))
            {
                return 0;
            }

            var all = keys._keys;
            if (encrypt == 1)
            {
                if (TicketNative.RandomBytes(iv, IvLength) != 1)
                {
                    return -1;
                }

                fixed (byte* key = all[0])
                {
                    new ReadOnlySpan<byte>(key, NameLength).CopyTo(new Span<byte>(name, NameLength));
                    return TicketNative.EncryptInit(cipher, Aes, 0, key + NameLength + HmacKeyLength, iv) == 1
                        && TicketNative.HmacInit(hmac, key + NameLength, HmacKeyLength, Sha256, 0) == 1 ? 1 : -1;
                }
            }

            var presented = new ReadOnlySpan<byte>(name, NameLength);
            for (var i = 0; i < all.Length; i++)
            {
                if (!presented.SequenceEqual(all[i].AsSpan(0, NameLength)))
                {
                    continue;
                }

                fixed (byte* key = all[i])
                {
                    if (TicketNative.HmacInit(hmac, key + NameLength, HmacKeyLength, Sha256, 0) != 1
                        || TicketNative.DecryptInit(cipher, Aes, 0, key + NameLength + HmacKeyLength, iv) != 1)
                    {
                        return -1;
                    }
                }

                return 2;
            }

            return 0;
        }
        catch (Exception)
        {
            // Nothing may unwind into OpenSSL: an error there ends the handshake.
            return -1;
        }
    }
}
