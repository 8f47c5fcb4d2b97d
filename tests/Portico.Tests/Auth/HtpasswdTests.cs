using System.Diagnostics;
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
        // Cost 8: one verification takes milliseconds. Without the dummy hash an unknown
        // user is answered by a dictionary miss, thousands of times faster; the margin below
        // (a quarter) is far wider than scheduling noise and far narrower than that gap.
        var file = Parse($"alice:{BCrypt.Net.BCrypt.HashPassword("pw", 8)}\n");
        TimeSpan Median(string user)
        {
            var times = new List<TimeSpan>();
            for (var i = 0; i < 5; i++)
            {
                var watch = Stopwatch.StartNew();
                Assert.False(file.Verify(user, "wrong"));
                times.Add(watch.Elapsed);
            }

            return times.Order().ElementAt(2);
        }

        var wrongPassword = Median("alice");
        var unknownUser = Median("nobody");

        Assert.True(unknownUser > wrongPassword / 4, $"unknown user {unknownUser.TotalMilliseconds} ms, wrong password {wrongPassword.TotalMilliseconds} ms");
    }
}
