using System.Buffers.Binary;
using System.Net.Sockets;

namespace Portico.IntegrationTests.Infrastructure;

/// <summary>What the kernel knows of a TCP connection (getsockopt TCP_INFO, Linux's struct tcp_info).</summary>
internal static class TcpInfo
{
    private const int IpProtoTcp = 6;
    private const int TcpInfoOption = 11;

    // struct tcp_info: eight one-byte fields, then rto, ato, snd_mss, rcv_mss, unacked (u32 each).
    private const int UnackedOffset = 24;

    /// <summary>
    /// Waits until the peer has acknowledged every byte sent on <paramref name="socket"/>: on
    /// loopback those bytes then wait in the peer's receive buffer, where a poll for reading sees
    /// them. A signal that data has arrived, where a sleep could only hope it had.
    /// </summary>
    public static Task UntilAckedAsync(Socket socket, string what)
        => Poll.UntilAsync(() => UnackedSegments(socket) == 0, what);

    private static uint UnackedSegments(Socket socket)
    {
        var info = new byte[256];
        var length = socket.GetRawSocketOption(IpProtoTcp, TcpInfoOption, info);
        Assert.True(length >= UnackedOffset + 4, $"TCP_INFO gave {length} bytes");
        return BinaryPrimitives.ReadUInt32LittleEndian(info.AsSpan(UnackedOffset));
    }
}
