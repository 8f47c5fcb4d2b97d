namespace Portico.Tests.Architecture;

/// <summary>One file of src/Portico: its path and folder relative to src/Portico, and its text.</summary>
internal sealed record SourceFile(string Path, string Folder, string Text);
