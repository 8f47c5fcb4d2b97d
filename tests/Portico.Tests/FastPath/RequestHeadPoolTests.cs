using System.Buffers;
using System.Text;
using Portico.FastPath;
using Portico.Security.Desync;

namespace Portico.Tests.FastPath;

public sealed class RequestHeadPoolTests
{
    [Fact]
    public void A_head_given_back_keeps_nothing_of_its_connections_bytes()
    {
        // An idle connection gives its head back; a head waiting in the pool must not keep the
        // connection's input buffer reachable (nor hand its bytes to the next borrower).
        var head = RequestHeadPool.Rent();
        var bytes = Encoding.ASCII.GetBytes("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.Equal(HeadKind.Whole, head.Parse(new ReadOnlySequence<byte>(bytes), new Http1Limits(8192, 100, 32768, false)));
        Assert.Equal(bytes.Length, head.Length);

        RequestHeadPool.Return(head);

        Assert.Equal(0, head.Length);
        Assert.True(head.Bytes.IsEmpty);
    }
}
