// Built-in prompt formatters, one per family, writing exactly what llama.cpp's llm_chat_apply_template writes (llama-chat.cpp).
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
        bool add = addAssistantPrompt;
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
            case F.Phi3:
                foreach (var m in messages) sb.Append("<|").Append(m.Role).Append("|>\n").Append(m.Content).Append("<|end|>\n");
                if (add) sb.Append("<|assistant|>\n");
                break;
            case F.Phi4:
                foreach (var m in messages) sb.Append("<|im_start|>").Append(m.Role).Append("<|im_sep|>").Append(m.Content).Append("<|im_end|>");
                if (add) sb.Append("<|im_start|>assistant<|im_sep|>");
                break;
            case F.Falcon3:
                foreach (var m in messages) sb.Append("<|").Append(m.Role).Append("|>\n").Append(m.Content).Append('\n');
                if (add) sb.Append("<|assistant|>\n");
                break;
            case F.Zephyr:
                foreach (var m in messages) sb.Append("<|").Append(m.Role).Append("|>\n").Append(m.Content).Append("<|endoftext|>\n");
                if (add) sb.Append("<|assistant|>\n");
                break;
            case F.Monarch:
                for (int i = 0; i < messages.Count; i++)
                    sb.Append(i == 0 ? "" : "<s>").Append(messages[i].Role).Append('\n').Append(messages[i].Content).Append("</s>\n");
                if (add) sb.Append("<s>assistant\n");
                break;
            case F.Gemma:
            {
                string system = "";
                foreach (var m in messages)
                {
                    if (m.Role == "system") { system += Trim(m.Content); continue; }
                    string role = m.Role == "assistant" ? "model" : m.Role;
                    sb.Append("<start_of_turn>").Append(role).Append('\n');
                    if (system.Length > 0 && role != "model") { sb.Append(system).Append("\n\n"); system = ""; }
                    sb.Append(Trim(m.Content)).Append("<end_of_turn>\n");
                }
                if (add) sb.Append("<start_of_turn>model\n");
                break;
            }
            case F.Orion:
            {
                string system = "";
                foreach (var m in messages)
                {
                    if (m.Role == "system") { system += m.Content; continue; }
                    if (m.Role == "user")
                    {
                        sb.Append("Human: ");
                        if (system.Length > 0) { sb.Append(system).Append("\n\n"); system = ""; }
                        sb.Append(m.Content).Append("\n\nAssistant: </s>");
                    }
                    else sb.Append(m.Content).Append("</s>");
                }
                break;
            }
            case F.OpenChat:
                foreach (var m in messages)
                {
                    if (m.Role == "system") sb.Append(m.Content).Append("<|end_of_turn|>");
                    else sb.Append("GPT4 Correct ").Append(UpperFirst(m.Role)).Append(": ").Append(m.Content).Append("<|end_of_turn|>");
                }
                if (add) sb.Append("GPT4 Correct Assistant:");
                break;
            case F.Vicuna or F.VicunaOrca:
                foreach (var m in messages)
                {
                    if (m.Role == "system") sb.Append(family == F.VicunaOrca ? "SYSTEM: " + m.Content + "\n" : m.Content + "\n\n");
                    else if (m.Role == "user") sb.Append("USER: ").Append(m.Content).Append('\n');
                    else if (m.Role == "assistant") sb.Append("ASSISTANT: ").Append(m.Content).Append("</s>\n");
                }
                if (add) sb.Append("ASSISTANT:");
                break;
            case F.DeepSeek:
                foreach (var m in messages)
                {
                    if (m.Role == "system") sb.Append(m.Content);
                    else if (m.Role == "user") sb.Append("### Instruction:\n").Append(m.Content).Append('\n');
                    else if (m.Role == "assistant") sb.Append("### Response:\n").Append(m.Content).Append("\n<|EOT|>\n");
                }
                if (add) sb.Append("### Response:\n");
                break;
            case F.CommandR:
                foreach (var m in messages)
                {
                    string? tag = m.Role switch { "system" => "SYSTEM", "user" => "USER", "assistant" => "CHATBOT", _ => null };
                    if (tag is not null) sb.Append("<|START_OF_TURN_TOKEN|><|").Append(tag).Append("_TOKEN|>").Append(Trim(m.Content)).Append("<|END_OF_TURN_TOKEN|>");
                }
                if (add) sb.Append("<|START_OF_TURN_TOKEN|><|CHATBOT_TOKEN|>");
                break;
            case F.Llama3:
                foreach (var m in messages)
                    sb.Append("<|start_header_id|>").Append(m.Role).Append("<|end_header_id|>\n\n").Append(Trim(m.Content)).Append("<|eot_id|>");
                if (add) sb.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
                break;
            default:
                FormatMore(family, messages, add, sb);
                break;
        }
        return sb.ToString();
    }

    /// <summary>C's isspace in the "C" locale: space, \t, \n, \v, \f, \r (llama-chat.cpp trim).</summary>
    internal static string Trim(string s) => s.Trim([' ', '\t', '\n', '\v', '\f', '\r']);

    private static string UpperFirst(string s) => s.Length == 0 || s[0] > 0x7F ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
