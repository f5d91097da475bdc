using System.Diagnostics;
using Minerva.Native.Generation;
using Minerva.Native.Tokenization;

namespace Minerva.Native.Cli.Commands;

/// <summary>`minerva-native run`: stream a completion, then print load time and prompt/generation speed.</summary>
public static class RunCommand
{
    public const string Usage = """
        usage: minerva-native run -m MODEL -p PROMPT [options]
          -m, --model PATH        .gguf file or safetensors file/folder
          -p, --prompt TEXT       prompt text (or -f FILE)
          -f, --file FILE         read the prompt from a file
          -n, --max-tokens N      tokens to generate (default 128)
          --temp T                temperature (default 0.8; 0 = greedy)
          --top-k K               (default 40; 0 = off)     --top-p P   (default 0.95)
          --min-p P               (default 0.05)            --repeat-penalty R (default 1.0)
          --seed N                sampling seed (default 12648430)
          --stop TEXT             stop string (repeatable)
          --chat                  wrap the prompt in the model's chat template (tokenizer.chat_template)
          --system TEXT           system message for --chat
          --threads N             CPU threads (default: all cores)
          --device cuda|cpu|auto  where to run (default auto: the GPU when there is one)
          -c, --ctx-size N        context length (default: the model's, at most 4096)
          --ignore-eos            keep generating past the end-of-sequence token
        """;

    public static int Run(Args a)
    {
        if (a.Help) { Console.WriteLine(Usage); return 0; }
        string model = a.Option("-m", "--model") ?? throw new UsageException("-m MODEL is required");
        string? prompt = a.Option("-p", "--prompt");
        if (a.Option("-f", "--file") is { } file) prompt = File.ReadAllText(file);
        var options = new GenerationOptions
        {
            MaxTokens = a.Int(128, "-n", "--max-tokens"),
            Temperature = a.Float(0.8f, "--temp"),
            TopK = a.Int(40, "--top-k"),
            TopP = a.Float(0.95f, "--top-p"),
            MinP = a.Float(0.05f, "--min-p"),
            RepeatPenalty = a.Float(1.0f, "--repeat-penalty"),
            Seed = (ulong)a.Int(12648430, "--seed"),
            StopStrings = a.Options("--stop"),
            IgnoreEos = a.Flag("--ignore-eos"),
        };
        bool chat = a.Flag("--chat");
        string? system = a.Option("--system");
        var load = Common.ModelOptions(a);
        a.Positionals().ForEach(p => throw new UsageException($"unexpected argument '{p}'"));
        if (string.IsNullOrEmpty(prompt)) throw new UsageException("the prompt is empty: give -p TEXT or -f FILE");
        if (options.MaxTokens < 0) throw new UsageException("-n must be >= 0");

        using var m = LlamaModel.Load(model, load);
        if (!Console.IsErrorRedirected) Console.Error.WriteLine($"loaded {Path.GetFileName(model)} ({m.Format}, {m.Config.Layers} layers) on {m.BackendName}: {m.DeviceName} in {m.LoadTime.TotalSeconds:F2} s");
        if (chat)
        {
            var messages = new List<ChatMessage>();
            if (system is not null) messages.Add(new ChatMessage("system", system));
            messages.Add(new ChatMessage("user", prompt));
            prompt = ChatTemplate.Apply(m.Tokenizer.ChatTemplate, messages, addAssistantPrompt: true);
        }

        using var session = m.CreateSession();
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        int[] ids = m.Tokenizer.Encode(prompt, m.Tokenizer.AddBos, parseSpecial: true);
        var decoder = new TokenTextDecoder(m.Tokenizer);
        var stops = new StopStringFilter(options.StopStrings);
        var stdout = Console.Out;
        stdout.Write(prompt);

        var clock = Stopwatch.StartNew();
        double firstToken = 0;
        int generated = 0;
        try
        {
            foreach (int token in session.GenerateTokens(ids, options, cancel.Token))
            {
                if (generated++ == 0) firstToken = clock.Elapsed.TotalSeconds;
                var (emit, stop) = stops.Push(decoder.Append(token));
                stdout.Write(emit);
                stdout.Flush();
                if (stop) break;
            }
            stdout.Write(stops.Flush(decoder.Flush()));
        }
        catch (OperationCanceledException) { stdout.WriteLine(); Console.Error.WriteLine("(cancelled)"); }
        double total = clock.Elapsed.TotalSeconds;
        stdout.WriteLine();
        double genSeconds = total - firstToken;
        Console.Error.WriteLine($"load: {m.LoadTime.TotalMilliseconds:F0} ms | prompt: {ids.Length} tokens, {ids.Length / Math.Max(firstToken, 1e-9):F1} tokens/s | " +
                                $"generation: {generated} tokens, {(generated > 1 ? (generated - 1) / Math.Max(genSeconds, 1e-9) : 0):F1} tokens/s");
        return 0;
    }
}
