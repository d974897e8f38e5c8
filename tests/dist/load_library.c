/* Loads a DLL and looks up a symbol by name, as Godot loads a GDExtension: that the Godot
 * addon's Windows library links against nothing missing and exports its entry point.
 * scripts/dist-test.sh runs it under Wine. Usage: load_library DLL SYMBOL */
#include <stdio.h>
#include <windows.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: load_library DLL SYMBOL\n");
        return 2;
    }
    HMODULE module = LoadLibraryA(argv[1]);
    if (module == NULL) {
        fprintf(stderr, "LoadLibrary(%s) failed: error %lu\n", argv[1], GetLastError());
        return 1;
    }
    if (GetProcAddress(module, argv[2]) == NULL) {
        fprintf(stderr, "GetProcAddress(%s) failed: error %lu\n", argv[2], GetLastError());
        return 1;
    }
    printf("%s loaded; %s found\n", argv[1], argv[2]);
    return 0;
}
