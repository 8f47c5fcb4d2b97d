using Portico.Auth;
using Portico.Configuration;

namespace Portico.Tests.Auth;

public sealed class HtpasswdTests
{
    private static Htpasswd Parse(string text)
    {
        var errors = new ConfigErrors("users");
        var file = Htpasswd.Parse(text, errors);
        Assert.False(errors.Any, string.Join("\n", errors.All));
        return file!;
    }

    [Fact]
    public void Apache_bcrypt_lines_verify_and_everything_else_is_refused()
    {
        var file = Parse($"# comment\r\nalice:$2y${BCrypt.Net.BCrypt.HashPassword("pw", 4)[4..]}\r\n\nbob:{BCrypt.Net.BCrypt.HashPassword("p:w", 4)}\n");

        Assert.Equal(2, file.Count);
        Assert.True(file.Verify("alice", "pw"));
        Assert.True(file.Verify("bob", "p:w"));
        Assert.False(file.Verify("alice", "PW"));
        Assert.False(file.Verify("Alice", "pw"));
        Assert.False(file.Verify("carol", "pw"));
    }

    [Fact]
    public void Other_hash_formats_and_duplicate_users_are_errors_with_their_line()
    {
        var errors = new ConfigErrors("users");
        var hash = BCrypt.Net.BCrypt.HashPassword("x", 4);

        Assert.Null(Htpasswd.Parse($"alice:$apr1$abc$def\nbob:{{SHA}}qUqP5cyxm6YcTAhz05Hph5gvu9M=\n{hash}\ncarol:{hash}\ncarol:{hash}\n", errors));
        Assert.Equal(
        [
            "users:1: the hash for 'alice' is not bcrypt ($2y$, $2b$ or $2a$; create it with htpasswd -B)",
            "users:2: the hash for 'bob' is not bcrypt ($2y$, $2b$ or $2a$; create it with htpasswd -B)",
            "users:3: expected user:hash",
            "users:5: 'carol' is listed twice",
        ], errors.All.Select(e => e.ToString()));
    }

    [Fact]
    public void An_unknown_user_costs_the_same_bcrypt_work_as_a_wrong_password()
    {
        // bcrypt's work is set by the cost in the hash it checks (2^cost rounds), so an unknown
        // user costs what the dearest known one does when the hash checked for it carries the
        // file's highest cost. (Timed, the same check failed on a loaded machine.)
        var file = Parse($"alice:{BCrypt.Net.BCrypt.HashPassword("pw", 5)}\nbob:{BCrypt.Net.BCrypt.HashPassword("pw", 7)}\n");

        var dummy = file.HashChecked("nobody");

        Assert.Matches(@"^\$2[aby]\$07\$[./A-Za-z0-9]{53}$", dummy);
        Assert.NotEqual(file.HashChecked("alice"), dummy);
        Assert.NotEqual(file.HashChecked("bob"), dummy);
        Assert.False(file.Verify("nobody", "pw"));
        Assert.False(file.Verify("nobody", ""));
        Assert.True(file.Verify("bob", "pw"));
    }
}
