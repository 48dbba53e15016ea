//! The `Set-Cookie` values of a response, by cookie name, as Tornado's `_new_cookie`: a
//! second cookie of one name replaces the first and moves to the end (Tornado deletes it,
//! then adds it). Indexed by name, so a handler that sets many cookies, or one cookie many
//! times, stays linear, and capped at [`MAX_COOKIES`] names.

use std::collections::HashMap;

/// Cookies a response may set.
pub const MAX_COOKIES: usize = 1000;

/// A response's cookies, in the order they will be sent.
#[derive(Debug, Default)]
pub struct SetCookies {
    /// Name and `Set-Cookie` value; `None` where a cookie was set again later.
    entries: Vec<Option<(String, String)>>,
    /// Each name's place in `entries`.
    index: HashMap<String, usize>,
    /// The bytes of the names and values held.
    bytes: usize,
}

/// A new cookie name past [`MAX_COOKIES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyCookies;

impl std::fmt::Display for TooManyCookies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "more than {MAX_COOKIES} cookies set")
    }
}

impl SetCookies {
    /// Sets `name`'s `Set-Cookie` value, replacing an earlier one.
    pub fn set(&mut self, name: &str, header: String) -> Result<(), TooManyCookies> {
        match self.index.get(name) {
            Some(&at) => {
                if let Some((_, old)) = self.entries[at].take() {
                    self.bytes -= name.len() + old.len();
                }
            }
            None if self.index.len() >= MAX_COOKIES => return Err(TooManyCookies),
            None => {}
        }
        self.bytes += name.len() + header.len();
        self.index.insert(name.to_owned(), self.entries.len());
        self.entries.push(Some((name.to_owned(), header)));
        if self.entries.len() > 2 * self.index.len() {
            self.compact();
        }
        Ok(())
    }

    /// Drops the places replaced cookies left, so a cookie set again and again holds one.
    fn compact(&mut self) {
        self.entries.retain(Option::is_some);
        for (at, (name, _)) in self.entries.iter().flatten().enumerate() {
            self.index.insert(name.clone(), at);
        }
    }

    /// The bytes of the names and values held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The `Set-Cookie` values, in order.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .flatten()
            .map(|(_, header)| header.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_set_again_moves_to_the_end_and_a_loop_of_it_holds_one() {
        let mut cookies = SetCookies::default();
        for (name, value) in [("a", "a=1"), ("b", "b=1"), ("a", "a=2")] {
            cookies.set(name, value.into()).unwrap();
        }
        assert_eq!(cookies.values().collect::<Vec<_>>(), ["b=1", "a=2"]);
        let mut looped = SetCookies::default();
        for _ in 0..100_000 {
            looped.set("x", "x=1".into()).unwrap();
        }
        assert!(looped.entries.len() <= 2, "{}", looped.entries.len());
        assert_eq!(looped.bytes(), "x".len() + "x=1".len());
    }

    #[test]
    fn a_new_name_past_the_cap_is_refused_but_a_known_one_is_set() {
        let mut cookies = SetCookies::default();
        for at in 0..MAX_COOKIES {
            cookies.set(&format!("c{at}"), "v".into()).unwrap();
        }
        assert_eq!(cookies.set("one-more", "v".into()), Err(TooManyCookies));
        assert_eq!(cookies.set("c0", "again".into()), Ok(()));
    }
}
