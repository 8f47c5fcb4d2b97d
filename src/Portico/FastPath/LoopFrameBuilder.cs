using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace Portico.FastPath;

/// <summary>
/// The builder of an <c>async ValueTask&lt;T&gt;</c> method whose suspended frame is reused: the
/// box that holds the frame while it waits goes back to a pool of the thread that consumed its
/// result, and the next call that suspends there takes it rather than a new one.
/// <see cref="PoolingAsyncValueTaskMethodBuilder{TResult}"/> keeps one box per thread and one per
/// core, which a loop with dozens of requests waiting on their backends at once empties at the
/// first of them: the rest allocated a frame each (<see cref="FastForwarder.ForwardAsync"/>'s is
/// some 450 bytes, two thirds of what a fast-path request allocated, and what set how often the
/// collector ran). Each thread keeps up to <see cref="PoolSize"/> boxes per method.
/// The result must be awaited exactly once (as every caller of such a method does), since the
/// box is reused as soon as it has been read.
/// </summary>
internal struct LoopFrameBuilder<TResult>
{
    /// <summary>The boxes a thread keeps per method: at least the requests one loop has waiting at once under load.</summary>
    internal const int PoolSize = 128;

    private static long s_made;

    private Box? _box;
    private TResult _result;
    private Exception? _exception;

    /// <summary>The boxes made so far for the methods of this result type, on every thread (the pools' misses).</summary>
    internal static long Made => Volatile.Read(ref s_made);

    public static LoopFrameBuilder<TResult> Create() => default;

    public readonly ValueTask<TResult> Task
        => _box is { } box ? new ValueTask<TResult>(box, box.Version)
            : _exception is { } e ? ValueTask.FromException<TResult>(e)
            : new ValueTask<TResult>(_result);

    // The runtime's own Start: the caller's execution and synchronization contexts are put back
    // when the method returns or first suspends, whatever it set before.
    public void Start<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
        => default(AsyncTaskMethodBuilder).Start(ref stateMachine);

    public void SetStateMachine(IAsyncStateMachine stateMachine)
    {
    }

    public void SetResult(TResult result)
    {
        if (_box is { } box)
        {
            box.SetResult(result);
        }
        else
        {
            _result = result;
        }
    }

    public void SetException(Exception exception)
    {
        if (_box is { } box)
        {
            box.SetException(exception);
        }
        else
        {
            _exception = exception;
        }
    }

    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine
        => awaiter.OnCompleted(BoxOf(ref stateMachine).Resume);

    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine
        => awaiter.UnsafeOnCompleted(BoxOf(ref stateMachine).Resume);

    // The frame's box, taken at its first suspension. The box is set on this builder before the
    // frame is copied into it, so the copy the caller reads Task from and the boxed one agree.
    private Box BoxOf<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
    {
        if (_box is Box<TStateMachine> box)
        {
            box.Context = ExecutionContext.Capture();
            return box;
        }

        box = Box<TStateMachine>.Rent();
        _box = box;
        box.Frame = stateMachine;
        box.Context = ExecutionContext.Capture();
        return box;
    }

    /// <summary>A suspended frame's home, and the source of its method's result.</summary>
    private abstract class Box : IValueTaskSource<TResult>
    {
        private ManualResetValueTaskSourceCore<TResult> _core;

        public short Version => _core.Version;

        /// <summary>Runs the frame on (its continuation).</summary>
        public abstract Action Resume { get; }

        public void SetResult(TResult result) => _core.SetResult(result);

        public void SetException(Exception exception) => _core.SetException(exception);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _core.OnCompleted(continuation, state, token, flags);

        public TResult GetResult(short token)
        {
            try
            {
                return _core.GetResult(token);
            }
            finally
            {
                _core.Reset();
                Return();
            }
        }

        protected abstract void Return();
    }

    private sealed class Box<TStateMachine> : Box
        where TStateMachine : IAsyncStateMachine
    {
        private static readonly ContextCallback RunFrame = state => ((Box<TStateMachine>)state!).Frame.MoveNext();

        [ThreadStatic]
        private static Stack<Box<TStateMachine>>? t_pool;

        public Box()
        {
            Resume = MoveNext;
            Interlocked.Increment(ref s_made);
        }

        public TStateMachine Frame = default!;

        public ExecutionContext? Context;

        public override Action Resume { get; }

        public static Box<TStateMachine> Rent() => t_pool is { Count: > 0 } pool ? pool.Pop() : new Box<TStateMachine>();

        protected override void Return()
        {
            Frame = default!;
            Context = null;
            var pool = t_pool ??= new Stack<Box<TStateMachine>>();
            if (pool.Count < PoolSize)
            {
                pool.Push(this);
            }
        }

        private void MoveNext()
        {
            if (Context is { } context)
            {
                ExecutionContext.Run(context, RunFrame, this);
            }
            else
            {
                Frame.MoveNext();
            }
        }
    }
}
