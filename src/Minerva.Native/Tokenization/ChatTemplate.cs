// Chat template family detection from the Jinja text by substrings, in llama.cpp's order (llama-chat.cpp llm_chat_detect_template).
namespace Minerva.Native.Tokenization;

/// <summary>The prompt formats the built-in formatter knows (named as llama.cpp names them).</summary>
public enum ChatTemplateFamily
{
    ChatMl, Llama2, Llama2Sys, Llama2SysBos, Llama2SysStrip, MistralV1, MistralV3, MistralV3Tekken, MistralV7, MistralV7Tekken,
    Phi3, Phi4, Falcon3, Zephyr, Monarch, Gemma, Orion, OpenChat, Vicuna, VicunaOrca, DeepSeek, DeepSeek2, DeepSeek3,
    CommandR, Llama3, ChatGlm3, ChatGlm4, GlmEdge, MiniCpm, Exaone3, Exaone4, RwkvWorld, Granite, GigaChat, Megrez, Yandex,
    Bailing, Llama4, SmolVlm, Dots1, HunyuanMoe, GptOss,
}

/// <summary>
/// Formats a conversation the way llama.cpp's <c>llama_chat_apply_template</c> does: the model's Jinja template is not
/// executed, its family is recognised by marker substrings and a built-in formatter writes the prompt.
/// </summary>
public static partial class ChatTemplate
{
    private static readonly (string Name, ChatTemplateFamily Family)[] Names =
    [
        ("chatml", ChatTemplateFamily.ChatMl), ("llama2", ChatTemplateFamily.Llama2), ("llama2-sys", ChatTemplateFamily.Llama2Sys),
        ("llama2-sys-bos", ChatTemplateFamily.Llama2SysBos), ("llama2-sys-strip", ChatTemplateFamily.Llama2SysStrip),
        ("mistral-v1", ChatTemplateFamily.MistralV1), ("mistral-v3", ChatTemplateFamily.MistralV3),
        ("mistral-v3-tekken", ChatTemplateFamily.MistralV3Tekken), ("mistral-v7", ChatTemplateFamily.MistralV7),
        ("mistral-v7-tekken", ChatTemplateFamily.MistralV7Tekken), ("phi3", ChatTemplateFamily.Phi3), ("phi4", ChatTemplateFamily.Phi4),
        ("falcon3", ChatTemplateFamily.Falcon3), ("zephyr", ChatTemplateFamily.Zephyr), ("monarch", ChatTemplateFamily.Monarch),
        ("gemma", ChatTemplateFamily.Gemma), ("orion", ChatTemplateFamily.Orion), ("openchat", ChatTemplateFamily.OpenChat),
        ("vicuna", ChatTemplateFamily.Vicuna), ("vicuna-orca", ChatTemplateFamily.VicunaOrca), ("deepseek", ChatTemplateFamily.DeepSeek),
        ("deepseek2", ChatTemplateFamily.DeepSeek2), ("deepseek3", ChatTemplateFamily.DeepSeek3), ("command-r", ChatTemplateFamily.CommandR),
        ("llama3", ChatTemplateFamily.Llama3), ("chatglm3", ChatTemplateFamily.ChatGlm3), ("chatglm4", ChatTemplateFamily.ChatGlm4),
        ("glmedge", ChatTemplateFamily.GlmEdge), ("minicpm", ChatTemplateFamily.MiniCpm), ("exaone3", ChatTemplateFamily.Exaone3),
        ("exaone4", ChatTemplateFamily.Exaone4), ("rwkv-world", ChatTemplateFamily.RwkvWorld), ("granite", ChatTemplateFamily.Granite),
        ("gigachat", ChatTemplateFamily.GigaChat), ("megrez", ChatTemplateFamily.Megrez), ("yandex", ChatTemplateFamily.Yandex),
        ("bailing", ChatTemplateFamily.Bailing), ("llama4", ChatTemplateFamily.Llama4), ("smolvlm", ChatTemplateFamily.SmolVlm),
        ("hunyuan-moe", ChatTemplateFamily.HunyuanMoe), ("gpt-oss", ChatTemplateFamily.GptOss),
    ];

    /// <summary>The names accepted in place of a Jinja template (llama.cpp's LLM_CHAT_TEMPLATES keys we support).</summary>
    public static IEnumerable<string> SupportedNames => Names.Select(n => n.Name);

