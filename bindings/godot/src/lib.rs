//! The Godot 4 addon of hamustro: a GDExtension whose `Hamustro` class (a `Node`, meant
//! to be an autoload) tracks events through hamustro's Rust API and delivers them,
//! signed, to a Hamustro collector. Nothing of the library is re-implemented here: this
//! crate converts Godot values (`settings.rs`, `convert.rs`), maps errors to Godot's
//! `Error` codes (`status.rs`) and brings the library's log messages, which it writes
//! from any thread, to the main thread (`messages.rs`).
//!
//! Threads: Godot calls the class on the main thread, as every `Node`. The library's
//! delivery thread never touches a Godot object: its log messages go into a queue, and
//! the node emits them as signals from `_process`.
//!
//! `unsafe` is only the entry point Godot loads (`gdext_rust_init`, from the macro).

use godot::prelude::*;

mod convert;
mod hamustro_node;
mod messages;
mod settings;
mod status;

struct HamustroExtension;

// SAFETY: the macro exports the one entry point Godot calls when it loads the library;
// nothing else of the trait is overridden.
#[gdextension]
unsafe impl ExtensionLibrary for HamustroExtension {}
