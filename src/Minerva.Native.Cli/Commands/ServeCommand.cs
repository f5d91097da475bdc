// `minerva-native serve`: the OpenAI-compatible endpoints of Minerva.Native.Server on Kestrel, the model loaded once in
// the background (/health answers 503 until it is ready); SIGTERM or Ctrl+C drains the running requests and exits 0.
using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Minerva.Native.Cli.Parsing;
using Minerva.Native.Server;

namespace Minerva.Native.Cli.Commands;

public static class ServeCommand
{
    public static Command Create()
    {
        var model = Common.Model();
        var host = new Option<string>("--host") { Description = "address to listen on", HelpName = "ADDRESS", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "port", HelpName = "N", DefaultValueFactory = _ => 8080 }.Range(0, 65535);
        var parallel = new Option<int>("--parallel") { Description = "requests generating at once, batched together", HelpName = "N", DefaultValueFactory = _ => 4 }.Range(min: 1);
        var queue = new Option<int>("--queue") { Description = "requests waiting for a slot before 503", HelpName = "N", DefaultValueFactory = _ => 64 }.Range(min: 0);
        var apiKey = new Option<string>("--api-key") { Description = "require 'Authorization: Bearer KEY' on /v1, /tokenize, /detokenize", HelpName = "KEY" };
        var apiKeyFile = new Option<string>("--api-key-file") { Description = "the same, the key read from a file (wins over --api-key)", HelpName = "FILE" };
        var alias = new Option<string>("--alias") { Description = "the model id clients see (default: the file name)", HelpName = "NAME" };
        var log = new Option<bool>("--log") { Description = "one line per request on stderr (id, tokens, time to first token, tokens/s)" };
        var load = new LoadFlags(contextDescription: "context per request (default: the model's, at most 4096)");
        var command = new CliCommand("serve", "an OpenAI-compatible HTTP server (chat/completions, completions, models, health, metrics)")
        {
            Epilog = """
                Endpoints: POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /health, GET /metrics,
                POST /tokenize, POST /detokenize. SIGTERM or Ctrl+C drains the running requests (10 s) and exits 0.
                """,
        };
        command.Add(model);
        command.Add(host);
        command.Add(port);
        command.Add(parallel);
        command.Add(queue);
        load.AddTo(command);
        command.Add(apiKey);
        command.Add(apiKeyFile);
        command.Add(alias);
        command.Add(log);
        command.SetAction(r =>
        {
            string path = r.GetValue(model)!;
            string? key = r.GetValue(apiKeyFile) is { } keyFile ? File.ReadAllText(keyFile).Trim() : r.GetValue(apiKey);
            if (key is { Length: 0 }) throw new UsageException("the API key is empty");
            if (!File.Exists(path) && !Directory.Exists(path)) throw new FileNotFoundException($"{path}: no such file or folder");
            int slots = r.GetValue(parallel);
            return Serve(new MinervaServerOptions
            {
                ModelPath = path, Model = load.Bind(r) with { MaxSequences = slots }, Parallel = slots, MaxQueue = r.GetValue(queue),
                ApiKey = key, Alias = r.GetValue(alias), Log = r.GetValue(log) ? Console.Error : null,
            }, r.GetValue(host)!, r.GetValue(port)).GetAwaiter().GetResult();
        });
        return command;
    }

    private static async Task<int> Serve(MinervaServerOptions options, string host, int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{(host.Contains(':') ? $"[{host}]" : host)}:{port}");
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        await using var server = new MinervaServer(options, (m, id) => m.AsChatClient(id));
        var app = builder.Build();
        app.MapMinervaOpenAi(server);
        await app.StartAsync().ConfigureAwait(false);
        Console.Error.WriteLine($"minerva-native serve: listening on {string.Join(", ", app.Urls)}; loading {options.ModelPath}");
        try
        {
            await server.LoadAsync(app.Lifetime.ApplicationStopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Console.Error.WriteLine($"minerva-native serve: error: {e.Message}");
            await app.StopAsync().ConfigureAwait(false);
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 0;
        }
        var m = server.Model!;
        Console.Error.WriteLine($"minerva-native serve: ready: {server.ModelId} ({m.Format}, {m.Config.Layers} layers) on {m.BackendName}: {m.DeviceName}, " +
                                $"{m.MaxSequences} x {m.ContextLength} tokens");
        await app.WaitForShutdownAsync().ConfigureAwait(false);
        Console.Error.WriteLine("minerva-native serve: stopped");
        return 0;
    }
}
