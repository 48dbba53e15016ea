//! The captures of the matched route: Tornado's `*args` and `**kwargs`.

use std::ops::Index;

/// The route's captures, URL-unescaped. Unnamed groups index by position (`args[0]`), named
/// groups by name (`args["year"]`); as in Tornado, a pattern with named groups has no
/// positional ones. A group that did not take part in the match reads as `""` through the
/// index and `None` through [`PathArgs::get`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathArgs {
    /// The unnamed captures, in order.
    pub args: Vec<Option<String>>,
    /// The named captures, in pattern order.
    pub kwargs: Vec<(String, Option<String>)>,
}

impl PathArgs {
    /// The positional capture `index`, if it exists and matched.
    pub fn get(&self, index: usize) -> Option<&str> {
        self.args.get(index)?.as_deref()
    }

    /// The named capture `name`, if it exists and matched.
    pub fn kwarg(&self, name: &str) -> Option<&str> {
        self.kwargs
            .iter()
            .find(|(key, _)| key == name)?
            .1
            .as_deref()
    }

    /// How many positional captures there are.
    pub fn len(&self) -> usize {
        self.args.len()
    }

    /// Whether there are no positional captures.
    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
    }
}

impl Index<usize> for PathArgs {
    type Output = str;
    fn index(&self, index: usize) -> &str {
        self.get(index).unwrap_or("")
    }
}

impl Index<&str> for PathArgs {
    type Output = str;
    fn index(&self, name: &str) -> &str {
        self.kwarg(name).unwrap_or("")
    }
}
