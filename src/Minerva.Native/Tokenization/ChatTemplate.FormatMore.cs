// The less common built-in prompt formatters of llama.cpp's llm_chat_apply_template (llama-chat.cpp), same output byte for byte.
using System.Text;
using F = Minerva.Native.Tokenization.ChatTemplateFamily;

namespace Minerva.Native.Tokenization;

public static partial class ChatTemplate
{
    private static void FormatMore(ChatTemplateFamily family, IReadOnlyList<ChatMessage> messages, bool add, StringBuilder sb)
    {
        switch (family)
        {
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
            case F.Llama4:
                foreach (var m in messages)
                    sb.Append("<|header_start|>").Append(m.Role).Append("<|header_end|>\n\n").Append(Trim(m.Content)).Append("<|eot|>");
                if (add) sb.Append("<|header_start|>assistant<|header_end|>\n\n");
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
