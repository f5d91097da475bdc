// Writes a SentencePiece tokenizer.model (protobuf ModelProto: repeated SentencePiece pieces = 1 { piece = 1, score = 2,
// type = 3 }, plus trainer_spec with model_type BPE and byte_fallback) for the synthetic vocabulary.
namespace Minerva.Native.Model;

public static class SentencePieceModelWriter
{
    // sentencepiece_model.proto: SentencePiece.Type NORMAL=1 UNKNOWN=2 CONTROL=3 USER_DEFINED=4 BYTE=6 UNUSED=5 (same numbers as GGUF).
    public static byte[] Write(SyntheticVocabulary.Vocabulary vocab)
    {
        using var ms = new MemoryStream();
        for (int i = 0; i < vocab.Tokens.Length; i++)
        {
            using var piece = new MemoryStream();
            WriteBytesField(piece, 1, System.Text.Encoding.UTF8.GetBytes(vocab.Tokens[i]));
            WriteTag(piece, 2, 5);
            piece.Write(BitConverter.GetBytes(vocab.Scores[i]));
            WriteTag(piece, 3, 0);
            WriteVarint(piece, (ulong)vocab.Types[i]);
            WriteBytesField(ms, 1, piece.ToArray());
        }
        // trainer_spec (field 2): model_type (3) = BPE (2), byte_fallback (35) = true.
        using var trainer = new MemoryStream();
        WriteTag(trainer, 3, 0); WriteVarint(trainer, 2);
        WriteTag(trainer, 35, 0); WriteVarint(trainer, 1);
        WriteBytesField(ms, 2, trainer.ToArray());
        // normalizer_spec (field 3): add_dummy_prefix (3) = true.
        using var normalizer = new MemoryStream();
        WriteTag(normalizer, 3, 0); WriteVarint(normalizer, 1);
        WriteBytesField(ms, 3, normalizer.ToArray());
        return ms.ToArray();
    }

    private static void WriteTag(Stream s, int field, int wireType) => WriteVarint(s, (ulong)(field << 3 | wireType));

    private static void WriteBytesField(Stream s, int field, byte[] bytes)
    {
        WriteTag(s, field, 2);
        WriteVarint(s, (ulong)bytes.Length);
        s.Write(bytes);
    }

    private static void WriteVarint(Stream s, ulong v)
    {
        while (v >= 0x80) { s.WriteByte((byte)(v | 0x80)); v >>= 7; }
        s.WriteByte((byte)v);
    }
}
