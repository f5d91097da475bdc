// The real server (Kestrel, the real endpoints, a real tiny model) on a loopback port chosen by the OS, for tests that
// drive it with real clients. Stopped and its model disposed at the end.
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Minerva.Native.Server;
using Minerva.Native.Tests.Model;

namespace Minerva.Native.Tests.Server;

internal sealed class ServerFixture : IAsyncDisposable
{
    private readonly WebApplication _app;
    public MinervaServer Server { get; }
    public Uri BaseAddress { get; }
    public HttpClient Http { get; }

    private ServerFixture(WebApplication app, MinervaServer server, Uri address)
    {
        _app = app;
        Server = server;
        BaseAddress = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(120) };
    }

    public static async Task<ServerFixture> StartAsync(string? apiKey = null, int parallel = 4, int queue = 64, string type = "q8_0", bool load = true)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var server = new MinervaServer(new MinervaServerOptions
        {
            ModelPath = TestModels.Gguf(type),
            Model = new ModelOptions { Device = DeviceKind.Cpu, Threads = 2, ContextLength = 256 },
            Parallel = parallel, MaxQueue = queue, ApiKey = apiKey, Alias = "tiny",
        }, (m, id) => m.AsChatClient(id));
        var app = builder.Build();
        app.MapMinervaOpenAi(server);
        await app.StartAsync();
        if (load) await server.LoadAsync();
        return new ServerFixture(app, server, new Uri(app.Urls.First()));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Server.DisposeAsync();
    }
}
