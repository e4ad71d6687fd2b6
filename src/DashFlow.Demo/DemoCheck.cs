namespace DashFlow.Demo;

/// <summary>One pass/fail check of the demo's report.</summary>
/// <param name="Name">What is checked, in a few words.</param>
/// <param name="Passed">True when it held.</param>
/// <param name="Detail">The figures behind the verdict.</param>
public readonly record struct DemoCheck(string Name, bool Passed, string Detail);
