//! `-L`: whether a response sends the client on, and where. Pure: the status, the
//! `Location` header and the hops so far go in, a decision comes out.
//!
//! As curl does: 301, 302 and 303 turn a POST (any method but HEAD, for 303) into a GET
//! without body; 307 and 308 keep method and body. Unlike curl, a URL already visited
//! in this chain is called a loop at once (curl only stops at `--max-redirs`), and the
//! chain is never longer than [`MAX_REDIRECTS`].

use super::url::{Url, WebTarget};

/// The most redirects one request follows.
pub const MAX_REDIRECTS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Not a redirect (or `-L` was not given): this response is the answer.
    Stay,
    /// Go on to this target with this method (and the body when `keep_body`).
    Follow {
        target: Box<WebTarget>,
        method: String,
        keep_body: bool,
    },
    /// The chain cannot go on: why (a loop, too many hops, a bad or missing Location).
    Broken(String),
}

/// Decides after a response. `visited` holds the URLs of the chain so far, the current
/// one included.
pub fn next(
    status: u16,
    location: Option<&str>,
    method: &str,
    current: &Url,
    visited: &[Url],
) -> Next {
    if !matches!(status, 301 | 302 | 303 | 307 | 308) {
        return Next::Stay;
    }
    let Some(location) = location else {
        return Next::Broken(format!("a {status} redirect without a Location header"));
    };
    let url = match current.join(location.trim()) {
        Ok(url) => url,
        Err(err) => return Next::Broken(format!("Location '{location}' is not a URL: {err}")),
    };
    let target = match WebTarget::from_url(url) {
        Ok(target) => target,
        Err(why) => return Next::Broken(format!("Location '{location}' {why}")),
    };
    if visited
        .iter()
        .any(|seen| without_fragment(seen) == without_fragment(&target.url))
    {
        return Next::Broken(format!("redirect loop: {} was already visited", target.url));
    }
    if visited.len() > MAX_REDIRECTS {
        return Next::Broken(format!("more than {MAX_REDIRECTS} redirects"));
    }
    let (method, keep_body) = match status {
        307 | 308 => (method.to_string(), true),
        303 if method != "HEAD" => ("GET".to_string(), false),
        301 | 302 if method == "POST" => ("GET".to_string(), false),
        _ => (method.to_string(), false),
    };
    Next::Follow {
        target: Box::new(target),
        method,
        keep_body,
    }
}

fn without_fragment(url: &Url) -> &str {
    &url[..url::Position::AfterQuery]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn relative_and_absolute_locations_are_followed() {
        let here = url("http://www.netlab.test/a/b");
        match next(
            302,
            Some("c?x=1"),
            "GET",
            &here,
            std::slice::from_ref(&here),
        ) {
            Next::Follow { target, method, .. } => {
                assert_eq!(target.url.as_str(), "http://www.netlab.test/a/c?x=1");
                assert_eq!(method, "GET");
            }
            other => panic!("{other:?}"),
        }
        match next(
            301,
            Some("https://other.test:8443/"),
            "GET",
            &here,
            std::slice::from_ref(&here),
        ) {
            Next::Follow { target, .. } => assert_eq!(target.port, 8443),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn methods_change_as_curl_changes_them() {
        let here = url("http://x/");
        let method =
            |status, m: &str| match next(status, Some("/y"), m, &here, std::slice::from_ref(&here))
            {
                Next::Follow {
                    method, keep_body, ..
                } => (method, keep_body),
                other => panic!("{other:?}"),
            };
        assert_eq!(method(303, "POST"), ("GET".into(), false));
        assert_eq!(method(302, "POST"), ("GET".into(), false));
        assert_eq!(method(307, "POST"), ("POST".into(), true));
        assert_eq!(method(308, "PUT"), ("PUT".into(), true));
        assert_eq!(method(301, "HEAD"), ("HEAD".into(), false));
        assert_eq!(method(303, "HEAD"), ("HEAD".into(), false));
    }

    #[test]
    fn loops_and_long_chains_and_bad_locations_break() {
        let a = url("http://x/a");
        let b = url("http://x/b");
        assert!(
            matches!(next(302, Some("/a"), "GET", &b, &[a.clone(), b.clone()]),
            Next::Broken(why) if why.contains("loop"))
        );
        let chain: Vec<Url> = (0..=MAX_REDIRECTS)
            .map(|i| url(&format!("http://x/{i}")))
            .collect();
        assert!(
            matches!(next(302, Some("/next"), "GET", chain.last().unwrap(), &chain),
            Next::Broken(why) if why.contains("more than 10"))
        );
        assert!(
            matches!(next(302, None, "GET", &a, std::slice::from_ref(&a)),
            Next::Broken(why) if why.contains("without a Location"))
        );
        assert!(
            matches!(next(302, Some("ftp://x/"), "GET", &a, std::slice::from_ref(&a)),
            Next::Broken(why) if why.contains("ftp"))
        );
        assert_eq!(
            next(200, Some("/b"), "GET", &a, std::slice::from_ref(&a)),
            Next::Stay
        );
        assert_eq!(
            next(304, None, "GET", &a, std::slice::from_ref(&a)),
            Next::Stay
        );
    }
}
