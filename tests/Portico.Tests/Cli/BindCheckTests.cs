using System.Net;
using System.Net.Sockets;
using Portico.Cli;

namespace Portico.Tests.Cli;

/// <summary>
/// The one-line causes `portico run` gives for a listener it cannot bind. The real process
/// covers a port in use and an address not on the host (CliTests); a low port's permission
/// error cannot be produced where the tests run as root, so its wording is pinned here.
/// </summary>
public sealed class BindCheckTests
{
    [Fact]
    public void Each_bind_error_an_operator_can_fix_is_named_in_words()
    {
        var low = new IPEndPoint(IPAddress.Any, 80);
        var remote = new IPEndPoint(IPAddress.Parse("192.0.2.1"), 8080);

        Assert.Equal("the address is in use by another process", BindCheck.Describe(SocketError.AddressAlreadyInUse, low, "raw"));
        Assert.Equal("permission denied: port 80 is below 1024, which needs root or CAP_NET_BIND_SERVICE", BindCheck.Describe(SocketError.AccessDenied, low, "raw"));
        Assert.Equal("192.0.2.1 is not an address of this host", BindCheck.Describe(SocketError.AddressNotAvailable, remote, "raw"));
        Assert.Equal("raw", BindCheck.Describe(SocketError.NetworkDown, remote, "raw"));
    }

    [Fact]
    public void A_free_loopback_port_binds_and_a_taken_one_does_not()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var taken = (IPEndPoint)squatter.LocalEndpoint;

        Assert.Null(BindCheck.Try(new IPEndPoint(IPAddress.Loopback, 0)));
        Assert.Equal("the address is in use by another process", BindCheck.Try(taken));
    }
}
