using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Portico.Tls.Acme;

namespace Portico.Tests.Tls.Acme;

public sealed class AcmeJwsTests
{
    [Fact]
    public void Thumbprint_matches_the_worked_example_of_rfc_7638_section_3_1()
    {
        var members = new Dictionary<string, string>
        {
            ["kty"] = "RSA",
            ["n"] = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            ["e"] = "AQAB",
        };

        Assert.Equal("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", AcmeJws.Thumbprint(members));
    }

    [Fact]
    public void The_ec_jwk_has_exactly_the_p256_members_and_its_thumbprint_hashes_them_sorted_without_whitespace()
    {
        using var jws = new AcmeJws(ECDsa.Create(ECCurve.NamedCurves.nistP256));
        var p = jws.Key.ExportParameters(false);
        var jwk = jws.Jwk();

        Assert.Equal(["crv", "kty", "x", "y"], jwk.Keys);
        Assert.Equal(p.Q.X, Base64Url.DecodeFromChars(jwk["x"]));
        Assert.Equal(p.Q.Y, Base64Url.DecodeFromChars(jwk["y"]));
        var canonical = $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{jwk["x"]}\",\"y\":\"{jwk["y"]}\"}}";
        Assert.Equal(Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))), jws.Thumbprint());
        Assert.Equal(43, jws.Thumbprint().Length);
    }

    [Fact]
    public void Key_authorization_is_the_token_a_dot_and_the_account_thumbprint()
    {
        using var jws = new AcmeJws(ECDsa.Create(ECCurve.NamedCurves.nistP256));

        Assert.Equal("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA." + jws.Thumbprint(), jws.KeyAuthorization("evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"));
    }

    [Fact]
    public void A_new_account_request_embeds_the_jwk_and_is_an_es256_signature_over_protected_dot_payload()
    {
        using var jws = new AcmeJws(ECDsa.Create(ECCurve.NamedCurves.nistP256));

        var body = JsonDocument.Parse(jws.Sign("https://ca.test/acme/new-account", "nonce-1", null, new { termsOfServiceAgreed = true })).RootElement;

        var (header, payload, signature) = Parts(body);
        Assert.Equal("ES256", header.GetProperty("alg").GetString());
        Assert.Equal("nonce-1", header.GetProperty("nonce").GetString());
        Assert.Equal("https://ca.test/acme/new-account", header.GetProperty("url").GetString());
        Assert.Equal(jws.Jwk()["x"], header.GetProperty("jwk").GetProperty("x").GetString());
        Assert.False(header.TryGetProperty("kid", out _));
        Assert.True(JsonDocument.Parse(Base64Url.DecodeFromChars(payload)).RootElement.GetProperty("termsOfServiceAgreed").GetBoolean());
        // RFC 7518 §3.4: R and S as 32-byte big-endian integers, concatenated.
        Assert.Equal(64, signature.Length);
        Assert.True(jws.Key.VerifyData(Encoding.ASCII.GetBytes($"{body.GetProperty("protected").GetString()}.{payload}"), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    [Fact]
    public void Later_requests_name_the_account_by_kid_and_post_as_get_has_an_empty_payload()
    {
        using var jws = new AcmeJws(ECDsa.Create(ECCurve.NamedCurves.nistP256));

        var body = JsonDocument.Parse(jws.Sign("https://ca.test/acme/order/1", "nonce-2", "https://ca.test/acme/acct/7", null)).RootElement;

        var (header, payload, _) = Parts(body);
        Assert.Equal("https://ca.test/acme/acct/7", header.GetProperty("kid").GetString());
        Assert.False(header.TryGetProperty("jwk", out _));
        Assert.Equal("", payload);
    }

    private static (JsonElement Header, string Payload, byte[] Signature) Parts(JsonElement body)
        => (JsonDocument.Parse(Base64Url.DecodeFromChars(body.GetProperty("protected").GetString())).RootElement,
            body.GetProperty("payload").GetString()!,
            Base64Url.DecodeFromChars(body.GetProperty("signature").GetString()));
}
