using System.Net;
using System.Net.Sockets;
using Portico.Configuration.Model;

namespace Portico.Cli;

/// <summary>
/// Tries each address `run` is about to listen on before the server starts, so a listener that
/// cannot bind is reported as one line naming it and the cause, rather than as the host's
/// stack trace. The test socket binds as the transports do (dual-stack for [::]) and is closed
/// at once; anything that still fails at start-up is reported by <see cref="RunCommand"/>.
/// </summary>
internal static class BindCheck
{
    public static string? FirstFailure(PorticoSettings settings)
    {
        foreach (var listener in settings.Listeners)
        {
            if (Try(listener.EndPoint) is { } reason)
            {
                return $"listener '{listener.Name}' ({listener.EndPoint}): {reason}";
            }
        }

        if (settings.Admin.Enabled && Try(settings.Admin.EndPoint) is { } adminReason)
        {
            return $"the admin listener ({settings.Admin.EndPoint}): {adminReason}; set admin.address";
        }

        return null;
    }

    /// <summary>Why <paramref name="endPoint"/> cannot be bound, in an operator's words; null when it can.</summary>
    internal static string? Try(IPEndPoint endPoint)
    {
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(endPoint);
            return null;
        }
        catch (SocketException e)
        {
            return Describe(e.SocketErrorCode, endPoint, e.Message);
        }
    }

    internal static string Describe(SocketError error, IPEndPoint endPoint, string message) => error switch
    {
        SocketError.AddressAlreadyInUse => "the address is in use by another process",
        SocketError.AccessDenied => $"permission denied: port {endPoint.Port} is below 1024, which needs root or CAP_NET_BIND_SERVICE",
        SocketError.AddressNotAvailable => $"{endPoint.Address} is not an address of this host",
        _ => message,
    };
}
