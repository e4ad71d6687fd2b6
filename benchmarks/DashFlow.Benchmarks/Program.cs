using BenchmarkDotNet.Running;

// Micro benchmarks: dotnet run -c Release --project benchmarks/DashFlow.Benchmarks -- --filter '*'
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
