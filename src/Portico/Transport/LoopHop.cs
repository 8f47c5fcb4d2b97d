using System.Runtime.CompilerServices;

namespace Portico.Transport;

/// <summary>
/// Awaited by a connection's send loop to go on running on its event loop
/// (<see cref="LoopConnection.ResumeOnLoop"/>). Its continuation is the async method's own
/// cached delegate, so a hop allocates nothing.
/// </summary>
internal readonly struct LoopHop(LoopConnection connection) : ICriticalNotifyCompletion
{
    public bool IsCompleted => false;

    public LoopHop GetAwaiter() => this;

    public void GetResult()
    {
    }

    // Only the send loop awaits this, and nothing it does depends on the execution context.
    public void OnCompleted(Action continuation) => connection.ResumeOnLoop(continuation);

    public void UnsafeOnCompleted(Action continuation) => connection.ResumeOnLoop(continuation);
}
