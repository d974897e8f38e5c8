# The two commands of the README: `make demo` (the main job) and `make test` (every
# test). Both work on a fresh machine once .ci/run's installs are done (see README).
.PHONY: demo test header sanitize fuzz

demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

# Regenerates include/hamustro.h after a change to the C API.
header:
	HAMUSTRO_BLESS=1 cargo test --test header

# The Rust suite and the C/C++ test programs under ASan+LSan and TSan, and Miri where
# the machine has it (scripts/sanitize.sh). Installs Debian's rustc-web for TSan.
sanitize:
	bash scripts/sanitize.sh

# Coverage-guided fuzzers (cargo-fuzz), FUZZ_SECONDS per target (default 60).
fuzz:
	bash scripts/fuzz.sh
