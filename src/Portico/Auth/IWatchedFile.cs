namespace Portico.Auth;

/// <summary>A credentials file a config uses, whatever it parses to: watched once the config serves, closed when it is retired.</summary>
internal interface IWatchedFile : IDisposable
{
    void Watch(AuthLog log, TimeProvider time);
}
