//! XML's five predefined entities and its numeric character references, for the two
//! XML readers here (the Apple plists, the C# suite's result file).

/// The character `&entity;` stands for (`entity` without `&` and `;`), if XML has one.
pub fn character(entity: &str) -> Option<char> {
    match entity {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => entity
            .strip_prefix("#x")
            .map(|hex| u32::from_str_radix(hex, 16))
            .or_else(|| entity.strip_prefix('#').map(str::parse))
            .and_then(Result::ok)
            .and_then(char::from_u32),
    }
}

#[cfg(test)]
mod tests {
    use super::character;

    #[test]
    fn names_and_numbers() {
        assert_eq!(character("amp"), Some('&'));
        assert_eq!(character("#233"), Some('é'));
        assert_eq!(character("#x41"), Some('A'));
        assert_eq!(character("bogus"), None);
        assert_eq!(character("#xD800"), None); // a surrogate is no character
    }
}
