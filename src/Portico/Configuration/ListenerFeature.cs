namespace Portico.Configuration;

/// <summary>
/// The listener a connection arrived on: set once per connection where the listeners are built
/// (Hosting's PorticoHost), read by the request stages that act per listener (IP rules, TLS
/// redirect and HSTS, ACME challenges). Beside the settings it names, so those stages need not
/// reach into Hosting, the composition root.
/// </summary>
internal sealed class ListenerFeature(string name)
{
    public string Name { get; } = name;
}
