using System.Buffers.Binary;
using System.Net;

namespace Portico.Transport;

/// <summary>Linux socket addresses (struct sockaddr_in, sockaddr_in6; ip(7), ipv6(7)) as .NET end points.</summary>
internal static unsafe class SocketAddresses
{
    /// <summary>sizeof(struct sockaddr_in6), the largest address a TCP socket of either family has.</summary>
    public const int MaxLength = 28;

    private const ushort AfInet = 2;
    private const ushort AfInet6 = 10;

    /// <summary>The end point in <paramref name="address"/>; null for another family.</summary>
    public static IPEndPoint? ToEndPoint(byte* address, int length)
    {
        if (length < 4)
        {
            return null;
        }

        // sa_family in host order, then sin_port / sin6_port in network order.
        var family = *(ushort*)address;
        var port = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(address + 2, 2));
        if (family == AfInet && length >= 8)
        {
            return new IPEndPoint(new IPAddress(new ReadOnlySpan<byte>(address + 4, 4)), port);
        }

        if (family == AfInet6 && length >= MaxLength)
        {
            // After the port: sin6_flowinfo (4 bytes), sin6_addr (16), sin6_scope_id (4).
            return new IPEndPoint(new IPAddress(new ReadOnlySpan<byte>(address + 8, 16), *(uint*)(address + 24)), port);
        }

        return null;
    }

    /// <summary>The local end of a connected socket (getsockname(2)); null if it cannot be read.</summary>
    public static IPEndPoint? LocalOf(int fd)
    {
        var address = stackalloc byte[MaxLength];
        var length = MaxLength;
        return Native.GetSockName(fd, address, &length) == 0 ? ToEndPoint(address, length) : null;
    }
}
