namespace Portico.IntegrationTests.Infrastructure;

/// <summary>Test folders a stopped proxy may still be writing into.</summary>
internal static class Folders
{
    /// <summary>
    /// Deletes <paramref name="path"/> and what it holds. A proxy stopped at the end of a test may
    /// still finish a background write into it (the disk cache tier storing a response fetched by
    /// the test's last request), and a recursive delete then finds a folder not empty: it is
    /// tried again, for at most 5 s.
    /// </summary>
    public static void Delete(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                Directory.Delete(path, recursive: true);
                return;
            }
            catch (IOException) when (attempt < 50)
            {
                Thread.Sleep(100);
            }
        }
    }
}
