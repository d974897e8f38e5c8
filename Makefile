# The two commands of the README: `make demo` (the main job) and `make test` (every
# test). `make test` sets up a fresh machine first, through `make setup`.
.PHONY: demo setup test check header sanitize fuzz deny dist test-dist apple

demo:
	bash scripts/demo.sh

# Installs what the test suites need and checks that it is all there (scripts/setup.sh):
# apt packages, pytest, cargo-deny, the Swift chroot. Skips what is already installed.
setup:
	bash scripts/setup.sh

test: setup
	bash scripts/test.sh

# The edit-test loop: fmt, clippy, the Rust suite and the bindings' suites (C/C++,
# Python, Swift, C#, Godot); not the cross builds, release artifacts, sanitizers or fuzzers.
check: setup
	bash scripts/test.sh --quick

# Regenerates include/hamustro.h after a change to the C API.
header:
	HAMUSTRO_BLESS=1 cargo test --test it header::

# The Rust suite and the C/C++ test programs under ASan+LSan and TSan, and Miri where
# the machine has it (scripts/sanitize.sh). Installs Debian's rustc-web for TSan.
sanitize:
	bash scripts/sanitize.sh

# Coverage-guided fuzzers (cargo-fuzz), FUZZ_SECONDS per target (default 60).
fuzz:
	bash scripts/fuzz.sh

# Licences, duplicate versions and sources of the dependency graph (deny.toml).
deny:
	bash scripts/deny.sh

# The artifacts users download, into dist/: the Linux and Windows C/C++ SDK archives,
# the Python wheels (manylinux_2_17, win_amd64) and sdist, the Unity package, the Godot
# addon (scripts/dist.sh).
dist:
	bash scripts/dist.sh

# Each artifact of `make dist` installed in a fresh place and smoke-tested against the
# development collector, with no cargo on the PATH (scripts/dist-test.sh).
test-dist:
	bash scripts/dist-test.sh

# The static libraries for iOS, the iOS simulator and macOS, built here (zig and
# Debian's rustc in the cross chroot), the XCFramework assembled from them, the privacy
# manifest and the Swift release package, checked (scripts/apple-test.sh; root).
apple:
	bash scripts/apple-test.sh
