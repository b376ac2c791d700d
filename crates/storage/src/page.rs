use tenantry_domain::DomainError;

/// At most this many items in one page, whatever the caller asks.
pub const MAX_PAGE: i64 = 500;
pub const DEFAULT_PAGE: i64 = 50;

/// An opaque position in a listing: the sort key of the last item already returned, in hex so
/// that callers treat it as a token and never build one. Bound as a query parameter, compared
/// only, so any text is harmless.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor(String);

impl Cursor {
    pub fn after(key: &str) -> Cursor {
        Cursor(key.bytes().map(|b| format!("{b:02x}")).collect())
    }

    pub fn parse(token: &str) -> Result<Cursor, DomainError> {
        let bad = || DomainError::invalid("cursor", "is not a cursor this server handed out");
        if token.is_empty() || !token.len().is_multiple_of(2) || token.len() > 512 {
            return Err(bad());
        }
        let bytes = (0..token.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(token.get(i..i + 2).unwrap_or("zz"), 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| bad())?;
        let key = String::from_utf8(bytes).map_err(|_| bad())?;
        // Keys are paths or usernames: nothing a query must not see (a NUL byte, say).
        if key.chars().any(char::is_control) {
            return Err(bad());
        }
        Ok(Cursor(token.to_owned()))
    }

    pub fn token(&self) -> &str {
        &self.0
    }

    /// The sort key this cursor stands after.
    pub(crate) fn key(&self) -> String {
        let bytes: Vec<u8> = (0..self.0.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(self.0.get(i..i + 2)?, 16).ok())
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Which page of a listing to return.
#[derive(Clone, Debug)]
pub struct PageRequest {
    pub limit: i64,
    pub after: Option<Cursor>,
}

impl PageRequest {
    pub fn new(limit: Option<i64>, after: Option<Cursor>) -> Result<PageRequest, DomainError> {
        let limit = limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(DomainError::invalid(
                "limit",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
        Ok(PageRequest { limit, after })
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            limit: DEFAULT_PAGE,
            after: None,
        }
    }
}

/// One page of a listing and the cursor of the next one, if more follow.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only says that more follow.
    pub(crate) fn from_overfetch(
        mut rows: Vec<T>,
        limit: i64,
        key: impl Fn(&T) -> &str,
    ) -> Page<T> {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next = if more {
            rows.last().map(|last| Cursor::after(key(last)))
        } else {
            None
        };
        Page { items: rows, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let cursor = Cursor::after("/a1/b17/");
        assert_eq!(Cursor::parse(cursor.token()).unwrap().key(), "/a1/b17/");
    }

    #[test]
    fn foreign_cursors_are_refused() {
        let nul = Cursor::after("/a1/\0/");
        for token in [
            "",
            "abc",
            "zz",
            "/a1/",
            "00",
            nul.token(),
            &"00".repeat(300),
        ] {
            assert!(Cursor::parse(token).is_err(), "{token:?}");
        }
    }

    #[test]
    fn limits_are_bounded() {
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(501), None).is_err());
        assert_eq!(PageRequest::new(None, None).unwrap().limit, 50);
    }

    #[test]
    fn overfetch_says_whether_more_follow() {
        let page = Page::from_overfetch(vec!["a".to_string(), "b".into(), "c".into()], 2, |s| s);
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.next.unwrap().key(), "b");
        assert!(
            Page::from_overfetch(vec!["a".to_string()], 2, |s| s)
                .next
                .is_none()
        );
    }
}
