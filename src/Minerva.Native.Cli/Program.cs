using Minerva.Native.Cli;

return CommandLine.Run(args);
