namespace Portico.Security.Desync;

/// <summary>The parts of a chunk-size line (RFC 9112 §7.1): hex digits, then optional extensions.</summary>
internal static class ChunkLine
{
    // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ): here, each extension starts with
    // ';' after optional whitespace, and nothing in it is a control character other than HTAB.
    internal static bool ValidExtensions(ReadOnlySpan<byte> ext)
    {
        var trimmed = ext.TrimStart(" \t"u8);
        if (trimmed.Length == 0)
        {
            return ext.Length == 0;
        }

        if (trimmed[0] != ';')
        {
            return false;
        }

        foreach (var b in trimmed)
        {
            if ((b < 0x20 && b != '\t') || b == 0x7f)
            {
                return false;
            }
        }

        return true;
    }

    internal static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
