//! ISO 7064 mod 37-2: the check character of an ISBT 128 donation identification number.
//! Values 0–9 → 0–9, A–Z → 10–35, `*` → 36; `p = ((p + v) × 2) mod 37` over the characters;
//! the check value is `(38 − p) mod 37`. A pure system: every single substitution and every
//! transposition of neighbours changes the check.

const ALPHABET: &[u8; 37] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*";

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|a| *a == c).map(|v| v as u32)
}

/// The check value (0–36) of `text`, or `None` if a character is outside `0–9A–Z*`.
pub fn check_value(text: &str) -> Option<u32> {
    let mut p = 0;
    for c in text.bytes() {
        p = ((p + value(c)?) * 2) % 37;
    }
    Some((38 - p) % 37)
}

/// The check character of `text`, or `None` if a character is outside `0–9A–Z*`.
pub fn check_character(text: &str) -> Option<char> {
    check_value(text).map(character_of)
}

pub(super) fn character_of(value: u32) -> char {
    ALPHABET[value as usize] as char
}

pub(super) fn value_of(c: char) -> Option<u32> {
    u8::try_from(c).ok().and_then(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_published_vectors() {
        assert_eq!(check_character("G123498654321"), Some('H'));
        assert_eq!(check_character("A999925123456"), Some('9'));
        assert_eq!(check_character("W123425000001"), Some('3'));
        assert_eq!(check_character("W1234-25"), None);
    }

    fn din_body() -> impl Strategy<Value = String> {
        ("[A-NP-Z1-9]", 0u32..10_000, 0u32..100, 0u32..1_000_000)
            .prop_map(|(a, p, y, n)| format!("{a}{p:04}{y:02}{n:06}"))
    }

    /// The 13 characters and the check character, as printed.
    fn with_check(body: &str) -> Vec<u8> {
        let mut all = body.as_bytes().to_vec();
        all.push(check_character(body).unwrap() as u8);
        all
    }

    fn holds(all: &[u8]) -> bool {
        let (body, check) = all.split_at(13);
        check_character(std::str::from_utf8(body).unwrap()) == Some(check[0] as char)
    }

    proptest! {
        #[test]
        fn every_single_character_change_is_caught(
            body in din_body(),
            at in 0usize..14,
            to in 0usize..37,
        ) {
            let mut all = with_check(&body);
            prop_assume!(ALPHABET[to] != all[at]);
            all[at] = ALPHABET[to];
            prop_assert!(!holds(&all), "{} passed", String::from_utf8_lossy(&all));
        }

        #[test]
        fn every_swap_of_neighbours_is_caught(body in din_body(), at in 0usize..13) {
            let mut all = with_check(&body);
            prop_assume!(all[at] != all[at + 1]);
            all.swap(at, at + 1);
            prop_assert!(!holds(&all), "{} passed", String::from_utf8_lossy(&all));
        }
    }
}
