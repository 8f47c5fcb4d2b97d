using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Portico.IntegrationTests.Infrastructure;
using Portico.Transport;

namespace Portico.IntegrationTests.Transport;

/// <summary>
/// Who sends what is flushed to a <see cref="LoopConnection"/> from a thread other than its loop:
/// on a connection that gathers its sends (HTTP/2, <see cref="LoopConnection.GatherSends"/>) the
/// loop does, once it has finished the events in hand, so that several streams' responses go out
/// in one system call; otherwise (HTTP/1.x) the thread that flushed does, at once. The first two
/// hold the loop busy on purpose (a posted piece of work that waits), which tells the two apart.
/// </summary>
public sealed class LoopSendTests
{
    [Fact]
    public async Task When_sends_are_gathered_flushes_off_the_loop_wait_for_the_loop_then_go_out_in_order()
    {
        var ct = TestContext.Current.CancellationToken;
        using var loop = new EventLoop(97, NullLogger.Instance);
        await using var pair = await LoopPair.ConnectAsync(loop, ct);
        var (client, connection) = pair;
        connection.GatherSends();
        await using var busy = new LoopHeld(loop);
        await busy.HeldAsync();

        // From this thread (not the loop), four flushes, as four streams' responses would be.
        foreach (var part in new[] { "one ", "two ", "three ", "four" })
        {
            await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes(part), ct);
        }

        Assert.False(client.Poll(TimeSpan.FromMilliseconds(300), SelectMode.SelectRead), "a flush went out while the loop was busy");
        busy.Release();
        Assert.Equal("one two three four", await ReadAsync(client, 18, ct));
    }

    [Fact]
    public async Task When_sends_are_not_gathered_a_flush_off_the_loop_goes_out_at_once_even_while_the_loop_is_busy()
    {
        var ct = TestContext.Current.CancellationToken;
        using var loop = new EventLoop(96, NullLogger.Instance);
        await using var pair = await LoopPair.ConnectAsync(loop, ct);
        var (client, connection) = pair;
        await using var busy = new LoopHeld(loop);
        await busy.HeldAsync();

        await connection.Transport.Output.WriteAsync("HTTP/1.1 200 OK\r\n"u8.ToArray(), ct);
        await connection.Transport.Output.WriteAsync("Content-Length: 0\r\n\r\n"u8.ToArray(), ct);

        // Read while the loop is still held: the flushing thread itself sent, no hop.
        Assert.Equal("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", await ReadAsync(client, 38, ct));
    }

    [Fact]
    public async Task When_sends_are_gathered_a_client_that_stops_reading_holds_the_writer_at_the_write_buffer_and_then_gets_every_byte()
    {
        // 1 MiB written from off the loop to a client that reads nothing: the pipe takes 64 KiB
        // (MaxWriteBuffer), the socket buffers a little more, and the writer must then wait, not
        // go on buffering; once the client reads, every byte arrives, in order.
        var ct = TestContext.Current.CancellationToken;
        using var loop = new EventLoop(95, NullLogger.Instance);
        await using var pair = await LoopPair.ConnectAsync(loop, ct, clientReceiveBuffer: 8 * 1024, serverSendBuffer: 8 * 1024);
        var (client, connection) = pair;
        connection.GatherSends();
        const int Chunk = 16 * 1024;
        const int Total = 64 * Chunk;
        var written = 0;
        var writing = Task.Run(
            async () =>
            {
                for (var i = 0; i < Total / Chunk; i++)
                {
                    await connection.Transport.Output.WriteAsync(Pattern(i * Chunk, Chunk), ct);
                    Interlocked.Add(ref written, Chunk);
                }
            },
            ct);

        await Task.Delay(500, ct);
        Assert.False(writing.IsCompleted, "the whole megabyte was taken although the client read nothing");
        Assert.True(Volatile.Read(ref written) <= 256 * 1024, $"{Volatile.Read(ref written)} bytes were taken for a client that read nothing");

        var received = new byte[Total];
        var at = 0;
        while (at < Total)
        {
            at += await client.ReceiveAsync(received.AsMemory(at), SocketFlags.None, ct);
        }

        await writing.WaitAsync(TimeSpan.FromSeconds(15), ct);
        Assert.True(received.AsSpan().SequenceEqual(Pattern(0, Total)), "the bytes arrived changed or out of order");
    }

    private static async Task<string> ReadAsync(Socket client, int length, CancellationToken ct)
    {
        var buffer = new byte[length];
        var at = 0;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        while (at < length)
        {
            var n = await client.ReceiveAsync(buffer.AsMemory(at), SocketFlags.None, timeout.Token);
            Assert.True(n > 0, "the connection ended early");
            at += n;
        }

        return Encoding.ASCII.GetString(buffer);
    }

    /// <summary>Bytes that say where they belong: a reordered or repeated chunk shows.</summary>
    private static byte[] Pattern(int offset, int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            var at = offset + i;
            bytes[i] = (byte)((at * 31) ^ (at >> 13));
        }

        return bytes;
    }
}
