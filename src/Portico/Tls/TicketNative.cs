using System.Runtime.InteropServices;

namespace Portico.Tls;

/// <summary>
/// The few OpenSSL 3 calls that put session-ticket keys under Portico's control. .NET loads the
/// same libssl.so.3 and libcrypto.so.3 for SslStream, so the contexts it makes are these
/// libraries' objects. The ticket-key callback is OpenSSL's classic one (SSL_CTX_set_tlsext_ticket_key_cb,
/// a macro over SSL_CTX_callback_ctrl): deprecated in 3.0 and still exported by Debian's build.
/// </summary>
internal static unsafe partial class TicketNative
{
    private const string Ssl = "libssl.so.3";
    private const string Crypto = "libcrypto.so.3";

    /// <summary>SSL_CTRL_SET_TLSEXT_TICKET_KEY_CB in openssl/ssl.h.</summary>
    public const int SetTicketKeyCallback = 72;

    /// <summary>CRYPTO_EX_INDEX_SSL_CTX in openssl/crypto.h.</summary>
    public const int ExIndexSslCtx = 1;

    [LibraryImport(Ssl, EntryPoint = "SSL_get_SSL_CTX")]
    public static partial nint SslGetContext(nint ssl);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_callback_ctrl")]
    public static partial nint SslContextCallbackControl(nint context, int command, delegate* unmanaged<nint, byte*, byte*, nint, nint, int, int> callback);

    [LibraryImport(Crypto, EntryPoint = "CRYPTO_get_ex_new_index")]
    public static partial int NewExIndex(int classIndex, nint argl, nint argp, nint newFunction, nint duplicateFunction, nint freeFunction);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_set_ex_data")]
    public static partial int SslContextSetData(nint context, int index, nint data);

    [LibraryImport(Ssl, EntryPoint = "SSL_CTX_get_ex_data")]
    public static partial nint SslContextGetData(nint context, int index);

    [LibraryImport(Crypto, EntryPoint = "RAND_bytes")]
    public static partial int RandomBytes(byte* buffer, int count);

    [LibraryImport(Crypto, EntryPoint = "EVP_aes_256_cbc")]
    public static partial nint Aes256Cbc();

    [LibraryImport(Crypto, EntryPoint = "EVP_sha256")]
    public static partial nint Sha256();

    /// <summary>EVP_CIPHER_fetch: the cipher's implementation in a provider (library context 0: the default one, SslStream's), or 0.</summary>
    [LibraryImport(Crypto, EntryPoint = "EVP_CIPHER_fetch", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint FetchCipher(nint libraryContext, string algorithm, string? properties);

    /// <summary>EVP_MD_fetch: as <see cref="FetchCipher"/>, for a digest.</summary>
    [LibraryImport(Crypto, EntryPoint = "EVP_MD_fetch", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint FetchDigest(nint libraryContext, string algorithm, string? properties);

    /// <summary><paramref name="fetched"/>, or where the fetch gave nothing the classic object <paramref name="classic"/> returns.</summary>
    public static nint Fetched(nint fetched, Func<nint> classic) => fetched != 0 ? fetched : classic();

    [LibraryImport(Crypto, EntryPoint = "EVP_EncryptInit_ex")]
    public static partial int EncryptInit(nint cipherContext, nint cipher, nint engine, byte* key, byte* iv);

    [LibraryImport(Crypto, EntryPoint = "EVP_DecryptInit_ex")]
    public static partial int DecryptInit(nint cipherContext, nint cipher, nint engine, byte* key, byte* iv);

    [LibraryImport(Crypto, EntryPoint = "HMAC_Init_ex")]
    public static partial int HmacInit(nint hmacContext, byte* key, int length, nint digest, nint engine);
}
