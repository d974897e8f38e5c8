//! The bindings cannot drift from the C header. `include/hamustro.h` is the source of
//! truth (as wasmtime-py treats wasmtime's header): every exported function must be
//! declared with the header's argument types in Python's `_ffi.py` and C#'s
//! `Native.cs`, and used by the C++ wrapper, the Swift package and the C# binding; each
//! binding (the Godot addon's `configure()` keys too) must set exactly the header's
//! `hamustro_config_set_*` options; no binding may
//! restate a default the library owns (every optional option defaults to nil / None /
//! `std::nullopt` / C# null); and the Unity package's version is Cargo.toml's.

use std::collections::BTreeSet;

/// Functions a binding deliberately does not call, with the reason. Add
/// `(binding, function, why)` rows here, never silently.
const NOT_WRAPPED: &[(&str, &str, &str)] = &[
    (
        "C++",
        "hamustro_tracker_track_event_packed",
        "for bindings that pay a conversion per pointer in an array (ctypes); C++ fills them natively",
    ),
    (
        "Swift",
        "hamustro_tracker_track_event_packed",
        "for bindings that pay a conversion per pointer in an array (ctypes); Swift fills them natively",
    ),
    (
        "C#",
        "hamustro_tracker_track_event",
        "one foreign call per event through the packed form: arrays of pointers would need each string pinned or copied",
    ),
];

/// The C# binding's files, under `bindings/csharp/com.hamustro.tracker/Runtime/`.
const CSHARP: &str = "bindings/csharp/com.hamustro.tracker/Runtime/";

/// One function of the header: its name, return type and argument types, spelled as
/// the header does (without `struct`, one space before each `*`).
#[derive(Debug)]
struct Function {
    name: String,
    returns: String,
    params: Vec<String>,
}

/// The files compared, embedded at compile time so that the test also runs where the
/// source tree is not at hand (under Wine, on a device).
fn read(relative: &str) -> String {
    let text = match relative {
        "include/hamustro.h" => include_str!("../../include/hamustro.h"),
        "bindings/c/hamustro.hpp" => include_str!("../../bindings/c/hamustro.hpp"),
        "bindings/python/hamustro/_ffi.py" => {
            include_str!("../../bindings/python/hamustro/_ffi.py")
        }
        "bindings/python/hamustro/_error.py" => {
            include_str!("../../bindings/python/hamustro/_error.py")
        }
        "bindings/python/hamustro/_tracker.py" => {
            include_str!("../../bindings/python/hamustro/_tracker.py")
        }
        "bindings/swift/Sources/Hamustro/CInterop.swift" => {
            include_str!("../../bindings/swift/Sources/Hamustro/CInterop.swift")
        }
        "bindings/swift/Sources/Hamustro/Environment.swift" => {
            include_str!("../../bindings/swift/Sources/Hamustro/Environment.swift")
        }
        "bindings/swift/Sources/Hamustro/HamustroError.swift" => {
            include_str!("../../bindings/swift/Sources/Hamustro/HamustroError.swift")
        }
        "bindings/swift/Sources/Hamustro/Control.swift" => {
            include_str!("../../bindings/swift/Sources/Hamustro/Control.swift")
        }
        "bindings/swift/Sources/Hamustro/Logging.swift" => {
            include_str!("../../bindings/swift/Sources/Hamustro/Logging.swift")
        }
        "bindings/swift/Sources/Hamustro/Stats.swift" => {
            include_str!("../../bindings/swift/Sources/Hamustro/Stats.swift")
        }
        "bindings/swift/Sources/Hamustro/Tracker.swift" => {
            include_str!("../../bindings/swift/Sources/Hamustro/Tracker.swift")
        }
        "bindings/swift/Sources/Hamustro/Version.swift" => {
            include_str!("../../bindings/swift/Sources/Hamustro/Version.swift")
        }
        "bindings/godot/src/settings.rs" => include_str!("../../bindings/godot/src/settings.rs"),
        "bindings/csharp/com.hamustro.tracker/Runtime/Native.cs" => {
            include_str!("../../bindings/csharp/com.hamustro.tracker/Runtime/Native.cs")
        }
        "bindings/csharp/com.hamustro.tracker/Runtime/Tracker.cs" => {
            include_str!("../../bindings/csharp/com.hamustro.tracker/Runtime/Tracker.cs")
        }
        "bindings/csharp/com.hamustro.tracker/Runtime/TrackerOptions.cs" => {
            include_str!("../../bindings/csharp/com.hamustro.tracker/Runtime/TrackerOptions.cs")
        }
        "bindings/csharp/com.hamustro.tracker/Runtime/HamustroLog.cs" => {
            include_str!("../../bindings/csharp/com.hamustro.tracker/Runtime/HamustroLog.cs")
        }
        "bindings/csharp/com.hamustro.tracker/Runtime/Enums.cs" => {
            include_str!("../../bindings/csharp/com.hamustro.tracker/Runtime/Enums.cs")
        }
        "bindings/csharp/com.hamustro.tracker/package.json" => {
            include_str!("../../bindings/csharp/com.hamustro.tracker/package.json")
        }
        "Cargo.toml" => include_str!("../../Cargo.toml"),
        other => panic!("tests/it/bindings.rs does not embed {other}"),
    };
    // Files checked out with Windows line endings read like any other.
    text.replace("\r\n", "\n")
}

