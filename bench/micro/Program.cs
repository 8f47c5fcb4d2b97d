using BenchmarkDotNet.Running;

// Micro-benchmarks of Portico's own per-request functions (bench/README.md, "Micro-benchmarks"):
//   dotnet run -c Release --project bench/micro -- --filter '*'
//   dotnet run -c Release --project bench/micro -- --filter '*Vary*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Portico.Micro.Sample).Assembly).Run(args);
