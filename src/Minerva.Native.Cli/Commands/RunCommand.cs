using System.CommandLine;
using System.Diagnostics;
using Minerva.Native.Cli.Parsing;
using Minerva.Native.Generation;
using Minerva.Native.Tokenization;

namespace Minerva.Native.Cli.Commands;

/// <summary>`minerva-native run`: stream a completion, then print load time and prompt/generation speed.</summary>
public static class RunCommand
{
    public static Command Create()
    {
        var model = Common.Model();
        var prompt = new Option<string>("--prompt", "-p") { Description = "prompt text (or -f FILE)", HelpName = "TEXT" };
        var file = new Option<string>("--file", "-f") { Description = "read the prompt from a file", HelpName = "FILE" };
        var maxTokens = new Option<int>("--max-tokens", "-n") { Description = "tokens to generate", HelpName = "N", DefaultValueFactory = _ => 128 }.Range(min: 0);
        var temperature = new Option<float>("--temp") { Description = "temperature (0 = greedy)", HelpName = "T", DefaultValueFactory = _ => 0.8f }.Range();
        var topK = new Option<int>("--top-k") { Description = "keep the K most likely tokens (0 = off)", HelpName = "K", DefaultValueFactory = _ => 40 }.Range(min: 0);
        var topP = new Option<float>("--top-p") { Description = "keep the smallest set whose probability reaches P (1 = off)", HelpName = "P", DefaultValueFactory = _ => 0.95f }.Range(0f, 1f);
        var minP = new Option<float>("--min-p") { Description = "drop tokens less likely than P x the most likely one (0 = off)", HelpName = "P", DefaultValueFactory = _ => 0.05f }.Range(0f, 1f);
        var repeatPenalty = new Option<float>("--repeat-penalty") { Description = "penalty on tokens of the last 64 (1 = off)", HelpName = "R", DefaultValueFactory = _ => 1.0f }.Range(min: 0f);
        var seed = new Option<ulong>("--seed") { Description = "sampling seed (64-bit)", HelpName = "N", DefaultValueFactory = _ => new GenerationOptions().Seed }.Range();
        var stop = new Option<string[]>("--stop") { Description = "stop string (repeatable)", HelpName = "TEXT" };
        var chat = new Option<bool>("--chat") { Description = "wrap the prompt in the model's chat template (tokenizer.chat_template)" };
        var system = new Option<string>("--system") { Description = "system message for --chat", HelpName = "TEXT" };
        var ignoreEos = new Option<bool>("--ignore-eos") { Description = "keep generating past the end-of-sequence token" };
        var load = new LoadFlags();
        var command = new CliCommand("run", "generate text from a prompt (streams, then prints speed)")
        {
            model, prompt, file, maxTokens, temperature, topK, topP, minP, repeatPenalty, seed, stop, chat, system, ignoreEos,
        };
        load.AddTo(command);
        command.SetAction(r => Run(r.GetValue(model)!, r.GetValue(file) is { } f ? File.ReadAllText(f) : r.GetValue(prompt),
            r.GetValue(chat), r.GetValue(system), load.Bind(r), new GenerationOptions
            {
                MaxTokens = r.GetValue(maxTokens), Temperature = r.GetValue(temperature), TopK = r.GetValue(topK), TopP = r.GetValue(topP),
                MinP = r.GetValue(minP), RepeatPenalty = r.GetValue(repeatPenalty), Seed = r.GetValue(seed),
                StopStrings = r.GetValue(stop) ?? [], IgnoreEos = r.GetValue(ignoreEos),
            }));
        return command;
    }

    private static int Run(string model, string? prompt, bool chat, string? system, ModelOptions load, GenerationOptions options)
    {
        if (string.IsNullOrEmpty(prompt)) throw new UsageException("the prompt is empty: give -p TEXT or -f FILE");

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
        bool cancelled = false;
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
        catch (OperationCanceledException) { stdout.WriteLine(); Console.Error.WriteLine("(cancelled)"); cancelled = true; }
        double total = clock.Elapsed.TotalSeconds;
        stdout.WriteLine();
        double genSeconds = total - firstToken;
        Console.Error.WriteLine($"load: {m.LoadTime.TotalMilliseconds:F0} ms | prompt: {ids.Length} tokens, {ids.Length / Math.Max(firstToken, 1e-9):F1} tokens/s | " +
                                $"generation: {generated} tokens, {(generated > 1 ? (generated - 1) / Math.Max(genSeconds, 1e-9) : 0):F1} tokens/s");
        return cancelled ? CommandLine.ExitCancelled : CommandLine.ExitOk;
    }
}
