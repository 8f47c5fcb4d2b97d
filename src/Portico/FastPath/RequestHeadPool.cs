namespace Portico.FastPath;

/// <summary>
/// The request heads the fast path's connections borrow while a request is in hand. A head (its
/// line table, framing check and copy buffer: about 0.9 KB) is needed from a request's first
/// byte until its response is done, not while a keep-alive connection waits for the next one;
/// so an idle connection holds none, and a busy connection takes one back from here without
/// allocating. At most <see cref="Capacity"/> wait here: the peak of busy connections, not of
/// open ones, and bounded after a burst.
/// </summary>
internal static class RequestHeadPool
{
    private const int Capacity = 1024;

    private static readonly Lock Gate = new();
    private static readonly RequestHead[] Free = new RequestHead[Capacity];
    private static int _count;

    public static RequestHead Rent()
    {
        lock (Gate)
        {
            if (_count > 0)
            {
                var head = Free[--_count];
                Free[_count] = null!;
                return head;
            }
        }

        return new RequestHead();
    }

    public static void Return(RequestHead head)
    {
        head.Forget();
        lock (Gate)
        {
            if (_count < Capacity)
            {
                Free[_count++] = head;
            }
        }
    }
}
