//! 查询码: the code a petitioner tracks an item with. Twelve characters from an alphabet without
//! look-alikes (no 0/O, 1/I/L), about 60 bits: unguessable with the rate limit of public calls.

const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
const LENGTH: usize = 12;

pub fn generate() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..LENGTH)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// The form codes are hashed in: upper case, spaces and dashes dropped (people type them so).
pub fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_long_unambiguous_and_distinct() {
        let a = generate();
        assert_eq!(a.len(), LENGTH);
        assert!(a.bytes().all(|b| ALPHABET.contains(&b)));
        assert_ne!(a, generate());
        assert_eq!(normalize(" ab2c-d3ef "), "AB2CD3EF");
    }
}
