namespace Portico.Caching;

/// <summary>
/// A Structured Fields Dictionary (RFC 8941 §3.2, parsed as §4.2.2 says) as far as targeted cache
/// control needs it: each member's key and the type and text of its value (parameters are read
/// and set aside). Keys are lower case by the grammar, so `MaX-aGe` fails the whole field; a key
/// given twice keeps its last value.
/// </summary>
internal static class StructuredDictionary
{
    public enum Kind
    {
        Boolean,
        Integer,
        Decimal,
        String,
        Token,
        Bytes,
        InnerList,
    }

    /// <summary>A member's value: for a Boolean "1" or "0", an Integer or Decimal its digits, a String its unescaped text.</summary>
    public readonly record struct Value(Kind Kind, string Text);

    /// <summary>The members in order; null when the text is not a Dictionary.</summary>
    public static List<KeyValuePair<string, Value>>? Parse(string text)
    {
        var reader = new Reader(text.Trim(' '));
        var members = new List<KeyValuePair<string, Value>>();
        while (!reader.End)
        {
            if (reader.Key() is not { } key)
            {
                return null;
            }

            Value? value = reader.Take('=') ? reader.Member() : new Value(Kind.Boolean, "1");
            if (value is null || !reader.Parameters())
            {
                return null;
            }

            members.RemoveAll(m => m.Key == key);
            members.Add(new(key, value.Value));
            reader.SkipOws();
            if (reader.End)
            {
                break;
            }

            if (!reader.Take(','))
            {
                return null;
            }

            reader.SkipOws();
            if (reader.End)
            {
                return null;
            }
        }

        return members;
    }

    private sealed class Reader(string text)
    {
        private int _at;

        public bool End => _at >= text.Length;

        private char Next => End ? '\0' : text[_at];

        public bool Take(char c)
        {
            if (Next != c || End)
            {
                return false;
            }

            _at++;
            return true;
        }

        public void SkipOws()
        {
            while (Next is ' ' or '\t')
            {
                _at++;
            }
        }

        // key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )
        public string? Key()
        {
            var start = _at;
            if (!(char.IsAsciiLetterLower(Next) || Next == '*'))
            {
                return null;
            }

            while (char.IsAsciiLetterLower(Next) || char.IsAsciiDigit(Next) || Next is '_' or '-' or '.' or '*')
            {
                _at++;
            }

            return text[start.._at];
        }

        // member-value = sf-item / inner-list (the item's or list's parameters are read by the caller)
        public Value? Member()
        {
            if (!Take('('))
            {
                return BareItem();
            }

            while (true)
            {
                while (Take(' '))
                {
                }

                if (Take(')'))
                {
                    return new Value(Kind.InnerList, "");
                }

                if (BareItem() is null || !Parameters() || !(Next is ' ' or ')'))
                {
                    return null;
                }
            }
        }

        // parameters = *( ";" *SP key [ "=" bare-item ] )
        public bool Parameters()
        {
            while (Take(';'))
            {
                while (Take(' '))
                {
                }

                if (Key() is null || (Take('=') && BareItem() is null))
                {
                    return false;
                }
            }

            return true;
        }

        private Value? BareItem() => Next switch
        {
            '-' or (>= '0' and <= '9') => Number(),
            '"' => Quoted(),
            '?' => Boolean(),
            ':' => Bytes(),
            '*' or (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') => Token(),
            _ => null,
        };

        // sf-integer = ["-"] 1*15DIGIT; sf-decimal = ["-"] 1*12DIGIT "." 1*3DIGIT
        private Value? Number()
        {
            var start = _at;
            Take('-');
            var digits = Digits();
            if (!Take('.'))
            {
                return digits is >= 1 and <= 15 ? new Value(Kind.Integer, text[start.._at]) : null;
            }

            var fraction = Digits();
            return digits is >= 1 and <= 12 && fraction is >= 1 and <= 3 ? new Value(Kind.Decimal, text[start.._at]) : null;
        }

        private int Digits()
        {
            var start = _at;
            while (char.IsAsciiDigit(Next))
            {
                _at++;
            }

            return _at - start;
        }

        // sf-string: printable ASCII; a backslash escapes only '"' or '\'.
        private Value? Quoted()
        {
            _at++;
            var value = new System.Text.StringBuilder();
            while (!End)
            {
                var c = text[_at++];
                if (c == '"')
                {
                    return new Value(Kind.String, value.ToString());
                }

                if (c == '\\')
                {
                    if (End || text[_at] is not ('"' or '\\'))
                    {
                        return null;
                    }

                    c = text[_at++];
                }
                else if (c is < ' ' or > '~')
                {
                    return null;
                }

                value.Append(c);
            }

            return null;
        }

        private Value? Boolean()
        {
            _at++;
            return Take('1') ? new Value(Kind.Boolean, "1") : Take('0') ? new Value(Kind.Boolean, "0") : null;
        }

        // sf-binary = ":" base64 ":"
        private Value? Bytes()
        {
            var start = ++_at;
            while (char.IsAsciiLetterOrDigit(Next) || Next is '+' or '/' or '=')
            {
                _at++;
            }

            return Take(':') ? new Value(Kind.Bytes, text[start..(_at - 1)]) : null;
        }

        // sf-token = ( ALPHA / "*" ) *( tchar / ":" / "/" )
        private Value? Token()
        {
            var start = _at++;
            while (char.IsAsciiLetterOrDigit(Next) || "!#$%&'*+-.^_`|~:/".Contains(Next))
            {
                _at++;
            }

            return new Value(Kind.Token, text[start.._at]);
        }
    }
}
