// The prompt formatters of every other family llama.cpp's llm_chat_apply_template knows (llama-chat.cpp: Phi, Gemma,
// Zephyr, DeepSeek, GLM, Granite, ...), same output byte for byte.
using System.Text;
using F = Minerva.Native.Tokenization.ChatTemplateFamily;

namespace Minerva.Native.Tokenization;

public static partial class ChatTemplate
{
    private static void FormatOtherFamily(ChatTemplateFamily family, IReadOnlyList<ChatMessage> messages, bool add, StringBuilder sb)
    {
        switch (family)
        {
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
            case F.ChatGlm3:
                sb.Append("[gMASK]sop");
                foreach (var m in messages) sb.Append("<|").Append(m.Role).Append("|>\n ").Append(m.Content);
                if (add) sb.Append("<|assistant|>");
                break;
            case F.ChatGlm4:
                sb.Append("[gMASK]<sop>");
                foreach (var m in messages) sb.Append("<|").Append(m.Role).Append("|>\n").Append(m.Content);
                if (add) sb.Append("<|assistant|>\n");
                break;
            case F.GlmEdge:
                foreach (var m in messages) sb.Append("<|").Append(m.Role).Append("|>\n").Append(m.Content);
                if (add) sb.Append("<|assistant|>");
                break;
            case F.MiniCpm:
                foreach (var m in messages)
                {
                    if (m.Role == "user") sb.Append("<用户>").Append(Trim(m.Content)).Append("<AI>");
                    else sb.Append(Trim(m.Content));
                }
                break;
            case F.DeepSeek2:
                foreach (var m in messages)
                {
                    if (m.Role == "system") sb.Append(m.Content).Append("\n\n");
                    else if (m.Role == "user") sb.Append("User: ").Append(m.Content).Append("\n\n");
                    else if (m.Role == "assistant") sb.Append("Assistant: ").Append(m.Content).Append("<｜end▁of▁sentence｜>");
                }
                if (add) sb.Append("Assistant:");
                break;
            case F.DeepSeek3:
                foreach (var m in messages)
                {
                    if (m.Role == "system") sb.Append(m.Content).Append("\n\n");
                    else if (m.Role == "user") sb.Append("<｜User｜>").Append(m.Content);
                    else if (m.Role == "assistant") sb.Append("<｜Assistant｜>").Append(m.Content).Append("<｜end▁of▁sentence｜>");
                }
                if (add) sb.Append("<｜Assistant｜>");
                break;
            case F.Exaone3 or F.Exaone4:
                foreach (var m in messages)
                {
                    if (m.Role == "system") sb.Append("[|system|]").Append(Trim(m.Content)).Append("[|endofturn|]\n");
                    else if (m.Role == "user") sb.Append("[|user|]").Append(Trim(m.Content)).Append('\n');
                    else if (m.Role == "assistant") sb.Append("[|assistant|]").Append(Trim(m.Content)).Append("[|endofturn|]\n");
                    else if (m.Role == "tool" && family == F.Exaone4) sb.Append("[|tool|]").Append(Trim(m.Content)).Append("[|endofturn|]\n");
                }
                if (add) sb.Append("[|assistant|]");
                break;
            case F.RwkvWorld:
                for (int i = 0; i < messages.Count; i++)
                {
                    var m = messages[i];
                    if (m.Role == "system") sb.Append("System: ").Append(Trim(m.Content)).Append("\n\n");
                    else if (m.Role == "user")
                    {
                        sb.Append("User: ").Append(Trim(m.Content)).Append("\n\n");
                        if (i == messages.Count - 1) sb.Append("Assistant:");
                    }
                    else if (m.Role == "assistant") sb.Append("Assistant: ").Append(Trim(m.Content)).Append("\n\n");
                }
                break;
            case F.Granite:
                foreach (var m in messages)
                {
                    sb.Append("<|start_of_role|>").Append(m.Role).Append("<|end_of_role|>");
                    if (m.Role == "assistant_tool_call") sb.Append("<|tool_call|>");
                    sb.Append(m.Content).Append("<|end_of_text|>\n");
                }
                if (add) sb.Append("<|start_of_role|>assistant<|end_of_role|>"); // newer llama.cpp appends "\n"; LLamaSharp 0.30's does not
                break;
            case F.GigaChat:
                {
                    bool hasSystem = messages.Count > 0 && messages[0].Role == "system";
                    sb.Append("<s>");
                    if (hasSystem) sb.Append(messages[0].Content).Append("<|message_sep|>");
                    for (int i = hasSystem ? 1 : 0; i < messages.Count; i++)
                    {
                        if (messages[i].Role == "user")
                            sb.Append("user<|role_sep|>").Append(messages[i].Content).Append("<|message_sep|>available functions<|role_sep|>[]<|message_sep|>");
                        else if (messages[i].Role == "assistant")
                            sb.Append("assistant<|role_sep|>").Append(messages[i].Content).Append("<|message_sep|>");
                    }
                    if (add) sb.Append("assistant<|role_sep|>");
                    break;
                }
            case F.Megrez:
                foreach (var m in messages) sb.Append("<|role_start|>").Append(m.Role).Append("<|role_end|>").Append(m.Content).Append("<|turn_end|>");
                if (add) sb.Append("<|role_start|>assistant<|role_end|>");
                break;
            case F.Yandex:
                foreach (var m in messages)
                {
                    if (m.Role == "user") sb.Append(" Пользователь: ").Append(m.Content).Append("\n\n");
                    else if (m.Role == "assistant") sb.Append(" Ассистент: ").Append(m.Content).Append("\n\n");
                }
                if (add) sb.Append(" Ассистент:[SEP]");
                break;
            case F.Bailing:
                foreach (var m in messages)
                    sb.Append("<role>").Append(m.Role == "user" ? "HUMAN" : AsciiUpper(m.Role)).Append("</role>").Append(m.Content);
                if (add) sb.Append("<role>ASSISTANT</role>");
                break;
            case F.SmolVlm:
                sb.Append("<|im_start|>");
                foreach (var m in messages)
                {
                    if (m.Role == "system") sb.Append(m.Content).Append("\n\n");
                    else if (m.Role == "user") sb.Append("User: ").Append(m.Content).Append("<end_of_utterance>\n");
                    else sb.Append("Assistant: ").Append(m.Content).Append("<end_of_utterance>\n");
                }
                if (add) sb.Append("Assistant:");
                break;
            case F.Dots1:
                foreach (var m in messages)
                {
                    if (m.Role == "system") sb.Append("<|system|>").Append(m.Content).Append("<|endofsystem|>");
                    else if (m.Role == "user") sb.Append("<|userprompt|>").Append(m.Content).Append("<|endofuserprompt|>");
                    else sb.Append("<|response|>").Append(m.Content).Append("<|endofresponse|>");
                }
                if (add) sb.Append("<|response|>");
                break;
            case F.HunyuanMoe:
                foreach (var m in messages)
                {
                    if (m.Role == "system") sb.Append("<|startoftext|>").Append(m.Content).Append("<|extra_4|>");
                    else if (m.Role == "assistant") sb.Append(m.Content).Append("<|eos|>");
                    else sb.Append("<|startoftext|>").Append(m.Content).Append("<|extra_0|>");
                }
                break;
            case F.GptOss:
                foreach (var m in messages)
                    sb.Append("<|start|>").Append(m.Role).Append("<|message|>").Append(m.Content).Append(m.Role == "assistant" ? "<|return|>" : "<|end|>");
                if (add) sb.Append("<|start|>assistant");
                break;
            default:
                throw new NotSupportedException($"No formatter for chat template family {family}.");
        }
    }

    private static string AsciiUpper(string s) => string.Create(s.Length, s, (span, src) =>
    {
        for (int i = 0; i < src.Length; i++) span[i] = src[i] is >= 'a' and <= 'z' ? (char)(src[i] - 32) : src[i];
    });
}
