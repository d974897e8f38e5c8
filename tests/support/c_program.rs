//! Compiling the C test programs against the cdylib cargo built for this test run, and
//! running them with a time limit.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The directory of the cdylib: cargo writes it next to the test binary, in
/// `target/<profile>/deps/`, from the same rustc call as the rlib the test links (so
/// it is never stale), and copies it up to `target/<profile>/` only for `cargo build`.
pub fn cdylib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("cannot locate the test binary");
    let deps = exe.parent().expect("the test binary has no directory");
    let name = format!(
        "{}hamustro{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    let found = [Some(deps), deps.parent()]
        .into_iter()
        .flatten()
        .find(|dir| dir.join(&name).is_file())
        .unwrap_or_else(|| {
            panic!(
                "cargo did not build the cdylib {name} (looked in {} and its parent): keep \
                 \"cdylib\" in [lib] crate-type in Cargo.toml",
                deps.display()
            )
        })
        .to_path_buf();
    link_soname(&found, &name);
    found
}

/// Programs linked against the library record its soname (build.rs), so the
/// directory needs that name too, as `scripts/soname-link.sh` makes it for the
/// scripts. Made under a name unique to this call (tests run at once, in threads and
/// in processes) and renamed into place, which replaces an equal link atomically.
fn link_soname(dir: &Path, library: &str) {
    let soname = env!("HAMUSTRO_SONAME");
    if soname.is_empty() || dir.join(soname).exists() {
        return;
    }
    #[cfg(unix)]
    {
        use std::sync::atomic::{AtomicU64, Ordering};
        static CALLS: AtomicU64 = AtomicU64::new(0);
        let call = CALLS.fetch_add(1, Ordering::Relaxed);
        let staged = dir.join(format!("{soname}.{}-{call}.tmp", std::process::id()));
        let _ = std::fs::remove_file(&staged);
        std::os::unix::fs::symlink(library, &staged)
            .and_then(|()| std::fs::rename(&staged, dir.join(soname)))
            .unwrap_or_else(|e| panic!("cannot link {soname} in {}: {e}", dir.display()));
    }
    #[cfg(not(unix))]
    let _ = library;
}

/// Where a test program named `name` goes in `dir`: with the platform's suffix
/// (`.exe` on Windows), which is how the platform finds it.
pub fn program_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// `HAMUSTRO_TEST_PROGRAMS`: a directory holding the C and C++ test programs already
/// built, each named after its source (`api_test.c` → `api_test.exe`), for a test run
/// that cannot run a compiler: the Windows suite under Wine, where a Windows program
/// cannot start Linux ones (scripts/windows-test.sh builds them with MinGW-w64).
fn prebuilt(source: &Path) -> Option<PathBuf> {
    let dir = std::env::var_os("HAMUSTRO_TEST_PROGRAMS")?;
    let stem = source.file_stem()?.to_str()?;
    Some(program_path(Path::new(&dir), stem))
}

/// Whether `compiler` can build test programs here (or they were built beforehand).
pub fn can_compile_with(compiler: &str) -> bool {
    std::env::var_os("HAMUSTRO_TEST_PROGRAMS").is_some()
        || Command::new(compiler).arg("--version").output().is_ok()
}

/// Compiles `source` into `output`, linked against the cdylib; fails the test with the
/// compiler's messages. With `HAMUSTRO_TEST_PROGRAMS` set, copies the program built
/// beforehand instead.
pub fn compile<S: AsRef<OsStr>>(compiler: &str, flags: &[S], source: &Path, output: &Path) {
    if let Some(program) = prebuilt(source) {
        std::fs::copy(&program, output).unwrap_or_else(|e| {
            panic!(
                "HAMUSTRO_TEST_PROGRAMS is set, but {} cannot be copied: {e}",
                program.display()
            )
        });
        return;
    }
    let result = Command::new(compiler)
        .args(flags)
        .arg("-I")
        .arg(repo_root().join("include"))
        .arg(source)
        .arg("-o")
        .arg(output)
        .arg("-L")
        .arg(cdylib_dir())
        .args(["-lhamustro", "-pthread"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run the compiler {compiler}: {e}"));
    assert!(
        result.status.success(),
        "{compiler} failed on {}:\n{}{}",
        source.display(),
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
}

/// Runs `command` with the cdylib on the library path; its status, stdout and stderr.
/// Kills it and fails the test when it takes longer than `limit`.
pub fn run(mut command: Command, limit: Duration) -> (ExitStatus, String, String) {
    let library_dir = cdylib_dir();
    // Windows looks for DLLs on PATH (after the program's own directory).
    let mut path = vec![library_dir.clone()];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let mut child = command
        .env("LD_LIBRARY_PATH", &library_dir)
        .env("DYLD_LIBRARY_PATH", &library_dir)
        .env(
            "PATH",
            std::env::join_paths(path).expect("a PATH entry holds a separator"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    // Read both pipes on threads, so that a chatty program never blocks on a full pipe.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    // Wait on a thread, so the limit is a timed receive rather than polling.
    let pid = child.id();
    let (exited, exit) = mpsc::channel();
    thread::spawn(move || {
        let _ = exited.send(child.wait());
    });
    let status = match exit.recv_timeout(limit) {
        Ok(status) => status.expect("cannot wait for the program"),
        Err(_) => {
            kill(pid);
            panic!(
                "{command:?} did not finish within {limit:?}:\n{}{}",
                stdout.join().unwrap(),
                stderr.join().unwrap()
            );
        }
    };
    (status, stdout.join().unwrap(), stderr.join().unwrap())
}

/// Compiles the C API test program (`tests/c/api_test.c`) into `output` with the C
/// compiler (`$CC`, else `cc`), warnings as errors, plus `extra_flags`.
pub fn compile_api_test(output: &Path, extra_flags: &[&str]) {
    compile_c_test("api_test.c", output, extra_flags);
}

/// Compiles `tests/c/<source>` into `output` as `compile_api_test` does.
pub fn compile_c_test(source: &str, output: &Path, extra_flags: &[&str]) {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let mut flags = vec!["-std=c11", "-Wall", "-Wextra", "-Werror"];
    flags.extend_from_slice(extra_flags);
    compile(
        &cc,
        &flags,
        &repo_root().join("tests/c").join(source),
        output,
    );
}

/// Kills the process `pid` at once (the waiting thread still owns its `Child`).
fn kill(pid: u32) {
    let mut killer = if cfg!(windows) {
        let mut taskkill = Command::new("taskkill");
        taskkill.args(["/F", "/PID"]);
        taskkill
    } else {
        let mut kill = Command::new("kill");
        kill.arg("-9");
        kill
    };
    let _ = killer.arg(pid.to_string()).status();
}
