//! What a web target is: `http://HOST[:PORT]/PATH`, `https://...`, or `HOST:PORT` for a
//! bare TLS handshake. The `url` crate parses (the WHATWG rules every browser and curl's
//! URL API follow); this file only decides which of its results netlab can use and says
//! why, in one line, when it cannot.

use std::net::IpAddr;

pub use url::Url;

/// Which conversation a target asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
    /// `connect --tls HOST:PORT`: the handshake only, no HTTP.
    Tls,
}

impl Scheme {
    pub fn uses_tls(self) -> bool {
        matches!(self, Scheme::Https | Scheme::Tls)
    }
}

/// The host of a web target: a name (sent as SNI and checked against the certificate) or
/// an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebHost {
    Name(String),
    Ip(IpAddr),
}

impl std::fmt::Display for WebHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WebHost::Name(name) => f.write_str(name),
            WebHost::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// One checked web target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebTarget {
    pub scheme: Scheme,
    pub host: WebHost,
    pub port: u16,
    /// The URL (for `Tls`, `tls://HOST:PORT/`, never sent anywhere).
    pub url: Url,
}

impl WebTarget {
    /// `http://` or `https://` text. Anything else is refused with the reason.
    pub fn parse_url(text: &str) -> Result<WebTarget, String> {
        let url = Url::parse(text).map_err(|err| format!("is not a valid URL: {err}"))?;
        WebTarget::from_url(url)
    }

    /// A URL reached by a redirect (or typed): only http and https are followed.
    pub fn from_url(url: Url) -> Result<WebTarget, String> {
        let scheme = match url.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => {
                return Err(format!(
                    "the scheme '{other}' is not one netlab speaks (http and https are)"
                ))
            }
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err("carries a user name or password, which netlab does not send".into());
        }
        let host = match url.host() {
            Some(url::Host::Domain(name)) => WebHost::Name(name.to_string()),
            Some(url::Host::Ipv4(v4)) => WebHost::Ip(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => WebHost::Ip(IpAddr::V6(v6)),
            None => return Err("has no host".into()),
        };
        let port = url
            .port_or_known_default()
            .ok_or_else(|| "has no port".to_string())?;
        if port == 0 {
            return Err("port 0 cannot be connected to".into());
        }
        Ok(WebTarget {
            scheme,
            host,
            port,
            url,
        })
    }

    /// `HOST:PORT` (`[V6]:PORT`) for `connect --tls`.
    pub fn parse_tls(text: &str) -> Result<WebTarget, String> {
        if text.contains("://") {
            return Err("--tls takes HOST:PORT, not a URL (https:// URLs need no --tls)".into());
        }
        let url = Url::parse(&format!("tls://{text}/"))
            .map_err(|err| format!("is not HOST:PORT: {err}"))?;
        let host = match url.host() {
            Some(url::Host::Domain(name)) => {
                // A non-special scheme keeps the host as typed; an IPv4 literal is still
                // an address.
                match name.parse::<IpAddr>() {
                    Ok(ip) => WebHost::Ip(ip),
                    Err(_) => WebHost::Name(name.to_ascii_lowercase()),
                }
            }
            Some(url::Host::Ipv4(v4)) => WebHost::Ip(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => WebHost::Ip(IpAddr::V6(v6)),
            None => return Err("has no host".into()),
        };
        let port = url
            .port()
            .ok_or_else(|| "names no port (write HOST:PORT, e.g. mail.example:465)".to_string())?;
        if port == 0 || url.path() != "/" {
            return Err("is not HOST:PORT".into());
        }
        Ok(WebTarget {
            scheme: Scheme::Tls,
            host,
            port,
            url,
        })
    }

    /// The path and query sent in the request line (`/` at least).
    pub fn path_and_query(&self) -> String {
        match self.url.query() {
            Some(query) => format!("{}?{query}", self.url.path()),
            None => self.url.path().to_string(),
        }
    }

    /// The `Host` header (and HTTP/2 `:authority`): the port only when not the default.
    pub fn authority(&self) -> String {
        let host = match &self.host {
            WebHost::Name(name) => name.clone(),
            WebHost::Ip(IpAddr::V6(v6)) => format!("[{v6}]"),
            WebHost::Ip(ip) => ip.to_string(),
        };
        match self.url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        }
    }

    /// What the table calls the target.
    pub fn label(&self) -> String {
        match self.scheme {
            Scheme::Tls => self.authority_with_port(),
            _ => self.url.to_string(),
        }
    }

    fn authority_with_port(&self) -> String {
        match &self.host {
            WebHost::Ip(IpAddr::V6(v6)) => format!("[{v6}]:{}", self.port),
            host => format!("{host}:{}", self.port),
        }
    }
}

/// Whether a command-line target is a URL (so `connect` takes the web path).
pub fn looks_like_url(text: &str) -> bool {
    text.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_https_urls_with_defaults() {
        let t = WebTarget::parse_url("https://www.netlab.test/a/b?x=1").unwrap();
        assert_eq!(t.scheme, Scheme::Https);
        assert_eq!(t.host, WebHost::Name("www.netlab.test".into()));
        assert_eq!(t.port, 443);
        assert_eq!(t.path_and_query(), "/a/b?x=1");
        assert_eq!(t.authority(), "www.netlab.test");
        let t = WebTarget::parse_url("http://198.18.2.2:8080").unwrap();
        assert_eq!((t.port, t.path_and_query()), (8080, "/".to_string()));
        assert_eq!(t.authority(), "198.18.2.2:8080");
        let t = WebTarget::parse_url("http://[::1]:81/x").unwrap();
        assert_eq!(t.host, WebHost::Ip("::1".parse().unwrap()));
        assert_eq!(t.authority(), "[::1]:81");
    }

    #[test]
    fn bad_urls_say_why() {
        for (text, why) in [
            ("ftp://x/", "scheme 'ftp'"),
            ("http://", "not a valid URL"),
            ("https://a b/", "not a valid URL"),
            ("http://u:p@x/", "user name"),
            ("http://x:0/", "port 0"),
            ("http://x:99999/", "not a valid URL"),
        ] {
            let err = WebTarget::parse_url(text).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
            assert!(!err.contains('\n'));
        }
    }

    #[test]
    fn tls_targets_are_host_and_port() {
        let t = WebTarget::parse_tls("mail.netlab.test:465").unwrap();
        assert_eq!((t.scheme, t.port), (Scheme::Tls, 465));
        assert_eq!(t.label(), "mail.netlab.test:465");
        let t = WebTarget::parse_tls("127.0.0.1:993").unwrap();
        assert_eq!(t.host, WebHost::Ip("127.0.0.1".parse().unwrap()));
        let t = WebTarget::parse_tls("[::1]:8443").unwrap();
        assert_eq!(t.label(), "[::1]:8443");
        assert!(WebTarget::parse_tls("host")
            .unwrap_err()
            .contains("no port"));
        assert!(WebTarget::parse_tls("https://x/")
            .unwrap_err()
            .contains("not a URL"));
        assert!(WebTarget::parse_tls("x:1/path").is_err());
    }

    #[test]
    fn urls_are_told_from_host_port() {
        assert!(looks_like_url("https://x/"));
        assert!(looks_like_url("gopher://x/"));
        assert!(!looks_like_url("x:80"));
        assert!(!looks_like_url("[::1]:80"));
    }
}