/// `struct hamustro_config *out_config` → `hamustro_config *`.
fn c_type(declaration: &str) -> String {
    let declaration = declaration.trim().replace("struct ", "");
    let without_name =
        declaration.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
    without_name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every function the header declares: cbindgen writes each on one line starting with
/// `HAMUSTRO_API` (and `HAMUSTRO_DEPRECATED(...)` when deprecated).
fn header_functions() -> Vec<Function> {
    let functions: Vec<Function> = read("include/hamustro.h")
        .lines()
        .filter_map(|line| line.strip_prefix("HAMUSTRO_API "))
        .map(|line| {
            let line = match line.find("HAMUSTRO_DEPRECATED(") {
                Some(start) => {
                    // HAMUSTRO_DEPRECATED("note"): the note may hold parentheses.
                    let end = start + line[start..].find("\") ").expect("closed macro") + 2;
                    format!("{}{}", &line[..start], &line[end..])
                }
                None => line.to_string(),
            };
            let open = line.find('(').expect("a function declaration");
            let close = line.rfind(')').expect("a function declaration");
            let head = line[..open].trim();
            let name_start = head.rfind([' ', '*']).map_or(0, |i| i + 1);
            let params = match line[open + 1..close].trim() {
                "void" | "" => Vec::new(),
                list => list.split(',').map(c_type).collect(),
            };
            Function {
                name: head[name_start..].to_string(),
                returns: c_type(&format!("{} x", &head[..name_start])),
                params,
            }
        })
        .collect();
    assert!(
        functions.len() > 40,
        "parsed only {} functions",
        functions.len()
    );
    functions
}

fn config_options() -> BTreeSet<String> {
    header_functions()
        .into_iter()
        .filter_map(|f| {
            f.name
                .strip_prefix("hamustro_config_set_")
                .map(str::to_string)
        })
        .collect()
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Whether `text` holds `ident` as a whole identifier.
fn mentions(text: &str, ident: &str) -> bool {
    text.match_indices(ident).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + ident.len()..].chars().next();
        !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
    })
}

/// The `hamustro_config_set_*` functions `text` names.
fn options_named_in(text: &str) -> BTreeSet<String> {
    let prefix = "hamustro_config_set_";
    text.match_indices(prefix)
        .map(|(at, _)| {
            let rest = &text[at + prefix.len()..];
            rest[..rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len())].to_string()
        })
        .filter(|option| !option.is_empty())
        .collect()
}

