//! The codes people type from a letter or an SMS — the query code (查询码) and the evaluation
//! code (评价码) — drawn from an alphabet without look-alikes (no 0/O, 1/I/L), and the form they
//! are kept in.

const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A fresh code of `length` characters: about 4.95 bits each, from the thread's CSPRNG.
pub fn generate(length: usize) -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..length)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A code as people type it, in the form it is kept: upper case, without the spaces and dashes
/// people add.
pub fn typed(code: &str) -> String {
    code.chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unambiguous_distinct_and_typed_loosely() {
        let a = generate(12);
        assert_eq!(a.len(), 12);
        assert!(a.bytes().all(|b| ALPHABET.contains(&b)));
        assert_ne!(a, generate(12));
        assert_eq!(typed(" ab2c-d3ef "), "AB2CD3EF");
    }
}
