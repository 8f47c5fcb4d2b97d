using Portico.Cli;

return await CliApp.RunAsync(args);