/// The ctypes spelling `_ffi.py` must use for a header type.
fn ctypes_for(c: &str) -> &'static str {
    match c {
        "hamustro_config" => "ConfigHandle",
        "hamustro_config *" => "POINTER(ConfigHandle)",
        "hamustro_tracker" => "TrackerHandle",
        "hamustro_tracker *" => "POINTER(TrackerHandle)",
        "hamustro_stats *" => "POINTER(HamustroStats)",
        "hamustro_log_callback" => "LogCallback",
        "hamustro_status" | "uint32_t" => "c_uint32",
        "const char *" | "char *" => "c_char_p",
        "const char *const *" => "_strings",
        "int32_t" => "c_int32",
        "uint64_t" => "c_uint64",
        "uint64_t *" => "POINTER(c_uint64)",
        "size_t" => "c_size_t",
        "size_t *" => "POINTER(c_size_t)",
        "bool" => "c_bool",
        "bool *" => "POINTER(c_bool)",
        "void *" => "c_void_p",
        other => panic!("tests/it/bindings.rs does not know the ctypes type for `{other}`"),
    }
}

/// The top-level items of the Python list starting at `text[0] == '['`.
fn python_list(text: &str) -> Vec<String> {
    let (mut depth, mut items, mut current) = (0, Vec::new(), String::new());
    for c in text.chars() {
        match c {
            '[' | '(' => {
                depth += 1;
                if depth > 1 {
                    current.push(c);
                }
            }
            ']' | ')' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
                current.push(c);
            }
            ',' if depth == 1 => items.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    items.push(current);
    items
        .into_iter()
        .map(|item| item.split_whitespace().collect::<String>())
        .filter(|item| !item.is_empty())
        .collect()
}

/// What `_ffi.py` declares for `name`: its argtypes and restype, or None.
fn python_declaration(ffi: &str, name: &str) -> Option<(Vec<String>, String)> {
    let entry = format!("\"{name}\": [");
    if let Some(at) = ffi.find(&entry) {
        // _STATUS_FUNCTIONS: every entry gets restype c_uint32 and raises on failure.
        return Some((python_list(&ffi[at + entry.len() - 1..]), "c_uint32".into()));
    }
    let argtypes = format!("lib.{name}.argtypes = ");
    let restype = format!("lib.{name}.restype = ");
    let args = python_list(&ffi[ffi.find(&argtypes)? + argtypes.len()..]);
    let at = ffi.find(&restype)? + restype.len();
    let returns = ffi[at..]
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_string();
    Some((args, returns))
}

#[test]
fn python_declares_every_function_with_the_headers_types() {
    let ffi = read("bindings/python/hamustro/_ffi.py");
    let mut problems = Vec::new();
    for function in header_functions() {
        let Some((args, returns)) = python_declaration(&ffi, &function.name) else {
            problems.push(format!("{}: not declared", function.name));
            continue;
        };
        let expected: Vec<&str> = function.params.iter().map(|p| ctypes_for(p)).collect();
        if args != expected {
            problems.push(format!(
                "{}: argtypes {args:?}, header {expected:?}",
                function.name
            ));
        }
        if returns != ctypes_for(&function.returns) {
            problems.push(format!(
                "{}: restype {returns}, header {}",
                function.name, function.returns
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "_ffi.py differs from include/hamustro.h:\n{}",
        problems.join("\n")
    );
}

/// The C# spelling `Native.cs` must use for a header type: strings in as NUL-terminated
/// UTF-8 `byte[]` (never the platform's ANSI marshalling), C `bool` as one byte.
fn csharp_for(c: &str) -> &'static str {
    match c {
        "hamustro_config" => "ConfigHandle",
        "hamustro_config *" => "out ConfigHandle",
        "hamustro_tracker" => "TrackerHandle",
        "hamustro_tracker *" => "out TrackerHandle",
        "hamustro_stats *" => "ref NativeStats",
        "hamustro_log_callback" => "LogCallback",
        "hamustro_status" => "HamustroStatus",
        "uint32_t" => "uint",
        "const char *" | "char *" => "byte[]",
        "const char *const *" => "IntPtr[]",
        "int32_t" => "int",
        "uint64_t" => "ulong",
        "uint64_t *" => "out ulong",
        "size_t" => "UIntPtr",
        "size_t *" => "out UIntPtr",
        "bool" => "[MarshalAs(UnmanagedType.U1)] bool",
        "bool *" => "[MarshalAs(UnmanagedType.U1)] out bool",
        "void *" => "IntPtr",
        other => panic!("tests/it/bindings.rs does not know the C# type for `{other}`"),
    }
}

/// What `Native.cs` declares for `name`: its parameter types (without their names) and
/// return type, or None. Strings returned are pointers the binding decodes itself.
fn csharp_declaration(native: &str, name: &str) -> Option<(Vec<String>, String)> {
    let line = native
        .lines()
        .find(|line| line.contains("static extern ") && line.contains(&format!(" {name}(")))?;
    let head = &line[line.find("static extern ")? + "static extern ".len()..];
    let returns = head[..head.find(&format!(" {name}("))?].trim().to_string();
    let open = line.find(&format!(" {name}("))? + name.len() + 2;
    let close = line.rfind(')')?;
    let params = line[open..close]
        .split(',')
        .map(str::trim)
        .filter(|param| !param.is_empty())
        .map(|param| {
            // Drop the parameter's name: the last word.
            let end = param.rfind(' ').unwrap_or(0);
            param[..end].trim().to_string()
        })
        .collect();
    Some((params, returns))
}

#[test]
fn csharp_declares_every_function_with_the_headers_types() {
    let native = read(&format!("{CSHARP}Native.cs"));
    let mut problems = Vec::new();
    for function in header_functions() {
        let Some((params, returns)) = csharp_declaration(&native, &function.name) else {
            problems.push(format!("{}: not declared", function.name));
            continue;
        };
        let expected: Vec<&str> = function.params.iter().map(|p| csharp_for(p)).collect();
        if params != expected {
            problems.push(format!(
                "{}: parameters {params:?}, header {expected:?}",
                function.name
            ));
        }
        let expected_return = match function.returns.as_str() {
            "const char *" => "IntPtr",
            other => csharp_for(other),
        };
        if returns != expected_return {
            problems.push(format!(
                "{}: returns {returns}, header {}",
                function.name, function.returns
            ));
        }
    }
    let declared = native.matches("static extern ").count();
    if declared != header_functions().len() {
        problems.push(format!(
            "{declared} declarations for {} functions",
            header_functions().len()
        ));
    }
    // Every declaration under the same attribute: the C calling convention, the exact name.
    let attribute =
        "[DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]";
    if native.matches(attribute).count() != declared {
        problems.push(format!("not every declaration has {attribute}"));
    }
    assert!(
        problems.is_empty(),
        "Native.cs differs from include/hamustro.h:\n{}",
        problems.join("\n")
    );
}

/// The C# binding's calls: its files, without `Native.cs`'s declarations.
fn csharp_calls() -> String {
    let native: String = read(&format!("{CSHARP}Native.cs"))
        .lines()
        .filter(|line| !line.contains("static extern "))
        .collect::<Vec<_>>()
        .join("\n");
    ["Tracker.cs", "HamustroLog.cs"]
        .iter()
        .map(|file| read(&format!("{CSHARP}{file}")))
        .chain([native])
        .collect()
}

#[test]
fn unity_package_version_is_cargo_tomls() {
    let cargo = read("Cargo.toml");
    let version = cargo
        .lines()
        .find_map(|line| line.strip_prefix("version = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("Cargo.toml's version");
    let package = read("bindings/csharp/com.hamustro.tracker/package.json");
    assert!(
        package.contains(&format!("\"version\": \"{version}\"")),
        "bindings/csharp/com.hamustro.tracker/package.json does not say \"version\": \"{version}\""
    );
}

#[test]
fn cpp_swift_and_csharp_use_every_function() {
    let swift: String = [
        "CInterop", "Control", "Logging", "Stats", "Tracker", "Version",
    ]
    .iter()
    .map(|file| read(&format!("bindings/swift/Sources/Hamustro/{file}.swift")))
    .collect();
    let bindings = [
        ("C++", read("bindings/c/hamustro.hpp")),
        ("Swift", swift),
        ("C#", csharp_calls()),
    ];
    let mut missing = Vec::new();
    for function in header_functions() {
        for (binding, text) in &bindings {
            let excused = NOT_WRAPPED
                .iter()
                .any(|(b, f, _)| b == binding && *f == function.name);
            if !excused && !mentions(text, &function.name) {
                missing.push(format!("{binding}: {}", function.name));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "functions a binding does not wrap:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_binding_sets_exactly_the_headers_options() {
    let header = config_options();
    assert!(header.len() >= 25, "{header:?}");
    let tracker_py = read("bindings/python/hamustro/_tracker.py");
    // The text options go through one loop: `("collector_url", collector_url),`.
    let mut python = options_named_in(&tracker_py);
    python.extend(tracker_py.lines().filter_map(|line| {
        let (name, rest) = line.trim().strip_prefix("(\"")?.split_once("\", ")?;
        (rest == format!("{name}),")).then(|| name.to_string())
    }));
    let bindings = [
        (
            "C++ hamustro.hpp",
            options_named_in(&read("bindings/c/hamustro.hpp")),
        ),
        ("Python _tracker.py", python),
        (
            "Swift Tracker.swift",
            options_named_in(&read("bindings/swift/Sources/Hamustro/Tracker.swift")),
        ),
        (
            "C# Tracker.cs",
            options_named_in(&read(&format!("{CSHARP}Tracker.cs"))),
        ),
        ("Godot settings.rs", godot_options()),
    ];
    for (binding, options) in bindings {
        let missing: Vec<_> = header.difference(&options).collect();
        let unknown: Vec<_> = options.difference(&header).collect();
        assert!(
            missing.is_empty() && unknown.is_empty(),
            "{binding}: options missing {missing:?}, not in the header {unknown:?}"
        );
    }
}

/// The Godot addon's `configure()` keys: the arms of `settings.rs`'s `match key` in
/// `fn apply` (`"collector_url" => …`, at its indentation, not a nested match's).
fn godot_options() -> BTreeSet<String> {
    let settings = read("bindings/godot/src/settings.rs");
    block(&settings, "fn apply(", "other =>")
        .into_iter()
        .filter_map(|line| {
            let arm = line.strip_prefix("        \"")?;
            Some(arm.split_once("\" =>")?.0.to_string())
        })
        .collect()
}

/// The lines between the first line containing `start` and the next line starting
/// (after indentation) with `end`.
fn block<'a>(text: &'a str, start: &str, end: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = text.lines().collect();
    let from = lines
        .iter()
        .position(|line| line.contains(start))
        .unwrap_or_else(|| panic!("no `{start}`"));
    lines[from + 1..]
        .iter()
        .take_while(|line| !line.trim_start().starts_with(end))
        .copied()
        .collect()
}

#[test]
fn no_binding_restates_a_library_default() {
    let mut checked = 0;
    // Swift: every parameter of the initializer with a default defaults to nil.
    let swift = read("bindings/swift/Sources/Hamustro/Tracker.swift");
    for line in block(&swift, "public init(", ") throws {") {
        if let Some((parameter, default)) = line.split_once(" = ") {
            assert_eq!(
                default.trim_end_matches(','),
                "nil",
                "Swift `{}`",
                parameter.trim()
            );
            checked += 1;
        }
    }
    // Python: every keyword of Tracker.__init__ defaults to None.
    let python = read("bindings/python/hamustro/_tracker.py");
    let init = &python[python.find("class Tracker(").expect("class Tracker")..];
    for line in block(init, "def __init__(", ") -> None:") {
        if let Some((parameter, default)) = line.split_once(" = ") {
            assert_eq!(
                default.trim_end_matches(','),
                "None",
                "Python `{}`",
                parameter.trim()
            );
            checked += 1;
        }
    }
    // C++: no Options member has an initializer; optional ones are std::optional.
    let cpp = read("bindings/c/hamustro.hpp");
    for line in block(&cpp, "struct Options {", "};") {
        let code = line.split("//").next().unwrap_or_default();
        let code = code.split("/**").next().unwrap_or_default();
        assert!(
            !code.contains('='),
            "C++ Options member with a default: `{}`",
            line.trim()
        );
        checked += usize::from(code.contains("std::optional<"));
    }
    // C#: no TrackerOptions property has an initializer, and every one is a string or
    // a nullable value type, so that null means "the library's default".
    let csharp = read(&format!("{CSHARP}TrackerOptions.cs"));
    for line in csharp.lines().map(str::trim) {
        let Some(property) = line.strip_prefix("public ") else {
            continue;
        };
        if !property.contains("{ get; set; }") {
            continue;
        }
        assert!(
            property.ends_with("{ get; set; }"),
            "C# TrackerOptions property with a default: `{line}`"
        );
        let kind = property.split_whitespace().next().unwrap_or_default();
        assert!(
            kind == "string" || kind.ends_with('?'),
            "C# TrackerOptions property that cannot be null: `{line}`"
        );
        checked += 1;
    }
    // About twenty optional options in each of the three bindings, and C#'s 25.
    assert!(
        checked > 80,
        "only {checked} defaults were checked: is a parser lost?"
    );
}

/// The `HAMUSTRO_STATUS_*` values the header defines, with their numbers.
fn header_statuses() -> Vec<(String, u32)> {
    let header = read("include/hamustro.h");
    header
        .lines()
        .filter_map(|line| {
            let (name, value) = line.trim().split_once(" = ")?;
            let name = name.strip_prefix("HAMUSTRO_STATUS_")?;
            Some((name.to_string(), value.trim_end_matches(',').parse().ok()?))
        })
        .collect()
}

#[test]
fn every_binding_maps_every_status() {
    let statuses = header_statuses();
    assert!(statuses.len() >= 10, "{statuses:?}");
    let cpp = read("bindings/c/hamustro.hpp");
    let python = read("bindings/python/hamustro/_error.py");
    let swift = read("bindings/swift/Sources/Hamustro/HamustroError.swift");
    let csharp = read("bindings/csharp/com.hamustro.tracker/Runtime/Enums.cs");
    let camel = |name: &str| {
        let mut out = String::new();
        for (i, word) in name.split('_').enumerate() {
            let word = word.to_ascii_lowercase();
            if i == 0 {
                out.push_str(&word);
            } else {
                out.push_str(&word[..1].to_ascii_uppercase());
                out.push_str(&word[1..]);
            }
        }
        out
    };
    for (name, value) in statuses.iter().filter(|(name, _)| name != "OK") {
        assert!(
            cpp.contains(&format!("= HAMUSTRO_STATUS_{name},")),
            "hamustro.hpp: Status has no value for HAMUSTRO_STATUS_{name}"
        );
        assert!(
            python.contains(&format!("    status = {value}\n")),
            "_error.py: no exception class for status {value} (HAMUSTRO_STATUS_{name})"
        );
        let case = camel(name);
        let pascal = format!("{}{}", case[..1].to_ascii_uppercase(), &case[1..]);
        assert!(
            csharp.contains(&format!("        {pascal} = {value},")),
            "Enums.cs: HamustroStatus has no {pascal} = {value}"
        );
        let case = if case == "internal" {
            "`internal`".to_string()
        } else {
            case
        };
        assert!(
            swift.contains(&format!("case {case} = {value}")),
            "HamustroError.swift: no case {case} = {value}"
        );
    }
}
