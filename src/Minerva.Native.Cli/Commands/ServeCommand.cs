// `minerva-native serve`: the OpenAI-compatible endpoints of Minerva.Native.Server on Kestrel, the model loaded once in
// the background (/health answers 503 until it is ready); SIGTERM or Ctrl+C drains the running requests and exits 0.
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Minerva.Native.Server;

namespace Minerva.Native.Cli.Commands;

public static class ServeCommand
{
    public const string Usage = """
        usage: minerva-native serve -m MODEL [options]
          -m, --model PATH        .gguf file or safetensors file/folder
          --host ADDRESS          address to listen on (default 127.0.0.1)
          --port N                port (default 8080)
          --parallel N            requests generating at once, batched together (default 4)
          --queue N               requests waiting for a slot before 503 (default 64)
          -c, --ctx-size N        context per request (default: the model's, at most 4096)
          -b, --batch-size N      most tokens one step processes (default 512)
          --threads N             CPU threads (default: all cores)
          --device cuda|cpu|auto  where to run (default auto)
          --api-key KEY           require 'Authorization: Bearer KEY' on /v1, /tokenize, /detokenize
          --api-key-file F        the same, the key read from a file
          --alias NAME            the model id clients see (default: the file name)
          --log                   one line per request on stderr (id, tokens, time to first token, tokens/s)
        endpoints: POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /health, GET /metrics,
                   POST /tokenize, POST /detokenize
        """;

    public static int Run(Args a)
    {
        if (a.Help) { Console.WriteLine(Usage); return 0; }
        string model = a.Option("-m", "--model") ?? throw new UsageException("-m MODEL is required");
        string host = a.Option("--host") ?? "127.0.0.1";
        int port = a.Int(8080, "--port");
        if (port is < 0 or > 65535) throw new UsageException($"--port {port} is not a port number");
        int parallel = a.Int(4, "--parallel");
        int queue = a.Int(64, "--queue");
        if (parallel < 1) throw new UsageException("--parallel must be at least 1");
        if (queue < 0) throw new UsageException("--queue must not be negative");
        string? key = a.Option("--api-key");
        if (a.Option("--api-key-file") is { } keyFile) key = File.ReadAllText(keyFile).Trim();
        if (key is { Length: 0 }) throw new UsageException("the API key is empty");
        string? alias = a.Option("--alias");
        bool log = a.Flag("--log");
        var load = Common.ModelOptions(a) with { MaxSequences = parallel };
        a.Positionals().ForEach(p => throw new UsageException($"unexpected argument '{p}'"));
        if (!File.Exists(model) && !Directory.Exists(model)) throw new FileNotFoundException($"{model}: no such file or folder");
        return Serve(new MinervaServerOptions
        {
            ModelPath = model, Model = load, Parallel = parallel, MaxQueue = queue, ApiKey = key, Alias = alias,
            Log = log ? Console.Error : null,
        }, host, port).GetAwaiter().GetResult();
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
