using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using Portico.FastPath;

namespace Portico.Tests.FastPath;

public sealed class LoopFrameBuilderTests
{
    private static readonly AsyncLocal<string?> Ambient = new();

    [Fact]
    public async Task A_frame_that_suspends_returns_its_result_and_sees_the_callers_ambient_values_on_another_thread()
    {
        var gate = new Gate();
        Ambient.Value = "caller";
        var pending = AddAfterAsync(gate, 40);
        Assert.False(pending.IsCompleted);

        // Completed from a thread that carries no ambient value: the frame runs in its own.
        await Task.Run(() =>
        {
            Ambient.Value = null;
            gate.Open(2);
        }, TestContext.Current.CancellationToken);

        Assert.Equal((42, "caller"), await pending);
    }

    [Fact]
    public async Task A_frame_that_never_suspends_returns_its_result_and_its_exception()
    {
        Assert.Equal((7, (string?)null), await AddAfterAsync(null, 7));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(async () => await ThrowAfterAsync(null));
        Assert.Equal("before", e.Message);
    }

    [Fact]
    public async Task An_exception_after_a_suspension_reaches_the_awaiter()
    {
        var gate = new Gate();
        var pending = ThrowAfterAsync(gate);
        gate.Open(0);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(async () => await pending);
        Assert.Equal("after", e.Message);
    }

    [Fact]
    public void Fifty_frames_suspended_at_once_are_reused_once_their_results_have_been_read()
    {
        // As a loop has its requests waiting on their backends: the runtime's pooling builder
        // keeps one box per thread and one per core, so all but those would be allocated again.
        var gates = Enumerable.Range(0, 50).Select(_ => new Gate()).ToArray();
        var pending = new ValueTask<(int Sum, string? Ambient)>[gates.Length];
        Round(gates, pending);

        // The result type is this class's own, and its tests run one at a time: no other test makes boxes for it meanwhile.
        var made = LoopFrameBuilder<(int Sum, string? Ambient)>.Made;
        Assert.InRange(made, 50, long.MaxValue);
        Round(gates, pending);
        Round(gates, pending);

        Assert.Equal(made, LoopFrameBuilder<(int Sum, string? Ambient)>.Made);
    }

    private static void Round(Gate[] gates, ValueTask<(int Sum, string? Ambient)>[] pending)
    {
        for (var i = 0; i < gates.Length; i++)
        {
            pending[i] = AddAfterAsync(gates[i], i);
        }

        for (var i = 0; i < gates.Length; i++)
        {
            gates[i].Open(1);
            Assert.Equal(i + 1, pending[i].GetAwaiter().GetResult().Sum);
        }
    }

    [AsyncMethodBuilder(typeof(LoopFrameBuilder<>))]
    private static async ValueTask<(int Sum, string? Ambient)> AddAfterAsync(Gate? gate, int value)
    {
        var added = gate is null ? 0 : await gate;
        return (value + added, Ambient.Value);
    }

    [AsyncMethodBuilder(typeof(LoopFrameBuilder<>))]
    private static async ValueTask<int> ThrowAfterAsync(Gate? gate)
    {
        if (gate is null)
        {
            throw new InvalidOperationException("before");
        }

        await gate;
        throw new InvalidOperationException("after");
    }

    /// <summary>An awaitable that allocates nothing per wait: one pending value, opened by the test.</summary>
    private sealed class Gate : IValueTaskSource<int>
    {
        private ManualResetValueTaskSourceCore<int> _core;
        private bool _waiting;

        public ValueTaskAwaiter<int> GetAwaiter()
        {
            _core.Reset();
            _waiting = true;
            return new ValueTask<int>(this, _core.Version).GetAwaiter();
        }

        public void Open(int value)
        {
            Assert.True(_waiting);
            _waiting = false;
            _core.SetResult(value);
        }

        public int GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _core.OnCompleted(continuation, state, token, ValueTaskSourceOnCompletedFlags.None);
    }
}
