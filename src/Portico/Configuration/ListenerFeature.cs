namespace Portico.Hosting;

/// <summary>
/// The listener a connection arrived on: set once per connection where the listeners are built
/// (<see cref="PorticoHost"/>), read by the request stages that act per listener (IP rules, TLS
/// redirect and HSTS, ACME challenges).
/// </summary>
internal sealed class ListenerFeature(string name)
{
    public string Name { get; } = name;
}
