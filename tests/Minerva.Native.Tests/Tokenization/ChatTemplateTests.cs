// Chat prompts from our built-in formatters against llama.cpp's own llama_chat_apply_template (native, via LLamaSharp's libllama).
using Minerva.Native.Tokenization;

namespace Minerva.Native.Tests.Tokenization;

[TestFixture]
public sealed class ChatTemplateTests
{
    // Jinja texts as shipped by the models (abridged where only the markers llama.cpp looks for matter).
    private static readonly Dictionary<string, string?> Templates = new()
    {
        ["default(null)"] = null,
        ["tinyllama"] = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}",
        ["llama2-chat"] = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}",
        ["llama2-plain"] = "{% for message in messages %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + eos_token}}{% endif %}{% endfor %}",
        ["llama3"] = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}",
        ["chatml"] = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
        ["zephyr"] = "{% for message in messages %}{{ '<|' + message['role'] + '|>\n' + message['content'] + '<|endoftext|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}",
        ["gemma"] = "{{ bos_token }}{% for message in messages %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}",
        ["phi3"] = "{% for message in messages %}{{'<|' + message['role'] + '|>' + '\n' + message['content'] + '<|end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% endif %}",
        ["mistral-v1"] = "{%- for message in loop_messages %}{{- ' [INST] ' + system_message + '\\n\\n' + message['content'] + ' [/INST]' }}{%- endfor %}",
        ["mistral-v7"] = "{{- '[SYSTEM_PROMPT]' + system_message + '[/SYSTEM_PROMPT]' }}{{- '[INST]' + message['content'] + '[/INST]' }}",
        ["vicuna"] = "{% for message in messages %}{% if message['role'] == 'user' %}{{ 'USER: ' + message['content'] + '\n' }}{% else %}{{ 'ASSISTANT: ' + message['content'] + '</s>\n' }}{% endif %}{% endfor %}",
        ["deepseek"] = "{% for message in messages %}{{ '### Instruction:\n' + message['content'] + '\n' }}{{ '### Response:\n' + message['content'] + '\n<|EOT|>\n' }}{% endfor %}",
        ["command-r"] = "{{ '<|START_OF_TURN_TOKEN|><|USER_TOKEN|>' + message['content'] + '<|END_OF_TURN_TOKEN|>' }}",
        ["openchat"] = "{{ 'GPT4 Correct ' + message['role'].title() + ': ' + message['content'] + '<|end_of_turn|>'}}",
        ["monarch"] = "{% for message in messages %}{{bos_token + message['role'] + '\n' + message['content'] + eos_token + '\n'}}{% endfor %}",
        ["falcon3"] = "{% for message in messages %}{{ '<|user|>\n' + message['content'] + '\n' }}{{ '<|assistant|>\n' }}{% endfor %}</s>",
        ["granite"] = "{{ '<|start_of_role|>' + message['role'] + '<|end_of_role|>' + message['content'] + '<|end_of_text|>\n' }}",
        ["unknown"] = "{{ messages[0]['content'] }} plain jinja nobody recognises",
    };

    private static IEnumerable<string> TemplateKeys() => Templates.Keys.Concat(ChatTemplate.SupportedNames.Select(n => "name:" + n));

    private static readonly (string Role, string Content)[][] Conversations =
    [
        [("user", "Hello")],
        [("system", "You are a helpful assistant"), ("user", "Hello"), ("assistant", "Hi there"), ("user", "Who are you")],
        [("system", "  padded system \n"), ("user", "\t what's 2+2?  "), ("assistant", " 4\n"), ("user", "漢字 😀"), ("tool", "result")],
        [("user", "first"), ("user", "second"), ("assistant", "reply")],
    ];

    [TestCaseSource(nameof(TemplateKeys))]
    public void MatchesLlamaChatApplyTemplate(string key)
    {
        string? template = key.StartsWith("name:", StringComparison.Ordinal) ? key[5..] : Templates[key];
        foreach (var conversation in Conversations)
            foreach (bool addAssistant in new[] { false, true })
            {
                string? expected = LlamaCppReference.ApplyChatTemplate(template, conversation, addAssistant);
                var messages = conversation.Select(m => new ChatMessage(m.Role, m.Content)).ToList();
                if (expected is null)
                {
                    Assert.That(() => ChatTemplate.Apply(template, messages, addAssistant), Throws.TypeOf<NotSupportedException>(), key);
                    continue;
                }
                Assert.That(ChatTemplate.Apply(template, messages, addAssistant), Is.EqualTo(expected), $"{key} addAssistant={addAssistant}");
            }
    }

    [Test]
    public void TinyLlamaTemplateIsTheGlmEdgeLayoutInLlamaCpp()
    {
        // llama.cpp matches "<|assistant|>" + "<|user|>" without a literal "</s>" (TinyLlama writes eos_token) to glmedge.
        Assert.That(ChatTemplate.Detect(Templates["tinyllama"]!), Is.EqualTo(ChatTemplateFamily.GlmEdge));
        string prompt = ChatTemplate.Apply(Templates["tinyllama"], [new("system", "S"), new("user", "U")], true);
        Assert.That(prompt, Is.EqualTo("<|system|>\nS<|user|>\nU<|assistant|>"));
    }

    [Test]
    public void UnknownTemplateNamesTheSupportedFamilies()
    {
        var e = Assert.Throws<NotSupportedException>(() => ChatTemplate.Apply("{{ nothing }}", [new("user", "x")], true));
        Assert.That(e!.Message, Does.Contain("chatml").And.Contain("llama2").And.Contain("llama3").And.Contain("zephyr"));
    }

    [Test]
    public void Llama2FormatFromTestChatTemplateCpp()
    {
        // Expected string copied from llama.cpp tests/test-chat-template.cpp (mistralai/Mistral-7B-Instruct-v0.2, llama2 layout).
        var conversation = new List<ChatMessage>
        {
            new("system", "You are a helpful assistant"), new("user", "Hello"), new("assistant", "Hi there"),
            new("user", "Who are you"), new("assistant", "   I am an assistant   "), new("user", "Another question"),
        };
        Assert.That(ChatTemplate.Format(ChatTemplateFamily.Llama2, conversation, true), Is.EqualTo(
            "[INST] You are a helpful assistant\nHello [/INST]Hi there</s>[INST] Who are you [/INST]   I am an assistant   </s>[INST] Another question [/INST]"));
    }
}
