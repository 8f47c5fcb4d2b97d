using System.Buffers;
using System.Runtime.CompilerServices;
using Portico.Configuration.Model;

namespace Portico.Mirroring;

/// <summary>
/// Sends the copies, away from the client's request: each is queued in its route's lane, waits
/// for a slot, goes to the destination chosen for it and has the shadow's answer read to its end
/// and thrown away, all within the mirror's `timeout` from queueing. Whatever happens is counted,
/// never thrown: a shadow can only ever cost the client the time it took to queue the copy.
/// </summary>
internal sealed class MirrorDispatcher(MirrorMetrics metrics, MirrorLog log, TimeProvider time)
{
    // Keyed by the settings record itself, which lives as long as a config that uses it.
    private readonly ConditionalWeakTable<MirrorSettings, MirrorLane> _lanes = [];

    public void Enqueue(MirrorCopy copy)
    {
        var lane = _lanes.GetValue(copy.Settings, s => new MirrorLane(s.Queue, s.Concurrency));
        if (!lane.TryEnter())
        {
            Dropped(copy.Route, copy.Cluster.ClusterId, MirrorDrop.QueueFull);
            return;
        }

        metrics.Pending(copy.Route, 1);
        var deadline = new CancellationTokenSource(copy.Settings.Timeout, time);

        // Off the request's thread: even the send's synchronous start (a connection to open) is not the client's to wait for.
        _ = Task.Run(() => SendAsync(copy, lane, deadline));
    }

    public void Dropped(string route, string cluster, MirrorDrop reason)
    {
        metrics.Dropped(route, reason);
        log.Dropped(route, cluster, MirrorDropNames.Of(reason));
    }

    private async Task SendAsync(MirrorCopy copy, MirrorLane lane, CancellationTokenSource deadline)
    {
        var slot = false;
        try
        {
            await lane.Slots.WaitAsync(deadline.Token);
            slot = true;
            var start = time.GetTimestamp();
            using var message = copy.ToMessage();
            using var response = await copy.Cluster.Model.HttpClient.SendAsync(message, deadline.Token);
            await DiscardAsync(response, deadline.Token);
            metrics.Mirrored(copy.Route, copy.Cluster.ClusterId, (int)response.StatusCode, time.GetElapsedTime(start).TotalSeconds);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Dropped(copy.Route, copy.Cluster.ClusterId, MirrorDrop.Timeout);
        }
        catch (Exception ex)
        {
            log.ShadowFailed(copy.Route, copy.Destination.DestinationId, ex.GetBaseException().Message);
            Dropped(copy.Route, copy.Cluster.ClusterId, MirrorDrop.ShadowError);
        }
        finally
        {
            if (slot)
            {
                lane.Slots.Release();
            }

            lane.Leave();
            metrics.Pending(copy.Route, -1);
            deadline.Dispose();
        }
    }

    private static async Task DiscardAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(8192);
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            while (await body.ReadAsync(buffer, cancellationToken) > 0)
            {
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
