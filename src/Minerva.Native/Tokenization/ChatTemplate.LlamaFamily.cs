// The prompt formatters of the families this engine runs (Llama 2/3/4, Mistral, ChatML), byte for byte what llama.cpp's
// llm_chat_apply_template (llama-chat.cpp) writes; ChatTemplate.OtherFamilies.cs has the rest.
using System.Text;
using F = Minerva.Native.Tokenization.ChatTemplateFamily;

namespace Minerva.Native.Tokenization;

public static partial class ChatTemplate
{
    /// <summary>Formats <paramref name="messages"/> in the given family's layout.</summary>
    public static string Format(ChatTemplateFamily family, IReadOnlyList<ChatMessage> messages, bool addAssistantPrompt)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var sb = new StringBuilder();
        if (!FormatLlamaFamily(family, messages, addAssistantPrompt, sb)) FormatOtherFamily(family, messages, addAssistantPrompt, sb);
        return sb.ToString();
    }

    /// <summary>Llama 2/3/4, Mistral v1/v3/v7 and ChatML (Qwen2, SmolLM2); false for any other family.</summary>
    private static bool FormatLlamaFamily(ChatTemplateFamily family, IReadOnlyList<ChatMessage> messages, bool add, StringBuilder sb)
    {
        switch (family)
        {
            case F.ChatMl:
                foreach (var m in messages) sb.Append("<|im_start|>").Append(m.Role).Append('\n').Append(m.Content).Append("<|im_end|>\n");
                if (add) sb.Append("<|im_start|>assistant\n");
                break;
            case F.MistralV7 or F.MistralV7Tekken:
                {
                    string sp = family == F.MistralV7 ? " " : "";
                    foreach (var m in messages)
                    {
                        if (m.Role == "system") sb.Append("[SYSTEM_PROMPT]").Append(sp).Append(m.Content).Append("[/SYSTEM_PROMPT]");
                        else if (m.Role == "user") sb.Append("[INST]").Append(sp).Append(m.Content).Append("[/INST]");
                        else sb.Append(sp).Append(m.Content).Append("</s>");
                    }
                    break;
                }
            case F.MistralV1 or F.MistralV3 or F.MistralV3Tekken:
                {
                    string lead = family == F.MistralV1 ? " " : "";
                    string trail = family == F.MistralV3Tekken ? "" : " ";
                    bool inTurn = false;
                    foreach (var m in messages)
                    {
                        if (!inTurn) { sb.Append(lead).Append("[INST]").Append(trail); inTurn = true; }
                        if (m.Role == "system") sb.Append(m.Content).Append("\n\n");
                        else if (m.Role == "user") sb.Append(m.Content).Append(lead).Append("[/INST]");
                        else
                        {
                            sb.Append(trail).Append(family == F.MistralV3 ? Trim(m.Content) : m.Content).Append("</s>");
                            inTurn = false;
                        }
                    }
                    break;
                }
            case F.Llama2 or F.Llama2Sys or F.Llama2SysBos or F.Llama2SysStrip:
                {
                    bool inTurn = true;
                    sb.Append("[INST] ");
                    foreach (var m in messages)
                    {
                        string content = family == F.Llama2SysStrip ? Trim(m.Content) : m.Content;
                        if (!inTurn) { inTurn = true; sb.Append(family == F.Llama2SysBos ? "<s>[INST] " : "[INST] "); }
                        if (m.Role == "system")
                        {
                            if (family != F.Llama2) sb.Append("<<SYS>>\n").Append(content).Append("\n<</SYS>>\n\n");
                            else sb.Append(content).Append('\n');
                        }
                        else if (m.Role == "user") sb.Append(content).Append(" [/INST]");
                        else { sb.Append(content).Append("</s>"); inTurn = false; }
                    }
                    break;
                }
            case F.Llama3:
                foreach (var m in messages)
                    sb.Append("<|start_header_id|>").Append(m.Role).Append("<|end_header_id|>\n\n").Append(Trim(m.Content)).Append("<|eot_id|>");
                if (add) sb.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
                break;
            case F.Llama4:
                foreach (var m in messages)
                    sb.Append("<|header_start|>").Append(m.Role).Append("<|header_end|>\n\n").Append(Trim(m.Content)).Append("<|eot|>");
                if (add) sb.Append("<|header_start|>assistant<|header_end|>\n\n");
                break;
            default:
                return false;
        }
        return true;
    }

    /// <summary>C's isspace in the "C" locale: space, \t, \n, \v, \f, \r (llama-chat.cpp trim).</summary>
    internal static string Trim(string s) => s.Trim([' ', '\t', '\n', '\v', '\f', '\r']);

    private static string UpperFirst(string s) => s.Length == 0 || s[0] > 0x7F ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
