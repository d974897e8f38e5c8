using System.Runtime.CompilerServices;

// The NUnit suite (bindings/csharp/tests) drives the Unity glue's lifecycle methods
// and the status mapping directly.
[assembly: InternalsVisibleTo("Hamustro.Tests")]
