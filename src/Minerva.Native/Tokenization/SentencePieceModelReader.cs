// Minimal protobuf reader for SentencePiece's tokenizer.model (sentencepiece_model.proto: ModelProto.pieces {piece=1, score=2, type=3},
// trainer_spec {model_type=3, unk_id=40, bos_id=41, eos_id=42, pad_id=43}, normalizer_spec {add_dummy_prefix=3}).
using System.Text;
using Minerva.Native.Formats;

namespace Minerva.Native.Tokenization;

internal static class SentencePieceModelReader
{
    private const int ModelTypeBpe = 2;

    public static TokenizerVocabulary Read(string path)
    {
        byte[] data = File.ReadAllBytes(path);
        var tokens = new List<string>();
        var scores = new List<float>();
        var types = new List<TokenType>();
        int modelType = 1, unk = 0, bos = 1, eos = 2, pad = -1; // proto2 defaults (UNIGRAM, 0, 1, 2, -1)
        bool addDummyPrefix = true;

        var model = new Reader(data, 0, data.Length, path);
        while (model.Next(out int field, out int wire))
        {
            if (field == 1 && wire == 2)
            {
                var piece = model.Message();
                string text = ""; float score = 0; int type = (int)TokenType.Normal;
                while (piece.Next(out int f, out int w))
                {
                    if (f == 1 && w == 2) text = piece.String();
                    else if (f == 2 && w == 5) score = piece.Fixed32Float();
                    else if (f == 3 && w == 0) type = (int)piece.Varint();
                    else piece.Skip(w);
                }
                tokens.Add(text); scores.Add(score); types.Add((TokenType)type);
            }
            else if (field == 2 && wire == 2)
            {
                var trainer = model.Message();
                while (trainer.Next(out int f, out int w))
                {
                    if (w != 0) { trainer.Skip(w); continue; }
                    long v = (long)trainer.Varint();
                    switch (f)
                    {
                        case 3: modelType = (int)v; break;
                        case 40: unk = (int)v; break;
                        case 41: bos = (int)v; break;
                        case 42: eos = (int)v; break;
                        case 43: pad = (int)v; break;
                    }
                }
            }
            else if (field == 3 && wire == 2)
            {
                var normalizer = model.Message();
                while (normalizer.Next(out int f, out int w))
                {
                    if (f == 3 && w == 0) addDummyPrefix = normalizer.Varint() != 0;
                    else normalizer.Skip(w);
                }
            }
            else model.Skip(wire);
        }

        if (tokens.Count == 0) throw new ModelFormatException(path, -1, "no pieces: not a SentencePiece model");
        if (modelType != ModelTypeBpe)
            throw new NotSupportedException($"{path}: SentencePiece model type {(modelType == 1 ? "UNIGRAM" : modelType.ToString())} is not supported; only BPE (Llama) is.");
        int Valid(int id) => id >= 0 && id < tokens.Count ? id : -1;
        return new TokenizerVocabulary
        {
            Tokens = tokens, Scores = scores, Types = types,
            UnkId = Valid(unk), BosId = Valid(bos), EosId = Valid(eos), PadId = Valid(pad),
            AddSpacePrefix = addDummyPrefix,
        };
    }

    /// <summary>Protobuf wire-format cursor over one message's bytes.</summary>
    private struct Reader(byte[] data, int start, int end, string path)
    {
        private int _pos = start;

        public bool Next(out int field, out int wire)
        {
            field = wire = 0;
            if (_pos >= end) return false;
            ulong tag = Varint();
            field = (int)(tag >> 3);
            wire = (int)(tag & 7);
            return true;
        }

        public ulong Varint()
        {
            ulong v = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_pos >= end) throw Bad("truncated varint");
                byte b = data[_pos++];
                v |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return v;
            }
            throw Bad("varint longer than 10 bytes");
        }

        public float Fixed32Float()
        {
            if (_pos + 4 > end) throw Bad("truncated float");
            float f = BitConverter.ToSingle(data, _pos);
            _pos += 4;
            return f;
        }

        public Reader Message()
        {
            int len = Length();
            var sub = new Reader(data, _pos, _pos + len, path);
            _pos += len;
            return sub;
        }

        public string String()
        {
            int len = Length();
            string s = Encoding.UTF8.GetString(data, _pos, len);
            _pos += len;
            return s;
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: Advance(8); break;
                case 2: Advance(Length()); break;
                case 5: Advance(4); break;
                default: throw Bad($"unsupported wire type {wire}");
            }
        }

        private int Length()
        {
            ulong len = Varint();
            if (len > (ulong)(end - _pos)) throw Bad("length-delimited field runs past its message");
            return (int)len;
        }

        private void Advance(int n)
        {
            if (n > end - _pos) throw Bad("field runs past its message");
            _pos += n;
        }

        private readonly ModelFormatException Bad(string reason) => new(path, _pos, reason);
    }
}
