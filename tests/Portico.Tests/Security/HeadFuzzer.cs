using System.Text;

namespace Portico.Tests.Security;

/// <summary>
/// Makes HTTP/1.x inputs for fuzzing the framing check: heads (with bodies) from a corpus of
/// valid requests and the shapes smuggling attempts take, mutated at the bytes that decide
/// framing (CR, LF, ':', whitespace, digits, the framing field names), plus heads assembled
/// at random from the same pieces. Deterministic for a given <see cref="Random"/>.
/// </summary>
internal sealed class HeadFuzzer(Random random)
{
    private static readonly string[] Corpus =
    [
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /p?q=1 HTTP/1.1\r\nHost: a\r\nUser-Agent: x\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n",
        "HEAD /h HTTP/1.0\r\n\r\n",
        "\r\nGET /after-empty-line HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
        "POST /c HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=v\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
        "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nbinary after upgrade\n\r",
        "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /s HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n",
        "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 30\r\n\r\nabc",
        "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
        "POST /x HTTP/1.1\r\nHost: a\r\nX: 1\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n",
        "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 9\r\n\r\n",
        "GET /x HTTP/1.1\nHost: a\n\n",
        "GET /x HTTP/1.1\r\nHost: a\r\nX-A: 1\rX-B: 2\r\n\r\n",
        "GET /x HTTP/2.0\r\nHost: a\r\n\r\n",
    ];

    private static readonly string[] Pieces =
    [
        "\r\n", "\r", "\n", " ", "\t", ":", ";", ",", "\0", "\x7f", "\xff", "0", "5", "f", "+", "-",
        "Content-Length: ", "Transfer-Encoding: ", "chunked", "Host: a", "Connection: upgrade", "Upgrade: h2c",
        "X_Y: 1", "GET / HTTP/1.1", "HTTP/1.0", "0\r\n\r\n", "ffffffffffffffff\r\n", "99999999999999999999",
    ];

    /// <summary>A corpus entry with up to two mutations (most of the time) or a head assembled at random.</summary>
    public byte[] Next()
    {
        var bytes = random.Next(8) == 0 ? Assembled() : Encoding.Latin1.GetBytes(Corpus[random.Next(Corpus.Length)]).ToList();
        for (var mutations = random.Next(3); mutations > 0; mutations--)
        {
            Mutate(bytes);
        }

        return [.. bytes];
    }

    private List<byte> Assembled()
    {
        var bytes = new List<byte>();
        for (var parts = random.Next(1, 16); parts > 0; parts--)
        {
            bytes.AddRange(Encoding.Latin1.GetBytes(Pieces[random.Next(Pieces.Length)]));
        }

        return bytes;
    }

    private void Mutate(List<byte> bytes)
    {
        var at = random.Next(bytes.Count + 1);
        switch (random.Next(6))
        {
            case 0 when at < bytes.Count:
                bytes[at] = Encoding.Latin1.GetBytes(Pieces[random.Next(11)])[0];
                break;
            case 1:
                bytes.InsertRange(at, Encoding.Latin1.GetBytes(Pieces[random.Next(Pieces.Length)]));
                break;
            case 2 when at < bytes.Count:
                bytes.RemoveRange(at, random.Next(1, Math.Min(8, bytes.Count - at) + 1));
                break;
            case 3:
                // A line repeated (a second Content-Length, Host, Transfer-Encoding).
                var line = LineAround(bytes, Math.Min(at, bytes.Count - 1));
                bytes.InsertRange(line.End, bytes.GetRange(line.Start, line.End - line.Start));
                break;
            case 4 when at < bytes.Count && char.IsAsciiLetter((char)bytes[at]):
                bytes[at] ^= 0x20;
                break;
            default:
                bytes.AddRange(Encoding.Latin1.GetBytes(Corpus[random.Next(Corpus.Length)]));
                break;
        }
    }

    private static (int Start, int End) LineAround(List<byte> bytes, int at)
    {
        if (at < 0)
        {
            return (0, 0);
        }

        var start = bytes.LastIndexOf((byte)'\n', at) + 1;
        var lf = bytes.IndexOf((byte)'\n', at);
        return (start, lf < 0 ? bytes.Count : lf + 1);
    }
}
