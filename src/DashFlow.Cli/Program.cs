using DashFlow.Cli;

return DashFlowCli.Run(args, Console.Out, Console.Error);
