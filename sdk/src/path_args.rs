//! The captures of the matched route: Tornado's `*args` and `**kwargs`.

use std::ops::Index;

/// The route's captures, URL-unescaped. Unnamed groups index by position (`args[0]`), named
/// groups by name (`args["year"]`); as in Tornado, a pattern with named groups has no
/// positional ones. A group that did not take part in the match reads as `""` through the
/// index and `None` through [`PathArgs::get`].
///
/// ```no_run
/// # use gale_sdk::*;
/// # #[derive(Default)]
/// # struct Handler;
/// # impl RequestHandler for Handler {
/// // (r"/time/(\d+)/(\d+)/(\d+)", TimeHandler)
/// fn get(&mut self, req: &mut Request, args: PathArgs) -> Result {
///     req.write(format!("{}-{}-{}", &args[0], &args[1], &args[2]));
///     Ok(())
/// }
/// # }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathArgs {
    /// The unnamed captures, in order.
    pub args: Vec<Option<String>>,
    /// The named captures, in pattern order.
    pub kwargs: Vec<(String, Option<String>)>,
}

impl PathArgs {
    /// The positional capture `index`, if it exists and matched.
    ///
    /// ```
    /// # use gale_sdk::*;
    /// let args = PathArgs { args: vec![Some("2026".into()), None], kwargs: vec![] };
    /// assert_eq!(args.get(0), Some("2026"));
    /// assert_eq!(args.get(1), None); // an optional group that did not match
    /// assert_eq!(&args[1], "");
    /// ```
    pub fn get(&self, index: usize) -> Option<&str> {
        self.args.get(index)?.as_deref()
    }

    /// The named capture `name`, if it exists and matched.
    ///
    /// ```
    /// # use gale_sdk::*;
    /// // r"/date/(?P<month>\d+)/(?P<year>\d+)"
    /// let args = PathArgs { args: vec![], kwargs: vec![("month".into(), Some("11".into())), ("year".into(), Some("2026".into()))] };
    /// assert_eq!(args.kwarg("year"), Some("2026"));
    /// assert_eq!(&args["month"], "11");
    /// ```
    pub fn kwarg(&self, name: &str) -> Option<&str> {
        self.kwargs
            .iter()
            .find(|(key, _)| key == name)?
            .1
            .as_deref()
    }

    /// How many positional captures there are.
    ///
    /// ```
    /// # use gale_sdk::*;
    /// let args = PathArgs { args: vec![Some("a".into()), Some("b".into())], kwargs: vec![] };
    /// assert_eq!(args.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.args.len()
    }

    /// Whether there are no positional captures.
    ///
    /// ```
    /// # use gale_sdk::*;
    /// assert!(PathArgs::default().is_empty());
    /// ```
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
