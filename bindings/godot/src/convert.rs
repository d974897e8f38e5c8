//! Godot values into the library's strings, with GDScript's `str()` semantics: what a
//! GDScript developer sees when printing a value is what the collector receives.

use godot::builtin::{VarDictionary, Variant, VariantType};
use godot::meta::conv::ByValue;
use godot::meta::error::ConvertError;
use godot::meta::shape::GodotShape;
use godot::meta::{FromGodot, GodotConvert, GodotImmutable, ToGodot};

/// A Dictionary argument that may be left out (`track_event(name, params = {})`):
/// gdext takes default values only of types it knows to be immutable, and a plain
/// Dictionary is not, since a caller could change the one shared default. This one's
/// default is an empty, read-only Dictionary.
#[derive(Clone, Debug, Default)]
pub struct Params(pub VarDictionary);

impl GodotConvert for Params {
    type Via = VarDictionary;

    fn godot_shape() -> GodotShape {
        VarDictionary::godot_shape()
    }
}

impl ToGodot for Params {
    type Pass = ByValue;

    fn to_godot(&self) -> VarDictionary {
        self.0.clone()
    }
}

impl FromGodot for Params {
    fn try_from_godot(via: VarDictionary) -> Result<Self, ConvertError> {
        Ok(Params(via))
    }
}

// SAFETY: the default value is made read-only before it is stored, so no caller can
// change it; cloning a Dictionary only counts a reference, atomically in Godot. The
// same reasoning as gdext's own `GodotImmutable for Array<T>` (`into_read_only`).
unsafe impl GodotImmutable for Params {
    fn into_runtime_immutable(self) -> Self {
        Params(self.0.into_read_only())
    }
}

/// `str(value)`: a `String` or `StringName` as it is, `42`, `1.5`, `true`, `<null>`,
/// `(1, 2)` for a Vector2i, JSON-like text for an Array or a Dictionary.
pub fn text(value: &Variant) -> String {
    value.stringify().to_string()
}

/// A dictionary's entries as `(str(key), str(value))` pairs, in the dictionary's
/// (insertion) order.
pub fn pairs(dictionary: &VarDictionary) -> Vec<(String, String)> {
    dictionary
        .iter_shared()
        .map(|(key, value)| (text(&key), text(&value)))
        .collect()
}

/// The name of a value's type as GDScript's `type_string()` spells it, for messages.
pub fn type_name(value: &Variant) -> &'static str {
    match value.get_type() {
        VariantType::NIL => "null",
        VariantType::BOOL => "bool",
        VariantType::INT => "int",
        VariantType::FLOAT => "float",
        VariantType::STRING => "String",
        VariantType::STRING_NAME => "StringName",
        VariantType::DICTIONARY => "Dictionary",
        VariantType::ARRAY => "Array",
        _ => "another type",
    }
}
