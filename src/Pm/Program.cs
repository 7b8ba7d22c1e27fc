namespace Pm;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("pm: not built yet");
        return 2;
    }
}
