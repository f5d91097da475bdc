// Parsers and validators that keep every bad value to one line naming the flag as typed: numbers in a range, one of a
// set of names (also offered as completions), paths that must exist.
using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Numerics;

namespace Minerva.Native.Cli.Parsing;

public static class OptionRules
{
    /// <summary>Parses the value as a number (invariant culture) within [min, max].</summary>
    public static Option<T> Range<T>(this Option<T> option, T? min = null, T? max = null) where T : struct, INumber<T>
    {
        bool integer = Implements<T>(typeof(IBinaryInteger<>)), unsigned = Implements<T>(typeof(IUnsignedNumber<>));
        option.CustomParser = result =>
        {
            string flag = FlagOf(result, option), text = result.Tokens[0].Value;
            if (!T.TryParse(text, integer ? NumberStyles.Integer : NumberStyles.Float, CultureInfo.InvariantCulture, out T value))
            {
                result.AddError($"{flag} expects {(unsigned ? "a non-negative integer" : integer ? "an integer" : "a number")}, got '{text}'");
                return default;
            }
            if (value < (min ?? value) || value > (max ?? value))
                result.AddError(min is { } lo && max is { } hi ? FormattableString.Invariant($"{flag} must be between {lo} and {hi}, got {text}")
                                : min is not null ? FormattableString.Invariant($"{flag} must be at least {min}, got {text}")
                                : FormattableString.Invariant($"{flag} must be at most {max}, got {text}"));
            return value;
        };
        return option;
    }

    /// <summary>Accepts only these names (any case); they are also the completions.</summary>
    public static Option<T> OneOf<T>(this Option<T> option, IEnumerable<string> names, Func<string, string> error)
    {
        string[] all = [.. names];
        return option.Completing(all).Check(value => all.Contains(value, StringComparer.OrdinalIgnoreCase) ? null : error(value));
    }

    /// <summary>Offers these values to shell completion (the `[suggest]` directive).</summary>
    public static Option<T> Completing<T>(this Option<T> option, IEnumerable<string> values)
    {
        option.CompletionSources.Add([.. values]);
        return option;
    }

    /// <summary>Accepts only a file or folder that exists.</summary>
    public static Option<T> MustExist<T>(this Option<T> option, Func<string, string> error) =>
        option.Check(path => File.Exists(path) || Directory.Exists(path) ? null : error(path));

    /// <summary>Each value given is checked; a non-null answer is the error.</summary>
    public static Option<T> Check<T>(this Option<T> option, Func<string, string?> check)
    {
        option.Validators.Add(result =>
        {
            foreach (var token in result.Tokens)
                if (check(token.Value) is { } error) result.AddError(error);
        });
        return option;
    }

    /// <summary>The value when the flag was given, else null (an option's own default is not counted).</summary>
    public static T? Given<T>(this ParseResult result, Option<T> option) where T : struct =>
        result.GetResult(option) is { Implicit: false } ? result.GetValue(option) : null;

    private static bool Implements<T>(Type generic) =>
        typeof(T).GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == generic);

    private static string FlagOf(ArgumentResult result, Option option) =>
        (result.Parent as OptionResult)?.IdentifierToken?.Value ?? option.Name;
}
