namespace Portico.Security;

/// <summary>The listener a connection arrived on, set by the connection gate for request stages.</summary>
internal sealed class ListenerFeature(string name)
{
    public string Name { get; } = name;
}