    /// <summary>
    /// The family of a Jinja template (or a family name such as "chatml"); null when llama.cpp would not recognise it.
    /// </summary>
    public static ChatTemplateFamily? Detect(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        foreach ((string name, ChatTemplateFamily family) in Names)
            if (name == template) return family;

        bool Has(string s) => template.Contains(s, StringComparison.Ordinal);
        if (Has("<|im_start|>"))
            return Has("<|im_sep|>") ? ChatTemplateFamily.Phi4 : Has("<end_of_utterance>") ? ChatTemplateFamily.SmolVlm : ChatTemplateFamily.ChatMl;
        if (template.StartsWith("mistral", StringComparison.Ordinal) || Has("[INST]"))
        {
            if (Has("[SYSTEM_PROMPT]")) return ChatTemplateFamily.MistralV7;
            if (Has("' [INST] ' + system_message") || Has("[AVAILABLE_TOOLS]"))
                return Has(" [INST]") ? ChatTemplateFamily.MistralV1 : Has("\"[INST]\"") ? ChatTemplateFamily.MistralV3Tekken : ChatTemplateFamily.MistralV3;
            if (Has("content.strip()")) return ChatTemplateFamily.Llama2SysStrip;
            if (Has("bos_token + '[INST]")) return ChatTemplateFamily.Llama2SysBos;
            return Has("<<SYS>>") ? ChatTemplateFamily.Llama2Sys : ChatTemplateFamily.Llama2;
        }
        if (Has("<|assistant|>") && Has("<|end|>")) return ChatTemplateFamily.Phi3;
        if (Has("[gMASK]<sop>")) return ChatTemplateFamily.ChatGlm4;
        if (Has("<|assistant|>") && Has("<|user|>")) return Has("</s>") ? ChatTemplateFamily.Falcon3 : ChatTemplateFamily.GlmEdge;
        if (Has("<|{{ item['role'] }}|>") && Has("<|begin_of_image|>")) return ChatTemplateFamily.GlmEdge;
        if (Has("<|user|>") && Has("<|endoftext|>")) return ChatTemplateFamily.Zephyr;
        if (Has("bos_token + message['role']")) return ChatTemplateFamily.Monarch;
        if (Has("<start_of_turn>")) return ChatTemplateFamily.Gemma;
        if (Has("'\\n\\nAssistant: ' + eos_token")) return ChatTemplateFamily.Orion;
        if (Has("GPT4 Correct ")) return ChatTemplateFamily.OpenChat;
        if (Has("USER: ") && Has("ASSISTANT: ")) return Has("SYSTEM: ") ? ChatTemplateFamily.VicunaOrca : ChatTemplateFamily.Vicuna;
        if (Has("### Instruction:") && Has("<|EOT|>")) return ChatTemplateFamily.DeepSeek;
        if (Has("<|START_OF_TURN_TOKEN|>") && Has("<|USER_TOKEN|>")) return ChatTemplateFamily.CommandR;
        if (Has("<|start_header_id|>") && Has("<|end_header_id|>")) return ChatTemplateFamily.Llama3;
        if (Has("[gMASK]sop")) return ChatTemplateFamily.ChatGlm3;
        if (Has("<用户>")) return ChatTemplateFamily.MiniCpm;
        if (Has("'Assistant: ' + message['content'] + eos_token")) return ChatTemplateFamily.DeepSeek2;
        if (Has("<｜Assistant｜>") && Has("<｜User｜>") && Has("<｜end▁of▁sentence｜>")) return ChatTemplateFamily.DeepSeek3;
        if (Has("[|system|]") && Has("[|assistant|]") && Has("[|endofturn|]"))
            return Has("[|tool|]") ? ChatTemplateFamily.Exaone4 : ChatTemplateFamily.Exaone3;
        if (Has("rwkv-world") || Has("{{- 'User: ' + message['content']|trim + '\\n\\n' -}}")) return ChatTemplateFamily.RwkvWorld;
        if (Has("<|start_of_role|>")) return ChatTemplateFamily.Granite;
        if (Has("message['role'] + additional_special_tokens[0] + message['content'] + additional_special_tokens[1]")) return ChatTemplateFamily.GigaChat;
        if (Has("<|role_start|>")) return ChatTemplateFamily.Megrez;
        if (Has(" Ассистент:")) return ChatTemplateFamily.Yandex;
        if (Has("<role>ASSISTANT</role>") && Has("'HUMAN'")) return ChatTemplateFamily.Bailing;
        if (Has("<|header_start|>") && Has("<|header_end|>")) return ChatTemplateFamily.Llama4;
        if (Has("<|endofuserprompt|>")) return ChatTemplateFamily.Dots1;
        if (Has("<|extra_0|>") && Has("<|extra_4|>")) return ChatTemplateFamily.HunyuanMoe;
        if (Has("<|start|>") && Has("<|channel|>")) return ChatTemplateFamily.GptOss;
        return null;
    }

    /// <summary>
    /// The prompt for <paramref name="messages"/>; a null template means "chatml" (llama.cpp's default). With
    /// <paramref name="addAssistantPrompt"/> the opening of the assistant's turn is appended where the family has one.
    /// Throws <see cref="NotSupportedException"/> for a template whose family is not recognised.
    /// </summary>
    public static string Apply(string? jinjaTemplate, IReadOnlyList<ChatMessage> messages, bool addAssistantPrompt)
    {
        ArgumentNullException.ThrowIfNull(messages);
        string template = jinjaTemplate ?? "chatml";
        ChatTemplateFamily family = Detect(template) ?? throw new NotSupportedException(
            "Unrecognised chat template (only llama.cpp's built-in formats are supported: " + string.Join(", ", SupportedNames) +
            "). Template starts with: " + (template.Length > 120 ? template[..120] + "..." : template));
        return Format(family, messages, addAssistantPrompt);
    }
}
