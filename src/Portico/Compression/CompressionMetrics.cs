using System.Diagnostics.Metrics;

namespace Portico.Compression;

/// <summary>Meter "Portico.Compression": how many responses Portico encoded, and the bytes before and after.</summary>
internal sealed class CompressionMetrics
{
    public const string MeterName = "Portico.Compression";

    private readonly Counter<long> _responses;
    private readonly Counter<long> _bytesIn;
    private readonly Counter<long> _bytesOut;

    public CompressionMetrics(IMeterFactory factory)
    {
        var meter = factory.Create(MeterName);
        _responses = meter.CreateCounter<long>("portico.compression.responses", "{response}", "Responses Portico compressed, by encoding");
        _bytesIn = meter.CreateCounter<long>("portico.compression.input", "By", "Body bytes given to the encoders, by encoding");
        _bytesOut = meter.CreateCounter<long>("portico.compression.output", "By", "Encoded bytes the encoders produced, by encoding");
    }

    public void Compressed(string encoding, long bytesIn, long bytesOut)
    {
        var tag = new KeyValuePair<string, object?>("encoding", encoding);
        _responses.Add(1, tag);
        _bytesIn.Add(bytesIn, tag);
        _bytesOut.Add(bytesOut, tag);
    }
}
