//! Wagi routes: `/a/b` matches exactly that path; `/a/...` matches `/a`
//! and everything below it. A request goes to the exact route if there is
//! one, else to the longest matching prefix.

/// One route of `modules.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutePattern {
    original: String,
    /// The path without `/...` (SCRIPT_NAME); `""` for `/...`.
    base: String,
    prefix: bool,
}

impl RoutePattern {
    pub fn parse(s: &str) -> Result<RoutePattern, &'static str> {
        if !s.starts_with('/') {
            return Err("must start with '/'");
        }
        if s.contains(['?', '#']) || s.chars().any(char::is_whitespace) {
            return Err("must be a plain path (no query, fragment or spaces)");
        }
        let (base, prefix) = match s.strip_suffix("/...") {
            Some(b) => (b.to_owned(), true),
            None => (s.to_owned(), false),
        };
        if base.contains("...") {
            return Err("'...' may only end a route, as '/...'");
        }
        Ok(RoutePattern { original: s.to_owned(), base, prefix })
    }

    /// The text as written (X_MATCHED_ROUTE).
    pub fn original(&self) -> &str {
        &self.original
    }

    /// SCRIPT_NAME: the route without its `/...`.
    pub fn script_name(&self) -> &str {
        &self.base
    }

    pub fn is_prefix(&self) -> bool {
        self.prefix
    }

    /// Whether `path` is served by this route.
    pub fn matches(&self, path: &str) -> bool {
        if !self.prefix {
            return path == self.base;
        }
        match path.strip_prefix(self.base.as_str()) {
            Some(rest) => rest.is_empty() || rest.starts_with('/') || self.base.is_empty(),
            None => false,
        }
    }

    /// PATH_INFO: what follows SCRIPT_NAME in `path` (empty for an exact route).
    pub fn path_info<'p>(&self, path: &'p str) -> &'p str {
        if self.prefix {
            path.get(self.base.len()..).unwrap_or("")
        } else {
            ""
        }
    }
}

/// The index of the route serving `path`: an exact route first, else the
/// prefix route with the longest base.
pub fn find<'a>(routes: impl Iterator<Item = &'a RoutePattern>, path: &str) -> Option<usize> {
    let mut best: Option<(usize, bool, usize)> = None;
    for (i, r) in routes.enumerate() {
        if !r.matches(path) {
            continue;
        }
        let key = (!r.prefix, r.base.len());
        if best.is_none_or(|(_, exact, len)| key > (exact, len)) {
            best = Some((i, key.0, key.1));
        }
    }
    best.map(|(i, _, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_prefix_routes() {
        let rs: Vec<RoutePattern> =
            ["/", "/hello/...", "/hello/exact", "/..."].iter().map(|s| RoutePattern::parse(s).unwrap()).collect();
        let f = |p| find(rs.iter(), p);
        assert_eq!(f("/"), Some(0));
        assert_eq!(f("/hello"), Some(1));
        assert_eq!(f("/hello/a/b"), Some(1));
        assert_eq!(f("/hello/exact"), Some(2));
        assert_eq!(f("/helloworld"), Some(3));
        assert_eq!(rs[1].path_info("/hello/a/b"), "/a/b");
        assert_eq!(rs[1].script_name(), "/hello");
        let only: Vec<RoutePattern> = vec![RoutePattern::parse("/a/...").unwrap()];
        assert_eq!(find(only.iter(), "/ab"), None);
        assert!(RoutePattern::parse("a").is_err());
        assert!(RoutePattern::parse("/a.../b").is_err());
    }
}
